"""Risk in the service: alerts as trades arrive, their review, trade grades, party credit."""
