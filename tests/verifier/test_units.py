"""The shipped verifier bundle agrees with the Python code on every vector (node's test runner)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.verifier.conftest import BUNDLE, VERIFIER_DIR


def _run_node_tests(node: str, vectors: Path, bundle: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SANDAN_VERIFIER_JS": str(bundle), "SANDAN_VECTORS": str(vectors)}
    return subprocess.run(
        [node, "--test", "--test-reporter=tap", str(VERIFIER_DIR / "test" / "units.test.cjs")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_verifier_bundle_passes_unit_tests_against_python_vectors(
    node: str, vectors_file: Path
) -> None:
    result = _run_node_tests(node, vectors_file, BUNDLE)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout
    assert "# pass 30" in result.stdout


def test_verifier_unit_tests_fail_when_python_disagrees(
    node: str, vectors_file: Path, tmp_path: Path
) -> None:
    """The JS tests really compare: one wrong expected value makes them fail."""
    vectors = json.loads(vectors_file.read_text(encoding="utf-8"))
    es256k = next(v for v in vectors["signatures"] if v["alg"] == "ES256K")
    negated = next(c for c in es256k["cases"] if c["name"] == "negated s")
    negated["valid"] = {form: True for form in negated["valid"]}  # high-S is refused on secp256k1
    vectors["jcs"][1]["canonicalHex"] = vectors["jcs"][1]["canonicalHex"].replace("31", "32", 1)
    broken = tmp_path / "vectors.json"
    broken.write_text(json.dumps(vectors, ensure_ascii=False), encoding="utf-8")
    result = _run_node_tests(node, broken, BUNDLE)
    assert result.returncode != 0
    assert "# fail 2" in result.stdout, result.stdout[-4000:]
