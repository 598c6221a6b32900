"""The hardened parser refuses DTDs, entities, external references and oversize input."""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

import pytest

from traceability.ceb import (
    DocumentTooLarge,
    ForbiddenDoctype,
    ForbiddenEntity,
    ForbiddenExternalReference,
    MalformedXml,
    parse_xml,
)

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<lolz>&lol3;</lolz>"""

QUADRATIC = (
    b'<?xml version="1.0"?><!DOCTYPE q [<!ENTITY a "'
    + b"x" * 50_000
    + b'">]><q>'
    + b"&a;" * 1000
    + b"</q>"
)

PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE r [ <!ENTITY % p "<!ENTITY e 'boom'>"> %p; ]><r>&e;</r>"""


@pytest.mark.parametrize(
    ("document", "error"),
    [
        (BILLION_LAUGHS, ForbiddenEntity),
        (QUADRATIC, ForbiddenEntity),
        (PARAMETER_ENTITY, ForbiddenEntity),
        (b'<!DOCTYPE r SYSTEM "http://127.0.0.1:9/x.dtd"><r/>', ForbiddenExternalReference),
        (b'<!DOCTYPE r PUBLIC "-//X//DTD X//EN" "x.dtd"><r/>', ForbiddenExternalReference),
        (b"<!DOCTYPE r><r/>", ForbiddenDoctype),
        (b"<!-- c --><?pi x?>\n<!DOCTYPE r []><r/>", ForbiddenDoctype),
    ],
    ids=[
        "billion-laughs",
        "quadratic",
        "parameter",
        "external-dtd",
        "public-dtd",
        "doctype",
        "after-comment",
    ],
)
def test_parse_xml_rejects_doctypes(document: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        parse_xml(document)


def test_parse_xml_rejects_xxe_file_without_opening_it(tmp_path: Path) -> None:
    # A FIFO blocks whoever opens it for reading: if the parser tried, the thread would hang.
    fifo = tmp_path / "secret"
    os.mkfifo(fifo)
    document = f'<!DOCTYPE r [<!ENTITY x SYSTEM "file://{fifo}">]><r>&x;</r>'.encode()
    outcome: list[BaseException] = []

    def attempt() -> None:
        try:
            parse_xml(document)
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(timeout=5)
    assert not worker.is_alive(), "the parser opened the external file"
    assert isinstance(outcome[0], ForbiddenExternalReference)


def test_parse_xml_rejects_xxe_http_without_connecting() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        server.settimeout(0.3)
        port = server.getsockname()[1]
        document = f'<!DOCTYPE r [<!ENTITY x SYSTEM "http://127.0.0.1:{port}/x">]><r>&x;</r>'
        with pytest.raises(ForbiddenExternalReference):
            parse_xml(document.encode())
        with pytest.raises(TimeoutError):
            server.accept()


def test_parse_xml_rejects_oversized_document() -> None:
    with pytest.raises(DocumentTooLarge, match="limit is 100"):
        parse_xml(b"<r>" + b"x" * 200 + b"</r>", max_bytes=100)


@pytest.mark.parametrize(
    "document",
    [
        b'<?xml version="1.0" encoding="GBK"?><r/>',
        "<r>中文</r>".encode("utf-16"),
        b"<r>\xff\xfe</r>",
        b"<r><unclosed></r>",
        b"<r>&undefined;</r>",
        b"",
    ],
    ids=["gbk", "utf16", "bad-utf8", "unclosed", "undefined-entity", "empty"],
)
def test_parse_xml_rejects_malformed_input(document: bytes) -> None:
    with pytest.raises(MalformedXml):
        parse_xml(document)


def test_parse_xml_accepts_bom_and_keeps_chinese_text() -> None:
    text = "杭州山海优选贸易有限公司 ✓ 𠮷"
    root = parse_xml(
        b"\xef\xbb\xbf" + f'<?xml version="1.0" encoding="UTF-8"?><r>{text}</r>'.encode()
    )
    assert root.text == text


def test_parse_xml_ignores_doctype_text_inside_a_comment() -> None:
    assert parse_xml(b"<!-- <!DOCTYPE x> --><r/>").tag == "r"
