"""``SandanClient`` against the app in process: submit, bulk, retries, reads, the trade flow."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from api.client import RetryPolicy, SandanApiError, SandanClient, Signer, envelope_bytes
from tests.api.client.conftest import BASE_URL, KIT_PARTIES, AppTransport
from tests.api.conftest import World, stage_fixtures
from tests.api.factories import Actor
from traceability.trade import samples, trade_id

world_stage, parties = stage_fixtures("parties", KIT_PARTIES)
Connect = Callable[..., SandanClient]


def signer_of(actor: Actor) -> Signer:
    return Signer(actor.signing_key, party=actor.code, key_id=actor.key_id)


def order(order_no: str = "SD20250301000001") -> dict[str, Any]:
    return samples.import_order_json(samples.ImportTerms(order_no=order_no))


def versions(world: World, actor: Actor, content_hash: str) -> int:
    answer = world.client.get(f"/documents/{content_hash}", headers=actor.headers)
    return int(answer.json()["version"])


def test_submit_stores_then_reports_already_stored(
    parties: dict[str, Actor], connect: Connect
) -> None:
    platform = parties["platform"]
    envelope = signer_of(platform).sign(order(), "order")
    with connect(platform) as client:
        first = client.submit(envelope)
        again = client.submit(envelope)
    assert first.created is True
    assert again.created is False
    assert first.content_hash == again.content_hash == envelope.content_hash.hex()
    assert first.trade_id == trade_id(samples.import_trade().order).hex()


def test_submit_posts_signed_envelope_bytes_as_is(
    parties: dict[str, Actor], connect: Connect, transport: AppTransport
) -> None:
    platform = parties["platform"]
    body = envelope_bytes(platform.envelope("order", order()))
    with connect(platform) as client:
        stored = client.submit(body)
    assert transport.posted("/documents")[0].content == body
    assert stored.party_code == platform.code


def test_submit_many_sends_chunks_and_answers_per_envelope(
    parties: dict[str, Actor], connect: Connect, transport: AppTransport
) -> None:
    platform = parties["platform"]
    signer = signer_of(platform)
    envelopes = [signer.sign(order(f"SD2025030100000{n}"), "order") for n in range(1, 6)]
    settled: list[int] = []
    with connect(platform) as client:
        client.submit(envelopes[0])
        results = client.submit_many(envelopes, chunk=2, progress=settled.append)
    assert len(transport.posted("/documents/bulk")) == 3
    assert settled == [2, 2, 1]
    assert [r.line for r in results] == [1, 2, 3, 4, 5]
    assert [r.status for r in results] == [200, 201, 201, 201, 201]
    assert [r.content_hash for r in results] == [e.content_hash.hex() for e in envelopes]


def test_submit_many_cuts_chunks_by_bytes_too(
    parties: dict[str, Actor], connect: Connect, transport: AppTransport
) -> None:
    platform = parties["platform"]
    signer = signer_of(platform)
    envelopes = [signer.sign(order(f"SD2025030100001{n}"), "order") for n in range(3)]
    size = len(envelope_bytes(envelopes[0]))
    with connect(platform) as client:
        results = client.submit_many(envelopes, chunk=1000, chunk_bytes=2 * size + 10)
    assert [len(r.content.splitlines()) for r in transport.posted("/documents/bulk")] == [2, 1]
    assert {r.status for r in results} == {201}


def test_submit_many_reports_refused_line_and_stores_the_rest(
    parties: dict[str, Actor], connect: Connect
) -> None:
    platform = parties["platform"]
    good = signer_of(platform).sign(order("SD20250301000021"), "order")
    foreign = platform.envelope("order", order("SD20250301000022"), key_id="nobody-k9")
    with connect(platform) as client:
        results = client.submit_many([good, foreign])
    assert results[0].status == 201
    assert results[1].status >= 400
    assert results[1].error is not None
    assert results[1].error.field == "payload.keyId"


def test_submit_resends_same_bytes_after_answer_lost(
    world: World, parties: dict[str, Actor], connect: Connect, transport: AppTransport,
    sleeps: list[float],
) -> None:  # fmt: skip
    platform = parties["platform"]
    envelope = signer_of(platform).sign(order(), "order")
    transport.faults = ["lost"]
    with connect(platform) as client:
        stored = client.submit(envelope)
    first, second = transport.posted("/documents")
    assert first.content == second.content
    assert stored.created is False  # the first attempt stored it; the retry found it
    assert sleeps == [0.5]
    assert versions(world, platform, stored.content_hash) == 1
    trades = world.client.get("/trades", headers=parties["customs"].headers).json()
    assert trades["count"] == 1


def test_submit_retries_503_honouring_retry_after(
    parties: dict[str, Actor], connect: Connect, transport: AppTransport, sleeps: list[float]
) -> None:
    platform = parties["platform"]
    transport.faults = ["503", "503"]
    with connect(platform) as client:
        stored = client.submit(signer_of(platform).sign(order(), "order"))
    assert stored.created is True
    assert sleeps == [7.0, 7.0]
    assert len(transport.posted("/documents")) == 3


def test_retries_stop_after_max_attempts_with_capped_backoff(
    parties: dict[str, Actor], transport: AppTransport, sleeps: list[float]
) -> None:
    platform = parties["platform"]
    transport.faults = ["lost"] * 6
    policy = RetryPolicy(max_attempts=6, base_delay=1.0, max_delay=5.0, sleep=sleeps.append)
    client = SandanClient(BASE_URL, platform.api_key, transport=transport, retry=policy)
    with client, pytest.raises(SandanApiError) as failed:
        client.document("ab" * 32)
    assert (failed.value.status, failed.value.error) == (0, "connection_failed")
    assert sleeps == [1.0, 2.0, 4.0, 5.0, 5.0]


def test_submit_refusal_is_final_and_names_the_field(
    parties: dict[str, Actor], connect: Connect, transport: AppTransport, sleeps: list[float]
) -> None:
    platform = parties["platform"]
    envelope = platform.envelope("order", order(), key_id="nobody-k9")
    with connect(platform) as client, pytest.raises(SandanApiError) as refused:
        client.submit(envelope)
    error = refused.value
    assert 400 <= error.status < 500
    assert error.status != 429
    assert error.field == "payload.keyId"
    assert error.error
    assert error.message
    assert len(transport.posted("/documents")) == 1
    assert sleeps == []


def test_wait_for_anchor_polls_until_the_worker_anchored(
    world: World, parties: dict[str, Actor], transport: AppTransport
) -> None:
    platform = parties["platform"]
    # Each poll's wait runs the worker instead of sleeping, so the second poll sees it.
    policy = RetryPolicy(sleep=lambda _: world.worker.drain())
    with SandanClient(BASE_URL, platform.api_key, transport=transport, retry=policy) as client:
        stored = client.submit(signer_of(platform).sign(order(), "order"))
        assert stored.status == "pending"
        anchored = client.wait_for_anchor(stored.content_hash, timeout=60)
        proof = client.proof(stored.content_hash)
    assert anchored.status == "anchored"
    assert proof.state == "confirmed"
    assert proof.tx_hash is not None
    assert proof.block_number is not None


def test_wait_for_anchor_times_out(parties: dict[str, Actor], connect: Connect) -> None:
    platform = parties["platform"]
    with connect(platform) as client:
        stored = client.submit(signer_of(platform).sign(order(), "order"))
        with pytest.raises(TimeoutError, match="not anchored after 0 s"):
            client.wait_for_anchor(stored.content_hash, timeout=0)


SIGNERS = {"order": "platform", "payment": "payment", "waybill": "logistics",
           "inventory": "platform"}  # fmt: skip


def test_trade_flow_verdict_release_and_bundle(
    world: World, parties: dict[str, Actor], transport: AppTransport
) -> None:
    docs = samples.import_trade()
    policy = RetryPolicy(sleep=lambda _: world.worker.drain())

    def client_of(role: str) -> SandanClient:
        key = parties[role].api_key
        return SandanClient(BASE_URL, key, transport=transport, retry=policy)

    traded = set()
    for kind, role in SIGNERS.items():
        document = getattr(docs, kind).to_json_dict()
        with client_of(role) as client:
            traded.add(client.submit(signer_of(parties[role]).sign(document, kind)).trade_id)
    (trade,) = traded
    assert trade is not None
    with client_of("customs") as customs:
        verdict = customs.wait_for_verdict(trade, timeout=60)
        assert (verdict.status, verdict.anchored) == ("match", True)
        receipt = customs.release(trade, verdict_hash=verdict.verdict_hash)
        assert receipt.action == "release"
        assert customs.trade(trade).released is True
        with pytest.raises(SandanApiError) as twice:
            customs.release(trade)
        assert twice.value.status == 409
    with client_of("bank") as bank:
        bundle = bank.bundle(trade)
    assert world.verify(bundle).authentic
