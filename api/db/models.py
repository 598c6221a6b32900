"""Tables and API models of the sandan service.

Families follow the template: a table class (``*Record``) and public shapes
(``*Public`` / ``*sPublic``) that routes return. Every datetime is
timezone-aware UTC, including on SQLite (see :class:`UTCDateTime`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Table,
    Text,
    UniqueConstraint,
    func,
    literal_column,
    text,
)
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import DateTime, TypeDecorator
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Store aware datetimes as UTC and always hand back aware ones."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def table_of(model: type[SQLModel]) -> Table:
    """The Core table of a table model, for statements that build no ORM object per row."""
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


class PartyRecord(SQLModel, table=True):
    """A registered party: platform, payment or logistics company, customs, bank..."""

    __tablename__ = "party"

    code: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    roles: str = Field(max_length=400)  # comma-separated, sorted
    api_key_hash: str = Field(max_length=64, unique=True, index=True)
    chain_address: str | None = Field(default=None, max_length=42)
    # X.509 certificate (PEM) whose key signs the party's CEB XML (ds:Signature).
    xml_certificate: str | None = Field(default=None, sa_column=Column(Text))
    # SHA-256 of that certificate's public key (DER SubjectPublicKeyInfo): one key, one party.
    xml_key_fingerprint: str | None = Field(default=None, max_length=64, unique=True, index=True)
    # Unified social credit code (统一社会信用代码) and customs registration code: with the
    # name and code, the registration record whose hash the PartyRegistry holds.
    uscc: str | None = Field(default=None, max_length=18)
    customs_code: str | None = Field(default=None, max_length=10)
    # Block in which the PartyRegistry recorded the party (None: not yet confirmed).
    chain_block: int | None = Field(default=None, sa_column=Column(BigInteger))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class PartyKeyRecord(SQLModel, table=True):
    """A public signing key of a party; rotation adds one, revocation dates one."""

    __tablename__ = "party_key"

    key_id: str = Field(primary_key=True, max_length=128)
    party_code: str = Field(foreign_key="party.code", index=True, max_length=64)
    alg: str = Field(max_length=16)
    public_key: str = Field(max_length=4096)
    # traceability.public_key_fingerprint: the same key, however encoded, is registered
    # once across all parties. None only for a duplicate found in an old database (revoked).
    key_fingerprint: str | None = Field(default=None, max_length=64, unique=True, index=True)
    valid_from: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    revocation_reason: str | None = Field(default=None, max_length=500)
    # Block in which the PartyRegistry recorded the key: until then it signs nothing that
    # gets anchored (the worker holds its documents back).
    chain_block: int | None = Field(default=None, sa_column=Column(BigInteger))
    # "Compromised since block N": documents anchored from N on stop verifying.
    compromised_since_block: int | None = Field(default=None, sa_column=Column(BigInteger))
    revoked_chain_block: int | None = Field(default=None, sa_column=Column(BigInteger))
    # A key registered by certificate: the PEM (leaf, then intermediates) and its notAfter,
    # after which the key signs nothing more.
    certificate: str | None = Field(default=None, sa_column=Column(Text))
    valid_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class DocumentRecord(SQLModel, table=True):
    """One signed document version, stored exactly as received and never overwritten."""

    __tablename__ = "document"
    __table_args__ = (
        UniqueConstraint("key_id", "salt", name="uq_document_replay"),
        UniqueConstraint("doc_key", "version", name="uq_document_version"),
        Index("ix_document_trade", "trade_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    content_hash: str = Field(max_length=64, unique=True, index=True)
    doc_type: str = Field(max_length=32, index=True)
    party_code: str = Field(foreign_key="party.code", max_length=64, index=True)
    key_id: str = Field(max_length=128)
    salt: str = Field(max_length=64)
    doc_key: str = Field(max_length=300)  # business identity, e.g. "order:EBP/NO"
    trade_id: str | None = Field(default=None, max_length=64)
    # Link keys of documents that do not carry the whole trade key (an import
    # waybill has no ebpCode; an export waybill not even an orderNo).
    link_order_no: str | None = Field(default=None, max_length=64, index=True)
    link_logistics_no: str | None = Field(default=None, max_length=64, index=True)
    version: int = 1
    supersedes_hash: str | None = Field(default=None, max_length=64)
    superseded_by: str | None = Field(default=None, max_length=64)
    envelope: str = Field(sa_column=Column(Text, nullable=False))
    source_xml: str | None = Field(default=None, sa_column=Column(Text))
    received_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


#: The outbox kind of match verdicts, as SQL text: the partial index below holds only its
#: rows, and a database uses a partial index only for a query naming the same literal.
VERDICT_KIND_SQL = "'verdict'"


def verdict_trade_of(subject: Any) -> ColumnElement[str]:
    """The trade id of a verdict row's subject (``"<tradeId>:<verdictHash>"``).

    Written with literal bounds, as the index ``ix_outbox_verdict_trade`` is: a database
    matches an expression index only to the very same expression, not to one with bound
    parameters."""
    return func.substr(subject, literal_column("1"), literal_column("64"))


class OutboxRecord(SQLModel, table=True):
    """Work for the anchoring worker, written in the same transaction as its subject."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_pending", "lane", "batch_id", "id"),
        UniqueConstraint("kind", "lane", "subject", name="uq_outbox_subject"),
        # A trade's verdicts, oldest first: the worker holds a verdict back while an older
        # one of its trade is on its way, and without this index every candidate would scan
        # every verdict ever queued.
        Index(
            "ix_outbox_verdict_trade",
            text("substr(subject, 1, 64)"),
            "id",
            postgresql_where=text(f"kind = {VERDICT_KIND_SQL}"),
            sqlite_where=text(f"kind = {VERDICT_KIND_SQL}"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)  # document | event | verdict | supersede
    subject: str = Field(max_length=160)  # content hash, event hash or trade id (+ version)
    lane: str = Field(max_length=80)  # "trade", "verdict", "supersede" or "lot:<lotId>"
    payload: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    batch_id: str | None = Field(default=None, max_length=64, foreign_key="anchor_batch.id")
    proof: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class AnchorBatchRecord(SQLModel, table=True):
    """A Merkle batch or a batched contract call, from built to confirmed."""

    __tablename__ = "anchor_batch"

    id: str = Field(primary_key=True, max_length=64)  # batch id, hex
    lane: str = Field(max_length=80, index=True)
    root: str | None = Field(default=None, max_length=64)
    leaf_count: int = 0
    # built | sent | confirmed, or refused / split when the contract refused the batch
    state: str = Field(default="built", max_length=16, index=True)
    tx_hash: str | None = Field(default=None, max_length=66)
    raw_tx: str | None = Field(default=None, sa_column=Column(Text))
    nonce: int | None = Field(default=None, sa_column=Column(BigInteger))
    block_number: int | None = Field(default=None, sa_column=Column(BigInteger))
    block_hash: str | None = Field(default=None, max_length=66)
    gas_used: int | None = Field(default=None, sa_column=Column(BigInteger))
    chain_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    contract_address: str | None = Field(default=None, max_length=42)
    attempts: int = 0
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    confirmed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    #: The contract's reason for refusing the batch (state ``refused`` or ``split``).
    refusal: str | None = Field(default=None, sa_column=Column(Text))
    #: A confirmed verdict batch's number on chain (``recordVerdictBatch`` assigns it).
    chain_batch: int | None = Field(default=None, sa_column=Column(BigInteger, index=True))


class TradeRecord(SQLModel, table=True):
    """The state of one trade: its documents, verdict, release, settlement, financing."""

    __tablename__ = "trade"
    __table_args__ = (Index("ix_trade_status", "status", "updated_at"),)

    trade_id: str = Field(primary_key=True, max_length=64)
    ebp_code: str = Field(max_length=64, index=True)
    order_no: str = Field(max_length=64)
    ebc_code: str | None = Field(default=None, max_length=64, index=True)
    direction: str = Field(default="import", max_length=8)
    mode: str | None = Field(default=None, max_length=8, index=True)
    buyer_id: str | None = Field(default=None, max_length=64, index=True)
    customs_value: str | None = Field(default=None, max_length=32)
    currency: str | None = Field(default=None, max_length=8)
    order_hash: str | None = Field(default=None, max_length=64)
    payment_hash: str | None = Field(default=None, max_length=64)
    waybill_hash: str | None = Field(default=None, max_length=64)
    inventory_hash: str | None = Field(default=None, max_length=64)
    payment_no: str | None = Field(default=None, max_length=128, index=True)
    logistics_no: str | None = Field(default=None, max_length=128, index=True)
    status: str = Field(default="pending", max_length=16)  # pending|match|mismatch
    verdict: str | None = Field(default=None, sa_column=Column(Text))
    verdict_hash: str | None = Field(default=None, max_length=64)
    verdict_version: int = 0
    # The outside facts the matcher was given, so a verifier can re-run it.
    match_context: str | None = Field(default=None, sa_column=Column(Text))
    released_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    release_tx: str | None = Field(default=None, max_length=66)
    release_block: int | None = Field(default=None, sa_column=Column(BigInteger))
    settled_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    settlement_ref: str | None = Field(default=None, max_length=64)
    #: The party code of the bank that confirmed the settlement (its bank of record).
    settled_by: str | None = Field(default=None, max_length=64)
    settlement_tx: str | None = Field(default=None, max_length=66)
    settlement_block: int | None = Field(default=None, sa_column=Column(BigInteger))
    financed_by: str | None = Field(default=None, max_length=64)
    financing_terms_hash: str | None = Field(default=None, max_length=64)
    financing_tx: str | None = Field(default=None, max_length=66)
    financing_block: int | None = Field(default=None, sa_column=Column(BigInteger))
    # Where the current verdict sits on chain: release, settlement and financing name it.
    verdict_batch: int | None = Field(default=None, sa_column=Column(BigInteger))
    verdict_position: int | None = None
    settlement_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    financing_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    # The life after release (revision 0022): customs receipts, cancellation, returns, FX.
    invt_no: str | None = Field(default=None, max_length=32, index=True)
    customs_status: str | None = Field(default=None, max_length=8)
    customs_status_note: str | None = Field(default=None, sa_column=Column(Text))
    customs_status_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    cancelled_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    cancel_tx: str | None = Field(default=None, max_length=66)
    returned_value: str | None = Field(default=None, max_length=32)  # decimal, trade currency
    return_state: str | None = Field(default=None, max_length=8)  # partial | whole
    fx_settled_value: str | None = Field(default=None, max_length=32)  # decimal, trade currency
    # The value declared on the LifecycleRegistry, in minor units: the chain's cap.
    chain_value: int | None = Field(default=None, sa_column=Column(BigInteger))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))


class ChainAccountRecord(SQLModel, table=True):
    """A custodial chain account through which a party (customs, a bank) calls the contract.

    The private key is encrypted with the service's keystore secret (Fernet), so
    the database alone does not reveal it.
    """

    __tablename__ = "chain_account"

    party_code: str = Field(primary_key=True, foreign_key="party.code", max_length=64)
    address: str = Field(max_length=42, unique=True)
    encrypted_key: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


# --- risk: alerts, grades, credit facts (issue 16) ------------------------------------------


class RiskTradeRecord(SQLModel, table=True):
    """What the risk rules read of one trade (a :class:`traceability.risk.RiskTrade` as JSON)."""

    __tablename__ = "risk_trade"

    trade_id: str = Field(primary_key=True, max_length=64)
    #: ``"<ebpCode>/<orderNo>"``: how alerts name the trade.
    trade_ref: str = Field(max_length=130, index=True)
    app_time: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    record: str = Field(sa_column=Column(Text, nullable=False))
    record_hash: str = Field(max_length=64)
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class RiskGroupMemberRecord(SQLModel, table=True):
    """A trade's membership of one rule's group (a buyer, an address, an item...)."""

    __tablename__ = "risk_group_member"
    __table_args__ = (Index("ix_risk_group_member_trade", "trade_id"),)

    group_hash: str = Field(primary_key=True, max_length=64)
    trade_id: str = Field(primary_key=True, max_length=64)


class RiskDirtyGroupRecord(SQLModel, table=True):
    """A group whose trades changed since its alerts were last judged."""

    __tablename__ = "risk_dirty_group"

    group_hash: str = Field(primary_key=True, max_length=64)
    rule: str = Field(max_length=64)
    group_key: str = Field(sa_column=Column(Text, nullable=False))  # JSON


class RiskAlertRecord(SQLModel, table=True):
    """One alert; its identity is (rule, group) plus the trades it shares with its successor."""

    __tablename__ = "risk_alert"
    __table_args__ = (Index("ix_risk_alert_status", "status", "updated_at"),)

    id: int | None = Field(default=None, primary_key=True)
    rule: str = Field(max_length=64, index=True)
    group_hash: str = Field(max_length=64, index=True)
    group_key: str = Field(sa_column=Column(Text, nullable=False))  # JSON
    trades: str = Field(sa_column=Column(Text, nullable=False))  # JSON list of trade refs
    evidence: str = Field(sa_column=Column(Text, nullable=False))  # JSON
    threshold: str = Field(sa_column=Column(Text, nullable=False))  # JSON
    status: str = Field(default="open", max_length=16)  # open | confirmed | dismissed
    #: False once the rule no longer fires on the group (its review state is kept).
    active: bool = True
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class RiskAlertTradeRecord(SQLModel, table=True):
    """An alert's trade."""

    __tablename__ = "risk_alert_trade"
    __table_args__ = (Index("ix_risk_alert_trade_trade", "trade_id"),)

    alert_id: int = Field(primary_key=True, foreign_key="risk_alert.id")
    trade_id: str = Field(primary_key=True, max_length=64)


class RiskAlertReviewRecord(SQLModel, table=True):
    """One review of an alert: who moved it from which status to which, and why."""

    __tablename__ = "risk_alert_review"

    id: int | None = Field(default=None, primary_key=True)
    alert_id: int = Field(foreign_key="risk_alert.id", index=True)
    reviewer: str = Field(max_length=64)
    from_status: str = Field(max_length=16)
    to_status: str = Field(max_length=16)
    note: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class RiskDecisionRecord(SQLModel, table=True):
    """A grading decision (grade, hold or override) with the inputs it was taken on."""

    __tablename__ = "risk_decision"
    __table_args__ = (Index("ix_risk_decision_trade", "trade_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    trade_id: str = Field(max_length=64)
    kind: str = Field(max_length=16)  # grade | hold | override
    grade: str = Field(max_length=8)  # low | medium | high
    factors: str = Field(sa_column=Column(Text, nullable=False))  # JSON
    inputs: str = Field(sa_column=Column(Text, nullable=False))  # canonical JSON
    inputs_hash: str = Field(max_length=64)  # sha-256 of ``inputs``
    party_code: str | None = Field(default=None, max_length=64)
    reason: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class ReleasePolicyRecord(SQLModel, table=True):
    """Customs' standing release policy (graded release), as signed and as adopted on chain.

    The chain is the authority (``releasePolicyOf``); this row mirrors it after the chain
    said so, and keeps the signature so anyone can check it again."""

    __tablename__ = "release_policy"

    policy_id: str = Field(primary_key=True, max_length=64)  # the EIP-712 digest, hex
    customs_code: str = Field(max_length=64, index=True)
    signer: str = Field(max_length=42)
    grades: str = Field(max_length=32)  # "low" or "low,medium"
    modes: str = Field(max_length=32)  # "1210,9610"
    max_value_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    valid_from: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    valid_until: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    salt: str = Field(max_length=64)
    signature: str = Field(max_length=132)
    adopted_tx: str = Field(max_length=66)
    adopted_block: int = Field(sa_column=Column(BigInteger, nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    revoked_tx: str | None = Field(default=None, max_length=66)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class AutoReleaseRecord(SQLModel, table=True):
    """One automatic decision on one trade's verdict under one policy: ``queued`` for
    release (then ``released``, or ``refused`` by the contract) or ``skipped`` with the
    reason. Unique per (trade, verdict, policy): each verdict is decided once per policy,
    however many workers look."""

    __tablename__ = "auto_release"
    __table_args__ = (
        UniqueConstraint("trade_id", "verdict_hash", "policy_id", name="uq_auto_release"),
        Index("ix_auto_release_outcome", "outcome", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    trade_id: str = Field(max_length=64, index=True)
    verdict_hash: str = Field(max_length=64)
    policy_id: str = Field(max_length=64)
    outcome: str = Field(max_length=16)  # queued | released | refused | skipped
    reason: str | None = Field(default=None, sa_column=Column(Text))
    grade: str = Field(max_length=8)
    mode: str | None = Field(default=None, max_length=8)
    value_fen: int | None = Field(default=None, sa_column=Column(BigInteger))
    decision_id: int | None = Field(default=None)  # the risk_decision row with the inputs
    inputs_hash: str = Field(max_length=64)
    verdict_batch: int | None = Field(default=None, sa_column=Column(BigInteger))
    verdict_position: int | None = None
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class CreditFactRecord(SQLModel, table=True):
    """A timestamped fact about a party; its credit at a date is the facts up to it."""

    __tablename__ = "credit_fact"
    __table_args__ = (Index("ix_credit_fact_party", "party_code", "occurred_at"),)

    id: int | None = Field(default=None, primary_key=True)
    party_code: str = Field(max_length=64)
    kind: str = Field(max_length=16)  # verdict | alert | hold
    #: What the fact is about (a trade id, an alert id): a later fact on it replaces it.
    subject: str = Field(max_length=80)
    detail: str = Field(sa_column=Column(Text, nullable=False))  # JSON
    occurred_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class ZoneSettingRecord(SQLModel, table=True):
    """A choice a zone makes once, when its ledger starts, and keeps: what its stored hashes
    mean depends on it (the digest profile, :mod:`api.db.zone`)."""

    __tablename__ = "zone_setting"

    name: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=255)
    set_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class PortalSessionRecord(SQLModel, table=True):
    """A signed-in browser of the workbench: a party, or the operator (``party_code`` None).

    Only the SHA-256 of the cookie's token is kept, so a database leak signs nobody in."""

    __tablename__ = "portal_session"

    token_hash: str = Field(primary_key=True, max_length=64)
    party_code: str | None = Field(default=None, foreign_key="party.code", max_length=64)
    csrf_token: str = Field(max_length=64)
    #: The hash of the credential it was opened with: a rotated API key or admin token ends
    #: every session opened with the old one.
    credential_hash: str = Field(max_length=64)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    #: Signed out by itself after this, however active (the session's longest life).
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    #: Signed out after this unless a request comes first (each request moves it on).
    idle_until: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


# --- notifications: inbox, webhooks and their delivery log (issue 17) -----------------------


class WebhookRecord(SQLModel, table=True):
    """A party's webhook: an https URL that receives the event kinds it chose, signed.

    The signing secret is encrypted with the service's keystore secret (Fernet), as a
    custodial chain key is: the service must sign every delivery with it, so a hash would not
    do, and the database alone does not reveal it. A deleted webhook is kept (``deleted_at``)
    with its delivery log."""

    __tablename__ = "webhook"

    id: int | None = Field(default=None, primary_key=True)
    party_code: str = Field(foreign_key="party.code", max_length=64, index=True)
    url: str = Field(max_length=2048)
    kinds: str = Field(max_length=400)  # comma-separated, sorted
    encrypted_secret: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    deleted_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class NotificationRecord(SQLModel, table=True):
    """One event in one party's inbox, written in the transaction of the fact it reports."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_party", "party_code", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    party_code: str = Field(foreign_key="party.code", max_length=64)
    kind: str = Field(max_length=32)
    trade_id: str | None = Field(default=None, max_length=64)
    payload: str = Field(sa_column=Column(Text, nullable=False))  # JSON: the event's data
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    read_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class WebhookDeliveryRecord(SQLModel, table=True):
    """One notification to send to one webhook: pending until delivered, or failed at the cap."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
        Index("ix_webhook_delivery_webhook", "webhook_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    webhook_id: int = Field(foreign_key="webhook.id")
    notification_id: int = Field(foreign_key="notification.id")
    status: str = Field(default="pending", max_length=16)  # pending|delivered|failed|cancelled
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    last_status: int | None = None  # the receiver's last HTTP status
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    delivered_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class WebhookAttemptRecord(SQLModel, table=True):
    """One attempt of a delivery: when, what the receiver answered or what went wrong."""

    __tablename__ = "webhook_attempt"
    __table_args__ = (Index("ix_webhook_attempt_delivery", "delivery_id", "attempt"),)

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="webhook_delivery.id")
    attempt: int
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    status_code: int | None = None
    error: str | None = Field(default=None, sa_column=Column(Text))
