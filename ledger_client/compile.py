"""Compile the Solidity registries with the pinned solc, and read or check the artifacts.

Every source (ours and OpenZeppelin's) is inlined into the standard-JSON input under
the same source unit names (``contracts/...``, ``@openzeppelin/...``), so a native solc
and the npm WebAssembly build produce byte-identical output without import callbacks.
Nothing here downloads a compiler.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from ledger_client.config import PROJECT_ROOT, LedgerSettings
from ledger_client.errors import ArtifactsError, CompilationError
from ledger_client.types import CompiledContract

__all__ = [
    "BENCH_CONTRACT_NAMES",
    "CONTRACT_NAMES",
    "EVM_VERSION",
    "check_artifacts",
    "compile_bench_contracts",
    "compile_contracts",
    "find_solc",
    "load_artifacts",
    "write_artifacts",
]

#: The deployable contracts; each lives in ``contracts/<Name>.sol``.
CONTRACT_NAMES = ("TradeRegistry", "TraceRegistry", "PartyRegistry", "LifecycleRegistry")
#: Baselines only ``sandan bench`` deploys, in ``contracts/bench/<Name>.sol``: compiled when
#: the bench runs and never written to the artifacts the service ships and deploys.
BENCH_CONTRACT_NAMES = ("PerRecordRegistry", "Sm3Bench")
#: Both py-evm 0.12 (eth-tester) and anvil 1.x run Cancun code.
EVM_VERSION = "cancun"
ARTIFACTS_DIR = Path(__file__).resolve().parent / "artifacts"

_IMPORT = re.compile(r"""^\s*import\s+(?:[^"';]*?\bfrom\s+)?["']([^"']+)["']""", re.MULTILINE)
_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.DOTALL)
_VERSION = re.compile(r"(\d+\.\d+\.\d+)(\+commit\.[0-9a-f]+)?")
_INSTALL_HINT = "run `make setup` (npm ci installs the pinned solc) or set SANDAN_SOLC_BINARY"


def find_solc(settings: LedgerSettings) -> Path:
    """Return a solc of the pinned version: the setting, then PATH, then the npm wrapper."""
    if settings.solc_binary is not None:
        return _check_explicit_solc(settings.solc_binary, settings.solc_version)
    native = shutil.which("solc")
    if native and _solc_version(Path(native)).startswith(settings.solc_version + "+"):
        return Path(native).resolve()
    wrapper = PROJECT_ROOT / "scripts" / "solc-npm"
    has_npm_solc = (settings.node_modules_dir / "solc" / "package.json").is_file()
    if wrapper.is_file() and has_npm_solc and shutil.which("node"):
        return wrapper.resolve()
    raise CompilationError(f"no solc {settings.solc_version} found: {_INSTALL_HINT}")


def compile_contracts(settings: LedgerSettings) -> dict[str, CompiledContract]:
    """Compile the registries and return them by contract name."""
    return _compile(settings, {name: f"contracts/{name}.sol" for name in CONTRACT_NAMES})


def compile_bench_contracts(settings: LedgerSettings) -> dict[str, CompiledContract]:
    """Compile the bench-only baselines (:data:`BENCH_CONTRACT_NAMES`) with the pinned solc."""
    return _compile(
        settings, {name: f"contracts/bench/{name}.sol" for name in BENCH_CONTRACT_NAMES}
    )


def _compile(settings: LedgerSettings, entries: Mapping[str, str]) -> dict[str, CompiledContract]:
    """Compile the ``entries`` (contract name → source unit) in one solc run."""
    sources = _collect_sources(settings, entries.values())
    solc = find_solc(settings)
    version = _solc_version(solc)
    output = _run_solc(_standard_input(sources, entries.values()), solc)
    source_hash = _source_hash(sources)
    compiled = {}
    for name, entry in entries.items():
        unit = output.get("contracts", {}).get(entry, {}).get(name)
        if unit is None:
            raise CompilationError(f"solc returned no output for contract {name}")
        compiled[name] = CompiledContract(
            name=name,
            abi=tuple(unit["abi"]),
            bytecode="0x" + unit["evm"]["bytecode"]["object"],
            deployed_bytecode="0x" + unit["evm"]["deployedBytecode"]["object"],
            source_hash=source_hash,
            solc_version=version,
        )
    return compiled


def write_artifacts(
    contracts: Mapping[str, CompiledContract], directory: Path = ARTIFACTS_DIR
) -> list[Path]:
    """Write one ``<Name>.json`` per contract (sorted keys) and return the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, contract in sorted(contracts.items()):
        path = directory / f"{name}.json"
        path.write_text(_artifact_text(contract), encoding="utf-8")
        written.append(path)
    return written


def load_artifacts(directory: Path | None = None) -> dict[str, CompiledContract]:
    """Read the committed artifacts (shipped as package data); needs no compiler."""
    loaded = {}
    for name in CONTRACT_NAMES:
        text = _read_artifact(name, directory)
        try:
            data = json.loads(text)
            loaded[name] = CompiledContract(
                name=data["contractName"],
                abi=tuple(data["abi"]),
                bytecode=data["bytecode"],
                deployed_bytecode=data["deployedBytecode"],
                source_hash=data["sourceHash"],
                solc_version=data["solcVersion"],
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ArtifactsError(f"artifact {name}.json is malformed: {exc}") from exc
    return loaded


def check_artifacts(settings: LedgerSettings, directory: Path = ARTIFACTS_DIR) -> list[str]:
    """Compile afresh and return the names of contracts whose committed artifact differs."""
    fresh = compile_contracts(settings)
    differing = []
    for name, contract in sorted(fresh.items()):
        path = directory / f"{name}.json"
        committed = path.read_text(encoding="utf-8") if path.is_file() else None
        if committed != _artifact_text(contract):
            differing.append(name)
    return differing


def _artifact_text(contract: CompiledContract) -> str:
    data = {
        "contractName": contract.name,
        "sourceName": f"contracts/{contract.name}.sol",
        "abi": list(contract.abi),
        "bytecode": contract.bytecode,
        "deployedBytecode": contract.deployed_bytecode,
        "sourceHash": contract.source_hash,
        "solcVersion": contract.solc_version,
        "evmVersion": EVM_VERSION,
    }
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def _read_artifact(name: str, directory: Path | None) -> str:
    # Package data sits next to this module in every install (wheels are not zip-imported).
    try:
        return ((directory or ARTIFACTS_DIR) / f"{name}.json").read_text(encoding="utf-8")
    except OSError as exc:
        raise ArtifactsError(f"artifact {name}.json is missing: run `sandan compile`") from exc


def _collect_sources(settings: LedgerSettings, entries: Iterable[str]) -> dict[str, str]:
    """Read every entry contract and, transitively, everything it imports."""
    sources: dict[str, str] = {}
    pending = list(entries)
    while pending:
        unit = pending.pop()
        if unit in sources:
            continue
        text = _read_source(unit, settings)
        sources[unit] = text
        pending.extend(_resolve_import(unit, target) for target in _imports_of(text))
    return dict(sorted(sources.items()))


def _imports_of(text: str) -> list[str]:
    return _IMPORT.findall(_COMMENT.sub("", text))


def _resolve_import(importer: str, target: str) -> str:
    """Turn an import path into a source unit name, as solc does with remappings."""
    if not target.startswith("."):
        return target
    parts: list[str] = []
    for part in (*PurePosixPath(importer).parent.parts, *PurePosixPath(target).parts):
        if part == "..":
            if not parts:
                raise CompilationError(f"import {target!r} in {importer} leaves the source tree")
            parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


def _read_source(unit: str, settings: LedgerSettings) -> str:
    if unit.startswith("contracts/"):
        path = settings.contracts_dir / unit.removeprefix("contracts/")
    else:
        path = settings.node_modules_dir / unit
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        hint = "" if unit.startswith("contracts/") else f": {_INSTALL_HINT}"
        raise CompilationError(f"cannot read Solidity source {unit}{hint}") from exc


def _standard_input(sources: Mapping[str, str], entries: Iterable[str]) -> dict[str, Any]:
    return {
        "language": "Solidity",
        "sources": {unit: {"content": text} for unit, text in sources.items()},
        "settings": {
            "optimizer": {"enabled": True, "runs": 200},
            # The IR pipeline: TradeRegistry with graded release is 25.4 kB through the legacy
            # one, past EIP-170's 24,576-byte limit, and 22.9 kB through this one.
            "viaIR": True,
            "evmVersion": EVM_VERSION,
            "outputSelection": {
                unit: {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"]}
                for unit in entries
            },
        },
    }


def _source_hash(sources: Mapping[str, str]) -> str:
    digest = hashlib.sha256()
    for unit, text in sorted(sources.items()):
        digest.update(unit.encode() + b"\0" + text.encode() + b"\0")
    digest.update(EVM_VERSION.encode())
    return "sha256:" + digest.hexdigest()


def _run_solc(standard_input: dict[str, Any], solc: Path) -> dict[str, Any]:
    import solcx  # heavy and optional at runtime: only compiling needs it
    from solcx.exceptions import SolcError

    try:
        output: dict[str, Any] = solcx.compile_standard(standard_input, solc_binary=str(solc))
    except SolcError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "solc failed"
        raise CompilationError(f"solc failed: {first}") from exc
    errors = [e for e in output.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise CompilationError(errors[0].get("formattedMessage", errors[0]["message"]).strip())
    return output


def _check_explicit_solc(binary: Path, pinned: str) -> Path:
    if not binary.is_file():
        raise CompilationError(f"SANDAN_SOLC_BINARY {binary} does not exist")
    version = _solc_version(binary.resolve())
    if not version.startswith(pinned + "+"):
        raise CompilationError(f"SANDAN_SOLC_BINARY {binary} is solc {version}, not {pinned}")
    return binary.resolve()


def _solc_version(binary: Path) -> str:
    """Return ``X.Y.Z+commit.HASH`` (no platform suffix, so every build reports the same)."""
    try:
        result = subprocess.run(
            [str(binary), "--version"], capture_output=True, text=True, timeout=60, check=False
        )
    except OSError as exc:
        raise CompilationError(f"cannot run {binary}: {exc.strerror}") from exc
    match = _VERSION.search(result.stdout.split("Version:")[-1])
    if result.returncode != 0 or match is None:
        raise CompilationError(f"{binary} does not answer `--version` like solc")
    return match.group(0)
