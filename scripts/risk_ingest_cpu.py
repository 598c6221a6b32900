"""CPU time per stored document on the ingest path (``POST /documents/bulk``), in process.

Run it on two checkouts to compare (``PYTHONPATH=<checkout> python scripts/risk_ingest_cpu.py``):
it posts ``--trades`` import trades (order, payment, waybill: three bulk bodies of
``--chunk`` documents each per round), signed beforehand, on a SQLite file and the
in-process chain, and prints the process CPU seconds per document spent in the posts.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ONE = Decimal(1)


def main(argv: list[str] | None = None) -> int:
    """Post the trades and print ``{"documents", "cpuSecondsPerDocument"}``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trades", type=int, default=300)
    parser.add_argument("--chunk", type=int, default=100)
    args = parser.parse_args(argv)

    from fastapi.testclient import TestClient

    from api.anchoring.gateway import LedgerGateway
    from api.config import ApiSettings
    from api.demo.parties import bearer, register_party
    from api.runtime import Runtime
    from api.web.main import create_app
    from ledger_client import LedgerSettings, deploy_registries, dev_accounts, make_web3
    from traceability import Algorithm
    from traceability.trade import samples

    w3 = make_web3(None)
    admin = dev_accounts(w3, 1)[0]
    deployment = deploy_registries(w3, admin, grants={"ANCHORER_ROLE": [admin.address]})
    ledger = LedgerGateway(w3, deployment, anchorer=admin, confirmations=1)
    with tempfile.TemporaryDirectory() as scratch:
        settings = ApiSettings(
            ledger=LedgerSettings(data_dir=Path(scratch)),
            admin_token="t",  # noqa: S106 - a throwaway in-process service
            rate_limit_per_minute=0,
            database_url=f"sqlite:///{scratch}/sandan.db",
        )
        runtime = Runtime.from_settings(settings, ledger_factory=lambda: ledger)
        with TestClient(create_app(runtime=runtime)) as client:
            head = bearer("t")
            actors = {
                "order": register_party(client, head, samples.PLATFORM[0], ["platform"]),
                "payment": register_party(
                    client, head, samples.PAYER_COMPANY[0], ["payment"], alg=Algorithm.ES256
                ),
                "waybill": register_party(client, head, samples.CARRIER[0], ["logistics"]),
            }
            bodies: list[tuple[str, bytes]] = []
            for start in range(0, args.trades, args.chunk):
                batch = []
                for n in range(start, min(args.trades, start + args.chunk)):
                    terms = samples.ImportTerms(
                        order_no=f"SD2025{n:010d}",
                        lines=(
                            samples.Line(
                                "奶粉", "900g", "0402100000", Decimal(1), Decimal(300 + n % 50)
                            ),
                        ),
                        placed_at=samples.BASE_TIME + timedelta(minutes=7 * n),
                        logistics_no=f"SF{n:013d}",
                        pay_transaction_id=f"AP{n:016d}",
                        buyer=("王小明", f"1101011990{n % 997:04d}1234"[:18], f"138{n:08d}"),
                    )
                    batch.append(samples.import_trade(terms, inventory=False))
                for kind, actor in actors.items():
                    lines = [
                        json.dumps(actor.envelope(kind, getattr(d, kind).to_json_dict()))
                        for d in batch
                    ]
                    bodies.append((kind, "\n".join(lines).encode()))
            started = time.process_time()
            for kind, body in bodies:
                response = client.post(
                    "/documents/bulk",
                    content=body,
                    headers={**actors[kind].headers, "Content-Type": "application/x-ndjson"},
                )
                assert response.status_code in (200, 207), response.text[:300]
            spent = time.process_time() - started
    documents = 3 * args.trades
    print(json.dumps({"documents": documents, "cpuSecondsPerDocument": spent / documents}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
