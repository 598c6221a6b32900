"""Settings of the ledger client, read from ``SANDAN_*`` environment variables.

Defaults run with an empty environment: no RPC URL (the caller decides between the
in-process chain and the embedded node), the project's own ``contracts/`` and
``node_modules/``, and a data directory under ``$XDG_DATA_HOME``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["PROJECT_ROOT", "LedgerSettings", "default_data_dir", "normalise_rpc_url"]

#: The checkout (or source tree) this package lives in: ``contracts/`` and
#: ``node_modules/`` sit next to ``ledger_client/`` there.
PROJECT_ROOT = Path(__file__).resolve().parent.parent

_RPC_SCHEMES = ("http", "https")


def default_data_dir() -> Path:
    """Return ``$XDG_DATA_HOME/sandan``, or ``~/.local/share/sandan`` when it is unset."""
    xdg = os.environ.get("XDG_DATA_HOME", "").strip()
    base = Path(xdg) if xdg else Path.home() / ".local" / "share"
    return base / "sandan"


def normalise_rpc_url(value: str) -> str:
    """Lower-case a JSON-RPC URL's scheme and host; reject non-HTTP schemes and missing hosts."""
    parts = urlsplit(value.strip())
    scheme = parts.scheme.lower()
    if scheme not in _RPC_SCHEMES:
        shown = scheme or "(none)"
        raise ValueError(f"unsupported RPC URL scheme {shown!r}: use http:// or https://")
    if not parts.hostname:
        raise ValueError(f"RPC URL {value.strip()!r} has no host")
    path = "" if parts.path == "/" else parts.path
    return urlunsplit((scheme, parts.netloc.lower(), path, parts.query, ""))


def _default_deployment_file(data: dict[str, Any]) -> Path:
    """``deployment.json`` in the data directory (validated before this field)."""
    data_dir: Path = data["data_dir"]
    return data_dir / "deployment.json"


class LedgerSettings(BaseSettings):
    """Where the chain is, which compiler builds the contracts and how long to wait.

    Each field reads ``SANDAN_<FIELD>`` and has at most one validator; an exported but
    empty variable (``VAR=``) counts as unset.
    """

    model_config = SettingsConfigDict(
        env_prefix="SANDAN_",
        extra="ignore",
        frozen=True,
        env_ignore_empty=True,
        validate_by_name=True,  # LedgerSettings(node_modules_dir=...) besides its two aliases
    )

    rpc_url: str | None = None
    solc_version: str = "0.8.28"
    solc_binary: Path | None = None
    contracts_dir: Path = PROJECT_ROOT / "contracts"
    # The npm wrapper (scripts/solc-npm) reads SANDAN_NODE_MODULES, so both names work.
    node_modules_dir: Path = Field(
        default=PROJECT_ROOT / "node_modules",
        validation_alias=AliasChoices("SANDAN_NODE_MODULES_DIR", "SANDAN_NODE_MODULES"),
    )
    anvil_binary: Path | None = None
    data_dir: Path = Field(default_factory=default_data_dir)
    #: Written by ``sandan deploy`` and read by the service; declared after ``data_dir``.
    deployment_file: Path = Field(default_factory=_default_deployment_file)
    node_port: int = Field(default=18545, ge=1, le=65535)
    confirmations: int = Field(default=1, ge=1, le=64)
    chain_timeout: float = Field(default=30.0, gt=0)
    anchorer_key: SecretStr | None = None
    admin_key: SecretStr | None = None
    # The zone operator's key that writes the PartyRegistry (REGISTRAR_ROLE); the admin's
    # when unset. Its own account keeps the worker's registry writes and the API's admin
    # calls from racing for one account's nonces across processes.
    registrar_key: SecretStr | None = None

    @field_validator("rpc_url", mode="before")
    @classmethod
    def _check_rpc_url(cls, value: object) -> object:
        """Treat a blank URL as unset; normalise the rest, naming the variable on error."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, str):
            try:
                return normalise_rpc_url(value)
            except ValueError as exc:
                raise ValueError(f"SANDAN_RPC_URL: {exc}") from exc
        return value

    @field_validator(
        "data_dir",
        "deployment_file",
        "contracts_dir",
        "node_modules_dir",
        "solc_binary",
        "anvil_binary",
    )
    @classmethod
    def _expand_path(cls, value: Path | None) -> Path | None:
        """Expand ``~`` so paths from the environment behave like paths in a shell."""
        return None if value is None else value.expanduser()
