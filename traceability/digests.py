"""The digest profile: which hash function a zone takes its content hashes with.

A zone chooses one profile when its ledger starts, and keeps it:

* ``sha256`` (the default): FIPS 180-4 SHA-256;
* ``sm3``: GB/T 32905-2016 SM3, for zones that must use domestic algorithms
  (国产密码). Its digest is 32 bytes too, so every anchored value keeps its size.

What the profile covers: the *content hashes* sandan takes over what it commits
to, that is each trade document (the RFC 8785 bytes of its signed payload, the
value anchored in a Merkle batch and the document's id), each verdict (which
names those document hashes, so it commits to them), a financing's terms and a
party's registry record. What it does not cover, and why, is in docs/sm3-profile.md:
keccak-256 stays wherever the EVM or Ethereum tooling computes the hash (Merkle
nodes and leaves, registry ids, EIP-712), and SHA-256 stays where another standard
fixes it (the GS1 EPCIS event hash) or where the value names rather than commits
(a trade's id, from its platform code and order number).
"""

from __future__ import annotations

import hashlib
from enum import StrEnum

from cryptography.hazmat.primitives import hashes

__all__ = ["DigestProfile", "sm3"]


def sm3(data: bytes) -> bytes:
    """The 32-byte SM3 digest of ``data`` (OpenSSL's, through ``cryptography``)."""
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize()


class DigestProfile(StrEnum):
    """The hash function behind a zone's content hashes."""

    SHA256 = "sha256"
    SM3 = "sm3"

    def digest(self, data: bytes) -> bytes:
        """The 32-byte digest of ``data`` under this profile."""
        if self is DigestProfile.SM3:
            return sm3(data)
        return hashlib.sha256(data).digest()

    @classmethod
    def parse(cls, value: object) -> DigestProfile:
        """The profile named ``value``; ValueError naming the choices otherwise."""
        try:
            return cls(str(value))
        except ValueError:
            choices = ", ".join(p.value for p in cls)
            raise ValueError(f"unknown digest profile {value!r}: one of {choices}") from None
