"""``sandan ceb``: check a trade's CEB XML files, convert one message to JSON and back.

``sandan ceb check DIR`` reads ``order.xml``, ``payment.xml`` (CEB411, or CEB403
for export), ``logistics.xml`` and, when present, ``inventory.xml``; prints
``{"verdict": "match"|"mismatch"|"invalid", "reasons": [...]}`` and exits 0, 1
or 2. ``invalid`` means a file cannot be accepted alone (unsafe, not
well-formed, wrong message, schema violation); ``mismatch`` means the valid
documents disagree. In a batched message (up to 100 business nodes) the trade's own
document is judged and the others are checked for duplicates of it. Signature checks
(``--verify-signatures``) are reported per file under ``"signatures"`` and never change
the verdict.

``sandan ceb convert FILE.xml`` prints the message as JSON (``ds:Signature`` and
``ExtendMessage`` as verbatim XML text); ``sandan ceb write FILE.json`` turns that
JSON back into the XML message on stdout, so a round trip gives the same message.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from traceability.ceb import CebMessage

EXIT_MATCH, EXIT_MISMATCH, EXIT_INVALID = 0, 1, 2
#: traceability.ceb.DEFAULT_MAX_BYTES, written out so the option needs no import (a test
#: keeps the two equal).
DEFAULT_MAX_BYTES = 4 * 1024 * 1024


def _emit(payload: dict[str, Any]) -> None:
    typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))


def check(
    directory: Annotated[Path, typer.Argument(help="Folder with order.xml, payment.xml, ...")],
    prior_annual: Annotated[
        str | None, typer.Option(help="Buyer's customs value used this year (CNY).")
    ] = None,
    verify_signatures: Annotated[
        bool, typer.Option("--verify-signatures", help="Verify each file's ds:Signature.")
    ] = False,
    cert: Annotated[
        list[Path] | None, typer.Option(help="Sender certificate (PEM); repeat for several.")
    ] = None,
    max_bytes: Annotated[int, typer.Option(help="Largest accepted file.")] = DEFAULT_MAX_BYTES,
    order_no: Annotated[
        str | None,
        typer.Option(help="The trade's orderNo, when order.xml is a batch of several orders."),
    ] = None,
) -> None:
    """Validate a trade's CEB files and run the three-document rules."""
    from api.cli._ceb_checks import (
        check_signatures,
        load_folder,
        match_files,
        parse_amount,
        reason,
        select_trade,
    )

    amount = parse_amount(prior_annual)
    folder = directory.resolve()
    if not folder.is_dir():
        refusal = reason("input.not_a_directory", None, f"{directory} is not a directory")
        _emit({"verdict": "invalid", "reasons": [refusal]})
        raise typer.Exit(EXIT_INVALID)
    loaded = load_folder(folder, max_bytes)
    if not loaded.reasons:
        select_trade(loaded, order_no)
    if loaded.reasons:
        verdict, reasons = "invalid", loaded.reasons
    else:
        verdict, reasons = match_files(loaded, amount)
    payload: dict[str, Any] = {"verdict": verdict, "reasons": reasons}
    if verify_signatures:
        payload["signatures"] = check_signatures(loaded, cert or [])
    _emit(payload)
    codes = {"match": EXIT_MATCH, "mismatch": EXIT_MISMATCH}
    raise typer.Exit(codes.get(verdict, EXIT_INVALID))


def _read_file(file: Path, max_bytes: int) -> bytes:
    """``file``'s bytes, one over ``max_bytes`` at most (the parser names the limit)."""
    if not file.is_file():
        typer.secho(f"sandan: {file} is not a readable file", err=True, fg=typer.colors.RED)
        raise typer.Exit(EXIT_INVALID)
    with file.open("rb") as handle:
        return handle.read(max_bytes + 1)


def _refuse(exc: Exception, error: str) -> typer.Exit:
    """Print why the input is unusable (with every schema issue); the exit to raise."""
    from traceability.ceb import CebError, SchemaViolation

    issues = [i.as_dict() for i in exc.issues] if isinstance(exc, SchemaViolation) else []
    reason = exc.reason if isinstance(exc, CebError) else error
    _emit({"error": reason, "message": str(exc), "issues": issues})
    return typer.Exit(EXIT_INVALID)


def parse_message(
    data: bytes, max_bytes: int = DEFAULT_MAX_BYTES, expect: Collection[str] | None = None
) -> CebMessage:
    """One CEB message parsed and checked as ``sandan ceb convert`` reads it (``sandan sign``
    and ``sandan submit`` read XML through this too); raises ``CebError``."""
    from traceability.ceb import read_message

    return read_message(data, max_bytes=max_bytes, expect=expect)


def convert(
    file: Annotated[Path, typer.Argument(help="One CEB XML message.")],
    max_bytes: Annotated[int, typer.Option(help="Largest accepted file.")] = DEFAULT_MAX_BYTES,
) -> None:
    """Print one CEB message, parsed and checked, as JSON."""
    from traceability.ceb import CebError

    data = _read_file(file, max_bytes)
    try:
        message = parse_message(data, max_bytes)
    except CebError as exc:
        raise _refuse(exc, "ceb_invalid") from exc
    _emit(message.to_json_dict())


_KeyOption = Annotated[
    Path | None,
    typer.Option(
        "--key",
        help="Sign with this private key (PKCS#8 PEM): SM2 gives SM2-SM3 with SM3 digests,"
        " the e-port's preferred method; RSA gives RSA-SHA1.",
    ),
]
_CertificateOption = Annotated[
    Path | None, typer.Option(help="The key's X.509 certificate (PEM), written into KeyInfo.")
]
_KeyNameOption = Annotated[
    str | None,
    typer.Option(help="KeyInfo/KeyName: by default the certificate number (serial, hex)."),
]


def write(
    file: Annotated[Path, typer.Argument(help="What `sandan ceb convert` printed (JSON).")],
    key: _KeyOption = None,
    certificate: _CertificateOption = None,
    key_name: _KeyNameOption = None,
    max_bytes: Annotated[int, typer.Option(help="Largest accepted file.")] = DEFAULT_MAX_BYTES,
) -> None:
    """Write the JSON of `sandan ceb convert` back as the CEB XML message, on stdout;
    with --key and --certificate, signed (enveloped XML-DSig, C14N 20010315)."""
    from traceability.ceb import CebError, CebMessage, write_message
    from traceability.limits import JsonTooDeep, loads_bounded

    if (key is None) != (certificate is None):
        raise _refuse(ValueError("--key and --certificate go together"), "usage")
    data = _read_file(file, max_bytes)
    try:
        if len(data) > max_bytes:
            raise CebError(f"{file} is larger than {max_bytes} bytes")
        message = CebMessage.from_json_dict(loads_bounded(data))
        xml = write_message(message, max_bytes=max_bytes)
    except JsonTooDeep as exc:
        raise _refuse(exc, "json_too_deep") from exc
    except (ValueError, CebError) as exc:  # JSONDecodeError, UnicodeError: ValueErrors
        raise _refuse(exc, "json_invalid") from exc
    if key is not None and certificate is not None:
        xml = _signed(xml, key, certificate, key_name, max_bytes)
    typer.echo(xml.decode("utf-8"), nl=False)


def sign(
    file: Annotated[Path, typer.Argument(help="One CEB XML message (signed or not).")],
    key: _KeyOption,
    certificate: _CertificateOption,
    key_name: _KeyNameOption = None,
    max_bytes: Annotated[int, typer.Option(help="Largest accepted file.")] = DEFAULT_MAX_BYTES,
) -> None:
    """Sign a CEB XML message as it stands (one the API or another tool wrote), on stdout:
    the message is checked against its schema first, and a signature it carries is replaced.
    The key stays on this machine: sandan's service never holds a party's signing key."""
    from traceability.ceb import CebError

    if key is None or certificate is None:
        raise _refuse(ValueError("--key and --certificate are both needed"), "usage")
    data = _read_file(file, max_bytes)
    try:
        parse_message(data, max_bytes)
    except CebError as exc:
        raise _refuse(exc, "ceb_invalid") from exc
    typer.echo(_signed(data, key, certificate, key_name, max_bytes).decode("utf-8"), nl=False)


def _signed(
    xml: bytes, key: Path, certificate: Path, key_name: str | None, max_bytes: int
) -> bytes:
    from cryptography import x509

    from traceability.ceb import sign_xml
    from traceability.signing.certificates import certificate_number

    key_pem, certificate_pem = _read_file(key, max_bytes), _read_file(certificate, max_bytes)
    try:
        number = certificate_number(x509.load_pem_x509_certificate(certificate_pem))
        return sign_xml(
            xml,
            private_key_pem=key_pem,
            certificate_pem=certificate_pem,
            key_name=key_name or number,  # as the e-port ukey names its certificate
            max_bytes=max_bytes,
        )
    except ValueError as exc:
        raise _refuse(exc, "signing_refused") from exc


def register(app: typer.Typer) -> None:
    """Add the ``ceb`` command group to the ``sandan`` app."""
    group = typer.Typer(help="China customs CEB XML messages.", no_args_is_help=True)
    group.command("check")(check)
    group.command("convert")(convert)
    group.command("write")(write)
    group.command("sign")(sign)
    app.add_typer(group, name="ceb")
