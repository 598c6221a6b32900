"""Print the gas of each registry function (in-process chain, or ``--rpc-url`` e.g. anvil).

``--lifecycle N`` also runs N trades' whole lives (documents, verdict, release, settlement)
on TradeRegistry, on EAS and on the per-record mapping baseline, and prints them side by side.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from ledger_client import LedgerError, LedgerSettings, dev_accounts, make_web3
from ledger_client.compile import compile_bench_contracts
from ledger_client.gas import measure_gas
from ledger_client.lifecycle_gas import (
    STEPS,
    LifecycleGas,
    measure_eas_lifecycle,
    measure_mapping_lifecycle,
    measure_sandan_lifecycle,
)

if TYPE_CHECKING:
    from web3 import Web3


def _lifecycles(w3: Web3, trades: int) -> list[LifecycleGas]:
    settings = LedgerSettings()
    account = dev_accounts(w3, 1)[0]
    mapping = compile_bench_contracts(settings)["PerRecordRegistry"]
    return [
        measure_sandan_lifecycle(w3, trades),
        measure_eas_lifecycle(w3, account, trades, settings),
        measure_mapping_lifecycle(w3, account, trades, mapping),
    ]


def _print_lifecycles(results: list[LifecycleGas]) -> None:
    print()
    print(f"gas per trade, {results[0].trades:,} trades per batch")
    columns = [*STEPS, "lifecycle", "trades/s"]
    print(f"{'design':<10}" + "".join(f" {c:>11}" for c in columns))
    for result in results:
        cells = [result.per_trade(step) for step in STEPS]
        cells += [result.lifecycle, result.trades_per_second]
        print(f"{result.design:<10}" + "".join(f" {c:>11,.0f}" for c in cells))


def main(argv: list[str] | None = None) -> int:
    """Print one line per function: total gas, items covered and gas per item."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rpc-url", default=None, help="JSON-RPC node; default: in-process chain")
    parser.add_argument("--leaves", type=int, default=1000, help="documents per anchored batch")
    parser.add_argument(
        "--lifecycle", type=int, default=0, metavar="TRADES", help="also run TRADES trade lives"
    )
    args = parser.parse_args(argv)
    try:
        w3 = make_web3(args.rpc_url)
        lines = measure_gas(w3, leaves_per_batch=args.leaves)
        lifecycles = _lifecycles(w3, args.lifecycle) if args.lifecycle > 0 else []
    except LedgerError as exc:
        print(f"gas_report: {exc}", file=sys.stderr)
        return 2
    print(f"{'function':<20} {'gas':>9} {'items':>6} {'gas/item':>10}")
    for line in lines:
        print(f"{line.function:<20} {line.gas_used:>9,} {line.items:>6} {line.per_item:>10,.1f}")
    if lifecycles:
        _print_lifecycles(lifecycles)
    return 0


if __name__ == "__main__":
    sys.exit(main())
