"""The service's view of the chain: registries, accounts, and anchoring by lane.

Composes :mod:`ledger_client` for the service and the worker. The worker asks
two questions of each batch, "is it already on chain?" (:meth:`find_anchor`)
and "put it on chain" (:meth:`submit`); the batch's lane
(:mod:`api.anchoring.lanes`) knows which contract call and which event answer
them, so neither the worker nor the gateway needs to.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.types import RPCEndpoint

from api.anchoring.lanes import ChainAnchor, Lane, Prepared
from api.config import ApiSettings
from ledger_client import (
    DEV_CHAIN_IDS,
    DEV_PARTIES,
    ContractReverted,
    Deployment,
    DeploymentError,
    LifecycleRegistryClient,
    Listing,
    PartyRegistryClient,
    ReceiptTimeout,
    TraceRegistryClient,
    TradeRegistryClient,
    TransactionFailed,
    TxResult,
    account_from_key,
    dev_accounts,
    nonce_manager_for,
)
from ledger_client.events import PartyListed

if TYPE_CHECKING:
    from api.db.models import OutboxRecord

# New party accounts are funded from a pre-funded dev account on ledger_client's
# DEV_CHAIN_IDS (anvil/Hardhat 31337, Ganache/geth --dev 1337, eth-tester): one list.
#: Ether given to a new custodial account on a dev chain (gas for a few thousand calls).
DEV_FUNDING_WEI = 10**18


class LedgerGateway:
    """Registries, the anchorer and admin accounts, and lane-aware anchoring."""

    def __init__(
        self,
        w3: Web3,
        deployment: Deployment,
        *,
        anchorer: LocalAccount,
        admin: LocalAccount | None = None,
        registrar: LocalAccount | None = None,
        confirmations: int = 1,
    ) -> None:
        self.w3 = w3
        self.deployment = deployment
        self.anchorer = anchorer
        self.admin = admin or anchorer
        self.registrar = registrar or self.admin
        self.confirmations = confirmations
        self.chain_id = int(w3.eth.chain_id)
        self.trade = TradeRegistryClient(
            w3, deployment.trade_registry.address, anchorer, confirmations=min(confirmations, 1)
        )
        self.trace = TraceRegistryClient(
            w3, deployment.trace_registry.address, anchorer, confirmations=min(confirmations, 1)
        )
        # The registrar (the zone operator) writes the PartyRegistry; the anchorer cannot
        # register a party or a key.
        self.party = PartyRegistryClient(
            w3,
            deployment.party_registry.address,
            self.registrar,
            confirmations=min(confirmations, 1),
        )

    @classmethod
    def from_settings(cls, settings: ApiSettings) -> LedgerGateway:
        """Connect to the configured node (or the embedded one) and load the deployment."""
        from api.provisioning import connect

        w3 = connect(settings)
        chain = settings.ledger
        path = chain.deployment_file
        if not path.exists():
            raise DeploymentError(f"no deployment file at {path}: run `sandan deploy` first")
        deployment = Deployment.load(path)
        registrar = account_from_key(chain.registrar_key) if chain.registrar_key else None
        if chain.anchorer_key is not None:
            anchorer = account_from_key(chain.anchorer_key)
            admin = account_from_key(chain.admin_key) if chain.admin_key is not None else anchorer
        else:
            # Dev chains: the admin (account 0) grants roles while the anchorer (account 1)
            # anchors and the registrar (account 5) writes the PartyRegistry, so an API
            # process and a `sandan worker` process never compete for one account's nonces
            # (a deployment granting only the admin falls back to it).
            accounts = dev_accounts(w3, len(DEV_PARTIES))
            admin, anchorer = accounts[0], accounts[1]
            trade = TradeRegistryClient(w3, deployment.trade_registry.address)
            if not trade.has_role("ANCHORER_ROLE", anchorer.address):
                anchorer = admin
            party = PartyRegistryClient(w3, deployment.party_registry.address)
            dev_registrar = accounts[DEV_PARTIES.index("registrar")]
            if registrar is None and party.has_role("REGISTRAR_ROLE", dev_registrar.address):
                registrar = dev_registrar
        return cls(
            w3,
            deployment,
            anchorer=anchorer,
            admin=admin,
            registrar=registrar,
            confirmations=chain.confirmations,
        )

    # --- chain facts --------------------------------------------------------------------

    @property
    def trade_registry_address(self) -> str:
        """The TradeRegistry address."""
        return str(self.trade.address)

    @property
    def trace_registry_address(self) -> str:
        """The TraceRegistry address."""
        return str(self.trace.address)

    @property
    def party_registry_address(self) -> str:
        """The PartyRegistry address."""
        return str(self.party.address)

    @property
    def lifecycle_registry_address(self) -> str:
        """The LifecycleRegistry address."""
        return str(self.deployment.lifecycle_registry.address)

    def lifecycle(self) -> LifecycleRegistryClient:
        """LifecycleRegistry as the anchorer: declared values, returns, warehouse receipts."""
        return self.lifecycle_as(self.anchorer)

    def lifecycle_as(self, account: LocalAccount) -> LifecycleRegistryClient:
        """LifecycleRegistry as a party's own chain account (customs cancels, a bank settles
        FX and finances); the contract asks TradeRegistry whether it holds the role."""
        return LifecycleRegistryClient(
            self.w3, self.lifecycle_registry_address, account, confirmations=1
        )

    def block_number(self) -> int:
        """The head block number."""
        return int(self.w3.eth.block_number)

    def block_hash(self, number: int) -> str | None:
        """The hash of block ``number`` on the current chain, or None beyond the head."""
        try:
            block = self.w3.eth.get_block(number)
        except Exception:  # web3 raises BlockNotFound (or a provider error) past the head
            return None
        return "0x" + bytes(block["hash"]).hex()

    def is_confirmed(self, anchor: ChainAnchor, confirmations: int) -> bool:
        """Whether ``anchor`` has ``confirmations`` blocks and is still on the chain."""
        depth = self.block_number() - anchor.block_number + 1
        return (
            depth >= max(confirmations, 1)
            and self.block_hash(anchor.block_number) == anchor.block_hash
        )

    @property
    def first_block(self) -> int:
        """The deployment block: searches for past anchors start there."""
        return self.deployment.trade_registry.block_number

    # --- anchoring by lane ----------------------------------------------------------------

    def find_anchor(
        self, lane: Lane[Any], root: str | None, rows: Sequence[OutboxRecord]
    ) -> ChainAnchor | None:
        """The transaction that already put this batch on chain, if any."""
        return lane.find(self, root, rows)

    def resync_nonces(self) -> None:
        """Forget locally counted nonces of the service accounts; ask the node next time."""
        for account in {self.anchorer.address, self.admin.address, self.registrar.address}:
            nonce_manager_for(self.w3, account, self._pending_count(account)).resync()

    def _pending_count(self, address: str) -> Callable[[], int]:
        def fetch() -> int:
            return int(
                self.w3.eth.get_transaction_count(Web3.to_checksum_address(address), "pending")
            )

        return fetch

    def submit(
        self,
        lane: Lane[Any],
        root: str | None,
        batch_id: str,
        rows: Sequence[OutboxRecord],
        *,
        prepared: Prepared = None,
        on_sent: Callable[[str], None] | None = None,
    ) -> ChainAnchor:
        """Send the batch's transaction and wait for its receipt.

        ``on_sent`` is called with the transaction hash once it is broadcast. A revert
        saying the work is already on chain (a resend after a crash) is answered by
        looking the earlier transaction up.
        """
        registry = lane.registry(self)
        try:
            tx_hash = lane.send(self, root, batch_id, rows, prepared)
            if on_sent is not None:
                on_sent(tx_hash)
            result = registry.wait_for_receipt(tx_hash)
        except ReceiptTimeout:
            # Most often a nonce the chain forgot (reorg, node restored from a dump):
            # count again from the node before the worker's next attempt.
            self.resync_nonces()
            raise
        except (ContractReverted, TransactionFailed):
            # A resend after a crash can race the first transaction still in flight: the
            # later one fails because the work is done. Whatever the reason, the chain
            # decides: if the batch is on chain now, that is the anchor.
            found = self.find_anchor(lane, root, rows)
            if found is None:
                raise
            return found
        return ChainAnchor(
            tx_hash=str(result.tx_hash),
            block_number=result.block_number,
            block_hash=result.block_hash,
            gas_used=result.gas_used,
            contract_address=str(registry.address),
            events=result.events,
        )

    # --- parties acting on chain ------------------------------------------------------------

    def new_party_account(self, roles: Sequence[str]) -> LocalAccount:
        """Create a custodial account holding ``roles`` (funded on dev chains)."""
        account: LocalAccount = Account.create()
        self.grant_roles(account.address, roles)
        if self.chain_id in DEV_CHAIN_IDS:
            self._fund(account.address)
        return account

    def grant_roles(self, address: str, roles: Sequence[str]) -> None:
        """Grant ``address`` the registries' ``roles`` (as the admin)."""
        admin_trade = TradeRegistryClient(self.w3, self.trade.address, self.admin)
        admin_trace = TraceRegistryClient(self.w3, self.trace.address, self.admin)
        for role in roles:
            client = admin_trace if role in admin_trace.role_names else admin_trade
            if not client.has_role(role, address):
                client.grant_role(role, address)

    def revoke_roles(self, address: str, roles: Sequence[str]) -> None:
        """Revoke the registries' ``roles`` from ``address`` (as the admin): an account rotated
        out of a party can no longer release, settle, finance or inspect."""
        admin_trade = TradeRegistryClient(self.w3, self.trade.address, self.admin)
        admin_trace = TraceRegistryClient(self.w3, self.trace.address, self.admin)
        for role in roles:
            client = admin_trace if role in admin_trace.role_names else admin_trade
            if client.has_role(role, address):
                client.revoke_role(role, address)

    def relayer(self) -> TradeRegistryClient:
        """TradeRegistry as the account that relays signed authorizations (it pays the gas;
        the contract checks the signer, never the relayer)."""
        return TradeRegistryClient(self.w3, self.trade.address, self.admin, confirmations=1)

    def _fund(self, address: str) -> None:
        # anvil sets a balance without a transaction (no nonce to race for); other dev
        # chains get a transfer through the admin's shared nonce manager.
        answer = self.w3.provider.make_request(
            RPCEndpoint("anvil_setBalance"), [address, hex(DEV_FUNDING_WEI)]
        )
        if isinstance(answer, dict) and "error" not in answer:
            return
        manager = nonce_manager_for(
            self.w3, self.admin.address, self._pending_count(self.admin.address)
        )
        with manager.reserve() as nonce:
            tx = {
                "to": address,
                "value": DEV_FUNDING_WEI,
                "nonce": nonce,
                "gas": 21_000,
                "gasPrice": self.w3.eth.gas_price,
                "chainId": self.chain_id,
            }
            signed = self.admin.sign_transaction(tx)  # type: ignore[arg-type]
            tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
        self.w3.eth.wait_for_transaction_receipt(tx_hash)

    def _as(self, account: LocalAccount) -> TradeRegistryClient:
        return TradeRegistryClient(self.w3, self.trade.address, account, confirmations=1)

    def release(self, batch: int, position: int, account: LocalAccount) -> TxResult:
        """Customs releases the trade at ``position`` of verdict batch ``batch``."""
        return self._as(account).release_trades(batch, [position])

    def confirm_settlement(
        self, batch: int, position: int, reference: bytes, account: LocalAccount
    ) -> TxResult:
        """A bank confirms the settlement of the released trade at (``batch``, ``position``)."""
        return self._as(account).confirm_settlements(batch, {position: reference})

    def register_financing(
        self, batch: int, position: int, terms: bytes, account: LocalAccount
    ) -> TxResult:
        """A bank registers financing of the trade at (``batch``, ``position``)."""
        return self._as(account).register_financing(batch, [position], terms)

    # --- the negative list -------------------------------------------------------------------

    def list_party(
        self, party: bytes, since: int, until: int, reason: str, account: LocalAccount
    ) -> TxResult:
        """Customs or the regulator lists ``party`` (its on-chain id) for a period of block
        timestamps."""
        return self._as(account).list_party(party, until, reason, since=since)

    def lift_listing(self, party: bytes, reason: str, account: LocalAccount) -> TxResult:
        """Customs or the regulator lifts ``party``'s listing early."""
        return self._as(account).lift_listing(party, reason)

    def listing_of(self, party: bytes) -> Listing:
        """``party``'s listing as the chain holds it now."""
        return self.trade.listing_of(party)

    def last_listed(self, party: bytes) -> PartyListed | None:
        """The event of ``party``'s latest listing (its reason and who listed), or None."""
        found = self.trade.find_events(PartyListed, self.first_block, party_id=party)
        return found[-1] if found else None

    def discharge_financing(
        self, financing_id: int, position: int, account: LocalAccount
    ) -> TxResult:
        """A bank discharges its financing ``financing_id`` of the trade at ``position``."""
        return self._as(account).discharge_financing(financing_id, [position])
