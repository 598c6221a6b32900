"""``GET /verify``: the browser verifier page, public, self-contained, under a strict CSP."""

from __future__ import annotations

import base64
import hashlib
import html
import re

from tests.api.conftest import World


def _sha256(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def test_verifier_page_is_public_and_self_contained(world: World) -> None:
    response = world.client.get("/verify")  # no API key
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    scripts = re.findall(r"<script>(.*?)</script>", page, re.DOTALL)
    styles = re.findall(r"<style>(.*?)</style>", page, re.DOTALL)
    assert len(scripts) == len(styles) == 1
    assert "sandanVerifier" in scripts[0]
    # Nothing is loaded from anywhere: no src= or stylesheet link, no URL but the default node.
    assert re.search(r"<(script|img|iframe)[^>]*\ssrc=", page) is None
    assert "<link" not in page
    policy = response.headers["content-security-policy"]
    assert f"script-src 'sha256-{_sha256(scripts[0])}'" in policy
    assert f"style-src 'sha256-{_sha256(styles[0])}'" in policy
    assert "default-src 'none'" in policy
    assert "connect-src http: https:" in policy
    assert "frame-ancestors 'none'" in policy


def test_verifier_page_meta_policy_matches_the_header(world: World) -> None:
    """The file written by `sandan verifier-page` has no headers: its <meta> policy must hold."""
    response = world.client.get("/verify")
    meta = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', response.text)
    assert meta is not None
    header = response.headers["content-security-policy"]
    # The attribute is HTML-escaped (&#39;); the browser reads it unescaped.
    assert header == f"{html.unescape(meta.group(1))}; frame-ancestors 'none'"
