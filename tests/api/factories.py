"""Factories for API tests: parties with keys, and signed trade documents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient

from traceability import Algorithm, SigningKey, new_salt, sign_envelope


@dataclass
class Actor:
    """A registered party and its signing key."""

    code: str
    api_key: str
    key_id: str
    signing_key: SigningKey

    @property
    def headers(self) -> dict[str, str]:
        """Its authorization header."""
        return {"Authorization": f"Bearer {self.api_key}"}

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
        """A signed envelope of ``document``."""
        return sign_envelope(
            document,
            doc_type=doc_type,
            party=party or self.code,
            key_id=key_id or self.key_id,
            signing_key=self.signing_key,
            salt=salt or new_salt(),
            issued_at=issued_at or datetime.now(UTC),
        ).to_wire()


def register_actor(
    client: TestClient,
    admin: dict[str, str],
    code: str,
    roles: list[str],
    *,
    alg: Algorithm = Algorithm.ED25519,
    chain_account: bool = False,
    valid_from: datetime | None = None,
) -> Actor:
    """Register ``code`` with ``roles`` and one key of ``alg``, valid from ``valid_from`` or now."""
    body = {"code": code, "name": f"{code} Ltd", "roles": roles, "chainAccount": chain_account}
    response = client.post("/parties", json=body, headers=admin)
    assert response.status_code == 201, response.text
    api_key = response.json()["apiKey"]
    signing_key = SigningKey.generate(alg)
    key_id = f"{code}-k1"
    key_body = {"keyId": key_id, "alg": alg.value, "publicKey": signing_key.public_key}
    if valid_from is not None:
        key_body["validFrom"] = valid_from.isoformat()
    headers = {"Authorization": f"Bearer {api_key}"}
    response = client.post(f"/parties/{code}/keys", json=key_body, headers=headers)
    assert response.status_code == 201, response.text
    return Actor(code, api_key, key_id, signing_key)
