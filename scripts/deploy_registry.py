"""Deploy both registries on ``--rpc-url`` (or the in-process chain) and print addresses."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ledger_client import (
    DEV_PARTIES,
    LedgerError,
    deploy_registries,
    dev_accounts,
    dev_role_grants,
    make_web3,
)
from ledger_client.providers import check_connection


def main(argv: list[str] | None = None) -> int:
    """Deploy with dev accounts and demo roles; return 0, or 2 with one error line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rpc-url", default=None, help="JSON-RPC node; default: in-process chain")
    parser.add_argument("--output", type=Path, default=None, help="write the deployment file here")
    args = parser.parse_args(argv)
    try:
        w3 = make_web3(args.rpc_url)
        check_connection(w3)
        accounts = dev_accounts(w3, len(DEV_PARTIES))
        deployment = deploy_registries(w3, accounts[0], grants=dev_role_grants(accounts))
        if args.output is not None:
            deployment.save(args.output)
    except LedgerError as exc:
        print(f"deploy_registry: {exc}", file=sys.stderr)
        return 2
    print(f"chain {deployment.chain_id}")
    for name, contract in sorted(deployment.contracts.items()):
        print(f"{name}: {contract.address} (block {contract.block_number})")
    for name, roles in sorted(deployment.roles.items()):
        for role, holders in sorted(roles.items()):
            print(f"{name} {role}: {', '.join(holders)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
