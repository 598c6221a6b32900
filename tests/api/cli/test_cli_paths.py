"""File-taking CLI commands given traversal paths: clear error, nonzero exit, no stray files."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import build_app

LINK = "https://trace.example.cn/01/06901234123456/10/GN2411A?17=251231"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory two levels down, so ``../..`` stays inside tmp_path."""
    inner = tmp_path / "a" / "b"
    inner.mkdir(parents=True)
    monkeypatch.chdir(inner)
    return inner


def _run(*args: str):
    return CliRunner().invoke(build_app(), list(args))


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*")}


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(("verify", "../../etc/passwd"), id="verify-relative-file"),
        pytest.param(("verify", "/etc/passwd"), id="verify-absolute-file"),
        pytest.param(("verify", "../.."), id="verify-parent-folder"),
        pytest.param(("epcis", "hash", "../../etc/passwd"), id="epcis-hash-relative-file"),
        pytest.param(("epcis", "hash", "/etc/passwd"), id="epcis-hash-absolute-file"),
        pytest.param(("epcis", "hash", "../.."), id="epcis-hash-parent-folder"),
        pytest.param(("ceb", "check", "../.."), id="ceb-check-parent-folder"),
        pytest.param(("ceb", "check", "../../etc/passwd"), id="ceb-check-relative-file"),
    ],
)
def test_file_commands_fail_clearly_on_traversal_paths(
    workdir: Path, args: tuple[str, ...]
) -> None:
    root = workdir.parents[1]
    before = _files(root)
    result = _run(*args)
    assert result.exit_code not in (0, None), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert "root:x:" not in result.output  # the file's content is never echoed
    if args[0] == "ceb":  # ceb check answers with a machine-readable verdict on stdout
        assert '"verdict": "invalid"' in result.stdout
        assert "input." in result.stdout
    else:
        assert result.stderr.strip(), "the error names what went wrong"
    assert _files(root) == before


def test_qr_writes_exactly_where_asked_relative_to_cwd(workdir: Path) -> None:
    root = workdir.parents[1]
    before = _files(root)
    result = _run("qr", LINK, "-o", "../x.png")
    assert result.exit_code == 0, result.output
    assert _files(root) - before == {workdir.parent / "x.png"}


@pytest.mark.parametrize(
    "target",
    ["../../missing/dir/x.png", "../..", "../x.exe", "../../etc/passwd", "../x"],
)
def test_qr_refuses_bad_output_paths_and_writes_nothing(workdir: Path, target: str) -> None:
    root = workdir.parents[1]
    before = _files(root)
    result = _run("qr", LINK, "-o", target)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.stderr.strip()
    assert _files(root) == before
