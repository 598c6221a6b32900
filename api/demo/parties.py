"""Parties registered through the HTTP API, each with its API key and one signing key.

The demo flows register their parties this way, and so do the API tests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient

from traceability import Algorithm, SigningKey, new_salt, sign_envelope


def check_response(response: Any, *expected: int) -> Any:
    """``response`` if its status is one of ``expected``; otherwise raise, naming the call."""
    if response.status_code not in expected:
        raise RuntimeError(
            f"{response.request.method} {response.request.url.path} -> "
            f"{response.status_code}: {response.text}"
        )
    return response


def bearer(token: str) -> dict[str, str]:
    """The authorization header that presents ``token`` (an API key or the admin token)."""
    return {"Authorization": f"Bearer {token}"}


@dataclass
class RegisteredParty:
    """A registered party: its code, API key and signing key."""

    code: str
    api_key: str
    key_id: str
    signing_key: SigningKey

    @property
    def headers(self) -> dict[str, str]:
        """Its authorization header."""
        return bearer(self.api_key)

    def envelope(
        self,
        doc_type: str,
        document: dict[str, Any],
        *,
        issued_at: datetime | None = None,
        salt: bytes | None = None,
        key_id: str | None = None,
        party: str | None = None,
    ) -> dict[str, Any]:
        """A signed envelope of ``document``, as sent on the wire."""
        return sign_envelope(
            document,
            doc_type=doc_type,
            party=party or self.code,
            key_id=key_id or self.key_id,
            signing_key=self.signing_key,
            salt=salt or new_salt(),
            issued_at=issued_at or datetime.now(UTC),
        ).to_wire()


def register_party(
    client: TestClient,
    admin: Mapping[str, str],
    code: str,
    roles: Sequence[str],
    *,
    name: str | None = None,
    alg: Algorithm = Algorithm.ED25519,
    chain_account: bool = False,
    key_id: str | None = None,
    valid_from: datetime | None = None,
    reissue: bool = False,
) -> RegisteredParty:
    """Register ``code`` with ``roles`` and one new key of ``alg`` (``<code>-k1`` unless named).

    The key is valid from its registration, or from a later ``valid_from`` (the service
    refuses an earlier one). With ``reissue``, a party registered
    before (409) gets a new API key instead.
    """
    body = {
        "code": code,
        "name": name or f"{code} Ltd",
        "roles": list(roles),
        "chainAccount": chain_account,
    }
    response = client.post("/parties", json=body, headers=admin)
    expected: tuple[int, ...] = (201,)
    if reissue and response.status_code == 409:
        response = client.post(f"/parties/{code}/api-key", headers=admin)
        expected = (201, 200)
    api_key = check_response(response, *expected).json()["apiKey"]
    signing_key = SigningKey.generate(alg)
    party = RegisteredParty(code, api_key, key_id or f"{code}-k1", signing_key)
    key_body = {"keyId": party.key_id, "alg": alg.value, "publicKey": signing_key.public_key}
    if valid_from is not None:
        key_body["validFrom"] = valid_from.isoformat()
    keys = client.post(f"/parties/{code}/keys", json=key_body, headers=party.headers)
    check_response(keys, 201)
    return party
