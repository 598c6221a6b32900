"""The pieces of a lot's verification material: envelopes, anchors, the chain named."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session, select

from api.db.trace_models import TraceEventRecord
from api.runtime import Caches
from api.services.trace.lots import AnchorRef
from api.services.trace.material import anchor_json, chain_ref, signing_material
from tests.api.conftest import World, WorldStage, stage_by_fixture
from tests.api.trace_fixtures import CAPTURED


@pytest.fixture
def world_stage(request: pytest.FixtureRequest) -> WorldStage[Any] | None:
    return stage_by_fixture(request, [("records", CAPTURED)])


@pytest.fixture
def records(world: World) -> list[TraceEventRecord]:
    CAPTURED.of(world)  # the world starts with the chain captured and anchored
    with Session(world.runtime.engine) as session:
        return list(session.exec(select(TraceEventRecord)).all())


def test_signing_material_is_read_once_per_runtime(
    world: World, records: list[TraceEventRecord], monkeypatch: pytest.MonkeyPatch
) -> None:
    from api.services.trace import material

    reads: list[list[str]] = []
    original = material._read_envelopes

    def counted(session: Session, hashes: list[str]) -> object:
        reads.append(hashes)
        return original(session, hashes)

    monkeypatch.setattr(material, "_read_envelopes", counted)
    caches = world.runtime.caches
    with Session(world.runtime.engine) as session:
        first = signing_material(session, records, caches=caches)
        assert signing_material(session, records, caches=caches) == first
        assert signing_material(session, records, caches=Caches()) == first
    wanted = sorted({r.envelope_hash for r in records if r.envelope_hash})
    assert reads == [wanted, wanted]  # the second runtime reads its own
    assert {m.party for m in first.values()} == {
        "producer-1", "inspector-1", "logistics-1", "warehouse-1"
    }  # fmt: skip


def test_anchor_json_is_null_while_pending_and_hex_once_anchored() -> None:
    assert anchor_json(None) is None
    anchor = AnchorRef('["aa", "bb"]', "lot:x", "id", "root", "0xtx", 7, "0xblock", 1, "0xc")
    assert anchor_json(anchor) == {
        "root": "root",
        "proof": ["aa", "bb"],
        "batchId": "id",
        "txHash": "0xtx",
        "blockNumber": 7,
    }


def test_chain_ref_names_the_runtime_chain_and_registries(world: World) -> None:
    deployment = world.ledger.deployment
    assert chain_ref(world.runtime).to_json() == {
        "chainId": world.ledger.chain_id,
        "traceRegistry": deployment.trace_registry.address,
        "partyRegistry": deployment.party_registry.address,
    }
