"""``sandan dl parse`` on compressed GS1 Digital Links (leading zeros kept, clear failures)."""

from __future__ import annotations

import json

import pytest

from traceability.gs1 import compress_digital_link


@pytest.mark.parametrize("keep_primary_key", [False, True])
def test_dl_parse_prints_decompressed_link(run, keep_primary_key):
    plain = "https://trace.example.cn/01/06901234123456/10/GN2411A/21/0012?17=251231"
    compressed = compress_digital_link(plain, keep_primary_key=keep_primary_key)
    result = run("dl", "parse", compressed)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["gtin"], data["lot"], data["serial"]) == ("06901234123456", "GN2411A", "0012")
    assert data["expiry"] == "2025-12-31"
    assert data["uri"] == plain


def test_dl_parse_reads_published_compressed_example(run):
    result = run("dl", "parse", "https://id.gs1.org/AQnYUc1gmiCNV4JGQhcNT6K6c")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["gtin"], data["lot"], data["serial"]) == (
        "05412345000013",
        "ABC123",
        "72292641703",
    )


def test_dl_parse_rejects_undecodable_compressed_link(run):
    result = run("dl", "parse", "https://id.gs1.org/ARFKk4XBoWA")
    assert result.exit_code == 2
    assert "path: optimisation code B0 is not defined" in result.stderr
