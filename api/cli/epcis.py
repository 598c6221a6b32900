"""``sandan epcis hash``, ``sandan dl parse`` and ``sandan qr``: EPCIS and GS1 Digital Link tools.

Every user error (unreadable file, invalid event, bad Digital Link, unusable
output path) prints one line naming the field or part and exits with code 2.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

__all__ = ["register"]

#: traceability.epcis.hashing's DEFAULT_PROFILE and HASH_PROFILES, spelled out so that
#: building the command's help imports no traceability module (a test keeps them equal).
DEFAULT_PROFILE = "gs1-ref/2"
HASH_PROFILES = (DEFAULT_PROFILE, "sandan-cbv/1")


def _fail(message: str) -> NoReturn:
    typer.secho(f"sandan: {message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(2)


def _load_events(path: Path) -> tuple[list[dict[str, Any]], Any]:
    """Events of an EPCISDocument (or one bare event) after validation, and the @context."""
    from traceability.epcis import InvalidEvent, validate_document, validate_event
    from traceability.limits import JsonTooDeep, loads_bounded

    try:
        data = loads_bounded(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"cannot read {path}: {exc}")
    except JsonTooDeep as exc:
        _fail(f"{path}: not usable: {exc}")
    except json.JSONDecodeError as exc:
        _fail(f"{path}: not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})")
    try:
        if isinstance(data, dict) and data.get("type") == "EPCISDocument":
            validate_document(data)
            return data["epcisBody"]["eventList"], data["@context"]
        if isinstance(data, dict) and data.get("type") == "EPCISQueryDocument":
            return _query_events(data, path), data.get("@context")
        validate_event(data)
    except InvalidEvent as exc:
        details = "; ".join(str(issue) for issue in exc.issues[:5])
        more = f" (+{len(exc.issues) - 5} more)" if len(exc.issues) > 5 else ""
        _fail(f"{path}: invalid EPCIS: {details}{more}")
    return [data], data.get("@context")


def _query_events(document: dict[str, Any], path: Path) -> list[Any]:
    """The events of an EPCISQueryDocument (``epcisBody.queryResults.resultsBody.eventList``)."""
    from traceability.epcis import InvalidEvent, Issue
    from traceability.epcis.validation import event_issues

    where = "epcisBody.queryResults.resultsBody.eventList"
    body = document.get("epcisBody")
    results = body.get("queryResults") if isinstance(body, dict) else None
    inner = results.get("resultsBody") if isinstance(results, dict) else None
    events = inner.get("eventList") if isinstance(inner, dict) else None
    if not isinstance(events, list):
        raise InvalidEvent([Issue(where, "required: a list of events")])
    context = document.get("@context")
    issues = [
        issue
        for index, event in enumerate(events)
        for issue in event_issues(event, context=context, path=f"{where}[{index}]")
    ]
    if issues:
        raise InvalidEvent(issues)
    return events


def hash_command(
    file: Annotated[Path, typer.Argument(help="EPCIS 2.0 JSON-LD document or bare event")],
    show_prehash: Annotated[
        bool, typer.Option("--prehash", help="Print the pre-hash strings instead")
    ] = False,
    profile: Annotated[
        str,
        typer.Option(
            "--profile",
            help=f"Event hash profile, one of {', '.join(HASH_PROFILES)}",
        ),
    ] = DEFAULT_PROFILE,
) -> None:
    """Print the CBV 2.0 event hash of every event, in document order."""
    from traceability.epcis import event_hash, prehash

    if profile not in HASH_PROFILES:
        known = ", ".join(HASH_PROFILES)
        _fail(f"--profile: unknown event hash profile {profile!r} (known: {known})")
    events, context = _load_events(file)
    for event in events:
        typer.echo(
            prehash(event, context=context, profile=profile)
            if show_prehash
            else event_hash(event, context=context, profile=profile)
        )


def parse_command(uri: Annotated[str, typer.Argument(help="GS1 Digital Link URI")]) -> None:
    """Print a GS1 Digital Link as JSON (gtin, lot, serial, expiry, attributes)."""
    from traceability.gs1 import InvalidDigitalLink, parse_digital_link

    try:
        link = parse_digital_link(uri, today=date.today())
    except InvalidDigitalLink as exc:
        _fail(f"invalid Digital Link: {exc}")
    typer.echo(json.dumps(link.to_json(), ensure_ascii=False, indent=2))


def qr_command(
    uri: Annotated[str, typer.Argument(help="GS1 Digital Link to encode")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Output file: .png or .svg")],
) -> None:
    """Write a label-sized QR code (ECC M, ~25 mm at 300 dpi) for a checked Digital Link."""
    from traceability.gs1 import InvalidDigitalLink, parse_digital_link

    try:
        parse_digital_link(uri)
    except InvalidDigitalLink as exc:
        _fail(f"invalid Digital Link: {exc}")
    kind = output.suffix.lower()
    if output.is_dir():
        _fail(f"{output} is a directory; give a file name ending in .png or .svg")
    if kind not in (".png", ".svg"):
        _fail(f"{output}: unknown extension {kind or '(none)'}; use .png or .svg")
    if not output.parent.is_dir():
        _fail(f"{output.parent} does not exist")
    from api.services.trace.links import label_qr

    qr = label_qr(uri, "png" if kind == ".png" else "svg", xml_declaration=True)
    output.write_bytes(qr.data)
    typer.echo(f"{output}: QR version {qr.version}, error correction {qr.error}")


def register(app: typer.Typer) -> None:
    """Add ``epcis hash``, ``dl parse`` and ``qr`` to the sandan app."""
    epcis = typer.Typer(help="EPCIS 2.0 events and CBV 2.0 event hashes.", no_args_is_help=True)
    epcis.command("hash")(hash_command)
    dl = typer.Typer(help="GS1 Digital Link URIs.", no_args_is_help=True)
    dl.command("parse")(parse_command)
    app.add_typer(epcis, name="epcis")
    app.add_typer(dl, name="dl")
    app.command("qr")(qr_command)
