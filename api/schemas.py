"""Request and response shapes of the HTTP API (what OpenAPI documents).

JSON keys are camelCase like the CEB messages and the signed envelopes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic.alias_generators import to_camel

from api.examples import (
    EXAMPLE_CHAIN_ACCOUNT,
    EXAMPLE_KEY_ID,
    EXAMPLE_PARTY,
    EXAMPLE_PARTY_NAME,
    EXAMPLE_XML_CERTIFICATE,
    example_public_key,
)
from api.money import to_fen
from traceability.signing.registry_ids import is_valid_uscc

HEX32 = r"^[0-9a-f]{64}$"
CODE = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"
RoleName = Literal[
    "platform",
    "payment",
    "logistics",
    "customs",
    "bank",
    "producer",
    "inspector",
    "warehouse",
    "regulator",
]


class ApiModel(BaseModel):
    """Base of every API shape: camelCase on the wire, unknown fields rejected."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )

    @classmethod
    def from_record(cls, record: object, /, **values: Any) -> Self:
        """This shape of a database row: every field the row holds under the field's own
        name, then ``values`` for the fields it derives or names otherwise."""
        held = {
            name: getattr(record, name)
            for name in cls.model_fields
            if name not in values and hasattr(record, name)
        }
        return cls(**held, **values)


class IssuePublic(ApiModel):
    """One problem of an invalid document or request."""

    field: str
    message: str


class ErrorBody(ApiModel):
    """The body of every error response."""

    error: str = Field(examples=["invalid"])
    message: str = Field(examples=["payload.issuedAt: more than 300 s in the future"])
    field: str | None = Field(default=None, examples=["payload.issuedAt"])
    errors: list[IssuePublic] | None = Field(
        default=None, description="Every problem found (capped), when there are several."
    )
    error_count: int | None = Field(default=None, description="How many problems there were.")

    @model_serializer(mode="wrap")
    def _without_absent_list(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # A one-problem error keeps its three keys: the list appears only when it was made.
        data: dict[str, Any] = handler(self)
        for key in ("errors", "errorCount", "error_count"):
            if data.get(key) is None:
                data.pop(key, None)
        return data


# --- parties -----------------------------------------------------------------


class PartyCreate(ApiModel):
    """Register a party (administrator only)."""

    code: str = Field(pattern=CODE, examples=[EXAMPLE_PARTY])
    name: str = Field(min_length=1, max_length=200, examples=[EXAMPLE_PARTY_NAME])
    roles: list[RoleName] = Field(min_length=1, max_length=9, examples=[["platform"]])
    chain_account: bool = Field(
        default=False,
        description="Create a custodial chain account holding the party's contract role "
        "(customs and banks act on chain through it).",
    )
    uscc: str | None = Field(
        default=None,
        description="Unified social credit code (统一社会信用代码, GB 32100-2015), check "
        "character verified.",
        examples=["91330100MA27XL0A4J"],
    )
    customs_code: str | None = Field(
        default=None,
        pattern=r"^[0-9A-Z]{10}$",
        description="Customs registration code (海关注册编码), 10 characters.",
        examples=[EXAMPLE_PARTY],
    )

    @field_validator("uscc")
    @classmethod
    def _check_uscc(cls, value: str | None) -> str | None:
        if value is not None and not is_valid_uscc(value):
            raise ValueError(
                "not a unified social credit code: 18 characters of 0-9 and A-Y "
                "(no I, O, S, V, Z) whose last one is the GB 32100-2015 check character"
            )
        return value


ChainStatus = Literal["pending", "confirmed", "refused"]


class ListingCreate(ApiModel):
    """Put a party on the negative list: release and financing of any trade whose documents
    it signed are refused on chain until ``until`` (or until the listing is lifted)."""

    reason: str = Field(min_length=1, max_length=500, examples=["suspected fictitious trade"])
    until: datetime = Field(
        description="End of the listing (exclusive); must be in the future.",
        examples=["2027-06-30T00:00:00+08:00"],
    )
    since: datetime | None = Field(
        default=None,
        description="Start of the listing; now when omitted.",
        examples=["2027-01-01T00:00:00+08:00"],
    )


class ListingLift(ApiModel):
    """Lift a listing before it ends."""

    reason: str = Field(min_length=1, max_length=500, examples=["appeal upheld"])


class ListingPublic(ApiModel):
    """A party's negative-list entry as the chain holds it (block timestamps, UTC)."""

    party: str
    active: bool = Field(description="In force now: since <= now < until.")
    since: datetime
    until: datetime
    reason: str = Field(description="The reason given when the party was listed.")
    listed_by: str = Field(description="The customs or regulator party that listed it.")
    tx_hash: str | None = None


class PartyPublic(ApiModel):
    """A party as others may see it."""

    code: str
    name: str
    roles: list[str]
    chain_address: str | None = None
    uscc: str | None = None
    customs_code: str | None = None
    record_hash: str = Field(
        description="sha256 of the RFC 8785 registration record {code, name, uscc, "
        "customsCode}: what the PartyRegistry holds."
    )
    chain_status: ChainStatus = Field(
        description="confirmed once every PartyRegistry write about the party is on chain; "
        "refused if the registry refused one (the operator sees why in /ready)."
    )
    chain_block: int | None = None
    created_at: datetime
    listing: ListingPublic | None = Field(
        default=None,
        description="The party's negative-list entry, in force or to come (GET /parties/{code}).",
    )


class PartyCreated(PartyPublic):
    """A newly registered party and its API key, shown only this once."""

    api_key: str


class KeyCreate(ApiModel):
    """Register a public signing key of a party (rotation adds keys): a bare key
    (``keyId``, ``alg``, ``publicKey``), or an SM2 certificate (``certificatePem``)."""

    key_id: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,127}$",
        examples=[EXAMPLE_KEY_ID],
        description="Required with publicKey. With certificatePem it is the certificate's "
        "number (its serial in hex, as the e-port names it): leave it out, or give that.",
    )
    alg: Literal["Ed25519", "ES256", "ES256K", "SM2"] | None = Field(
        default=None, examples=["Ed25519"], description="Required with publicKey."
    )
    public_key: str | None = Field(
        default=None,
        min_length=16,
        max_length=4096,
        examples=[example_public_key()],
        description="base64url of the raw key (Ed25519) or SEC1 point (ES256, ES256K, SM2); "
        "stored in its canonical form (an uncompressed point).",
    )
    certificate_pem: str | None = Field(
        default=None,
        min_length=64,
        max_length=32_768,
        description="Instead of publicKey: the party's SM2 X.509 certificate (PEM; the "
        "e-port's enterprise certificate), intermediates after it. It must chain to a CA of "
        "SANDAN_TRUSTED_CA_FILE and be within its validity period; the key signs from "
        "the later of validFrom and notBefore until notAfter.",
    )
    valid_from: datetime | None = Field(
        default=None,
        description="When the key starts to sign: by default its registration; may be later, "
        "never earlier (422). Documents issued before it are refused.",
    )


class KeyRevoke(ApiModel):
    """Revoke a key: envelopes it signs are refused from now on."""

    reason: str = Field(min_length=1, max_length=500, examples=["key compromised"])
    compromised_since_block: int | None = Field(
        default=None,
        ge=1,
        description="Revoke as compromised since this block: documents in batches anchored "
        "from it on no longer verify. At or after the key's registration block, at or before "
        "the chain's head.",
    )


class RoleGrant(ApiModel):
    """Grant a party one more role (administrator only)."""

    role: RoleName


class CertificateSet(ApiModel):
    """The X.509 certificate whose key signs a party's CEB XML messages (ds:Signature)."""

    certificate_pem: str = Field(
        min_length=64, max_length=16_384, examples=[EXAMPLE_XML_CERTIFICATE]
    )


class KeyPublic(ApiModel):
    """A registered public key."""

    key_id: str
    party_code: str
    alg: str
    public_key: str
    valid_from: datetime
    valid_until: datetime | None = Field(
        default=None, description="A key registered by certificate: its notAfter."
    )
    revoked_at: datetime | None = None
    revocation_reason: str | None = None
    chain_status: ChainStatus = Field(
        description="pending until the PartyRegistry records the key (and its revocation); "
        "documents it signs are anchored only once it is confirmed."
    )
    chain_block: int | None = None
    compromised_since_block: int | None = None
    revoked_chain_block: int | None = None


# --- documents ----------------------------------------------------------------


class AnchorPublic(ApiModel):
    """Where a hash is anchored on chain, and its Merkle proof."""

    batch_id: str
    root: str
    leaf: str
    proof: list[str]
    tx_hash: str | None
    block_number: int | None
    chain_id: int | None
    contract_address: str | None
    state: str


class DocumentPublic(ApiModel):
    """A stored document version and its anchoring status."""

    content_hash: str
    doc_type: Literal["order", "payment", "waybill", "inventory"] = Field(
        description="The envelope's payload.docType.", examples=["order"]
    )
    message_type: str = Field(
        description="The CEB message the document follows (CEB311, CEB411, CEB511, CEB621 "
        "import; CEB303, CEB403, CEB505, CEB603 export).",
        examples=["CEB311"],
    )
    party_code: str
    key_id: str
    version: int
    trade_id: str | None
    supersedes: str | None = None
    superseded_by: str | None = None
    received_at: datetime
    status: Literal["pending", "anchored"]
    anchor: AnchorPublic | None = None
    created: bool = Field(
        default=True, description="false when identical bytes were already stored (idempotent)"
    )
    xml_signature: str | None = Field(
        default=None,
        description="CEB XML only: the ds:Signature check against the party's registered "
        "certificate (valid, missing, unverified when no certificate is registered)",
    )


class BulkLineResult(ApiModel):
    """The outcome of one NDJSON line of a bulk submission."""

    line: int
    status: int
    content_hash: str | None = None
    error: ErrorBody | None = None


class BulkResult(ApiModel):
    """Per-line outcomes of a bulk submission, in input order.

    Every accepted line is listed; of the refused ones only the first 100 are
    (``unlisted`` counts the rest), so a hostile body cannot buy a huge answer.
    """

    accepted: int
    rejected: int
    unlisted: int = 0
    results: list[BulkLineResult]


# --- trades --------------------------------------------------------------------


class RuleFailurePublic(ApiModel):
    """One failed rule of the three-document comparison."""

    rule: str
    document: str
    field: str
    expected: str
    actual: str
    message: str


class VerdictPublic(ApiModel):
    """The matcher's verdict with its reasons and hash."""

    status: Literal["match", "mismatch", "pending"]
    missing: list[str] = []
    failures: list[RuleFailurePublic] = []
    documents: dict[str, str] = Field(
        default={},
        description="Content hash of each document the verdict judged, by kind: the verdict "
        "hash commits to them, and so does every release, settlement and financing naming it.",
    )
    verdict_hash: str | None = None
    anchored: bool = False


class ConflictPublic(ApiModel):
    """A document naming a trade that the trade did not take (customs sees these).

    It never supersedes, links to or changes the verdict of the trade's own documents.
    """

    content_hash: str
    party: str = Field(description="The party that signed it.")
    kind: str = Field(examples=["payment"])
    doc_type: str = Field(examples=["CEB411"])
    reason: str = Field(
        examples=["3301960X99 signs as payCode, a role in which the trade names another party"]
    )


class TradePublic(ApiModel):
    """A trade's documents and state."""

    trade_id: str
    ebp_code: str
    order_no: str
    ebc_code: str | None
    direction: str
    mode: str | None
    status: str
    documents: dict[str, str | None]
    customs_value: str | None = Field(examples=["308.00"], description="To the fen.")
    currency: str | None
    released: bool
    released_at: datetime | None
    release_tx: str | None
    settled: bool
    settlement_tx: str | None
    financed: bool
    verdict_batch: int | None = Field(
        default=None,
        description="The verdict batch on chain holding the trade's latest anchored verdict "
        "(`sandan authorize --batch`); null until one is anchored.",
    )
    verdict_position: int | None = Field(
        default=None, description="That verdict's position in its batch."
    )
    # The single-window receipts loop (docs/receipts.md).
    invt_no: str | None = Field(
        default=None, description="The inventory number customs assigned (CEB622/CEB604)."
    )
    customs_status: str | None = Field(
        default=None, description="Customs' status code from its deciding receipt (800 放行...)."
    )
    customs_status_note: str | None = Field(default=None, description="That receipt's note.")
    customs_status_at: datetime | None = None
    cancelled_at: datetime | None = Field(
        default=None, description="When the chain cancelled the inventory (撤单)."
    )
    cancel_tx: str | None = None
    updated_at: datetime
    conflicts: list[ConflictPublic] = Field(
        default_factory=list,
        description="Other parties' documents naming this trade that it did not take.",
    )

    @field_validator("customs_value")
    @classmethod
    def _to_fen(cls, value: str | None) -> str | None:
        return None if value is None else to_fen(value)


class TradeFilters(BaseModel):
    """Filters of the trade list, read from the query string (camelCase names)."""

    # Other query parameters (limit, offset) belong to the route, so extras are ignored.
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)

    status: Literal["pending", "match", "mismatch"] | None = None
    mode: Literal["9610", "9710", "9810", "1210"] | None = None
    direction: Literal["import", "export"] | None = None
    ebp_code: str | None = Field(default=None, max_length=64)
    released: bool | None = None
    updated_from: datetime | None = None
    updated_to: datetime | None = None


class TradesPublic(ApiModel):
    """A page of trades."""

    data: list[TradePublic]
    count: int
    limit: int
    offset: int


# --- customs and banks ------------------------------------------------------------


class ChainReceipt(ApiModel):
    """A contract call's transaction."""

    trade_id: str
    action: str
    tx_hash: str
    block_number: int
    by: str


class SummaryLine(ApiModel):
    """One aggregated line of a summary declaration."""

    ebc_code: str
    direction: Literal["import", "export"]
    trade_mode: str = Field(examples=["9610"])
    currency: str
    trades: int
    total_value: str = Field(examples=["308.00"], description="To the fen.")


class SummaryDeclaration(ApiModel):
    """Released trades of a period aggregated per company, direction, mode and currency
    (汇总申报)."""

    period_start: datetime
    period_end: datetime
    lines: list[SummaryLine]
    trade_ids: list[str]


ADDRESS = r"^0x[0-9a-fA-F]{40}$"


class ChainAccountSet(ApiModel):
    """A chain account the party holds the key of (self custody): customs and banks sign
    their own release, settlement and financing authorizations with it."""

    address: str = Field(pattern=ADDRESS, examples=[EXAMPLE_CHAIN_ACCOUNT])

    @field_validator("address")
    @classmethod
    def _not_zero(cls, value: str) -> str:
        if int(value, 16) == 0:
            raise ValueError("the zero address has no key: nobody can sign with it")
        return value


class ChainAccountCreate(ApiModel):
    """A custodial chain account created by sandan (the only kind it can create)."""

    custodial: Literal[True] = Field(
        default=True, description="sandan holds the key; use PUT for an account you hold."
    )


class SignedAuthorization(ApiModel):
    """An EIP-712 ``Authorization`` signed offline (``sandan authorize`` or a wallet)."""

    signer: str = Field(pattern=ADDRESS, description="The account that signed.")
    nonce: int = Field(ge=0, lt=2**256)
    deadline: int = Field(ge=0, lt=2**256, description="Unix time after which it is void.")
    signature: str = Field(pattern=r"^0x[0-9a-fA-F]{130}$", description="65 bytes r‖s‖v.")


def _lower_hex64_list(value: list[str], name: str) -> list[str]:
    for index, item in enumerate(value):
        if len(item) != 64 or any(c not in "0123456789abcdef" for c in item):
            raise ValueError(f"{name}[{index}] is not 64 lower-case hex digits")
    return value


class SignedRelease(SignedAuthorization):
    """Customs' signed release of trades of one verdict batch, each on the verdict customs
    judged: the signature is over the batch's number, its root (which commits to every
    trade and verdict of the batch) and the positions released, as ``sandan authorize
    release`` signs it."""

    trade_ids: list[str] = Field(min_length=1, max_length=1000)
    verdict_hashes: list[str] = Field(
        min_length=1,
        max_length=1000,
        description="The verdict each trade is released on, in the order of tradeIds.",
    )

    @field_validator("trade_ids")
    @classmethod
    def _check_ids(cls, value: list[str]) -> list[str]:
        return _lower_hex64_list(value, "tradeIds")

    @field_validator("verdict_hashes")
    @classmethod
    def _check_verdicts(cls, value: list[str]) -> list[str]:
        return _lower_hex64_list(value, "verdictHashes")

    @model_validator(mode="after")
    def _check_pairs(self) -> SignedRelease:
        if len(self.verdict_hashes) != len(self.trade_ids):
            raise ValueError("verdictHashes must name one verdict per trade in tradeIds")
        return self


class SignedSettlement(SignedAuthorization):
    """A bank's signed settlement confirmation: ``settlementRef`` is the 32-byte hash it
    signed (sha256 of its own reference), ``verdictHash`` the verdict the trade was released
    on."""

    verdict_hash: str = Field(pattern=HEX32)
    settlement_ref: str = Field(pattern=HEX32)


class SignedFinancing(SignedAuthorization):
    """A bank's signed financing registration: ``termsHash`` is the hash of its terms,
    ``verdictHash`` the verdict it lends on."""

    verdict_hash: str = Field(pattern=HEX32)
    terms_hash: str = Field(pattern=HEX32)


class RiskOverride(ApiModel):
    """Customs releases a trade held as high risk, saying why (recorded with the grade)."""

    reason: str = Field(min_length=1, max_length=500)


class ReleaseCreate(ApiModel):
    """Customs releases a trade; naming the verdict it judged makes the release refused (409)
    if the trade's documents, and so its verdict, changed since customs looked. A high-risk
    trade is held (409 ``high_risk_hold``) unless ``riskOverride`` gives a reason."""

    verdict_hash: str | None = Field(default=None, pattern=HEX32)
    risk_override: RiskOverride | None = None


class HoldCreate(ApiModel):
    """Customs holds a trade for inspection (扣留待查), saying why."""

    reason: str = Field(min_length=1, max_length=500, examples=["查验：申报品名与实物不符待核"])


class HoldPublic(ApiModel):
    """A trade's standing hold: no release until customs lifts it with a reason."""

    trade_id: str
    held_by: str
    reason: str
    held_at: datetime


class SettlementCreate(ApiModel):
    """A bank confirms it settled foreign exchange for a released trade."""

    settlement_ref: str = Field(min_length=1, max_length=128, examples=["FX-2026-000123"])
    verdict_hash: str | None = Field(
        default=None,
        pattern=HEX32,
        description="The verdict the bank checked (its bundle's); refused (409) if it is not "
        "the one the trade was released on.",
    )


class FinancingCreate(ApiModel):
    """A bank registers financing of a matched trade on the TradeRegistry; terms stay off
    chain (hashed). Refused (409 ``already_financed``) while the trade carries a live
    financing, this kind or a typed line (``POST /banks/financings``), naming its bank."""

    terms: dict[str, Any] = Field(
        examples=[{"amount": "150000.00", "currency": "CNY", "rate": "0.0385", "days": 90}]
    )
    verdict_hash: str | None = Field(
        default=None,
        pattern=HEX32,
        description="The verdict the bank lends on; refused (409) if the trade's verdict "
        "changed since.",
    )


class FinancingPublic(ApiModel):
    """A registered financing: only its hash reaches the chain."""

    trade_id: str
    financed_by: str
    terms_hash: str
    tx_hash: str
    block_number: int
