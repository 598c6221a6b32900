"""``sandan keygen``: a 0600 PKCS#8 file per algorithm, readable by OpenSSL and back."""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from api.cli.keygen import register
from api.client import load_signing_key
from traceability import Algorithm, InvalidKey, SigningKey, load_public_key
from traceability.signing import b64url_decode

OPENSSL = shutil.which("openssl")
needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="openssl is not installed")
ALGS = {"ed25519": Algorithm.ED25519, "es256": Algorithm.ES256,
        "es256k": Algorithm.ES256K, "sm2": Algorithm.SM2}  # fmt: skip
#: ``openssl genpkey`` arguments for a key of each algorithm.
GENPKEY = {
    Algorithm.ED25519: ["-algorithm", "ED25519"],
    Algorithm.ES256: ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
    Algorithm.ES256K: ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:secp256k1"],
    Algorithm.SM2: ["-algorithm", "SM2"],
}


def keygen(*args: str) -> Result:
    app = typer.Typer()
    register(app)
    app.command("unused")(lambda: None)  # a group, so the command is named as in sandan
    return CliRunner().invoke(app, ["keygen", *args])


def openssl(*args: str, stdin: bytes | None = None) -> bytes:
    assert OPENSSL is not None
    return subprocess.run([OPENSSL, *args], input=stdin, capture_output=True, check=True).stdout


def openssl_public_key(file: Path) -> bytes:
    """The raw public key OpenSSL derives from ``file``: the tail of its SubjectPublicKeyInfo
    (32 bytes for Ed25519, the 65-byte uncompressed point for the curves)."""
    der = openssl("pkey", "-in", str(file), "-pubout", "-outform", "DER")
    return der[-32:] if len(der) == 44 else der[-65:]


def openssl_supports(alg: Algorithm) -> bool:
    try:
        openssl("genpkey", *GENPKEY[alg])
    except subprocess.CalledProcessError:
        return False
    return True


@pytest.mark.parametrize("name", ALGS)
def test_keygen_writes_private_pkcs8_file_that_loads_back(name: str, tmp_path: Path) -> None:
    file = tmp_path / "party.pem"
    result = keygen("--alg", name, "-o", str(file), "--key-id", "k1")
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert file.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----\n")
    key = load_signing_key(file)
    assert key.alg is ALGS[name]
    assert f"public key: {key.public_key}" in result.output
    body = json.loads(result.output[result.output.index("{\n") : result.output.rindex("}") + 1])
    assert body == {"keyId": "k1", "alg": key.alg.value, "publicKey": key.public_key}
    assert SigningKey.from_pem(key.to_pkcs8_pem()).private_bytes() == key.private_bytes()


def test_keygen_prints_placeholder_without_key_id(tmp_path: Path) -> None:
    result = keygen("-o", str(tmp_path / "k.pem"))
    assert result.exit_code == 0
    assert '"keyId": "<your key id>"' in result.output
    assert "--key-id" in result.output


@pytest.mark.parametrize("key_id", [None, "ebp-2026-01"])
def test_keygen_json_prints_one_object_only(key_id: str | None, tmp_path: Path) -> None:
    file = tmp_path / "k.pem"
    result = keygen("--alg", "es256k", "-o", str(file), "--json",
                    *(["--key-id", key_id] if key_id else []))  # fmt: skip
    summary = json.loads(result.stdout)
    expected = {"alg", "publicKey", "keyFile"} | ({"keyId"} if key_id else set())
    assert set(summary) == expected
    assert summary["alg"] == "ES256K"
    assert summary["keyFile"] == str(file)
    assert summary["publicKey"] == load_signing_key(file).public_key
    load_public_key(Algorithm.ES256K, summary["publicKey"])  # the API's encoding
    assert len(b64url_decode(summary["publicKey"])) == 65


def test_keygen_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    file = tmp_path / "k.pem"
    file.write_bytes(b"precious")
    refused = keygen("-o", str(file))
    assert refused.exit_code == 2
    assert "exists; pass --force" in refused.output
    assert file.read_bytes() == b"precious"
    forced = keygen("-o", str(file), "--force")
    assert forced.exit_code == 0
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    load_signing_key(file)


@needs_openssl
@pytest.mark.parametrize("name", ALGS)
def test_openssl_reads_the_key_we_write(name: str, tmp_path: Path) -> None:
    file = tmp_path / "k.pem"
    keygen("--alg", name, "-o", str(file))
    key = load_signing_key(file)
    text = openssl("pkey", "-in", str(file), "-noout", "-text").decode()
    if key.alg is Algorithm.SM2:
        assert "ASN1 OID: SM2" in text
    assert openssl_public_key(file) == b64url_decode(key.public_key)


@needs_openssl
@pytest.mark.parametrize("alg", list(Algorithm))
def test_key_from_openssl_loads_and_signs(alg: Algorithm, tmp_path: Path) -> None:
    if not openssl_supports(alg):
        pytest.skip(f"this openssl cannot generate {alg} keys")
    file = tmp_path / "openssl.pem"
    file.write_bytes(openssl("genpkey", *GENPKEY[alg]))
    key = load_signing_key(file)
    assert key.alg is alg
    assert b64url_decode(key.public_key) == openssl_public_key(file)
    signature = key.sign(b"three documents")
    assert load_public_key(alg, key.public_key).verify(signature, b"three documents")


@needs_openssl
@pytest.mark.parametrize("curve", ["prime256v1", "secp256k1"])  # for SM2 it writes PKCS#8
def test_sec1_ec_private_key_from_openssl_loads(curve: str, tmp_path: Path) -> None:
    file = tmp_path / "sec1.pem"
    file.write_bytes(openssl("ecparam", "-name", curve, "-genkey", "-noout"))
    assert file.read_bytes().startswith(b"-----BEGIN EC PRIVATE KEY-----")
    assert b64url_decode(load_signing_key(file).public_key) == openssl_public_key(file)


@needs_openssl
@pytest.mark.parametrize(
    ("make", "message"),
    [
        (["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
         "curve 1.3.132.0.34 is not supported"),
        (["genpkey", "-algorithm", "ED448"], "key algorithm 1.3.101.113 is not supported"),
        (["genpkey", "-algorithm", "ED25519", "-aes256", "-pass", "pass:x"], "encrypted"),
    ],
)  # fmt: skip
def test_load_refuses_unsupported_key_naming_the_file(
    make: list[str], message: str, tmp_path: Path
) -> None:
    file = tmp_path / "other.pem"
    file.write_bytes(openssl(*make))
    with pytest.raises(InvalidKey) as refused:
        load_signing_key(file)
    assert str(file) in refused.value.message
    assert message in refused.value.message


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not a key", "no PEM block"),
        (b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "not a private key"),
        (b"-----BEGIN PRIVATE KEY-----\nMAMCAQA=\n-----END PRIVATE KEY-----\n", "unusable"),
    ],
)
def test_load_refuses_what_is_not_a_private_key(
    content: bytes, message: str, tmp_path: Path
) -> None:
    file = tmp_path / "junk.pem"
    file.write_bytes(content)
    with pytest.raises(InvalidKey, match=message):
        load_signing_key(file)


def test_load_names_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidKey, match=r"missing\.pem: cannot read the key file"):
        load_signing_key(tmp_path / "missing.pem")
