"""Chain access for sandan: compile, deploy and call the trade and trace registries.

``import ledger_client`` stays cheap: eth-tester and py-solc-x are imported only
when the in-process chain or the compiler is used.
"""

from ledger_client._nonces import NonceManager, nonce_manager_for
from ledger_client._retry import RetryPolicy
from ledger_client.accounts import (
    DEV_CHAIN_IDS,
    DEV_PARTIES,
    account_from_key,
    dev_accounts,
    dev_role_grants,
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
    LedgerError,
    ProviderError,
    ReceiptTimeout,
    TransactionError,
    TransactionFailed,
)
from ledger_client.events import ContractEvent
from ledger_client.node import (
    EmbeddedNode,
    ensure_embedded_node,
    find_anvil,
    running_node_url,
    stop_embedded_node,
)
from ledger_client.providers import check_connection, make_web3
from ledger_client.types import (
    Address,
    Batch,
    Bytes32,
    CompiledContract,
    DocumentCheck,
    DocumentRecord,
    DocumentStatus,
    EventCheck,
    LotBatch,
    LotStatus,
    TradeRecord,
    TradeState,
    TxHash,
    TxResult,
)

__all__ = [
    "DEV_CHAIN_IDS",
    "DEV_PARTIES",
    "Address",
    "AnchorNotFound",
    "ArtifactsError",
    "Batch",
    "Bytes32",
    "CompilationError",
    "CompiledContract",
    "ConfigurationError",
    "ContractEvent",
    "ContractReverted",
    "DeployedContract",
    "Deployment",
    "DeploymentError",
    "DocumentCheck",
    "DocumentRecord",
    "DocumentStatus",
    "EmbeddedNode",
    "EmbeddedNodeError",
    "EventCheck",
    "LedgerError",
    "LedgerSettings",
    "LotBatch",
    "LotStatus",
    "NonceManager",
    "ProviderError",
    "ReceiptTimeout",
    "RetryPolicy",
    "TraceRegistryClient",
    "TradeRecord",
    "TradeRegistryClient",
    "TradeState",
    "TransactionError",
    "TransactionFailed",
    "TxHash",
    "TxResult",
    "account_from_key",
    "check_artifacts",
    "check_connection",
    "compile_contracts",
    "deploy_registries",
    "dev_accounts",
    "dev_role_grants",
    "ensure_embedded_node",
    "find_anvil",
    "find_solc",
    "load_artifacts",
    "make_web3",
    "nonce_manager_for",
    "running_node_url",
    "stop_embedded_node",
    "write_artifacts",
]
