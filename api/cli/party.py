"""``sandan register-key`` and ``sandan verdict``: a party's own steps besides submitting.

``register-key`` sends the public half of a key file made by ``sandan keygen`` to
``POST /parties/{code}/keys`` (the private half never leaves the machine), or an SM2
certificate whose key the service takes once its chain to the zone's CAs checks.
``verdict`` prints a trade's verdict with every failed rule, and with ``--wait`` waits
until it is anchored on chain (customs can release only then). Exit codes of
``verdict``: 0 match, 4 mismatch (as ``sandan verify``), 5 still pending (documents
missing), 1 not anchored within ``--timeout``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from api.cli._connection import ApiKeyOption, UrlOption, connect
from api.cli.sign import fail

if TYPE_CHECKING:
    from api.client import SandanApiError
    from api.schemas import VerdictPublic

MISMATCH_EXIT = 4
PENDING_EXIT = 5


def register(app: typer.Typer) -> None:
    """Add ``sandan register-key`` and ``sandan verdict``."""
    app.command("register-key")(register_key)
    app.command("verdict")(verdict)


def _refused(exc: SandanApiError) -> None:
    where = f" (field {exc.field})" if exc.field else ""
    fail(f"the service refused: {exc.error}{where}: {exc.message}")


def register_key(
    party: Annotated[str, typer.Option("--party", help="Your party's code.")],
    key: Annotated[
        Path | None,
        typer.Option("--key", help="Private key file (PKCS#8 PEM, `sandan keygen`)."),
    ] = None,
    key_id: Annotated[
        str | None,
        typer.Option(
            "--key-id",
            help="The keyId to register it under (with --certificate: the certificate number).",
        ),
    ] = None,
    certificate: Annotated[
        Path | None,
        typer.Option(
            "--certificate",
            help="Register the key of this SM2 certificate (PEM, intermediates after it; the"
            " e-port's enterprise certificate) instead: the service checks its chain to the"
            " zone's CAs. With --key, the key file must be the certificate's.",
        ),
    ] = None,
    url: UrlOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """Register the public key of KEY as your party's KEY-ID (valid from now), or the key
    of an SM2 CERTIFICATE under its number (valid until the certificate ends)."""
    from api.client import SandanApiError, load_signing_key
    from traceability import InvalidKey

    if certificate is None and (key is None or key_id is None):
        fail("give --key and --key-id, or --certificate")
    signing_key = None
    if key is not None:
        try:
            signing_key = load_signing_key(key)
        except InvalidKey as exc:
            fail(exc.message)
    with connect(url, api_key) as client:
        try:
            if certificate is not None:
                pem = _certificate_matching(certificate, signing_key)
                registered = client.add_certificate_key(party, pem, key_id=key_id)
            else:
                assert signing_key is not None
                assert key_id is not None
                registered = client.add_key(party, key_id, signing_key)
        except SandanApiError as exc:
            _refused(exc)
    until = f" until {registered.valid_until.isoformat()}" if registered.valid_until else ""
    typer.echo(
        f"{registered.party_code} key {registered.key_id} ({registered.alg}) registered, "
        f"valid from {registered.valid_from.isoformat()}{until}; on chain: "
        f"{registered.chain_status}"
    )


def _certificate_matching(path: Path, signing_key: object) -> str:
    """The certificate file's PEM; with a key file, checked to hold that key's public half."""
    from cryptography import x509

    from traceability import SigningKey
    from traceability.signing import b64url_decode
    from traceability.signing.certificates import Sm2PublicKey, certificate_key

    try:
        pem = path.read_bytes()
        leaf = x509.load_pem_x509_certificate(pem)
        public = certificate_key(leaf)
    except (OSError, ValueError) as exc:
        fail(f"{path}: not a usable PEM certificate: {exc}")
    if isinstance(signing_key, SigningKey) and not (
        isinstance(public, Sm2PublicKey)
        and public.encoded_point() == b64url_decode(signing_key.public_key)
    ):
        fail(f"{path} does not certify the key in --key")
    return pem.decode("ascii", errors="replace")


def verdict(
    trade_id: Annotated[str, typer.Argument(help="The trade's id (64 hex).")],
    wait: Annotated[bool, typer.Option(help="Wait until the verdict is anchored.")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds --wait waits.")] = 120.0,
    url: UrlOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """Print a trade's verdict: match, or each failed rule with expected and actual."""
    from api.client import SandanApiError

    with connect(url, api_key) as client:
        try:
            found = client.wait_for_verdict(trade_id, timeout) if wait else client.verdict(trade_id)
        except TimeoutError as exc:
            typer.secho(f"sandan: {exc}", err=True, fg="yellow")
            raise typer.Exit(1) from exc
        except SandanApiError as exc:
            _refused(exc)
    _print(trade_id, found)
    if found.status == "mismatch":
        raise typer.Exit(MISMATCH_EXIT)
    if found.status == "pending":
        raise typer.Exit(PENDING_EXIT)


def _print(trade_id: str, found: VerdictPublic) -> None:
    colour = {"match": "green", "mismatch": "red"}.get(found.status, "yellow")
    typer.secho(f"trade {trade_id}: verdict: {found.status}", fg=colour, bold=True)
    if found.missing:
        typer.echo(f"  waiting for: {', '.join(found.missing)}")
    for failure in found.failures:
        typer.echo(
            f"  ✗ {failure.rule} [{failure.document}.{failure.field}]: expected "
            f"{failure.expected}, actual {failure.actual}"
        )
    if found.verdict_hash:
        state = "anchored on chain" if found.anchored else "not anchored yet"
        typer.echo(f"  verdict hash {found.verdict_hash} ({state})")
