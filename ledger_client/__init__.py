"""Chain access for sandan: compile, deploy and call the trade, trace and party registries.

``import ledger_client`` is cheap: every public name is loaded from its module on
first use (PEP 562), so a command that never touches the chain never imports web3;
eth-tester and py-solc-x are imported only when the in-process chain or the
compiler is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ledger_client._recursion import keep_recursion_limit

# Before anything can import web3 (and with it py_ecc, which raises the recursion limit).
keep_recursion_limit()

if TYPE_CHECKING:
    from ledger_client._convert import mask_of
    from ledger_client._nonces import NonceManager, nonce_manager_for
    from ledger_client._retry import RetryPolicy
    from ledger_client.accounts import (
        DEV_CHAIN_IDS,
        DEV_PARTIES,
        account_from_key,
        dev_accounts,
        dev_role_grants,
    )
    from ledger_client.authorization import (
        AuthorizationAction,
        Signature,
        authorization_digest,
        authorization_typed_data,
        discharge_subject,
        recover_authorization_signer,
        selection_subject,
        settlement_data,
        sign_authorization,
    )
    from ledger_client.client import TraceRegistryClient, TradeRegistryClient
    from ledger_client.compile import (
        check_artifacts,
        compile_contracts,
        find_solc,
        load_artifacts,
        write_artifacts,
    )
    from ledger_client.config import LedgerSettings
    from ledger_client.deploy import DeployedContract, Deployment, deploy_registries
    from ledger_client.errors import (
        AnchorNotFound,
        ArtifactsError,
        CompilationError,
        ConfigurationError,
        ContractReverted,
        DeploymentError,
        EmbeddedNodeError,
        InsufficientFunds,
        LedgerError,
        ProviderError,
        ReceiptTimeout,
        TransactionError,
        TransactionFailed,
    )
    from ledger_client.events import ContractEvent
    from ledger_client.node import (
        EmbeddedNode,
        RunningNode,
        ensure_embedded_node,
        find_anvil,
        running_node,
        running_node_url,
        stop_embedded_node,
        write_node_record,
    )
    from ledger_client.party_lists import PartyLists, party_id
    from ledger_client.party_registry import PartyRegistryClient
    from ledger_client.providers import check_connection, make_web3, redact_url
    from ledger_client.release_policy import (
        Decision,
        PolicyRelease,
        PolicyView,
        ReleasePolicy,
        decision_facts,
        decision_leaf,
        decision_leaves,
        release_policy_typed_data,
    )
    from ledger_client.types import (
        AccountView,
        Address,
        Batch,
        Bytes32,
        CompiledContract,
        DocumentCheck,
        DocumentRecord,
        DocumentStatus,
        EventCheck,
        Financing,
        KeyView,
        Listing,
        LotBatch,
        LotStatus,
        PartyView,
        Settlement,
        SignerView,
        Supersession,
        TradePosition,
        TradeState,
        TxHash,
        TxResult,
        VerdictBatch,
        VerdictCheck,
        VerdictLeaf,
    )

#: Where each public name lives (module under ``ledger_client``).
_MODULE_OF: dict[str, str] = {
    "DEV_CHAIN_IDS": "accounts",
    "DEV_PARTIES": "accounts",
    "AccountView": "types",
    "Address": "types",
    "AnchorNotFound": "errors",
    "ArtifactsError": "errors",
    "AuthorizationAction": "authorization",
    "Decision": "release_policy",
    "PolicyRelease": "release_policy",
    "PolicyView": "release_policy",
    "ReleasePolicy": "release_policy",
    "decision_facts": "release_policy",
    "decision_leaf": "release_policy",
    "decision_leaves": "release_policy",
    "release_policy_typed_data": "release_policy",
    "Batch": "types",
    "Bytes32": "types",
    "CompilationError": "errors",
    "CompiledContract": "types",
    "ConfigurationError": "errors",
    "ContractEvent": "events",
    "ContractReverted": "errors",
    "DeployedContract": "deploy",
    "Deployment": "deploy",
    "DeploymentError": "errors",
    "DocumentCheck": "types",
    "DocumentRecord": "types",
    "DocumentStatus": "types",
    "EmbeddedNode": "node",
    "RunningNode": "node",
    "EmbeddedNodeError": "errors",
    "EventCheck": "types",
    "KeyView": "types",
    "Listing": "types",
    "PartyLists": "party_lists",
    "party_id": "party_lists",
    "LedgerError": "errors",
    "LedgerSettings": "config",
    "LotBatch": "types",
    "LotStatus": "types",
    "NonceManager": "_nonces",
    "PartyRegistryClient": "party_registry",
    "PartyView": "types",
    "ProviderError": "errors",
    "ReceiptTimeout": "errors",
    "RetryPolicy": "_retry",
    "Signature": "authorization",
    "Signed": "types",
    "SignerView": "types",
    "TraceRegistryClient": "client",
    "Financing": "types",
    "Settlement": "types",
    "Supersession": "types",
    "TradePosition": "types",
    "VerdictBatch": "types",
    "VerdictCheck": "types",
    "VerdictLeaf": "types",
    "TradeRegistryClient": "client",
    "TradeState": "types",
    "TransactionError": "errors",
    "InsufficientFunds": "errors",
    "TransactionFailed": "errors",
    "TxHash": "types",
    "TxResult": "types",
    "account_from_key": "accounts",
    "authorization_digest": "authorization",
    "authorization_typed_data": "authorization",
    "check_artifacts": "compile",
    "check_connection": "providers",
    "compile_contracts": "compile",
    "deploy_registries": "deploy",
    "dev_accounts": "accounts",
    "dev_role_grants": "accounts",
    "ensure_embedded_node": "node",
    "find_anvil": "node",
    "find_solc": "compile",
    "load_artifacts": "compile",
    "make_web3": "providers",
    "nonce_manager_for": "_nonces",
    "recover_authorization_signer": "authorization",
    "redact_url": "providers",
    "running_node": "node",
    "running_node_url": "node",
    "sign_authorization": "authorization",
    "mask_of": "_convert",
    "settlement_data": "authorization",
    "selection_subject": "authorization",
    "discharge_subject": "authorization",
    "stop_embedded_node": "node",
    "write_artifacts": "compile",
    "write_node_record": "node",
}

__all__ = [
    "DEV_CHAIN_IDS",
    "DEV_PARTIES",
    "AccountView",
    "Address",
    "AnchorNotFound",
    "ArtifactsError",
    "AuthorizationAction",
    "Batch",
    "Bytes32",
    "CompilationError",
    "CompiledContract",
    "ConfigurationError",
    "ContractEvent",
    "ContractReverted",
    "Decision",
    "DeployedContract",
    "Deployment",
    "DeploymentError",
    "DocumentCheck",
    "DocumentRecord",
    "DocumentStatus",
    "EmbeddedNode",
    "EmbeddedNodeError",
    "EventCheck",
    "Financing",
    "InsufficientFunds",
    "KeyView",
    "LedgerError",
    "LedgerSettings",
    "Listing",
    "LotBatch",
    "LotStatus",
    "NonceManager",
    "PartyLists",
    "PartyRegistryClient",
    "PartyView",
    "PolicyRelease",
    "PolicyView",
    "ProviderError",
    "ReceiptTimeout",
    "ReleasePolicy",
    "RetryPolicy",
    "RunningNode",
    "Settlement",
    "Signature",
    "Signed",
    "SignerView",
    "Supersession",
    "TraceRegistryClient",
    "TradePosition",
    "TradeRegistryClient",
    "TradeState",
    "TransactionError",
    "TransactionFailed",
    "TxHash",
    "TxResult",
    "VerdictBatch",
    "VerdictCheck",
    "VerdictLeaf",
    "account_from_key",
    "authorization_digest",
    "authorization_typed_data",
    "check_artifacts",
    "check_connection",
    "compile_contracts",
    "decision_facts",
    "decision_leaf",
    "decision_leaves",
    "deploy_registries",
    "dev_accounts",
    "dev_role_grants",
    "discharge_subject",
    "ensure_embedded_node",
    "find_anvil",
    "find_solc",
    "load_artifacts",
    "make_web3",
    "mask_of",
    "nonce_manager_for",
    "party_id",
    "recover_authorization_signer",
    "redact_url",
    "release_policy_typed_data",
    "running_node",
    "running_node_url",
    "selection_subject",
    "settlement_data",
    "sign_authorization",
    "stop_embedded_node",
    "write_artifacts",
    "write_node_record",
]


def __getattr__(name: str) -> Any:
    """Load a public name from its module the first time it is asked for."""
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public API, loaded or not."""
    return sorted(__all__)
