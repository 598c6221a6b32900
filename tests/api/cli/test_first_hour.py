"""The README's "First hour" walkthrough, run as a new user would run it.

The README shows ``scripts/first-hour/first-hour.sh`` verbatim; this test holds the two
equal and runs the script with bash against a real ``sandan serve`` (its own data
directory, the session's anvil). Every run makes its own parties, documents and lot from
``RUN``; the demo's own two-run test (tests/api/demo/test_demo_runs.py) holds that runs
never meet, so one run here keeps the suite's time.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port

pytestmark = pytest.mark.node

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "scripts" / "first-hour" / "first-hour.sh"
README_BLOCK = re.compile(
    r"<!-- first-hour: scripts/first-hour/first-hour.sh -->\n```sh\n(?P<body>.*?)```", re.S
)


def test_readme_shows_the_script_exactly() -> None:
    found = README_BLOCK.search((ROOT / "README.md").read_text(encoding="utf-8"))
    assert found is not None, "README lost its first-hour block"
    assert found["body"] == SCRIPT.read_text(encoding="utf-8")


@pytest.fixture
def service(anvil_url: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    """``sandan deploy`` then ``sandan serve`` as subprocesses with a private data dir, on
    the session's anvil."""
    bin_dir = str(Path(sys.executable).parent)
    port = free_port()
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": str(ROOT),
        "SANDAN_DATA_DIR": str(tmp_path / "data"),
        "SANDAN_RPC_URL": anvil_url,
        "SANDAN_BATCH_WAIT_SECONDS": "0.1",
        "SANDAN_URL": f"http://127.0.0.1:{port}",
    }
    # An operator on a node of their own deploys first; `make demo` did that on the embedded one.
    deployed = subprocess.run(
        [f"{bin_dir}/sandan", "deploy"], env=env, capture_output=True, text=True, timeout=120
    )
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [f"{bin_dir}/sandan", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{env['SANDAN_URL']}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail("sandan serve did not start:\n" + (tmp_path / "serve.log").read_text())
            time.sleep(0.2)
        yield env
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


def _run(env: dict[str, str], run: str, work: Path) -> str:
    work.mkdir()
    result = subprocess.run(
        ["bash", str(SCRIPT)],
        env={**env, "RUN": run, "WORK": str(work)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    print(output)  # what the user sees, for `pytest -s`
    return output


def test_a_new_user_gets_from_keys_to_the_lot_page(service: dict[str, str], tmp_path: Path) -> None:
    run = "1764000001"
    output = _run(service, run, tmp_path / "work")
    assert "verdict: match" in output
    assert "AUTHENTIC" in output
    assert "NOT AUTHENTIC" not in output
    assert "VERIFIED" in output
    lot = f"{service['SANDAN_URL']}/01/06909990000011/10/FH{run}"
    page = httpx.get(lot, headers={"Accept": "text/html"}, timeout=10)
    assert page.status_code == 200
    assert "1 of 1 events verified" in page.text
