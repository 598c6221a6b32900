-- The PostgreSQL schema that sandan 0c65177 (main before Alembic) creates: its
-- SQLModel.metadata.create_all, captured with a mock engine from a checkout of that
-- commit. Rows come from main-0c65177.sql (tests/api/db/test_migrations.py).

CREATE TABLE party (
	code VARCHAR(64) NOT NULL,
	name VARCHAR(200) NOT NULL,
	roles VARCHAR(400) NOT NULL,
	api_key_hash VARCHAR(64) NOT NULL,
	chain_address VARCHAR(42),
	xml_certificate TEXT,
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	PRIMARY KEY (code)
);

CREATE UNIQUE INDEX ix_party_api_key_hash ON party (api_key_hash);

CREATE TABLE anchor_batch (
	id VARCHAR(64) NOT NULL,
	lane VARCHAR(80) NOT NULL,
	root VARCHAR(64),
	leaf_count INTEGER NOT NULL,
	state VARCHAR(16) NOT NULL,
	tx_hash VARCHAR(66),
	raw_tx TEXT,
	nonce BIGINT,
	block_number BIGINT,
	block_hash VARCHAR(66),
	gas_used BIGINT,
	chain_id BIGINT,
	contract_address VARCHAR(42),
	attempts INTEGER NOT NULL,
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	confirmed_at TIMESTAMP WITH TIME ZONE,
	PRIMARY KEY (id)
);

CREATE INDEX ix_anchor_batch_lane ON anchor_batch (lane);

CREATE INDEX ix_anchor_batch_state ON anchor_batch (state);

CREATE TABLE trade (
	trade_id VARCHAR(64) NOT NULL,
	ebp_code VARCHAR(64) NOT NULL,
	order_no VARCHAR(64) NOT NULL,
	ebc_code VARCHAR(64),
	direction VARCHAR(8) NOT NULL,
	mode VARCHAR(8),
	buyer_id VARCHAR(64),
	customs_value VARCHAR(32),
	currency VARCHAR(8),
	order_hash VARCHAR(64),
	payment_hash VARCHAR(64),
	waybill_hash VARCHAR(64),
	inventory_hash VARCHAR(64),
	payment_no VARCHAR(128),
	logistics_no VARCHAR(128),
	status VARCHAR(16) NOT NULL,
	verdict TEXT,
	verdict_hash VARCHAR(64),
	verdict_version INTEGER NOT NULL,
	match_context TEXT,
	released_at TIMESTAMP WITH TIME ZONE,
	release_tx VARCHAR(66),
	release_block BIGINT,
	settled_at TIMESTAMP WITH TIME ZONE,
	settlement_ref VARCHAR(64),
	settlement_tx VARCHAR(66),
	settlement_block BIGINT,
	financed_by VARCHAR(64),
	financing_terms_hash VARCHAR(64),
	financing_tx VARCHAR(66),
	financing_block BIGINT,
	updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
	PRIMARY KEY (trade_id)
);

CREATE INDEX ix_trade_updated_at ON trade (updated_at);

CREATE INDEX ix_trade_buyer_id ON trade (buyer_id);

CREATE INDEX ix_trade_logistics_no ON trade (logistics_no);

CREATE INDEX ix_trade_mode ON trade (mode);

CREATE INDEX ix_trade_payment_no ON trade (payment_no);

CREATE INDEX ix_trade_ebp_code ON trade (ebp_code);

CREATE INDEX ix_trade_status ON trade (status, updated_at);

CREATE INDEX ix_trade_ebc_code ON trade (ebc_code);

CREATE TABLE party_key (
	key_id VARCHAR(128) NOT NULL,
	party_code VARCHAR(64) NOT NULL,
	alg VARCHAR(16) NOT NULL,
	public_key VARCHAR(4096) NOT NULL,
	valid_from TIMESTAMP WITH TIME ZONE NOT NULL,
	revoked_at TIMESTAMP WITH TIME ZONE,
	revocation_reason VARCHAR(500),
	PRIMARY KEY (key_id),
	FOREIGN KEY(party_code) REFERENCES party (code)
);

CREATE INDEX ix_party_key_party_code ON party_key (party_code);

CREATE TABLE document (
	id SERIAL NOT NULL,
	content_hash VARCHAR(64) NOT NULL,
	doc_type VARCHAR(32) NOT NULL,
	party_code VARCHAR(64) NOT NULL,
	key_id VARCHAR(128) NOT NULL,
	salt VARCHAR(64) NOT NULL,
	doc_key VARCHAR(300) NOT NULL,
	trade_id VARCHAR(64),
	link_order_no VARCHAR(64),
	link_logistics_no VARCHAR(64),
	version INTEGER NOT NULL,
	supersedes_hash VARCHAR(64),
	superseded_by VARCHAR(64),
	envelope TEXT NOT NULL,
	source_xml TEXT,
	received_at TIMESTAMP WITH TIME ZONE NOT NULL,
	PRIMARY KEY (id),
	CONSTRAINT uq_document_replay UNIQUE (key_id, salt),
	CONSTRAINT uq_document_version UNIQUE (doc_key, version),
	FOREIGN KEY(party_code) REFERENCES party (code)
);

CREATE INDEX ix_document_trade ON document (trade_id);

CREATE INDEX ix_document_party_code ON document (party_code);

CREATE INDEX ix_document_link_order_no ON document (link_order_no);

CREATE INDEX ix_document_link_logistics_no ON document (link_logistics_no);

CREATE UNIQUE INDEX ix_document_content_hash ON document (content_hash);

CREATE INDEX ix_document_doc_type ON document (doc_type);

CREATE TABLE outbox (
	id SERIAL NOT NULL,
	kind VARCHAR(16) NOT NULL,
	subject VARCHAR(160) NOT NULL,
	lane VARCHAR(80) NOT NULL,
	payload TEXT NOT NULL,
	batch_id VARCHAR(64),
	proof TEXT,
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	PRIMARY KEY (id),
	CONSTRAINT uq_outbox_subject UNIQUE (kind, lane, subject),
	FOREIGN KEY(batch_id) REFERENCES anchor_batch (id)
);

CREATE INDEX ix_outbox_pending ON outbox (lane, batch_id, id);

CREATE TABLE chain_account (
	party_code VARCHAR(64) NOT NULL,
	address VARCHAR(42) NOT NULL,
	encrypted_key TEXT NOT NULL,
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	PRIMARY KEY (party_code),
	FOREIGN KEY(party_code) REFERENCES party (code),
	UNIQUE (address)
);

CREATE TABLE trace_envelope (
	content_hash VARCHAR(64) NOT NULL,
	party_code VARCHAR(64) NOT NULL,
	key_id VARCHAR(128) NOT NULL,
	salt VARCHAR(64) NOT NULL,
	envelope TEXT NOT NULL,
	received_at TIMESTAMP WITH TIME ZONE NOT NULL,
	PRIMARY KEY (content_hash),
	CONSTRAINT uq_trace_envelope_replay UNIQUE (key_id, salt),
	FOREIGN KEY(party_code) REFERENCES party (code)
);

CREATE INDEX ix_trace_envelope_party_code ON trace_envelope (party_code);

CREATE TABLE capture_job (
	id VARCHAR(64) NOT NULL,
	party_code VARCHAR(64) NOT NULL,
	error_behaviour VARCHAR(16) NOT NULL,
	state VARCHAR(16) NOT NULL,
	success BOOLEAN,
	body TEXT NOT NULL,
	event_count INTEGER NOT NULL,
	captured_count INTEGER NOT NULL,
	duplicate_count INTEGER NOT NULL,
	rejected_count INTEGER NOT NULL,
	errors TEXT NOT NULL,
	event_hashes TEXT NOT NULL,
	attempts INTEGER NOT NULL,
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	started_at TIMESTAMP WITH TIME ZONE,
	finished_at TIMESTAMP WITH TIME ZONE,
	PRIMARY KEY (id),
	FOREIGN KEY(party_code) REFERENCES party (code)
);

CREATE INDEX ix_capture_job_party_code ON capture_job (party_code);

CREATE INDEX ix_capture_job_state ON capture_job (state);

CREATE TABLE party_location (
	id SERIAL NOT NULL,
	party_code VARCHAR(64) NOT NULL,
	gln VARCHAR(13) NOT NULL,
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	PRIMARY KEY (id),
	CONSTRAINT uq_party_location UNIQUE (party_code, gln),
	FOREIGN KEY(party_code) REFERENCES party (code)
);

CREATE INDEX ix_party_location_party_code ON party_location (party_code);

CREATE INDEX ix_party_location_gln ON party_location (gln);

CREATE TABLE lot_recall (
	id SERIAL NOT NULL,
	lot_id VARCHAR(64) NOT NULL,
	gtin VARCHAR(14) NOT NULL,
	lot VARCHAR(20) NOT NULL,
	action VARCHAR(8) NOT NULL,
	reason VARCHAR(500) NOT NULL,
	party_code VARCHAR(64) NOT NULL,
	tx_hash VARCHAR(66) NOT NULL,
	block_number BIGINT NOT NULL,
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	PRIMARY KEY (id),
	FOREIGN KEY(party_code) REFERENCES party (code)
);

CREATE INDEX ix_lot_recall_lot_id ON lot_recall (lot_id);

CREATE TABLE trace_event (
	id SERIAL NOT NULL,
	event_hash VARCHAR(64) NOT NULL,
	event_id VARCHAR(500) NOT NULL,
	event_type VARCHAR(32) NOT NULL,
	event_time TIMESTAMP WITH TIME ZONE NOT NULL,
	record_time TIMESTAMP WITH TIME ZONE NOT NULL,
	biz_step VARCHAR(500),
	disposition VARCHAR(500),
	read_point VARCHAR(500),
	biz_location VARCHAR(500),
	event_json TEXT NOT NULL,
	context_json TEXT NOT NULL,
	captured_by VARCHAR(64) NOT NULL,
	envelope_hash VARCHAR(64),
	capture_id VARCHAR(64),
	PRIMARY KEY (id),
	FOREIGN KEY(captured_by) REFERENCES party (code),
	FOREIGN KEY(envelope_hash) REFERENCES trace_envelope (content_hash)
);

CREATE INDEX ix_trace_event_captured_by ON trace_event (captured_by);

CREATE INDEX ix_trace_event_time ON trace_event (event_time);

CREATE INDEX ix_trace_event_disposition ON trace_event (disposition);

CREATE INDEX ix_trace_event_biz_step ON trace_event (biz_step);

CREATE UNIQUE INDEX ix_trace_event_event_hash ON trace_event (event_hash);

CREATE INDEX ix_trace_event_event_id ON trace_event (event_id);

CREATE INDEX ix_trace_event_record_time ON trace_event (record_time);

CREATE INDEX ix_trace_event_read_point ON trace_event (read_point);

CREATE INDEX ix_trace_event_biz_location ON trace_event (biz_location);

CREATE INDEX ix_trace_event_event_type ON trace_event (event_type);

CREATE TABLE trace_event_epc (
	id SERIAL NOT NULL,
	event_id INTEGER NOT NULL,
	role VARCHAR(16) NOT NULL,
	epc VARCHAR(500) NOT NULL,
	PRIMARY KEY (id),
	CONSTRAINT uq_trace_event_epc UNIQUE (event_id, role, epc),
	FOREIGN KEY(event_id) REFERENCES trace_event (id)
);

CREATE INDEX ix_trace_event_epc_lookup ON trace_event_epc (epc, role);

CREATE INDEX ix_trace_event_epc_event_id ON trace_event_epc (event_id);

CREATE TABLE trace_event_lot (
	id SERIAL NOT NULL,
	event_id INTEGER NOT NULL,
	lot_id VARCHAR(64) NOT NULL,
	gtin VARCHAR(14) NOT NULL,
	lot VARCHAR(20) NOT NULL,
	via VARCHAR(500),
	PRIMARY KEY (id),
	CONSTRAINT uq_trace_event_lot UNIQUE (event_id, lot_id),
	FOREIGN KEY(event_id) REFERENCES trace_event (id)
);

CREATE INDEX ix_trace_event_lot_gtin ON trace_event_lot (gtin);

CREATE INDEX ix_trace_event_lot_lot_id ON trace_event_lot (lot_id);

CREATE INDEX ix_trace_event_lot_event_id ON trace_event_lot (event_id);

CREATE TABLE trace_container (
	id SERIAL NOT NULL,
	container VARCHAR(500) NOT NULL,
	lot_id VARCHAR(64) NOT NULL,
	gtin VARCHAR(14) NOT NULL,
	lot VARCHAR(20) NOT NULL,
	added_at TIMESTAMP WITH TIME ZONE NOT NULL,
	removed_at TIMESTAMP WITH TIME ZONE,
	event_id INTEGER NOT NULL,
	PRIMARY KEY (id),
	FOREIGN KEY(event_id) REFERENCES trace_event (id)
);

CREATE INDEX ix_trace_container ON trace_container (container, lot_id);
