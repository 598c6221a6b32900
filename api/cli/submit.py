"""``sandan submit``: sign documents once and send them, retrying with the same bytes.

PATHs are files (JSON documents, CEB XML messages, signed envelopes, ``.ndjson`` files
of envelopes) or folders (their ``*.json``, ``*.xml``, ``*.ndjson``, sorted; deep with
``--recursive``). Everything is read, checked and signed before anything is sent; an
unusable input stops the command (exit 2). One document goes to ``POST /documents``,
several to ``POST /documents/bulk`` in chunks (``--chunk`` lines). Each document gets
one line, ``<file> <docType> <contentHash[:16]>… trade <tradeId[:16]>… <created|already
stored>``, or its error; ``--json`` prints one array instead. Exit 1 if any document
was refused.

The trade shown is the one the document names (sha256 of ``ebpCode/orderNo``, as the
service keys it); a bulk answer does not say which trade took a document, so the
service's own ``tradeId`` is shown for a single document and with ``--wait``.

The service and the API key come from :mod:`api.cli._connection` (its ``client_factory``
is the tests' seam).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import typer

from api.cli._connection import ApiKeyOption, UrlOption, connect, endpoint
from api.cli.sign import (
    KeyIdOption,
    KeyOption,
    PartyOption,
    TypeOption,
    fail,
    refuse,
    signer_factory,
)

if TYPE_CHECKING:
    from api.cli._documents import Outgoing
    from api.client import SandanApiError, SandanClient

__all__ = ["register"]


@dataclass
class _Outcome:
    """What became of one document."""

    item: Outgoing
    status: str = "failed"  # created | already stored | failed
    #: The hash the service stored the document under (its zone's digest profile decides
    #: the function, so it is the service's answer, not one computed here); None if refused.
    content_hash: str | None = None
    trade_id: str | None = None
    error: dict[str, Any] | None = None
    anchored: bool | None = None

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "file": self.item.source,
            "status": self.status,
            "contentHash": self.content_hash,
            "tradeId": self.trade_id,
            "docType": self.item.doc_type,
        }
        if self.error is not None:
            data["error"] = self.error
        if self.anchored is not None:
            data["anchored"] = self.anchored
        return data

    def line(self) -> str:
        item = self.item
        trade = f"{self.trade_id[:16]}…" if self.trade_id else "-"
        digest = f"{self.content_hash[:16]}…" if self.content_hash else "-"
        text = f"{item.source} {item.doc_type} {digest} trade {trade} "
        if self.error is not None:
            error = self.error
            where = f" field {error['field']}" if error.get("field") else ""
            return text + f"failed: {error['error']}{where}: {error['message']}"
        suffix = {True: ", anchored", False: ", not anchored yet", None: ""}[self.anchored]
        return text + self.status + suffix


def _error_of(exc: SandanApiError) -> dict[str, Any]:
    return {"error": exc.error, "field": exc.field, "message": exc.message}


def _collect(
    paths: list[str], recursive: bool, doc_type: str | None, signer: Callable[..., Any]
) -> list[Outgoing]:
    from api.cli._documents import InputRefused, files_in, read_input, sign_all, signed_envelopes

    items: list[Outgoing] = []
    try:
        for source in files_in(paths, recursive=recursive):
            data = read_input(source)
            signed = signed_envelopes(source, data)
            items.extend(signed if signed is not None else sign_all(source, data, doc_type, signer))
    except InputRefused as exc:
        refuse(exc)
    if not items:
        fail("no document to submit in " + " ".join(paths))
    return items


@dataclass(frozen=True)
class _Chunking:
    """How bulk requests are cut, and whether a progress bar shows."""

    lines: int
    size: int
    bar: bool


def _show_progress(as_json: bool) -> bool:
    """A progress bar on stderr, unless output is for machines or stderr is no terminal."""
    return not as_json and sys.stderr.isatty()


def _send(client: SandanClient, items: list[Outgoing], chunking: _Chunking) -> list[_Outcome]:
    from api.client import SandanApiError

    outcomes = [_Outcome(item, trade_id=item.trade_id) for item in items]
    if len(items) == 1:
        try:
            stored = client.submit(items[0].body)
        except SandanApiError as exc:
            outcomes[0].error = _error_of(exc)
        else:
            outcomes[0].status = "created" if stored.created else "already stored"
            outcomes[0].content_hash = stored.content_hash
            outcomes[0].trade_id = stored.trade_id
        return outcomes
    results = _bulk(client, items, chunking)
    for outcome, result in zip(outcomes, results, strict=True):
        if result.error is not None:
            outcome.error = result.error.model_dump()
        else:
            outcome.status = "created" if result.status == 201 else "already stored"
            outcome.content_hash = result.content_hash
    return outcomes


def _bulk(client: SandanClient, items: list[Outgoing], chunking: _Chunking) -> list[Any]:
    bodies = [item.body for item in items]
    if not chunking.bar:
        return client.submit_many(bodies, chunk=chunking.lines, chunk_bytes=chunking.size)
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("submitting", total=len(bodies))
        return client.submit_many(
            bodies,
            chunk=chunking.lines,
            chunk_bytes=chunking.size,
            progress=lambda done: progress.advance(task, done),
        )


def _wait(client: SandanClient, outcomes: list[_Outcome], timeout: float) -> None:
    """Poll each stored document until anchored, all within ``timeout`` seconds."""
    import time

    from api.client import SandanApiError

    deadline = time.monotonic() + timeout
    for outcome in outcomes:
        if outcome.error is not None or outcome.content_hash is None:
            continue
        try:
            left = max(0.0, deadline - time.monotonic())
            stored = client.wait_for_anchor(outcome.content_hash, left)
        except TimeoutError:
            outcome.anchored = False
        except SandanApiError as exc:
            outcome.anchored = False
            outcome.error = _error_of(exc)
        else:
            outcome.anchored = True
            outcome.trade_id = stored.trade_id


def submit(
    paths: Annotated[list[str], typer.Argument(help="Files or folders; - = stdin.")],
    key: KeyOption = None,
    party: PartyOption = None,
    key_id: KeyIdOption = None,
    doc_type: TypeOption = None,
    url: UrlOption = None,
    api_key: ApiKeyOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON array.")] = False,
    recursive: Annotated[bool, typer.Option(help="Search folders deeply.")] = False,
    chunk: Annotated[int, typer.Option(min=1, max=1000, help="Lines per bulk request.")] = 1000,
    chunk_bytes: Annotated[
        int,
        typer.Option(min=1024, help="Bytes per bulk request (keep under SANDAN_MAX_BODY_BYTES)."),
    ] = 1_000_000,
    max_attempts: Annotated[
        int, typer.Option(min=1, help="Attempts per request (connection errors, 429, 5xx).")
    ] = 5,
    wait: Annotated[bool, typer.Option(help="Wait until each document is anchored.")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds --wait waits in all.")] = 120.0,
) -> None:
    """Sign and submit documents; exit 1 if any was refused."""
    url, api_key = endpoint(url, api_key)  # no key: refused before anything is signed
    signer = signer_factory(key, party, key_id)
    items = _collect(paths, recursive, doc_type.value if doc_type else None, signer)
    with connect(url, api_key, max_attempts=max_attempts) as client:
        chunking = _Chunking(chunk, chunk_bytes, _show_progress(as_json))
        outcomes = _send(client, items, chunking)
        if wait:
            _wait(client, outcomes, timeout)
    _report(outcomes, as_json)
    if any(o.error is not None or o.anchored is False for o in outcomes):
        raise typer.Exit(1)


def _report(outcomes: list[_Outcome], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps([o.as_dict() for o in outcomes], ensure_ascii=False, indent=2))
        return
    for outcome in outcomes:
        typer.echo(outcome.line(), err=outcome.error is not None)


def register(app: typer.Typer) -> None:
    """Add ``sandan submit``."""
    app.command("submit")(submit)
