"""The browser verifier: one self-contained HTML page (``GET /verify``, ``sandan verifier-page``).

The JavaScript is the committed esbuild bundle ``api/web/static/verifier/verifier.js`` (built
from ``verifier/src`` by ``make verifier``), so neither the service nor the CLI needs node.
Script and stylesheet are inlined and allowed by their hashes; ``connect-src`` is open to any
http(s) URL because the page must reach whatever JSON-RPC node the user types, and nothing
else is loaded from anywhere. The same file works from ``file://``.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

#: The ``api`` directory (``api`` is a namespace package, so importlib.resources cannot serve it).
_PACKAGE = Path(__file__).resolve().parents[1]
_STATIC = _PACKAGE / "static" / "verifier"


def _digest(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


@lru_cache(maxsize=1)
def _assets() -> tuple[str, str]:
    """The bundle and the stylesheet (package data, the same for every runtime of this install)."""
    script = (_STATIC / "verifier.js").read_text(encoding="utf-8")
    css = (_STATIC / "verifier.css").read_text(encoding="utf-8")
    if "</script" in script.lower() or "</style" in css.lower():
        raise ValueError("an inlined asset would close its own element")
    return script, css


def content_security_policy(*, frame_ancestors: bool = True) -> str:
    """Only the inlined script and style; fetches to any http(s) URL (the RPC node, ?bundle=)."""
    script, css = _assets()
    policy = (
        "default-src 'none'; "
        f"script-src 'sha256-{_digest(script)}'; style-src 'sha256-{_digest(css)}'; "
        "connect-src http: https:; base-uri 'none'; form-action 'none'"
    )
    # frame-ancestors is ignored (with a console error) in a <meta> policy, so only the
    # served page's header carries it.
    return f"{policy}; frame-ancestors 'none'" if frame_ancestors else policy


@lru_cache(maxsize=1)
def render_verifier_page() -> str:
    """The whole page as one HTML document."""
    script, css = _assets()
    env = Environment(
        loader=FileSystemLoader(_PACKAGE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
    return env.get_template("verify.html").render(
        csp=content_security_policy(frame_ancestors=False),
        css=Markup(css),  # noqa: S704  (our own package file, not user data)
        script=Markup(script),  # noqa: S704  (our own committed bundle, not user data)
    )
