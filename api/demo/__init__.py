"""The demo flows of ``sandan demo``: a trade and a lot, end to end."""
