"""The verifier's trust roots: which registries, on which chain, it believes.

Trust roots are pinned by whoever verifies, never read from the proof they are
handed: ``--registry ADDRESS`` (repeatable), or a trust file (``--trust FILE`` or
``SANDAN_TRUST_FILE``) that a pilot zone's operator or customs publishes out of
band, like a CA bundle::

    {"zones": [{"name": "Ganzhou pilot zone", "chainId": 31337,
                "registries": ["0x…TradeRegistry", "0x…PartyRegistry", "0x…old TradeRegistry"]}]}

A zone lists every registry version it ever deployed, so proofs made before a
redeploy keep verifying. Without either, the local deployment file is used, and
the verifier says so: that is trusting this machine's operator.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from traceability.limits import loads_bounded

__all__ = ["TRUST_FILE_ENV", "TrustError", "TrustRoots", "Zone", "load_trust_roots"]

TRUST_FILE_ENV = "SANDAN_TRUST_FILE"
_MAX_TRUST_FILE_BYTES = 1024 * 1024
_HEX = frozenset("0123456789abcdefABCDEF")
_SHAPE = '{"zones": [{"name", "chainId", "registries": [addresses]}]}'


class TrustError(ValueError):
    """The trust roots given cannot be used (an unreadable file, a malformed address)."""


def _address(value: object, where: str) -> str:
    text = str(value)
    body = text.removeprefix("0x")
    if (
        not text.startswith("0x")
        or len(body) != 40
        or any(c not in "0123456789abcdefABCDEF" for c in body)
    ):
        raise TrustError(f"{where}: {text!r} is not a 0x-prefixed 20-byte address")
    return "0x" + body.lower()


@dataclass(frozen=True)
class Zone:
    """One zone's chain and every registry it ever deployed there."""

    name: str
    chain_id: int | None  # None: addresses given on the command line, any chain
    registries: frozenset[str]


@dataclass(frozen=True)
class TrustRoots:
    """The registries a verifier trusts, and where that list came from."""

    zones: tuple[Zone, ...]
    source: str

    def trusts(self, chain_id: int, address: str) -> bool:
        """Whether ``address`` is a trusted registry on chain ``chain_id``."""
        wanted = address.lower()
        return any(wanted in z.registries and z.chain_id in (None, chain_id) for z in self.zones)

    def describe(self, chain_id: int) -> str:
        """Which registries are trusted on ``chain_id``, for a failed check's "expected"."""
        names = sorted(
            a for z in self.zones if z.chain_id in (None, chain_id) for a in z.registries
        )
        return ", ".join(names) if names else f"no registry on chain {chain_id}"


def _from_file(path: Path) -> TrustRoots:
    try:
        raw = path.read_bytes()[: _MAX_TRUST_FILE_BYTES + 1]
    except OSError as exc:
        raise TrustError(f"trust file {path}: {exc.strerror or exc}") from exc
    if len(raw) > _MAX_TRUST_FILE_BYTES:
        raise TrustError(f"trust file {path} is larger than {_MAX_TRUST_FILE_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
        data = loads_bounded(text, max_depth=16)
    except ValueError as exc:
        raise TrustError(f"trust file {path} is not JSON: {exc}") from exc
    zones = data.get("zones") if isinstance(data, dict) else None
    if not isinstance(zones, list) or not zones:
        raise TrustError(
            f'trust file {path}: expected {{"zones": [{{"name", "chainId", "registries"}}]}}'
        )
    return TrustRoots(
        tuple(_zone(z, f"{path} zones[{i}]") for i, z in enumerate(zones)), f"trust file {path}"
    )


def _zone(data: Any, where: str) -> Zone:
    if not isinstance(data, dict):
        raise TrustError(f"{where}: a zone is an object")
    chain_id = data.get("chainId")
    registries = data.get("registries")
    if not isinstance(chain_id, int) or isinstance(chain_id, bool) or chain_id <= 0:
        raise TrustError(f"{where}.chainId: a positive integer is required")
    if not isinstance(registries, list) or not registries:
        raise TrustError(f"{where}.registries: a non-empty list of addresses is required")
    return Zone(
        name=str(data.get("name") or f"chain {chain_id}"),
        chain_id=chain_id,
        registries=frozenset(_address(r, f"{where}.registries") for r in registries),
    )


def load_trust_roots(
    *,
    registries: Sequence[str] = (),
    trust_file: Path | None = None,
    deployment_file: Path | None = None,
    environ: dict[str, str] | None = None,
) -> TrustRoots:
    """The trust roots from ``--registry``, else ``--trust``/SANDAN_TRUST_FILE, else the
    local deployment file; raise TrustError when none is usable."""
    env = os.environ if environ is None else environ
    zones: list[Zone] = []
    sources: list[str] = []
    if registries:
        pinned = frozenset(_address(r, "--registry") for r in registries)
        zones.append(Zone("--registry", None, pinned))
        sources.append("--registry")
    named = trust_file or (Path(env[TRUST_FILE_ENV]) if env.get(TRUST_FILE_ENV) else None)
    if named is not None:
        from_file = _from_file(named)
        zones.extend(from_file.zones)
        sources.append(from_file.source)
    if zones:
        return TrustRoots(tuple(zones), " and ".join(sources))
    if deployment_file is None or not deployment_file.is_file():
        raise TrustError(
            "no trust roots: pass --registry ADDRESS (repeatable) or --trust FILE "
            f"(or set {TRUST_FILE_ENV}); no local deployment file to fall back on"
        )
    return _from_deployment(deployment_file)


def _from_deployment(path: Path) -> TrustRoots:
    try:
        data = loads_bounded(path.read_text(encoding="utf-8"))
        chain_id = int(data["chainId"])
        addresses: Iterable[Any] = (c["address"] for c in data["contracts"].values())
        registries = frozenset(_address(a, str(path)) for a in addresses)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise TrustError(f"deployment file {path} is unreadable: {exc}") from exc
    return TrustRoots(
        (Zone("local deployment", chain_id, registries),),
        f"the local deployment file {path} (no --registry or --trust given: this trusts "
        "whoever runs this machine's sandan)",
    )
