"""Run ``sandan bench`` (same options: --quick, --json, --only NAME, --postgres-url)."""

from __future__ import annotations

import sys

import typer


def main(argv: list[str] | None = None) -> int:
    """Run the bench command with ``argv``; return its exit code."""
    from api.cli.bench import bench

    app = typer.Typer(add_completion=False)
    app.command()(bench)
    try:
        app(args=list(sys.argv[1:] if argv is None else argv), standalone_mode=False)
    except typer.Exit as exc:
        return int(exc.exit_code)
    return 0


if __name__ == "__main__":
    sys.exit(main())
