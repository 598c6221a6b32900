"""Demo runs never meet: two runs in the same second on one database make their own
orders, lots and pallets, and each lot's page shows its own events only."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from api.config import ApiSettings
from api.demo.runs import epilogue, run_tag
from api.demo.trace import lot_number, pallet_number, run_trace_demo
from api.demo.trade import DemoRun, run_trade_demo
from api.services.live_verify import provider_rpc
from api.verify.trust import load_trust_roots
from ledger_client import LedgerSettings
from tests.api.conftest import ADMIN_TOKEN, World

NOW = datetime(2026, 11, 1, 8, 30, 15, tzinfo=UTC)


def test_run_tag_differs_for_runs_in_the_same_second(tmp_path: Path) -> None:
    tags = [run_tag(tmp_path, NOW) for _ in range(3)]
    assert tags == ["261101083015001", "261101083015002", "261101083015003"]
    assert (tmp_path / "demo-runs").read_text() == "3\n"  # persisted for the next process


def test_run_tag_counts_concurrent_runs_once_each(tmp_path: Path) -> None:
    tags: list[str] = []
    threads = [
        threading.Thread(target=lambda: tags.append(run_tag(tmp_path, NOW))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(tags)) == 8


def test_two_demo_runs_in_one_second_share_nothing(world: World, tmp_path: Path) -> None:
    trust = load_trust_roots(
        registries=[world.ledger.trade_registry_address, world.ledger.party_registry_address]
    )
    runs = []
    for tag in (run_tag(tmp_path, NOW), run_tag(tmp_path, NOW)):
        run = DemoRun(
            client=world.client,
            admin_token=ADMIN_TOKEN,
            worker=world.worker,
            out_dir=tmp_path / tag,
            rpc=provider_rpc(world.ledger.w3),
            trust=trust,
            emit=lambda _line: None,
            tag=tag,
        )
        trades = run_trade_demo(run)
        lot = run_trace_demo(world.client, ADMIN_TOKEN, world.worker, run.out_dir, run.emit, tag)
        runs.append((tag, trades, lot))
    (first_tag, first_trades, first_lot), (second_tag, second_trades, second_lot) = runs
    assert {t.order_no for t in first_trades}.isdisjoint(t.order_no for t in second_trades)
    assert {t.trade_id for t in first_trades}.isdisjoint(t.trade_id for t in second_trades)
    assert lot_number(first_tag) != lot_number(second_tag)
    assert pallet_number(first_tag) != pallet_number(second_tag)
    assert set(first_lot["parties"].values()).isdisjoint(second_lot["parties"].values())
    for _tag, trades, lot in runs:
        verified = [t.verification for t in trades if t.verification is not None]
        assert [v["authentic"] for v in verified] == [True, True]
        assert lot["allVerified"]
        assert lot["findings"] == []
    first_events = {e["eventHash"] for e in first_lot["events"]}
    second_events = {e["eventHash"] for e in second_lot["events"]}
    assert len(first_events) == len(second_events) == 8
    assert first_events.isdisjoint(second_events)
    for lot, other in ((first_lot, second_lot), (second_lot, first_lot)):
        path = urlsplit(lot["digitalLink"]).path
        page = world.client.get(path, headers={"Accept": "application/json"}).json()
        assert {e["eventHash"] for e in page["events"]} == {e["eventHash"] for e in lot["events"]}
        assert {e["verification"]["status"] for e in page["events"]} == {"verified"}
        assert page["findings"] == []
        html = world.client.get(path, headers={"Accept": "text/html"}).text
        assert lot["lot"] in html
        assert other["lot"] not in html


def test_epilogue_names_the_embedded_node_and_how_to_stop_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "node.json").write_text('{"pid": 999999999, "port": 18545, "url": "x"}')
    settings = ApiSettings(ledger=LedgerSettings(data_dir=data))
    after = epilogue(settings, digital_link="http://h/01/1/10/L", bundles=["out/b.json"])
    # A recorded node whose process is gone is not "still running".
    assert after["stillRunning"] == {
        "embeddedNode": None,
        "note": "nothing is left running by sandan",
    }
    assert after["adminToken"] == str(data / "admin-token")
    assert len(after["nextSteps"]) == 3
    assert after["nextSteps"][0].startswith("sandan serve, then open http://h/01/1/10/L")
    assert after["nextSteps"][1].startswith("sandan verify out/b.json")


def test_epilogue_says_nothing_runs_on_an_external_node(tmp_path: Path) -> None:
    settings = ApiSettings(
        ledger=LedgerSettings(data_dir=tmp_path, rpc_url="https://user:pw@node.example:8545/k"),
        admin_token="secret",
    )
    after = epilogue(settings, digital_link="http://h/x", bundles=[])
    assert after["stillRunning"]["embeddedNode"] is None
    assert after["stillRunning"]["note"].startswith("nothing is left running by sandan")
    assert "pw" not in after["stillRunning"]["note"]
    assert after["adminToken"] == "the SANDAN_ADMIN_TOKEN environment variable"
