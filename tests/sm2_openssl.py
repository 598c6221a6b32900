"""SM2 keys, certificates and signatures made by the machine's OpenSSL 3 command line.

The independent implementation the SM2 tests check sandan against. OpenSSL 3.0 puts an
empty user ID in Z unless told (4.0 defaults to the standard's), so every signing and
verifying command names ``distid:1234567812345678``, the ID GM/T 0009 and the e-port use.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import require_all_backends

DIST_ID = "distid:1234567812345678"


def openssl_path() -> str:
    """The openssl command, or skip (fail under SANDAN_REQUIRE_ALL_BACKENDS=1)."""
    path = shutil.which("openssl")
    if path is None:
        if require_all_backends():
            pytest.fail("the openssl command line is missing (SANDAN_REQUIRE_ALL_BACKENDS=1)")
        pytest.skip("the openssl command line is missing")
    return path


def run_openssl(*args: str | Path, stdin: bytes | None = None) -> bytes:
    """Run ``openssl ARGS``; its stdout, or an AssertionError with its stderr."""
    done = subprocess.run(
        [openssl_path(), *map(str, args)], input=stdin, capture_output=True, check=False
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return done.stdout


def sm2_key(path: Path) -> Path:
    """A new SM2 private key (PKCS#8 PEM) at ``path``."""
    run_openssl("genpkey", "-algorithm", "SM2", "-out", path)
    return path


def self_signed_sm2_certificate(key: Path, path: Path, common_name: str) -> Path:
    """A self-signed SM2-with-SM3 certificate of ``key`` (the standard's user ID)."""
    run_openssl(
        "req", "-x509", "-new", "-key", key, "-sm3", "-sigopt", DIST_ID,
        "-subj", f"/CN={common_name}", "-days", "365", "-out", path,
    )  # fmt: skip
    return path


def sm2_sign(key: Path, message: bytes) -> bytes:
    """OpenSSL's SM2-with-SM3 signature of ``message``, DER encoded."""
    return run_openssl("dgst", "-sm3", "-sign", key, "-sigopt", DIST_ID, stdin=message)


def sm2_verify(
    certificate_or_public_key: Path, message: bytes, signature: bytes, tmp: Path
) -> bool:
    """Whether OpenSSL verifies the DER ``signature`` of ``message``."""
    public = tmp / "openssl-verify.pub.pem"
    if b"CERTIFICATE" in certificate_or_public_key.read_bytes():
        public.write_bytes(
            run_openssl("x509", "-in", certificate_or_public_key, "-pubkey", "-noout")
        )
    else:
        public.write_bytes(run_openssl("pkey", "-in", certificate_or_public_key, "-pubout"))
    signature_file = tmp / "openssl-verify.sig"
    signature_file.write_bytes(signature)
    done = subprocess.run(
        [
            openssl_path(), "dgst", "-sm3", "-verify", str(public), "-sigopt", DIST_ID,
            "-signature", str(signature_file),
        ],
        input=message, capture_output=True, check=False,
    )  # fmt: skip
    return done.returncode == 0


def sm3_digest(data: bytes) -> bytes:
    """OpenSSL's SM3 of ``data``."""
    return run_openssl("dgst", "-sm3", "-binary", stdin=data)
