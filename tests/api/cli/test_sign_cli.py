"""``sandan sign``: JSON documents and CEB XML messages signed locally, garbage refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner, Result

from api.cli.keygen import register as register_keygen
from api.cli.sign import register
from api.client import write_signing_key
from traceability import (
    Algorithm,
    Party,
    PartyKey,
    PartyRegistry,
    SigningKey,
    verify_envelope,
)
from traceability.trade import samples

DATA = Path(__file__).resolve().parents[2] / "data" / "ceb"
PLATFORM = samples.PLATFORM[0]
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


def sign(*args: str, stdin: str | None = None) -> Result:
    app = typer.Typer()
    register(app)
    app.command("unused")(lambda: None)  # a group, so the command is named as in sandan
    return CliRunner().invoke(app, ["sign", *args], input=stdin)


@pytest.fixture(params=[Algorithm.ED25519, Algorithm.SM2])
def key_file(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    return write_signing_key(tmp_path / "party.pem", SigningKey.generate(request.param))


def directory(code: str, key: SigningKey, roles: list[str]) -> PartyRegistry:
    """A registry holding ``code`` with only the key ``sandan sign`` used."""
    party_key = PartyKey("k1", code, key.alg, key.public_key, valid_from=EPOCH)
    return PartyRegistry([Party(code, f"{code} Ltd", frozenset(roles))], [party_key])


def verified(envelope: dict[str, Any], key_file: Path, roles: list[str]) -> Any:
    key = SigningKey.from_pem(key_file.read_bytes())
    registry = directory(envelope["payload"]["party"], key, roles)
    return verify_envelope(envelope, registry, now=datetime.now(UTC))


def write_json(path: Path, value: Any) -> Path:
    path.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
    return path


def test_sign_json_document_gives_envelope_that_verifies(key_file: Path, tmp_path: Path) -> None:
    order = samples.import_order_json(samples.ImportTerms())
    document = write_json(tmp_path / "order.json", order)
    result = sign("--key", str(key_file), "--party", PLATFORM, "--key-id", "k1",
                  "--type", "order", str(document))  # fmt: skip
    assert result.exit_code == 0, result.output
    envelope = json.loads(result.stdout)
    assert envelope["payload"]["document"] == order
    assert envelope["alg"] == SigningKey.from_pem(key_file.read_bytes()).alg.value
    checked = verified(envelope, key_file, ["platform"])
    assert checked.doc_type.value == "order"
    issued = checked.issued_at
    assert abs((datetime.now(UTC) - issued).total_seconds()) < 600


@pytest.mark.parametrize("alg", ["ed25519", "es256", "es256k", "sm2"])
def test_sign_envelope_verifies_against_the_key_keygen_printed(alg: str, tmp_path: Path) -> None:
    app = typer.Typer()
    register(app)
    register_keygen(app)
    runner = CliRunner()
    key_file = tmp_path / "party.pem"
    printed = json.loads(
        runner.invoke(app, ["keygen", "--alg", alg, "-o", str(key_file), "--json"]).stdout
    )
    document = write_json(tmp_path / "o.json", samples.import_order_json(samples.ImportTerms()))
    signed = runner.invoke(app, ["sign", "--key", str(key_file), "--party", PLATFORM,
                                 "--key-id", "k1", "--type", "order", str(document)])  # fmt: skip
    envelope = json.loads(signed.stdout)
    assert envelope["alg"] == printed["alg"]
    key = PartyKey("k1", PLATFORM, printed["alg"], printed["publicKey"], valid_from=EPOCH)
    registry = PartyRegistry([Party(PLATFORM, "platform", frozenset(["platform"]))], [key])
    assert verify_envelope(envelope, registry, now=datetime.now(UTC)).key == key


def test_sign_reads_stdin_and_writes_output_file(tmp_path: Path) -> None:
    key_file = write_signing_key(tmp_path / "k.pem", SigningKey.generate(Algorithm.ES256))
    order = samples.import_order_json(samples.ImportTerms())
    out = tmp_path / "envelope.json"
    result = sign("--key", str(key_file), "--party", PLATFORM, "--key-id", "k1",
                  "--type", "order", "-o", str(out), "-", stdin=json.dumps(order))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    verified(json.loads(out.read_text()), key_file, ["platform"])


def test_sign_gives_fresh_salt_each_time(tmp_path: Path) -> None:
    key_file = write_signing_key(tmp_path / "k.pem", SigningKey.generate(Algorithm.ED25519))
    document = write_json(tmp_path / "o.json", samples.import_order_json(samples.ImportTerms()))
    args = ("--key", str(key_file), "--party", PLATFORM, "--key-id", "k1", "--type", "order")
    salts = {json.loads(sign(*args, str(document)).stdout)["payload"]["salt"] for _ in range(2)}
    assert len(salts) == 2


def test_sign_ceb_xml_message_derives_type_from_message(key_file: Path) -> None:
    xml = DATA / "import" / "logistics.xml"
    result = sign("--key", str(key_file), "--party", "3301960004", "--key-id", "k1", str(xml))
    assert result.exit_code == 0, result.output
    envelope = json.loads(result.stdout)
    assert envelope["payload"]["docType"] == "waybill"
    assert envelope["payload"]["document"]["logisticsNo"] == "YT2024031500001"
    verified(envelope, key_file, ["logistics"])


def test_sign_batched_xml_gives_one_envelope_per_line(tmp_path: Path) -> None:
    key_file = write_signing_key(tmp_path / "k.pem", SigningKey.generate(Algorithm.ED25519))
    data = (DATA / "import" / "logistics.xml").read_bytes()
    start = data.index(b"<ceb:Logistics>")
    end = data.index(b"</ceb:Logistics>") + len(b"</ceb:Logistics>")
    other = data[start:end]
    for old, new in ((b"C96512</ceb:guid>", b"C96513</ceb:guid>"),
                     (b"YT2024031500001", b"YT2024031500002"),
                     (b"SD20240315000001", b"SD20240315000002")):  # fmt: skip
        other = other.replace(old, new)
    batched = tmp_path / "batch.xml"
    batched.write_bytes(data[:end] + other + data[end:])
    result = sign("--key", str(key_file), "--party", "3301960004", "--key-id", "k1",
                  "--type", "waybill", str(batched))  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    envelopes = [json.loads(line) for line in lines]
    assert [e["payload"]["document"]["logisticsNo"] for e in envelopes] == [
        "YT2024031500001",
        "YT2024031500002",
    ]
    for envelope in envelopes:
        verified(envelope, key_file, ["logistics"])


def test_sign_refuses_type_that_disagrees_with_the_message(key_file: Path) -> None:
    xml = DATA / "import" / "order.xml"
    result = sign("--key", str(key_file), "--party", "X", "--key-id", "k1",
                  "--type", "payment", str(xml))  # fmt: skip
    assert result.exit_code == 2
    assert "--type payment disagrees with the CEB311 message" in result.output
    assert "order" in result.output
    assert result.stdout == ""


def test_sign_lists_every_schema_problem_and_signs_nothing(tmp_path: Path) -> None:
    key_file = write_signing_key(tmp_path / "k.pem", SigningKey.generate(Algorithm.ED25519))
    order = samples.import_order_json(samples.ImportTerms())
    del order["orderNo"]
    order["goodsValue"] = "12.3.4"
    order["OrderList"][0]["qty"] = "many"
    document = write_json(tmp_path / "bad.json", order)
    result = sign("--key", str(key_file), "--party", PLATFORM, "--key-id", "k1",
                  "--type", "order", str(document))  # fmt: skip
    assert result.exit_code == 2
    assert result.stdout == ""
    for field in ("document.orderNo", "document.goodsValue", "document.OrderList.0.qty"):
        assert f"  {field}: " in result.stderr


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        ('{"orderNo": "1"}', [], "a JSON document needs --type"),
        ("[1, 2]", ["--type", "order"], "must hold one JSON object"),
        ("{not json", ["--type", "order"], "not JSON"),
        ("<ceb:CEB311Message", [], "bad.json"),
    ],
)
def test_sign_refuses_unusable_input(
    content: str, args: list[str], message: str, tmp_path: Path
) -> None:
    key_file = write_signing_key(tmp_path / "k.pem", SigningKey.generate(Algorithm.ED25519))
    document = tmp_path / "bad.json"
    document.write_text(content)
    result = sign("--key", str(key_file), "--party", PLATFORM, "--key-id", "k1",
                  *args, str(document))  # fmt: skip
    assert result.exit_code == 2
    assert message in result.stderr


def test_sign_refuses_an_already_signed_envelope(tmp_path: Path) -> None:
    key = SigningKey.generate(Algorithm.ED25519)
    key_file = write_signing_key(tmp_path / "k.pem", key)
    document = write_json(tmp_path / "o.json", samples.import_order_json(samples.ImportTerms()))
    args = ("--key", str(key_file), "--party", PLATFORM, "--key-id", "k1", "--type", "order")
    envelope = tmp_path / "envelope.json"
    envelope.write_text(sign(*args, str(document)).stdout)
    result = sign(*args, str(envelope))
    assert result.exit_code == 2
    assert "already a signed envelope" in result.stderr


def test_sign_names_missing_options_and_bad_key_file(tmp_path: Path) -> None:
    document = write_json(tmp_path / "o.json", samples.import_order_json(samples.ImportTerms()))
    missing = sign("--type", "order", str(document))
    assert missing.exit_code == 2
    assert "signing needs --key, --party, --key-id" in missing.stderr
    junk = tmp_path / "junk.pem"
    junk.write_text("nothing")
    bad = sign("--key", str(junk), "--party", PLATFORM, "--key-id", "k1",
               "--type", "order", str(document))  # fmt: skip
    assert bad.exit_code == 2
    assert f"{junk}: unusable private key" in bad.stderr
