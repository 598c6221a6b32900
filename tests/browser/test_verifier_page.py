"""The browser verifier in headless Chromium against a real node: genuine, forged, tampered,
a mismatched verdict, and a node that does not answer.

Each case is also given to the Python verifier (``sandan verify``'s code) on the same node,
so the page and the CLI are seen to agree on the same bundle.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from typer.testing import CliRunner

from api.anchoring.worker import AnchorWorker
from api.cli import build_app
from api.demo.trace import run_trace_demo
from api.verify.verifier import Outcome
from tests.browser.conftest import ADMIN_TOKEN, SCREENSHOTS
from tests.browser.trade_world import (
    TradeWorld,
    forge_order_signed_by_unregistered_key,
    trade_world,
)
from tests.conftest import free_port
from traceability import content_hash
from traceability.ceb import CustomsStatus

pytestmark = pytest.mark.browser
_JSON = {"Accept": "application/json"}
_DONE = (
    "() => { const b = document.getElementById('banner');"
    " return b && !b.hidden && b.dataset.outcome !== 'running'; }"
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TradeWorld]:
    """One anvil, one served app and the demo's trades for the whole module; customs has
    answered the clean import's inventory with 放行 (CEB622) and the export's with 查验 after
    its release on chain (CEB604), so those bundles carry customs receipts."""
    for world in trade_world(tmp_path_factory.mktemp("verifier-world")):
        world.send_receipt(0, "CEB622", CustomsStatus.RELEASED, "放行")
        world.send_receipt(1, "CEB604", CustomsStatus.INSPECTION, "布控查验")
        yield world


def _verify(
    page: Any,
    url: str,
    bundle: dict[str, Any],
    tmp_path: Path,
    *,
    rpc_url: str,
    registries: list[str],
    shot: str | None = None,
) -> dict[str, Any]:
    """Load the page, give it the bundle, the node and the trust roots; return its report."""
    page.goto(url)
    page.fill("#rpc-url", rpc_url)
    page.fill("#registries", "\n".join(registries))
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
    page.set_input_files("#bundle-file", str(path))
    page.wait_for_selector("[data-testid=material-status]:has-text('Loaded')")
    page.click("#verify")
    page.wait_for_function(_DONE, timeout=30_000)
    if shot is not None:
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"verifier-{shot}.png"), full_page=True)
    report: dict[str, Any] = page.evaluate("window.sandanLastReport")
    return report


def _verify_on_world(
    world: TradeWorld,
    chromium: Any,
    bundle: dict[str, Any],
    tmp_path: Path,
    shot: str | None = None,
) -> tuple[Any, dict[str, Any]]:
    """A new page verifying ``bundle`` on the world's node, trusting its registries."""
    page = chromium.new_page()
    report = _verify(
        page,
        f"{world.base_url}/verify",
        bundle,
        tmp_path,
        rpc_url=world.rpc_url,
        registries=world.registries,
        shot=shot,
    )
    return page, report


def _failed(report: dict[str, Any]) -> set[str]:
    return {f"{c['group']}: {c['name']}" for c in report["checks"] if c["status"] == "fail"}


def _banner(page: Any) -> tuple[str, str]:
    return page.get_attribute("#banner", "data-outcome"), page.inner_text("#banner")


def test_verifier_page_shows_genuine_bundle_authentic(
    world: TradeWorld, chromium: Any, tmp_path: Path
) -> None:
    bundle = world.bundle(0)  # released and settled
    assert world.python_verdict(bundle).outcome is Outcome.AUTHENTIC
    page = chromium.new_page()
    outside: list[str] = []
    rpc_posts: list[int] = []
    allowed = (world.base_url, world.rpc_url)
    page.on("request", lambda r: None if r.url.startswith(allowed) else outside.append(r.url))
    page.on(
        "request",
        lambda r: (
            rpc_posts.append(len(json.loads(r.post_data or "[]")))
            if r.url.startswith(world.rpc_url) and r.method == "POST"
            else None
        ),
    )
    report = _verify(
        page,
        f"{world.base_url}/verify",
        bundle,
        tmp_path,
        rpc_url=world.rpc_url,
        registries=world.registries,
        shot="authentic-phone",
    )
    outcome, text = _banner(page)
    assert outcome == "authentic", report
    assert "AUTHENTIC" in text
    statuses = {c["status"] for c in report["checks"]}
    assert statuses == {"ok"}, _failed(report)
    signatures = [c["found"] for c in report["checks"] if c["name"] == "signature"]
    assert signatures == [
        "Ed25519 by 3301960A01",
        "ES256 by 3301960P03",
        "SM2 by 3301960L04",
        "Ed25519 by 3301960A01",
    ]
    names = {c["name"] for c in report["checks"]}
    for expected in (
        "signature",
        "content hash",
        "Merkle proof",
        "anchored on chain",
        "anchor transaction",
        "signer registered",
        "key valid when anchored",
        "signer's role",
        "verdict hash",
        "verdict on chain",
        "trade matched on chain",
        "released by customs",
        "release transaction",
        "settlement confirmed",
        "settlement transaction",
        "trade registry trusted",
        "party registry trusted",
        "customs receipts anchored",
    ):
        assert expected in names
    notes = page.locator("[data-testid=note]").all_inner_texts()
    assert any("the verdict itself is recomputed only by `sandan verify`" in n for n in notes)
    assert page.locator("[data-testid=check][data-status=ok]").count() == len(report["checks"])
    # Two rounds, one HTTP request each: the chain id, then every call and receipt at once
    # (two eth_calls per document, verifyVerdict, verifySettlement, one verifyDocument per
    # customs receipt, and one receipt per distinct transaction).
    assert len(rpc_posts) == 2
    assert rpc_posts[0] == 1
    distinct_tx = {d["anchor"]["txHash"] for d in bundle["documents"]} | {
        bundle[s]["txHash"] for s in ("verdict", "release", "settlement")
    }
    receipts = len(bundle["customsReceipts"]["receipts"])
    assert receipts == 1
    assert rpc_posts[1] == 2 * len(bundle["documents"]) + 2 + receipts + len(distinct_tx)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(SCREENSHOTS / "verifier-authentic-desktop.png"), full_page=True)
    assert outside == []


def test_verifier_page_shows_financed_export_authentic_from_a_bundle_link(
    world: TradeWorld, chromium: Any
) -> None:
    """?bundle=URL fetches the bundle, ?registry= pre-fills the roots (with a warning), the
    remembered RPC URL is used, and the check runs by itself."""
    bundle = world.bundle(1)  # released and financed
    page = chromium.new_page()
    page.add_init_script(f"localStorage.setItem('sandan.verifier.rpcUrl', {world.rpc_url!r})")
    hosted = f"{world.base_url}/shared/bundle-export.json"
    page.route(hosted, lambda route: route.fulfill(json=bundle))
    query = "&".join(f"registry={a}" for a in world.registries)
    page.goto(f"{world.base_url}/verify?bundle={hosted}&{query}")
    page.wait_for_function(_DONE, timeout=30_000)
    report = page.evaluate("window.sandanLastReport")
    assert _banner(page)[0] == "authentic", _failed(report)
    assert page.is_visible("#registry-origin")
    assert page.input_value("#rpc-url") == world.rpc_url
    names = {c["name"] for c in report["checks"]}
    assert {"financing registered", "financing transaction"} <= names
    algorithms = {c["found"].split(" ")[0] for c in report["checks"] if c["name"] == "signature"}
    assert algorithms == {"ES256K", "ES256", "SM2"}  # the exporter signs with secp256k1


def test_verifier_page_checks_customs_receipts_as_sandan_verify_does(
    world: TradeWorld, chromium: Any, tmp_path: Path
) -> None:
    """Genuine receipts beside the chain release are authentic, with what the bundle says of
    the two shown as a note; a receipt edited to say 放行 is not, in the page and the CLI."""
    bundle = world.bundle(1)  # released on chain, then customs' 查验 receipt
    python = world.python_verdict(bundle)
    assert python.outcome is Outcome.AUTHENTIC
    (anchored,) = [c for c in python.checks if c.name == "customs receipts anchored"]
    section = bundle["customsReceipts"]
    assert section["release"]["disagreement"] == "chain_released_receipt_stopped"
    page, report = _verify_on_world(world, chromium, bundle, tmp_path, shot="receipts")
    assert _banner(page)[0] == "authentic", _failed(report)
    (check,) = [c for c in report["checks"] if c["name"] == "customs receipts anchored"]
    assert (check["group"], check["status"], check["found"]) == ("receipts", "ok", anchored.detail)
    notes = page.locator("[data-group=receipts] [data-testid=note]").all_inner_texts()
    assert any("chain_released_receipt_stopped" in n and "(500 查验)" in n for n in notes), notes

    (entry,) = section["receipts"]
    entry["payload"]["receipt"]["returnStatus"] = "800"  # "customs released it"
    python = world.python_verdict(bundle)
    assert python.outcome is Outcome.NOT_AUTHENTIC
    assert [(c.name, c.found) for c in python.checks if not c.ok] == [
        (
            "customs receipts anchored",
            "not anchored as stated: customsReceipts.receipts[0] (CEB604)",
        )
    ]
    page, report = _verify_on_world(world, chromium, bundle, tmp_path, shot="tampered-receipt")
    outcome, text = _banner(page)
    assert outcome == "not-authentic"
    assert _failed(report) == {"receipts: customs receipts anchored"}
    assert "receipts: customs receipts anchored" in text
    failed = page.locator("[data-testid=check][data-status=fail]").inner_text()
    assert "customsReceipts.receipts[0] (CEB604)" in failed


def test_verifier_page_names_untrusted_registry(
    world: TradeWorld, chromium: Any, tmp_path: Path
) -> None:
    bundle = world.bundle(0)
    trade_registry, party_registry = world.registries
    page = chromium.new_page()
    report = _verify(
        page,
        f"{world.base_url}/verify",
        bundle,
        tmp_path,
        rpc_url=world.rpc_url,
        registries=[trade_registry],
        shot="untrusted-registry",
    )
    outcome, text = _banner(page)
    assert outcome == "not-authentic"
    assert _failed(report) == {"chain: party registry trusted"}
    failed = page.locator("[data-testid=check][data-status=fail]").inner_text()
    assert f"registry {party_registry} is not a trusted registry" in failed
    assert "party registry trusted" in text


def test_verifier_page_names_signer_missing_from_party_registry(
    world: TradeWorld, chromium: Any, tmp_path: Path
) -> None:
    bundle = world.bundle(0)
    key_id = forge_order_signed_by_unregistered_key(world, bundle)
    python = world.python_verdict(bundle)
    assert python.outcome is Outcome.NOT_AUTHENTIC
    # sandan verify then also recomputes the verdict without the unsigned order: it fails too.
    first_failure = next(c.name for c in python.checks if not c.ok)
    assert first_failure == "documents[0] CEB311: signer registered"
    page, report = _verify_on_world(world, chromium, bundle, tmp_path, shot="forged-signer")
    assert _banner(page)[0] == "not-authentic"
    # The re-signed order is another document than the one the verdict judged.
    assert _failed(report) == {
        "document[0] CEB311: signer registered",
        "verdict: documents named by the verdict",
    }
    row = page.locator("[data-testid=check][data-status=fail]").first
    assert f"key {key_id} in the PartyRegistry" in row.inner_text()
    assert "no such key" in row.inner_text()


def test_verifier_page_refuses_swapped_documents_under_a_rewritten_verdict(
    world: TradeWorld, chromium: Any, tmp_path: Path
) -> None:
    """Other documents, and a verdict rewritten to name them: its leaf is in no verdict batch,
    so the release and settlement of the trade's position are another verdict's."""
    bundle = world.bundle(0)
    forge_order_signed_by_unregistered_key(world, bundle)
    verdict = bundle["verdict"]["verdict"]
    verdict["documents"] = {
        d["envelope"]["payload"]["docType"]: d["contentHash"] for d in bundle["documents"]
    }
    bundle["verdict"]["verdictHash"] = content_hash(verdict).hex()
    python = {c.name for c in world.python_verdict(bundle).checks if not c.ok}
    assert {"verdict on chain", "released by customs", "settlement confirmed"} <= python
    page, report = _verify_on_world(world, chromium, bundle, tmp_path, shot="swapped-documents")
    assert _banner(page)[0] == "not-authentic"
    failed = _failed(report)
    assert "verdict: documents named by the verdict" not in failed
    assert {
        "verdict: verdict on chain",
        "release: released by customs",
        "settlement: settlement confirmed",
    } <= failed


def test_verifier_page_names_edited_transaction_hash(
    world: TradeWorld, chromium: Any, tmp_path: Path
) -> None:
    bundle = world.bundle(0)
    bundle["release"]["txHash"] = bundle["settlement"]["txHash"]  # a real tx, but not the release
    assert world.python_verdict(bundle).outcome is Outcome.NOT_AUTHENTIC
    page, report = _verify_on_world(world, chromium, bundle, tmp_path)
    assert _banner(page)[0] == "not-authentic"
    # Its receipt holds no TradesReleased: nothing says this position was released.
    assert _failed(report) == {"release: release transaction", "release: released by customs"}


def test_verifier_page_refuses_another_trades_release_and_financing(
    world: TradeWorld, chromium: Any, tmp_path: Path
) -> None:
    """Real transactions of the export trade, pasted into the import trade's bundle: they
    name another position (or batch), so neither vouches for this trade."""
    bundle, export = world.bundle(0), world.bundle(1)  # released; released and financed
    bundle["release"], bundle["financing"] = export["release"], export["financing"]
    python = {c.name for c in world.python_verdict(bundle).checks if not c.ok}
    assert {"released by customs", "financing registered"} <= python
    page, report = _verify_on_world(world, chromium, bundle, tmp_path)
    assert _banner(page)[0] == "not-authentic"
    failed = _failed(report)
    assert {"release: released by customs", "financing: financing registered"} <= failed
    assert "verdict: verdict on chain" not in failed


def test_verifier_page_names_edited_document_field(
    world: TradeWorld, chromium: Any, tmp_path: Path
) -> None:
    bundle = world.bundle(0)
    payment = next(d for d in bundle["documents"] if d["messageType"] == "CEB411")
    index = bundle["documents"].index(payment)
    payment["envelope"]["payload"]["document"]["payAmount"] = "1.00"
    assert world.python_verdict(bundle).outcome is Outcome.NOT_AUTHENTIC
    page, report = _verify_on_world(world, chromium, bundle, tmp_path, shot="tampered-document")
    assert _banner(page)[0] == "not-authentic"
    assert _failed(report) == {
        f"document[{index}] CEB411: content hash",
        f"document[{index}] CEB411: signature",
    }


def test_verifier_page_shows_mismatched_verdict_of_genuine_documents(
    world: TradeWorld, chromium: Any, tmp_path: Path
) -> None:
    bundle = world.bundle(2)  # payment one fen short, payer not the buyer
    assert world.python_verdict(bundle).outcome is Outcome.MISMATCH
    page, report = _verify_on_world(world, chromium, bundle, tmp_path, shot="verdict-mismatch")
    outcome, text = _banner(page)
    assert outcome == "verdict-mismatch"
    assert "GENUINE DOCUMENTS, VERDICT MISMATCH" in text
    assert _failed(report) == {"verdict: trade matched on chain"}
    reasons = page.locator("[data-testid=mismatch-reasons] li").all_inner_texts()
    rules = {f["rule"] for f in bundle["verdict"]["verdict"]["failures"]}
    assert len(reasons) == len(bundle["verdict"]["verdict"]["failures"]) >= 2
    assert all(any(reason.startswith(rule) for reason in reasons) for rule in rules)


def test_verifier_page_says_chain_unreachable(
    world: TradeWorld, chromium: Any, tmp_path: Path
) -> None:
    page = chromium.new_page()
    report = _verify(
        page,
        f"{world.base_url}/verify",
        world.bundle(0),
        tmp_path,
        rpc_url=f"http://127.0.0.1:{free_port()}",
        registries=world.registries,
        shot="unreachable",
    )
    outcome, text = _banner(page)
    assert outcome == "unreachable"
    assert "CHAIN UNREACHABLE" in text
    assert _failed(report) == set()  # nothing concluded, nothing failed
    chain_id = next(c for c in report["checks"] if c["name"] == "chain id")
    assert chain_id["status"] == "skip"
    assert "unreachable" in chain_id["found"]


def test_verifier_page_file_works_from_disk(
    world: TradeWorld, chromium: Any, tmp_path: Path
) -> None:
    """`sandan verifier-page -o` writes one file that verifies from file:// with no server."""
    out = tmp_path / "verify.html"
    result = CliRunner().invoke(build_app(), ["verifier-page", "-o", str(out)])
    assert result.exit_code == 0, result.output
    page = chromium.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    report = _verify(
        page,
        out.as_uri(),
        world.bundle(0),
        tmp_path,
        rpc_url=world.rpc_url,
        registries=world.registries,
    )
    assert _banner(page)[0] == "authentic", _failed(report)
    assert errors == []


def _lot_material(
    world: TradeWorld, tmp_path: Path, *, tag: str = "lotv"
) -> tuple[str, dict[str, Any]]:
    """Run the trace demo on the world; return the lot's Digital Link and its JSON."""
    demo = run_trace_demo(
        world.client, ADMIN_TOKEN, AnchorWorker(world.runtime), tmp_path, lambda _l: None, tag
    )
    link = str(demo["digitalLink"])
    response = world.client.get(link.removeprefix(world.base_url), headers=_JSON)
    assert response.status_code == 200, response.text
    lot = response.json()
    if lot["verification"].get("format") != "sandan-lot/1":
        pytest.skip(
            "waits for main to carry the lot helper's verification material: the lot JSON of "
            "GET /01/{gtin}/10/{lot} has no sandan-lot/1 'verification' yet"
        )
    return link, lot


def test_verifier_page_checks_a_lot_from_its_digital_link(
    world: TradeWorld, chromium: Any, tmp_path: Path
) -> None:
    link, lot = _lot_material(world, tmp_path)
    chain = lot["verification"]["chain"]
    page = chromium.new_page()
    page.add_init_script(f"localStorage.setItem('sandan.verifier.rpcUrl', {world.rpc_url!r})")
    query = urlencode(
        [("lot", link), ("registry", chain["traceRegistry"]), ("registry", chain["partyRegistry"])]
    )
    page.goto(f"{world.base_url}/verify?{query}")
    page.wait_for_function(_DONE, timeout=30_000)
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "verifier-lot.png"), full_page=True)
    report = page.evaluate("window.sandanLastReport")
    assert _banner(page)[0] == "authentic", _failed(report)
    events = lot["verification"]["events"]
    for name in ("signed envelope carries the event", "anchored on chain", "signer's role"):
        assert sum(1 for c in report["checks"] if c["name"] == name) == len(events)
    notes = page.locator("[data-testid=note]").all_inner_texts()
    assert sum("recomputed only by `sandan verify-lot`" in n for n in notes) == len(events)

    edited = json.loads(json.dumps(lot))
    edited["verification"]["events"][0]["event"]["eventTime"] = "2020-01-01T00:00:00.000Z"
    report = _verify(
        page,
        f"{world.base_url}/verify",
        edited,
        tmp_path,
        rpc_url=world.rpc_url,
        registries=[chain["traceRegistry"], chain["partyRegistry"]],
    )
    assert _banner(page)[0] == "not-authentic"
    failed = _failed(report)
    assert len(failed) == 1
    assert failed.pop().endswith(": signed envelope carries the event")


def _post_unsigned_events(world: TradeWorld, link: str) -> None:
    """An outsider's shipping (refused) and a custody party's unsigned one (recorded) on the lot."""
    from api.demo.parties import bearer, register_party
    from traceability.epcis.context import CONTEXT_URLS
    from traceability.epcis.samples import OrangeLot

    ids, admin = OrangeLot(), bearer(ADMIN_TOKEN)
    lot_class = "https://id.gs1.org/01/" + link.split("/01/", 1)[1]
    for code, gln, status in (("LOGI-OUT", "6901234000054", 403), ("LOGI-PORT", ids.port, 201)):
        party = register_party(world.client, admin, code, ["logistics"])
        placed = world.client.put(f"/parties/{code}/locations", json={"glns": [gln]}, headers=admin)
        assert placed.status_code == 200, placed.text
        event = {
            "@context": [CONTEXT_URLS[0]],
            "type": "ObjectEvent",
            "eventTime": "2020-01-01T00:00:00.000Z",  # long before the harvest
            "eventTimeZoneOffset": "+00:00",
            "action": "OBSERVE",
            "bizStep": "shipping",
            "bizLocation": {"id": f"https://id.gs1.org/414/{gln}"},
            "quantityList": [{"epcClass": lot_class}],
        }
        sent = world.client.post("/events", json=event, headers=party.headers)
        assert sent.status_code == status, sent.text
    AnchorWorker(world.runtime).drain()


def test_unsigned_event_is_recorded_not_signed_on_the_page_and_fails_in_the_verifier(
    world: TradeWorld, chromium: Any, tmp_path: Path
) -> None:
    link, before = _lot_material(world, tmp_path, tag="lotu")
    verified, total = before["verification"]["verified"], before["verification"]["total"]
    assert verified == total
    _post_unsigned_events(world, link)
    page = chromium.new_page()
    page.goto(f"{link}?lang=en")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "consumer-page-unsigned-en.png"), full_page=True)
    summary = page.inner_text("[data-testid=summary]")
    assert f"{verified} of {total + 1} events verified on chain" in summary
    unsigned = page.locator("[data-testid=check][data-status=unsigned]")
    assert unsigned.count() == 1
    assert "recorded, not signed" in unsigned.inner_text()
    assert page.locator("[data-testid=findings]").count() == 0  # no "time reversed"
    lot = world.client.get(link.removeprefix(world.base_url), headers=_JSON).json()
    chain = lot["verification"]["chain"]
    page.add_init_script(f"localStorage.setItem('sandan.verifier.rpcUrl', {world.rpc_url!r})")
    query = urlencode(
        [("lot", link), ("registry", chain["traceRegistry"]), ("registry", chain["partyRegistry"])]
    )
    page.goto(f"{world.base_url}/verify?{query}")
    page.wait_for_function(_DONE, timeout=30_000)
    page.screenshot(path=str(SCREENSHOTS / "verifier-lot-unsigned.png"), full_page=True)
    assert _banner(page)[0] != "authentic"
    failed = _failed(page.evaluate("window.sandanLastReport"))
    assert any(name.endswith("signed envelope carries the event") for name in failed), failed
