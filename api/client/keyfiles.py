"""Private key files: PKCS#8 PEM, created 0600 and never overwritten by accident.

The encoding lives in the pure domain (:meth:`traceability.SigningKey.to_pkcs8_pem`,
:meth:`~traceability.SigningKey.from_pem`); this module does the file I/O.
"""

from __future__ import annotations

import os
from pathlib import Path

from traceability import InvalidKey, SigningKey

__all__ = ["load_signing_key", "write_signing_key"]

#: Large enough for any PEM key sandan reads; a bigger file is not a key.
_MAX_KEY_FILE = 64 * 1024


def load_signing_key(path: str | os.PathLike[str]) -> SigningKey:
    """Read a PKCS#8 (or SEC1) PEM private key of any supported algorithm.

    Raises :class:`~traceability.InvalidKey` naming the file when it cannot be read or
    holds no usable key (an unknown curve, an encrypted key, no PEM at all).
    """
    file = Path(path)
    try:
        with file.open("rb") as handle:
            data = handle.read(_MAX_KEY_FILE + 1)
    except OSError as exc:
        raise InvalidKey(f"{file}: cannot read the key file: {exc.strerror}", "key") from exc
    if len(data) > _MAX_KEY_FILE:
        raise InvalidKey(f"{file}: larger than {_MAX_KEY_FILE} bytes, not a key file", "key")
    try:
        return SigningKey.from_pem(data)
    except InvalidKey as exc:
        raise InvalidKey(f"{file}: {exc.message}", "key") from exc


def write_signing_key(
    path: str | os.PathLike[str], key: SigningKey, *, force: bool = False
) -> Path:
    """Write ``key`` as PKCS#8 PEM to a new file readable by its owner only (0600).

    The file is created with ``O_EXCL``, so an existing file raises
    :class:`FileExistsError` unless ``force``, which replaces it (the old file is
    removed first, so the new one never inherits its permissions).
    """
    file = Path(path)
    if force and file.exists():
        file.unlink()
    descriptor = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key.to_pkcs8_pem())
    return file
