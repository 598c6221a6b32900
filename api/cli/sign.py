"""``sandan sign`` and ``sandan submit``: sign documents with a party's key, and send them.

``sandan sign --key FILE --party CODE --key-id ID [--type T] DOCUMENT`` prints the
envelope of a JSON document or of each business document of a CEB XML message (one
pretty JSON envelope, or NDJSON for several), signed by
:func:`traceability.signing.sign_envelope` over the RFC 8785 bytes with a fresh salt,
issued now. A document that fails the CEB schema is not signed: every problem is
listed and the exit status is 2.

``sandan submit`` (in :mod:`api.cli.submit`) sends what this signs, through
:class:`api.client.SandanClient`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

if TYPE_CHECKING:
    from api.cli._documents import InputRefused
    from api.client import Signer

__all__ = ["DocTypeName", "fail", "refuse", "register", "signer_factory"]

USAGE_EXIT = 2


class DocTypeName(StrEnum):
    """``--type`` values: the envelope's ``payload.docType``."""

    ORDER = "order"
    PAYMENT = "payment"
    WAYBILL = "waybill"
    INVENTORY = "inventory"
    EPCIS_EVENT = "epcis-event"


KeyOption = Annotated[
    Path | None, typer.Option("--key", help="Private key file (PKCS#8 PEM, `sandan keygen`).")
]
PartyOption = Annotated[str | None, typer.Option("--party", help="The signing party's code.")]
KeyIdOption = Annotated[
    str | None, typer.Option("--key-id", help="The keyId the key is registered under.")
]
TypeOption = Annotated[
    DocTypeName | None,
    typer.Option("--type", help="Document type of a JSON document (XML: from the message)."),
]


def fail(message: str) -> NoReturn:
    """Print ``message`` as the command's one error line and exit 2."""
    typer.secho(f"sandan: {message}", err=True, fg="red")
    raise typer.Exit(USAGE_EXIT)


def refuse(exc: InputRefused) -> NoReturn:
    """Print an unusable input with each of its problems, and exit 2."""
    typer.secho(f"sandan: {exc}", err=True, fg="red")
    for problem in exc.problems:
        typer.echo(f"  {problem}", err=True)
    raise typer.Exit(USAGE_EXIT)


def signer_factory(key: Path | None, party: str | None, key_id: str | None) -> Callable[[], Signer]:
    """A function that loads the signer on first use (inputs already signed need none)."""
    from api.client import Signer
    from traceability import InvalidKey

    loaded: list[Signer] = []

    def signer() -> Signer:
        if not loaded:
            missing = [
                name
                for name, v in (("--key", key), ("--party", party), ("--key-id", key_id))
                if v is None
            ]
            if missing:
                fail(f"signing needs {', '.join(missing)}")
            try:
                loaded.append(Signer(str(key), party=str(party), key_id=str(key_id)))
            except InvalidKey as exc:
                fail(exc.message)
        return loaded[0]

    return signer


def sign(
    document: Annotated[str, typer.Argument(help="JSON document or CEB XML message; - = stdin.")],
    key: KeyOption = None,
    party: PartyOption = None,
    key_id: KeyIdOption = None,
    doc_type: TypeOption = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write here instead of stdout.")
    ] = None,
) -> None:
    """Check a document against the CEB schema and print its signed envelope."""
    from api.cli._documents import InputRefused, read_input, sign_all

    signer = signer_factory(key, party, key_id)
    try:
        data = read_input(document)
        signed = sign_all(document, data, doc_type.value if doc_type else None, signer)
    except InputRefused as exc:
        refuse(exc)
    envelopes = [json.loads(item.body) for item in signed]
    if len(envelopes) == 1:
        text = json.dumps(envelopes[0], ensure_ascii=False, indent=2) + "\n"
    else:
        text = "".join(item.body.decode("utf-8") + "\n" for item in signed)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")


def register(app: typer.Typer) -> None:
    """Add ``sandan sign``."""
    app.command("sign")(sign)
