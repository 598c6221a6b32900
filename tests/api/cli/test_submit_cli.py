"""``sandan submit`` through typer's CliRunner, its client bound to the app in process."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner, Result

import api.cli._connection
import api.cli.submit
from api.client import RetryPolicy, SandanClient, envelope_bytes, write_signing_key
from tests.api.client.conftest import BASE_URL, KIT_PARTIES, AppTransport
from tests.api.client.conftest import database_url as database_url  # SQLite only, see there
from tests.api.conftest import World, stage_fixtures
from tests.api.factories import Actor
from traceability import SignedEnvelope
from traceability.trade import samples

world_stage, parties = stage_fixtures("parties", KIT_PARTIES)
DATA = Path(__file__).resolve().parents[2] / "data" / "ceb"
LINE = re.compile(r"^(\S+) (\w+) ([0-9a-f]{16})… trade ([0-9a-f]{16}…|-) (created|already stored)")


@pytest.fixture
def transport(world: World) -> AppTransport:
    return AppTransport(world.client)


@pytest.fixture
def opened(
    world: World, transport: AppTransport, monkeypatch: pytest.MonkeyPatch
) -> list[tuple[str, str, int]]:
    """Bind ``sandan submit``'s client to the app (its documented test seam); each poll or
    retry wait runs the anchoring worker instead of sleeping. Lists what it was asked."""
    asked: list[tuple[str, str, int]] = []

    def factory(url: str, api_key: str, attempts: int) -> SandanClient:
        asked.append((url, api_key, attempts))
        policy = RetryPolicy(max_attempts=attempts, sleep=lambda _: world.worker.drain())
        return SandanClient(BASE_URL, api_key, transport=transport, retry=policy)

    monkeypatch.setattr(api.cli._connection, "client_factory", factory)
    return asked


def submit(*args: str) -> Result:
    app = typer.Typer()
    api.cli.submit.register(app)
    app.command("unused")(lambda: None)  # a group, so the command is named as in sandan
    return CliRunner().invoke(app, ["submit", *args])


def signing_args(actor: Actor, tmp_path: Path) -> list[str]:
    key = tmp_path / f"{actor.code}.pem"
    if not key.exists():
        write_signing_key(key, actor.signing_key)
    return ["--key", str(key), "--party", actor.code, "--key-id", actor.key_id,
            "--api-key", actor.api_key]  # fmt: skip


def order(order_no: str) -> dict[str, Any]:
    return samples.import_order_json(samples.ImportTerms(order_no=order_no))


def write_json(path: Path, value: Any) -> Path:
    path.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.mark.usefixtures("opened")
def test_submit_one_document_prints_its_line(
    parties: dict[str, Actor], transport: AppTransport, tmp_path: Path
) -> None:
    document = write_json(tmp_path / "order.json", order("SD20250301000001"))
    result = submit(*signing_args(parties["platform"], tmp_path), "--type", "order", str(document))
    assert result.exit_code == 0, result.output
    match = LINE.match(result.stdout)
    assert match is not None, result.stdout
    assert match.group(1, 2, 5) == (str(document), "order", "created")
    assert len(transport.posted("/documents")) == 1


def test_submit_takes_url_and_api_key_from_the_environment(
    parties: dict[str, Actor], opened: list[tuple[str, str, int]], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    platform = parties["platform"]
    envelope = write_json(tmp_path / "e.json", platform.envelope("order", order("SD1")))
    monkeypatch.setenv("SANDAN_URL", "https://sandan.example")
    monkeypatch.setenv("SANDAN_API_KEY", platform.api_key)
    result = submit("--max-attempts", "3", str(envelope))
    assert result.exit_code == 0, result.output
    assert opened == [("https://sandan.example", platform.api_key, 3)]


def test_submit_without_api_key_exits_2(opened: list[Any], tmp_path: Path) -> None:
    result = submit(str(write_json(tmp_path / "o.json", order("SD1"))))
    assert result.exit_code == 2
    assert "no API key: pass --api-key or set SANDAN_API_KEY" in result.stderr
    assert opened == []


@pytest.mark.usefixtures("opened")
def test_submit_folder_goes_bulk_in_chunks_and_prints_json(
    parties: dict[str, Actor], transport: AppTransport, tmp_path: Path
) -> None:
    platform = parties["platform"]
    folder = tmp_path / "outbox"
    folder.mkdir()
    for n in (3, 1, 2):
        write_json(folder / f"order-{n}.json", order(f"SD2025030100000{n}"))
    signed = [platform.envelope("order", order(f"SD2025030100001{n}")) for n in range(2)]
    (folder / "signed.ndjson").write_bytes(b"\n".join(envelope_bytes(e) for e in signed) + b"\n")
    (folder / "notes.txt").write_text("not an input")
    args = signing_args(platform, tmp_path)
    result = submit(*args, "--type", "order", "--chunk", "2", "--json", str(folder))
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert [Path(a["file"]).name for a in answer] == [
        "order-1.json", "order-2.json", "order-3.json", "signed.ndjson#1", "signed.ndjson#2"
    ]  # fmt: skip
    assert {a["status"] for a in answer} == {"created"}
    assert all(set(a) == {"file", "status", "contentHash", "tradeId", "docType"} for a in answer)
    hashes = [SignedEnvelope.parse(e).content_hash.hex() for e in signed]
    assert [a["contentHash"] for a in answer[3:]] == hashes
    assert len(transport.posted("/documents/bulk")) == 3
    assert transport.posted("/documents") == []


@pytest.mark.usefixtures("opened")
def test_submit_bulk_with_progress_bar_and_byte_chunks(
    parties: dict[str, Actor], transport: AppTransport, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr(api.cli.submit, "_show_progress", lambda as_json: not as_json)
    platform = parties["platform"]
    folder = tmp_path / "outbox"
    folder.mkdir()
    for n in range(3):
        write_json(folder / f"e{n}.json", platform.envelope("order", order(f"SD2025030100003{n}")))
    size = len(envelope_bytes(json.loads((folder / "e0.json").read_text())))
    result = submit("--api-key", platform.api_key, "--chunk-bytes", str(2 * size + 10), str(folder))
    assert result.exit_code == 0, result.output
    assert [LINE.match(line).group(5) for line in result.stdout.splitlines()] == ["created"] * 3  # type: ignore[union-attr]
    assert [len(r.content.splitlines()) for r in transport.posted("/documents/bulk")] == [2, 1]


@pytest.mark.usefixtures("opened")
def test_submit_sends_signed_envelope_as_is_and_reports_already_stored(
    parties: dict[str, Actor], transport: AppTransport, tmp_path: Path
) -> None:
    platform = parties["platform"]
    wire = platform.envelope("order", order("SD20250301000001"))
    envelope = write_json(tmp_path / "envelope.json", wire)
    first = submit("--api-key", platform.api_key, str(envelope))
    again = submit("--api-key", platform.api_key, str(envelope))
    assert first.stdout.rstrip().endswith(" created")
    assert again.stdout.rstrip().endswith(" already stored")
    sent = [json.loads(r.content) for r in transport.posted("/documents")]
    assert sent == [wire, wire]


@pytest.mark.usefixtures("opened")
def test_submit_resends_same_bytes_when_the_answer_is_lost(
    world: World, parties: dict[str, Actor], transport: AppTransport, tmp_path: Path
) -> None:
    platform = parties["platform"]
    document = write_json(tmp_path / "order.json", order("SD20250301000001"))
    transport.faults = ["lost"]
    result = submit(*signing_args(platform, tmp_path), "--type", "order", str(document))
    assert result.exit_code == 0, result.output
    assert result.stdout.rstrip().endswith(" already stored")
    first, second = transport.posted("/documents")
    assert first.content == second.content
    trades = world.client.get("/trades", headers=parties["customs"].headers).json()
    assert trades["count"] == 1
    content_hash = SignedEnvelope.parse(json.loads(first.content)).content_hash.hex()
    stored = world.client.get(f"/documents/{content_hash}", headers=platform.headers).json()
    assert stored["version"] == 1


@pytest.mark.usefixtures("opened")
def test_submit_reports_refusals_goes_on_and_exits_1(
    parties: dict[str, Actor], tmp_path: Path
) -> None:
    platform = parties["platform"]
    folder = tmp_path / "outbox"
    folder.mkdir()
    foreign = platform.envelope("order", order("SD20250301000002"), key_id="nobody-k9")
    write_json(folder / "a-foreign.json", foreign)
    write_json(folder / "b-good.json", platform.envelope("order", order("SD20250301000003")))
    result = submit("--api-key", platform.api_key, str(folder))
    assert result.exit_code == 1
    assert "a-foreign.json order" in result.stderr
    assert "failed: " in result.stderr
    assert "field payload.keyId: " in result.stderr
    assert "b-good.json order" in result.stdout
    assert result.stdout.rstrip().endswith("created")


@pytest.mark.usefixtures("opened")
def test_submit_single_refusal_exits_1_with_error_fields(
    parties: dict[str, Actor], tmp_path: Path
) -> None:
    platform = parties["platform"]
    foreign = platform.envelope("order", order("SD20250301000002"), key_id="nobody-k9")
    result = submit("--api-key", platform.api_key, "--json",
                    str(write_json(tmp_path / "f.json", foreign)))  # fmt: skip
    assert result.exit_code == 1
    (answer,) = json.loads(result.stdout)
    assert answer["status"] == "failed"
    assert answer["error"]["field"] == "payload.keyId"
    assert answer["error"]["error"]
    assert answer["error"]["message"]


def test_submit_refuses_bad_document_before_sending_anything(
    parties: dict[str, Actor], opened: list[Any], transport: AppTransport, tmp_path: Path
) -> None:
    folder = tmp_path / "outbox"
    folder.mkdir()
    write_json(folder / "a.json", order("SD20250301000001"))
    write_json(folder / "b.json", {**order("SD20250301000002"), "goodsValue": "lots"})
    result = submit(*signing_args(parties["platform"], tmp_path), "--type", "order", str(folder))
    assert result.exit_code == 2
    assert "b.json: fails the document schema" in result.stderr
    assert "document.goodsValue" in result.stderr
    assert transport.requests == []
    assert opened == []


@pytest.mark.usefixtures("opened")
def test_submit_ceb_xml_and_wait_until_anchored(
    world: World, parties: dict[str, Actor], tmp_path: Path
) -> None:
    platform = world.actor("3301960001", ["platform"])  # the sample message's ebpCode
    result = submit(*signing_args(platform, tmp_path), "--wait", "--timeout", "60",
                    str(DATA / "import" / "order.xml"))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert " order " in result.stdout
    assert result.stdout.rstrip().endswith("created, anchored")
