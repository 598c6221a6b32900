"""Compile the registries and write the committed artifacts (``--check``: compare only)."""

from __future__ import annotations

import argparse
import sys

from ledger_client import (
    LedgerError,
    LedgerSettings,
    check_artifacts,
    compile_contracts,
    write_artifacts,
)


def main(argv: list[str] | None = None) -> int:
    """Return 0 on success, 1 when ``--check`` finds stale artifacts, 2 on errors."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--check", action="store_true", help="compare with a fresh compile; write nothing"
    )
    args = parser.parse_args(argv)
    try:
        settings = LedgerSettings()
        if args.check:
            differing = check_artifacts(settings)
            if differing:
                print(f"artifacts out of date: {', '.join(differing)}", file=sys.stderr)
                return 1
            print("artifacts match the sources")
            return 0
        for path in write_artifacts(compile_contracts(settings)):
            print(f"wrote {path}")
    except LedgerError as exc:
        print(f"compile_contracts: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
