"""Write a generated mixed set of CEB XML trades for ``sandan risk scan``, with its truth.

``python scripts/risk_trade_set.py DIR [--trades 2000] [--seed 16]`` writes one folder
per trade into DIR (order.xml, payment.xml, logistics.xml) and, beside DIR,
``DIR.truth.json``: ``{"planted": {rule: [trade, …]}, "clean": [trade, …]}``. The same
arguments always give the same set (traceability.risk.samples).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from api.bench.risk import write_trade_set
from traceability.risk.samples import generate_trade_set


def main(argv: list[str] | None = None) -> int:
    """Write the set; print where, and how many trades of each kind."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--trades", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args(argv)
    directory: Path = args.directory
    if directory.exists() and any(directory.iterdir()):
        parser.error(f"{directory} is not empty")
    trade_set = generate_trade_set(args.trades, seed=args.seed)
    write_trade_set(trade_set, directory)
    truth = {
        "planted": {rule: sorted(names) for rule, names in trade_set.truth().items()},
        "clean": sorted(trade_set.clean()),
    }
    truth_file = directory.with_name(f"{directory.name}.truth.json")
    truth_file.write_text(json.dumps(truth, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"{len(trade_set.trades)} trades in {directory}; ground truth in {truth_file}")
    for rule, names in truth["planted"].items():
        print(f"  {rule}: {len(names)} planted")
    print(f"  clean: {len(truth['clean'])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
