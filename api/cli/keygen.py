"""``sandan keygen``: a new signing key as a PKCS#8 PEM file, and how to register it.

It prints the public key the way ``POST /parties/{code}/keys`` takes it (base64url of
the raw Ed25519 key or of the uncompressed SEC1 point) and the JSON body to send; with
``--json``, one object ``{"alg", "publicKey", "keyFile", "keyId"?}`` and nothing else.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["register"]

_USAGE_EXIT = 2


class KeyAlg(StrEnum):
    """Algorithm names on the command line (lower case), each one of the API's."""

    ED25519 = "ed25519"
    ES256 = "es256"
    ES256K = "es256k"
    SM2 = "sm2"


def keygen(
    output: Annotated[Path, typer.Option("-o", "--output", help="The key file to create.")],
    alg: Annotated[KeyAlg, typer.Option("--alg", help="Signature algorithm.")] = KeyAlg.ED25519,
    key_id: Annotated[
        str | None, typer.Option("--key-id", help="The keyId to register the key under.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object only.")] = False,
) -> None:
    """Create a private key file (PKCS#8 PEM, mode 0600) and print its public key."""
    from api.client import write_signing_key
    from traceability import Algorithm, SigningKey

    key = SigningKey.generate(Algorithm[alg.name])
    try:
        write_signing_key(output, key, force=force)
    except FileExistsError:
        typer.secho(f"sandan: {output} exists; pass --force to replace it", err=True, fg="red")
        raise typer.Exit(_USAGE_EXIT) from None
    except OSError as exc:
        typer.secho(f"sandan: cannot create {output}: {exc.strerror}", err=True, fg="red")
        raise typer.Exit(_USAGE_EXIT) from None
    body = {"keyId": key_id or "<your key id>", "alg": key.alg.value, "publicKey": key.public_key}
    if as_json:
        summary = {"alg": key.alg.value, "publicKey": key.public_key, "keyFile": str(output)}
        if key_id is not None:
            summary["keyId"] = key_id
        typer.echo(json.dumps(summary))
        return
    typer.echo(f"wrote {key.alg.value} private key to {output} (mode 0600; keep it secret)")
    typer.echo(f"public key: {key.public_key}")
    typer.echo("register it: POST /parties/{code}/keys with")
    typer.echo(json.dumps(body, indent=2))
    if key_id is None:
        typer.echo('(replace "<your key id>" with the keyId you will sign with, or pass --key-id)')


def register(app: typer.Typer) -> None:
    """Add ``sandan keygen``."""
    app.command("keygen")(keygen)
