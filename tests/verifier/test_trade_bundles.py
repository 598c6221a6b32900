"""Both verifiers (``sandan verify`` and the browser's) on ``sandan-bundle/4`` bundles.

The bundles are made on a real node (anvil, which the browser verifier reaches over
JSON-RPC as a bank's browser would) straight from ledger_client calls: see
:mod:`tests.verifier.ledger_bundles`. A genuine trade is authentic to both; each forgery,
built from real transactions and proofs of other trades, fails the check it must, in both.
"""

from __future__ import annotations

import copy
import json
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from api.verify.rpc import JsonRpc
from api.verify.trust import load_trust_roots
from api.verify.verifier import Outcome, Report, UnusableBundle, verify_bundle
from tests.conftest import ChainWorld
from tests.verifier.conftest import BUNDLE, VERIFIER_DIR
from tests.verifier.ledger_bundles import LedgerBundles, Trade
from traceability import Algorithm, DigestProfile, content_hash
from traceability.trade import samples

RUNNER = VERIFIER_DIR / "test" / "verify-bundle.cjs"


def _terms(n: int) -> samples.ImportTerms:
    return samples.ImportTerms(
        order_no=f"SDV3{n:04d}", logistics_no=f"SFV3{n:04d}", pay_transaction_id=f"APV3{n:04d}"
    )


@dataclass
class Life:
    """Trades ``a`` and ``b`` at positions 2 and 3 of verdict batch 1, ``c`` at position 2 of
    batch 2: each released on its own, ``a`` and ``b`` settled together, financed apart."""

    world: ChainWorld
    a: Trade
    b: Trade
    c: Trade


@pytest.fixture
def life(anvil_world: ChainWorld) -> Life:
    maker = LedgerBundles(anvil_world)
    a, b, c = (maker.trade(samples.import_trade(_terms(n))) for n in range(3))
    maker.record([a, b])
    maker.record([c])
    for trade in (a, b, c):
        maker.release([trade])
    maker.settle([a, b])
    maker.finance([a])
    maker.finance([b], terms=bytes(31) + b"\x02")
    return Life(anvil_world, a, b, c)


def python_report(world: ChainWorld, bundle: dict[str, Any]) -> Report:
    """``sandan verify`` of ``bundle`` on ``world``'s node, trusting its registries."""
    trust = load_trust_roots(registries=_registries(world))
    return verify_bundle(copy.deepcopy(bundle), JsonRpc(_url(world)), trust)


def browser_report(node: str, world: ChainWorld, bundle: dict[str, Any], tmp: Path) -> Any:
    """The shipped browser verifier's report of ``bundle`` on ``world``'s node."""
    path = tmp / "bundle.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    args = [node, str(RUNNER), str(BUNDLE), str(path), _url(world), *_registries(world)]
    result = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


def _url(world: ChainWorld) -> str:
    return str(world.w3.provider.endpoint_uri)  # type: ignore[attr-defined]


def _registries(world: ChainWorld) -> list[str]:
    return [world.deployment.trade_registry.address, world.deployment.party_registry.address]


def python_failed(report: Report) -> dict[str, str | None]:
    """Failed checks of ``sandan verify``, with what each found."""
    return {c.name: c.found for c in report.checks if not c.ok}


def browser_failed(report: Any) -> dict[str, str | None]:
    """Failed checks of the browser verifier (``group: name``), with what each found."""
    return {
        f"{c['group']}: {c['name']}": c["found"] for c in report["checks"] if c["status"] == "fail"
    }


def test_genuine_trade_is_authentic_to_both_verifiers_in_one_batch_of_calls(
    life: Life, node: str, tmp_path: Path
) -> None:
    report = python_report(life.world, life.a.bundle)
    assert report.outcome is Outcome.AUTHENTIC, python_failed(report)
    names = {c.name for c in report.checks}
    assert {"verdict on chain", "released by customs", "settlement confirmed"} <= names
    assert {"financing registered", "verdict transaction", "financing transaction"} <= names
    assert "parties on chain" in names
    # verifyDocument and signerAt per document, one verifyVerdict, one verifySettlement, one
    # verdictBatchOf; one receipt per transaction (the documents share one batch), and the
    # verdict transaction itself (its party lists).
    assert report.calls == {
        "eth_chainId": 1,
        "eth_call": 2 * 4 + 3,
        "eth_getTransactionReceipt": 5,
        "eth_getTransactionByHash": 1,
    }
    browser = browser_report(node, life.world, life.a.bundle, tmp_path)
    assert browser["outcome"] == "authentic", browser_failed(browser)


def _flip_matched(life: Life, bundle: dict[str, Any]) -> None:
    bundle["verdict"]["matched"] = not bundle["verdict"]["matched"]


def _proof_of_another_position(life: Life, bundle: dict[str, Any]) -> None:
    bundle["verdict"]["proof"] = life.b.bundle["verdict"]["proof"]


def _position_of_another_trade(life: Life, bundle: dict[str, Any]) -> None:
    bundle["verdict"].update(position=life.b.position, proof=life.b.bundle["verdict"]["proof"])


def _release_of_another_batch(life: Life, bundle: dict[str, Any]) -> None:
    bundle["release"] = life.c.bundle["release"]


def _release_in_another_block(life: Life, bundle: dict[str, Any]) -> None:
    bundle["release"]["blockNumber"] += 1


def _release_of_another_position(life: Life, bundle: dict[str, Any]) -> None:
    bundle["release"] = life.b.bundle["release"]


def _settlement_proof_of_another_position(life: Life, bundle: dict[str, Any]) -> None:
    other = life.b.bundle["settlement"]
    bundle["settlement"].update(settlementRef=other["settlementRef"], proof=other["proof"])


def _financing_of_another_trade(life: Life, bundle: dict[str, Any]) -> None:
    bundle["financing"] = life.b.bundle["financing"]


Tamper = Callable[[Life, dict[str, Any]], None]


@pytest.mark.parametrize(
    ("tamper", "check", "group"),
    [
        (_flip_matched, "verdict on chain", "verdict"),
        (_proof_of_another_position, "verdict on chain", "verdict"),
        (_position_of_another_trade, "verdict on chain", "verdict"),
        (_release_of_another_batch, "released by customs", "release"),
        (_release_of_another_position, "released by customs", "release"),
        (_release_in_another_block, "released by customs", "release"),
        (_settlement_proof_of_another_position, "settlement confirmed", "settlement"),
        (_financing_of_another_trade, "financing registered", "financing"),
    ],
)
def test_forged_step_fails_its_check_in_both_verifiers(
    life: Life, node: str, tmp_path: Path, tamper: Tamper, check: str, group: str
) -> None:
    bundle = copy.deepcopy(life.a.bundle)
    tamper(life, bundle)
    report = python_report(life.world, bundle)
    assert report.outcome is Outcome.NOT_AUTHENTIC
    assert check in python_failed(report), python_failed(report)
    browser = browser_report(node, life.world, bundle, tmp_path)
    assert browser["outcome"] == "not-authentic"
    assert f"{group}: {check}" in browser_failed(browser), browser_failed(browser)


def test_superseded_verdict_is_not_the_trades_verdict(
    anvil_world: ChainWorld, node: str, tmp_path: Path
) -> None:
    maker = LedgerBundles(anvil_world)
    trade = maker.trade()
    maker.record([trade])
    old = copy.deepcopy(trade.bundle)
    maker.record([trade], supersede=trade)
    assert python_report(anvil_world, trade.bundle).outcome is Outcome.AUTHENTIC

    failed = python_failed(python_report(anvil_world, old))
    assert "superseded" in str(failed.get("verdict on chain")), failed
    browser = browser_failed(browser_report(node, anvil_world, old, tmp_path))
    assert "superseded" in str(browser.get("verdict: verdict on chain")), browser


def test_mismatch_recorded_as_a_match_is_caught(
    anvil_world: ChainWorld, node: str, tmp_path: Path
) -> None:
    maker = LedgerBundles(anvil_world)
    honest, lying = (maker.trade(samples.short_payment_trade(_terms(n))) for n in (10, 11))
    maker.record([honest])
    maker.record([lying], matched=True)  # the anchorer lies: the chain says "match"

    report = python_report(anvil_world, honest.bundle)
    assert report.outcome is Outcome.MISMATCH, python_failed(report)
    assert any("amount.payment_equals_paid" in r for r in report.mismatch_reasons)
    assert browser_report(node, anvil_world, honest.bundle, tmp_path)["outcome"] == (
        "verdict-mismatch"
    )

    failed = python_failed(python_report(anvil_world, lying.bundle))
    assert "the leaf records a match" in str(failed.get("verdict on chain")), failed
    browser = browser_failed(browser_report(node, anvil_world, lying.bundle, tmp_path))
    assert "the leaf records a match" in str(browser.get("verdict: verdict on chain")), browser


def test_bundle_of_format_2_is_refused_as_unsupported(
    life: Life, node: str, tmp_path: Path
) -> None:
    bundle = {**copy.deepcopy(life.a.bundle), "format": "sandan-bundle/2"}
    with pytest.raises(UnusableBundle, match="unsupported bundle format 'sandan-bundle/2'"):
        python_report(life.world, bundle)
    browser = browser_failed(browser_report(node, life.world, bundle, tmp_path))
    assert browser == {"bundle: format": 'unsupported bundle format "sandan-bundle/2"'}


def test_sm3_zone_bundle_is_authentic_to_both_verifiers_and_its_profile_is_not_believed(
    anvil_world: ChainWorld, node: str, tmp_path: Path
) -> None:
    # Domestic algorithms throughout: every document signed SM2, every content hash SM3.
    maker = LedgerBundles(anvil_world, Algorithm.SM2)
    trade = maker.trade(samples.import_trade(_terms(20)), profile=DigestProfile.SM3)
    maker.record([trade])
    maker.release([trade])
    bundle = trade.bundle
    assert bundle["digestProfile"] == "sm3"
    assert {d["publicKey"]["alg"] for d in bundle["documents"]} == {"SM2"}
    report = python_report(anvil_world, bundle)
    assert report.outcome is Outcome.AUTHENTIC, python_failed(report)
    browser = browser_report(node, anvil_world, bundle, tmp_path)
    assert browser["outcome"] == "authentic", browser_failed(browser)

    # The same bundle read as SHA-256: no document hash is what was anchored, nor the verdict's.
    relabelled = {**copy.deepcopy(bundle), "digestProfile": "sha256"}
    failed = python_failed(python_report(anvil_world, relabelled))
    assert sum(name.endswith("content hash") for name in failed) == len(bundle["documents"])
    assert "verdict recomputed" in failed
    browser = browser_failed(browser_report(node, anvil_world, relabelled, tmp_path))
    hashes = [name for name in browser if name.endswith(": content hash")]
    assert len(hashes) == len(bundle["documents"]), browser
    assert "verdict: verdict hash" in browser

    unknown = {**copy.deepcopy(bundle), "digestProfile": "sm4"}
    browser = browser_failed(browser_report(node, anvil_world, unknown, tmp_path))
    assert browser == {"bundle: digest profile": 'digestProfile "sm4"'}


#: Customs' receipts of a released import trade: the order's, then the inventory's 放行.
RECEIPTS = [("CEB312", "2", "电子口岸已暂存"), ("CEB622", "800", "放行")]
RECEIPTS_CHECK = "customs receipts anchored"


def _receipts_failed(world: ChainWorld, node: str, bundle: dict[str, Any], tmp: Path) -> str:
    """What both verifiers found failing in the receipts check (they must say the same)."""
    report = python_report(world, bundle)
    assert report.outcome is Outcome.NOT_AUTHENTIC
    failed = python_failed(report)
    assert list(failed) == [RECEIPTS_CHECK], failed
    browser = browser_report(node, world, bundle, tmp)
    assert browser["outcome"] == "not-authentic"
    assert browser_failed(browser) == {f"receipts: {RECEIPTS_CHECK}": failed[RECEIPTS_CHECK]}
    return str(failed[RECEIPTS_CHECK])


@pytest.mark.parametrize("profile", [DigestProfile.SHA256, DigestProfile.SM3])
def test_customs_receipts_are_checked_alike_by_both_verifiers(
    anvil_world: ChainWorld, node: str, tmp_path: Path, profile: DigestProfile
) -> None:
    maker = LedgerBundles(anvil_world)
    trade = maker.trade(samples.import_trade(_terms(30 + len(profile.value))), profile=profile)
    maker.record([trade])
    maker.release([trade])
    plain = python_report(anvil_world, trade.bundle)
    maker.receipts(trade, RECEIPTS)
    bundle = trade.bundle

    report = python_report(anvil_world, bundle)
    assert report.outcome is Outcome.AUTHENTIC, python_failed(report)
    (check,) = [c for c in report.checks if c.name == RECEIPTS_CHECK]
    # One verifyDocument per receipt, in the same batch.
    assert report.calls["eth_call"] == plain.calls["eth_call"] + len(RECEIPTS)
    browser = browser_report(node, anvil_world, bundle, tmp_path)
    assert browser["outcome"] == "authentic", browser_failed(browser)
    (mine,) = [c for c in browser["checks"] if c["name"] == RECEIPTS_CHECK]
    assert (mine["group"], mine["status"], mine["found"]) == ("receipts", "ok", check.detail)
    assert any("names no disagreement" in n for n in browser["notes"]), browser["notes"]

    # The inventory's receipt edited to say something else than customs said.
    edited = copy.deepcopy(bundle)
    edited["customsReceipts"]["receipts"][1]["payload"]["receipt"]["returnStatus"] = "500"
    found = _receipts_failed(anvil_world, node, edited, tmp_path)
    assert found == "not anchored as stated: customsReceipts.receipts[1] (CEB622)"

    # Its claimed hash rewritten to the edited payload's: no such hash was ever anchored.
    rehashed = copy.deepcopy(edited)
    entry = rehashed["customsReceipts"]["receipts"][1]
    entry["contentHash"] = content_hash(entry["payload"], profile).hex()
    assert "receipts[1] (CEB622)" in _receipts_failed(anvil_world, node, rehashed, tmp_path)

    # Genuine receipts, but anchored in another block or under another root than stated.
    moved = copy.deepcopy(bundle)
    moved["customsReceipts"]["receipts"][0]["anchor"]["blockNumber"] += 1
    other_root = copy.deepcopy(bundle)
    other_root["customsReceipts"]["receipts"][0]["anchor"]["root"] = bundle["documents"][0][
        "anchor"
    ]["root"]
    for forged in (moved, other_root):
        found = _receipts_failed(anvil_world, node, forged, tmp_path)
        assert found == "not anchored as stated: customsReceipts.receipts[0] (CEB312)"

    # A receipt's proof swapped for the other's: it leads to no anchored root.
    swapped = copy.deepcopy(bundle)
    first, second = swapped["customsReceipts"]["receipts"]
    first["anchor"]["proof"], second["anchor"]["proof"] = (
        second["anchor"]["proof"],
        first["anchor"]["proof"],
    )
    found = _receipts_failed(anvil_world, node, swapped, tmp_path)
    assert found == (
        "not anchored as stated: customsReceipts.receipts[0] (CEB312), "
        "customsReceipts.receipts[1] (CEB622)"
    )


def test_bundle_without_receipts_or_with_none_lists_no_receipt_check(
    life: Life, node: str, tmp_path: Path
) -> None:
    empty = {**copy.deepcopy(life.a.bundle), "customsReceipts": {"receipts": [], "pending": 1}}
    for bundle in (life.a.bundle, empty):
        report = python_report(life.world, bundle)
        assert report.outcome is Outcome.AUTHENTIC, python_failed(report)
        assert RECEIPTS_CHECK not in {c.name for c in report.checks}
        browser = browser_report(node, life.world, bundle, tmp_path)
        assert browser["outcome"] == "authentic", browser_failed(browser)
        assert RECEIPTS_CHECK not in {c["name"] for c in browser["checks"]}


def test_malformed_receipts_section_is_refused_by_both(
    life: Life, node: str, tmp_path: Path
) -> None:
    bundle = {**copy.deepcopy(life.a.bundle), "customsReceipts": {"receipts": {"0": {}}}}
    with pytest.raises(UnusableBundle, match=r"customsReceipts\.receipts: expected a list"):
        python_report(life.world, bundle)
    browser = browser_report(node, life.world, bundle, tmp_path)
    assert browser["outcome"] == "not-authentic"
    assert browser_failed(browser) == {
        f"receipts: {RECEIPTS_CHECK}": "customsReceipts.receipts: expected a list"
    }
