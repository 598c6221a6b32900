"""``sandan verifier-page -o verify.html``: the browser verifier as one self-contained file."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    """Add ``sandan verifier-page``."""
    app.command("verifier-page")(verifier_page)


def verifier_page(
    output: Path = typer.Option(
        Path("verify.html"), "-o", "--output", help="Where to write the HTML file."
    ),
) -> None:
    """Write the browser verifier (the page of GET /verify) as one HTML file that works offline.

    Open it from disk (file://) or host it anywhere: it loads nothing but the JSON-RPC node
    you type into it.
    """
    from api.web.pages.verifier import render_verifier_page

    output.write_text(render_verifier_page(), encoding="utf-8")
    typer.echo(f"wrote {output} ({output.stat().st_size // 1024} KiB)")
