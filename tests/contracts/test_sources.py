"""House rules of the Solidity sources that the compiler does not enforce."""

import re
from pathlib import Path

import pytest

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"
SOURCES = sorted(CONTRACTS.rglob("*.sol"))
INTERFACES = sorted((CONTRACTS / "interfaces").glob("I*.sol"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_source_pins_compiler_and_license(path):
    text = path.read_text()
    assert text.startswith("// SPDX-License-Identifier: Apache-2.0\npragma solidity 0.8.28;\n")


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_source_uses_custom_errors_only(path):
    text = path.read_text()
    assert not re.search(r"""revert\s*\(\s*["']|require\([^;]*,\s*["']""", text)


@pytest.mark.parametrize("path", INTERFACES, ids=lambda p: p.name)
def test_interface_documents_every_function_event_and_error(path):
    text = path.read_text()
    for match in re.finditer(r"^\s*(function|event|error) (\w+)", text, re.MULTILINE):
        before = text[: match.start()].rstrip()
        assert before.endswith("*/"), f"{match.group(1)} {match.group(2)} lacks NatSpec"


@pytest.mark.parametrize("path", INTERFACES, ids=lambda p: p.name)
def test_errors_are_prefixed_with_the_contract_name(path):
    contract = path.stem.removeprefix("I")
    names = re.findall(r"^\s*error (\w+)", path.read_text(), re.MULTILINE)
    assert names
    assert all(name.startswith(contract) for name in names)
