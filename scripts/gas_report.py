"""Print the gas of each registry function (in-process chain, or ``--rpc-url`` e.g. anvil)."""

from __future__ import annotations

import argparse
import sys

from ledger_client import LedgerError, make_web3
from ledger_client.gas import measure_gas


def main(argv: list[str] | None = None) -> int:
    """Print one line per function: total gas, items covered and gas per item."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rpc-url", default=None, help="JSON-RPC node; default: in-process chain")
    parser.add_argument("--leaves", type=int, default=1000, help="documents per anchored batch")
    args = parser.parse_args(argv)
    try:
        lines = measure_gas(make_web3(args.rpc_url), leaves_per_batch=args.leaves)
    except LedgerError as exc:
        print(f"gas_report: {exc}", file=sys.stderr)
        return 2
    print(f"{'function':<20} {'gas':>9} {'items':>6} {'gas/item':>10}")
    for line in lines:
        print(f"{line.function:<20} {line.gas_used:>9,} {line.items:>6} {line.per_item:>10,.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
