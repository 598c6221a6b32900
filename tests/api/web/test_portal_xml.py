"""The workbench's documents page takes signed CEB XML through the path of
``POST /documents/xml``."""

from __future__ import annotations

from tests.api.conftest import World
from tests.api.factories import Actor
from tests.api.web.portal_kit import new_browser, sign_in
from tests.api.web.routes.test_documents_xml import DATA, FILES, world_stage, xml_parties
from tests.api.web.test_portal_documents import upload
from traceability.signing._encoding import b64url_encode

__all__ = ["world_stage", "xml_parties"]


def test_signed_ceb_xml_uploads_through_the_xml_path(
    world: World, xml_parties: dict[str, Actor]
) -> None:
    for role, name in FILES.items():
        actor = xml_parties[role]
        body = (DATA / name).read_bytes()
        browser = new_browser(world)
        assert sign_in(browser, actor.api_key).status_code == 303
        signed = {"keyId": actor.key_id, "signature": b64url_encode(actor.signing_key.sign(body))}
        answer = upload(browser, "/portal/documents/xml", {"xml": (name, body)}, signed)
        assert answer.status_code == 201, answer.text
        wrong = {**signed, "signature": b64url_encode(actor.signing_key.sign(body + b" "))}
        refused = upload(browser, "/portal/documents/xml", {"xml": (name, body)}, wrong)
        # As through the API: a signature that does not hold is an authentication failure.
        assert refused.status_code == 401
        assert "Sandan-Signature" in refused.text or "signature" in refused.text
    customs = new_browser(world)
    assert sign_in(customs, xml_parties["customs"].api_key).status_code == 303
    assert "三单相符" in customs.get("/portal/trades", headers={"Accept-Language": "zh"}).text
