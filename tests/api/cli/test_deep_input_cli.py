"""Finding 1 for files: every CLI command that reads JSON or XML exits 2 (unusable input)
on a too-deep file, naming the problem, instead of crashing (issue 12).

Each command runs in a subprocess: a segfault shows as a failed exit code, not a dead pytest.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

DEEP_JSON = b"[" * 100_000 + b"]" * 100_000
DEEP_XML = b"<a>" * 100_000 + b"</a>" * 100_000
SHALLOW_BUT_OVER_LIMIT_XML = (
    b'<ceb:CEB311Message xmlns:ceb="http://www.chinaport.gov.cn/ceb">'
    + b"<ceb:X>" * 40
    + b"</ceb:X>" * 40
    + b"</ceb:CEB311Message>"
)


def _sandan(*args: str) -> subprocess.CompletedProcess[str]:
    code = "import sys; from api.cli import main; sys.argv = ['sandan', *sys.argv[1:]]; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300
    )


@pytest.mark.parametrize(
    "command",
    [
        ["verify", "{file}", "--registry", "0x" + "1" * 40],
        ["verify-lot", "{file}", "--registry", "0x" + "1" * 40],
        ["epcis", "hash", "{file}"],
    ],
    ids=["verify", "verify-lot", "epcis-hash"],
)
def test_deep_json_file_exits_2(tmp_path: Path, command: list[str]) -> None:
    deep = tmp_path / "deep.json"
    deep.write_bytes(DEEP_JSON)
    done = _sandan(*(part.replace("{file}", str(deep)) for part in command))
    assert done.returncode == 2, (done.returncode, done.stderr[-2000:])
    assert "nested deeper than" in done.stderr


@pytest.mark.parametrize("xml", [DEEP_XML, SHALLOW_BUT_OVER_LIMIT_XML], ids=["100000", "40"])
def test_deep_xml_file_exits_2_from_ceb_convert(tmp_path: Path, xml: bytes) -> None:
    deep = tmp_path / "deep.xml"
    deep.write_bytes(xml)
    done = _sandan("ceb", "convert", str(deep))
    assert done.returncode == 2, (done.returncode, done.stderr[-2000:])
    assert "depth" in done.stdout or "deeper" in done.stdout


def test_deep_xml_in_a_trade_folder_exits_2_from_ceb_check(tmp_path: Path) -> None:
    (tmp_path / "order.xml").write_bytes(SHALLOW_BUT_OVER_LIMIT_XML)
    done = _sandan("ceb", "check", str(tmp_path))
    assert done.returncode == 2, (done.returncode, done.stderr[-2000:])
    assert "deeper" in done.stdout
