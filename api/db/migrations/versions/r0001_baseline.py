"""Baseline: the schema of sandan before it used Alembic (commit 0c65177).

Generated from the models by autogenerate, with sqlmodel's ``AutoString`` written as
``sa.String`` and ``UTCDateTime`` as its ``DateTime(timezone=True)`` storage, so this
revision never changes when the models do. Databases made by that sandan (tables but
no ``alembic_version``) are stamped here.

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "anchor_batch",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("lane", sa.String(length=80), nullable=False),
        sa.Column("root", sa.String(length=64), nullable=True),
        sa.Column("leaf_count", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=True),
        sa.Column("raw_tx", sa.Text(), nullable=True),
        sa.Column("nonce", sa.BigInteger(), nullable=True),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.Column("block_hash", sa.String(length=66), nullable=True),
        sa.Column("gas_used", sa.BigInteger(), nullable=True),
        sa.Column("chain_id", sa.BigInteger(), nullable=True),
        sa.Column("contract_address", sa.String(length=42), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_anchor_batch_lane", "anchor_batch", ["lane"], unique=False)
    op.create_index("ix_anchor_batch_state", "anchor_batch", ["state"], unique=False)
    op.create_table(
        "party",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("roles", sa.String(length=400), nullable=False),
        sa.Column("api_key_hash", sa.String(length=64), nullable=False),
        sa.Column("chain_address", sa.String(length=42), nullable=True),
        sa.Column("xml_certificate", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_index("ix_party_api_key_hash", "party", ["api_key_hash"], unique=True)
    op.create_table(
        "trade",
        sa.Column("trade_id", sa.String(length=64), nullable=False),
        sa.Column("ebp_code", sa.String(length=64), nullable=False),
        sa.Column("order_no", sa.String(length=64), nullable=False),
        sa.Column("ebc_code", sa.String(length=64), nullable=True),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=True),
        sa.Column("buyer_id", sa.String(length=64), nullable=True),
        sa.Column("customs_value", sa.String(length=32), nullable=True),
        sa.Column("currency", sa.String(length=8), nullable=True),
        sa.Column("order_hash", sa.String(length=64), nullable=True),
        sa.Column("payment_hash", sa.String(length=64), nullable=True),
        sa.Column("waybill_hash", sa.String(length=64), nullable=True),
        sa.Column("inventory_hash", sa.String(length=64), nullable=True),
        sa.Column("payment_no", sa.String(length=128), nullable=True),
        sa.Column("logistics_no", sa.String(length=128), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("verdict", sa.Text(), nullable=True),
        sa.Column("verdict_hash", sa.String(length=64), nullable=True),
        sa.Column("verdict_version", sa.Integer(), nullable=False),
        sa.Column("match_context", sa.Text(), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("release_tx", sa.String(length=66), nullable=True),
        sa.Column("release_block", sa.BigInteger(), nullable=True),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("settlement_ref", sa.String(length=64), nullable=True),
        sa.Column("settlement_tx", sa.String(length=66), nullable=True),
        sa.Column("settlement_block", sa.BigInteger(), nullable=True),
        sa.Column("financed_by", sa.String(length=64), nullable=True),
        sa.Column("financing_terms_hash", sa.String(length=64), nullable=True),
        sa.Column("financing_tx", sa.String(length=66), nullable=True),
        sa.Column("financing_block", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("trade_id"),
    )
    op.create_index("ix_trade_buyer_id", "trade", ["buyer_id"], unique=False)
    op.create_index("ix_trade_ebc_code", "trade", ["ebc_code"], unique=False)
    op.create_index("ix_trade_ebp_code", "trade", ["ebp_code"], unique=False)
    op.create_index("ix_trade_logistics_no", "trade", ["logistics_no"], unique=False)
    op.create_index("ix_trade_mode", "trade", ["mode"], unique=False)
    op.create_index("ix_trade_payment_no", "trade", ["payment_no"], unique=False)
    op.create_index("ix_trade_status", "trade", ["status", "updated_at"], unique=False)
    op.create_index("ix_trade_updated_at", "trade", ["updated_at"], unique=False)
    op.create_table(
        "capture_job",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("party_code", sa.String(length=64), nullable=False),
        sa.Column("error_behaviour", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("event_count", sa.Integer(), nullable=False),
        sa.Column("captured_count", sa.Integer(), nullable=False),
        sa.Column("duplicate_count", sa.Integer(), nullable=False),
        sa.Column("rejected_count", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Text(), nullable=False),
        sa.Column("event_hashes", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["party_code"],
            ["party.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_capture_job_party_code", "capture_job", ["party_code"], unique=False)
    op.create_index("ix_capture_job_state", "capture_job", ["state"], unique=False)
    op.create_table(
        "chain_account",
        sa.Column("party_code", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("encrypted_key", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_code"],
            ["party.code"],
        ),
        sa.PrimaryKeyConstraint("party_code"),
        sa.UniqueConstraint("address"),
    )
    op.create_table(
        "document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("doc_type", sa.String(length=32), nullable=False),
        sa.Column("party_code", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=128), nullable=False),
        sa.Column("salt", sa.String(length=64), nullable=False),
        sa.Column("doc_key", sa.String(length=300), nullable=False),
        sa.Column("trade_id", sa.String(length=64), nullable=True),
        sa.Column("link_order_no", sa.String(length=64), nullable=True),
        sa.Column("link_logistics_no", sa.String(length=64), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("supersedes_hash", sa.String(length=64), nullable=True),
        sa.Column("superseded_by", sa.String(length=64), nullable=True),
        sa.Column("envelope", sa.Text(), nullable=False),
        sa.Column("source_xml", sa.Text(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_code"],
            ["party.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("doc_key", "version", name="uq_document_version"),
        sa.UniqueConstraint("key_id", "salt", name="uq_document_replay"),
    )
    op.create_index("ix_document_content_hash", "document", ["content_hash"], unique=True)
    op.create_index("ix_document_doc_type", "document", ["doc_type"], unique=False)
    op.create_index(
        "ix_document_link_logistics_no", "document", ["link_logistics_no"], unique=False
    )
    op.create_index("ix_document_link_order_no", "document", ["link_order_no"], unique=False)
    op.create_index("ix_document_party_code", "document", ["party_code"], unique=False)
    op.create_index("ix_document_trade", "document", ["trade_id"], unique=False)
    op.create_table(
        "lot_recall",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.String(length=64), nullable=False),
        sa.Column("gtin", sa.String(length=14), nullable=False),
        sa.Column("lot", sa.String(length=20), nullable=False),
        sa.Column("action", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("party_code", sa.String(length=64), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_code"],
            ["party.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_lot_recall_lot_id", "lot_recall", ["lot_id"], unique=False)
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=160), nullable=False),
        sa.Column("lane", sa.String(length=80), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("batch_id", sa.String(length=64), nullable=True),
        sa.Column("proof", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["anchor_batch.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "lane", "subject", name="uq_outbox_subject"),
    )
    op.create_index("ix_outbox_pending", "outbox", ["lane", "batch_id", "id"], unique=False)
    op.create_table(
        "party_key",
        sa.Column("key_id", sa.String(length=128), nullable=False),
        sa.Column("party_code", sa.String(length=64), nullable=False),
        sa.Column("alg", sa.String(length=16), nullable=False),
        sa.Column("public_key", sa.String(length=4096), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revocation_reason", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["party_code"],
            ["party.code"],
        ),
        sa.PrimaryKeyConstraint("key_id"),
    )
    op.create_index("ix_party_key_party_code", "party_key", ["party_code"], unique=False)
    op.create_table(
        "party_location",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("party_code", sa.String(length=64), nullable=False),
        sa.Column("gln", sa.String(length=13), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_code"],
            ["party.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("party_code", "gln", name="uq_party_location"),
    )
    op.create_index("ix_party_location_gln", "party_location", ["gln"], unique=False)
    op.create_index("ix_party_location_party_code", "party_location", ["party_code"], unique=False)
    op.create_table(
        "trace_envelope",
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("party_code", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=128), nullable=False),
        sa.Column("salt", sa.String(length=64), nullable=False),
        sa.Column("envelope", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_code"],
            ["party.code"],
        ),
        sa.PrimaryKeyConstraint("content_hash"),
        sa.UniqueConstraint("key_id", "salt", name="uq_trace_envelope_replay"),
    )
    op.create_index("ix_trace_envelope_party_code", "trace_envelope", ["party_code"], unique=False)
    op.create_table(
        "trace_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_hash", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.String(length=500), nullable=False),
        sa.Column("event_type", sa.String(length=32), nullable=False),
        sa.Column("event_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("record_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("biz_step", sa.String(length=500), nullable=True),
        sa.Column("disposition", sa.String(length=500), nullable=True),
        sa.Column("read_point", sa.String(length=500), nullable=True),
        sa.Column("biz_location", sa.String(length=500), nullable=True),
        sa.Column("event_json", sa.Text(), nullable=False),
        sa.Column("context_json", sa.Text(), nullable=False),
        sa.Column("captured_by", sa.String(length=64), nullable=False),
        sa.Column("envelope_hash", sa.String(length=64), nullable=True),
        sa.Column("capture_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["captured_by"],
            ["party.code"],
        ),
        sa.ForeignKeyConstraint(
            ["envelope_hash"],
            ["trace_envelope.content_hash"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_trace_event_biz_location", "trace_event", ["biz_location"], unique=False)
    op.create_index("ix_trace_event_biz_step", "trace_event", ["biz_step"], unique=False)
    op.create_index("ix_trace_event_captured_by", "trace_event", ["captured_by"], unique=False)
    op.create_index("ix_trace_event_disposition", "trace_event", ["disposition"], unique=False)
    op.create_index("ix_trace_event_event_hash", "trace_event", ["event_hash"], unique=True)
    op.create_index("ix_trace_event_event_id", "trace_event", ["event_id"], unique=False)
    op.create_index("ix_trace_event_event_type", "trace_event", ["event_type"], unique=False)
    op.create_index("ix_trace_event_read_point", "trace_event", ["read_point"], unique=False)
    op.create_index("ix_trace_event_record_time", "trace_event", ["record_time"], unique=False)
    op.create_index("ix_trace_event_time", "trace_event", ["event_time"], unique=False)
    op.create_table(
        "trace_container",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("container", sa.String(length=500), nullable=False),
        sa.Column("lot_id", sa.String(length=64), nullable=False),
        sa.Column("gtin", sa.String(length=14), nullable=False),
        sa.Column("lot", sa.String(length=20), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["trace_event.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_trace_container", "trace_container", ["container", "lot_id"], unique=False)
    op.create_table(
        "trace_event_epc",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("epc", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["trace_event.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id", "role", "epc", name="uq_trace_event_epc"),
    )
    op.create_index("ix_trace_event_epc_event_id", "trace_event_epc", ["event_id"], unique=False)
    op.create_index("ix_trace_event_epc_lookup", "trace_event_epc", ["epc", "role"], unique=False)
    op.create_table(
        "trace_event_lot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.String(length=64), nullable=False),
        sa.Column("gtin", sa.String(length=14), nullable=False),
        sa.Column("lot", sa.String(length=20), nullable=False),
        sa.Column("via", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["trace_event.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id", "lot_id", name="uq_trace_event_lot"),
    )
    op.create_index("ix_trace_event_lot_event_id", "trace_event_lot", ["event_id"], unique=False)
    op.create_index("ix_trace_event_lot_gtin", "trace_event_lot", ["gtin"], unique=False)
    op.create_index("ix_trace_event_lot_lot_id", "trace_event_lot", ["lot_id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_trace_event_lot_lot_id", table_name="trace_event_lot")
    op.drop_index("ix_trace_event_lot_gtin", table_name="trace_event_lot")
    op.drop_index("ix_trace_event_lot_event_id", table_name="trace_event_lot")
    op.drop_table("trace_event_lot")
    op.drop_index("ix_trace_event_epc_lookup", table_name="trace_event_epc")
    op.drop_index("ix_trace_event_epc_event_id", table_name="trace_event_epc")
    op.drop_table("trace_event_epc")
    op.drop_index("ix_trace_container", table_name="trace_container")
    op.drop_table("trace_container")
    op.drop_index("ix_trace_event_time", table_name="trace_event")
    op.drop_index("ix_trace_event_record_time", table_name="trace_event")
    op.drop_index("ix_trace_event_read_point", table_name="trace_event")
    op.drop_index("ix_trace_event_event_type", table_name="trace_event")
    op.drop_index("ix_trace_event_event_id", table_name="trace_event")
    op.drop_index("ix_trace_event_event_hash", table_name="trace_event")
    op.drop_index("ix_trace_event_disposition", table_name="trace_event")
    op.drop_index("ix_trace_event_captured_by", table_name="trace_event")
    op.drop_index("ix_trace_event_biz_step", table_name="trace_event")
    op.drop_index("ix_trace_event_biz_location", table_name="trace_event")
    op.drop_table("trace_event")
    op.drop_index("ix_trace_envelope_party_code", table_name="trace_envelope")
    op.drop_table("trace_envelope")
    op.drop_index("ix_party_location_party_code", table_name="party_location")
    op.drop_index("ix_party_location_gln", table_name="party_location")
    op.drop_table("party_location")
    op.drop_index("ix_party_key_party_code", table_name="party_key")
    op.drop_table("party_key")
    op.drop_index("ix_outbox_pending", table_name="outbox")
    op.drop_table("outbox")
    op.drop_index("ix_lot_recall_lot_id", table_name="lot_recall")
    op.drop_table("lot_recall")
    op.drop_index("ix_document_trade", table_name="document")
    op.drop_index("ix_document_party_code", table_name="document")
    op.drop_index("ix_document_link_order_no", table_name="document")
    op.drop_index("ix_document_link_logistics_no", table_name="document")
    op.drop_index("ix_document_doc_type", table_name="document")
    op.drop_index("ix_document_content_hash", table_name="document")
    op.drop_table("document")
    op.drop_table("chain_account")
    op.drop_index("ix_capture_job_state", table_name="capture_job")
    op.drop_index("ix_capture_job_party_code", table_name="capture_job")
    op.drop_table("capture_job")
    op.drop_index("ix_trade_updated_at", table_name="trade")
    op.drop_index("ix_trade_status", table_name="trade")
    op.drop_index("ix_trade_payment_no", table_name="trade")
    op.drop_index("ix_trade_mode", table_name="trade")
    op.drop_index("ix_trade_logistics_no", table_name="trade")
    op.drop_index("ix_trade_ebp_code", table_name="trade")
    op.drop_index("ix_trade_ebc_code", table_name="trade")
    op.drop_index("ix_trade_buyer_id", table_name="trade")
    op.drop_table("trade")
    op.drop_index("ix_party_api_key_hash", table_name="party")
    op.drop_table("party")
    op.drop_index("ix_anchor_batch_state", table_name="anchor_batch")
    op.drop_index("ix_anchor_batch_lane", table_name="anchor_batch")
    op.drop_table("anchor_batch")
