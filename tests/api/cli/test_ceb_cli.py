"""``sandan ceb check`` and ``sandan ceb convert`` through Typer's runner."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from api.cli.ceb import register

DATA = Path(__file__).resolve().parents[2] / "data" / "ceb"
CERT = DATA / "certs" / "ebc-3301960002.pem"


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.callback()
    def _root() -> None:
        """Test root so ``ceb`` stays a sub-command."""

    return app


def _run(*args: str) -> tuple[int, dict[str, object]]:
    result = CliRunner().invoke(_app(), ["ceb", *args])
    return result.exit_code, json.loads(result.stdout)


@pytest.fixture
def trade(tmp_path: Path) -> Path:
    folder = tmp_path / "trade"
    shutil.copytree(DATA / "import", folder)
    (folder / "return.xml").unlink()
    return folder


@pytest.mark.parametrize("direction", ["import", "export"])
def test_ceb_check_matches_samples(direction: str) -> None:
    code, output = _run("check", str(DATA / direction))
    assert (code, output["verdict"], output["reasons"]) == (0, "match", [])


def test_ceb_check_reports_mismatch(trade: Path) -> None:
    payment = trade / "payment.xml"
    payment.write_bytes(payment.read_bytes().replace(b"315.12", b"300.00"))
    code, output = _run("check", str(trade))
    assert (code, output["verdict"]) == (1, "mismatch")
    rules = {(r["rule"], r["file"]) for r in output["reasons"]}  # type: ignore[union-attr, index]
    assert ("amount.payment_equals_paid", "payment.xml") in rules


def test_ceb_check_applies_prior_annual_total(trade: Path) -> None:
    code, output = _run("check", str(trade), "--prior-annual", "25900")
    assert (code, output["verdict"]) == (1, "mismatch")
    assert any(r["rule"] == "limit.annual" for r in output["reasons"])  # type: ignore[index, union-attr]


@pytest.mark.parametrize(
    ("old", "new", "rule"),
    [
        (b"<ceb:currency>142</ceb:currency>", b"<ceb:currency>502</ceb:currency>", "schema.fixed"),
        (b"<?xml", b'<!DOCTYPE x [<!ENTITY a "b">]><?xml', "xml.entity_forbidden"),
        (b"http://www.chinaport.gov.cn/ceb", b"http://example.com/ceb", "xml.wrong_namespace"),
        (b"CEB311Message", b"CEB411Message", "xml.unknown_message"),
    ],
    ids=["schema", "entities", "namespace", "wrong-message"],
)
def test_ceb_check_reports_invalid_order(trade: Path, old: bytes, new: bytes, rule: str) -> None:
    order = trade / "order.xml"
    order.write_bytes(order.read_bytes().replace(old, new))
    code, output = _run("check", str(trade))
    assert (code, output["verdict"]) == (2, "invalid")
    assert {(r["rule"], r["file"]) for r in output["reasons"]} >= {(rule, "order.xml")}  # type: ignore[union-attr, index]


def test_ceb_check_names_missing_file(trade: Path) -> None:
    (trade / "logistics.xml").unlink()
    code, output = _run("check", str(trade))
    assert code == 2
    assert output["reasons"] == [
        {
            "rule": "input.missing_file",
            "file": "logistics.xml",
            "field": None,
            "expected": None,
            "actual": None,
            "message": "logistics.xml is missing",
        }
    ]


def test_ceb_check_refuses_links_outside_and_non_directories(trade: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.xml"
    shutil.copy(trade / "order.xml", outside)
    (trade / "order.xml").unlink()
    (trade / "order.xml").symlink_to(outside)
    code, output = _run("check", str(trade))
    assert code == 2
    assert output["reasons"][0]["rule"] == "input.not_a_file"  # type: ignore[index]
    code, output = _run("check", str(outside))
    assert (code, output["reasons"][0]["rule"]) == (2, "input.not_a_directory")  # type: ignore[index]


def test_ceb_check_reports_signatures_apart_from_verdict(trade: Path) -> None:
    code, output = _run("check", str(trade), "--verify-signatures", "--cert", str(CERT))
    signatures = output["signatures"]
    assert code == 0
    assert signatures["inventory.xml"]["outcome"] == "valid"  # type: ignore[index]
    assert signatures["order.xml"]["outcome"] == "missing"  # type: ignore[index]


def test_ceb_convert_prints_json() -> None:
    code, output = _run("convert", str(DATA / "import" / "order.xml"))
    assert code == 0
    assert output["message_type"] == "CEB311"
    assert output["documents"][0]["buyerName"] == "张三"  # type: ignore[index]


def test_ceb_convert_reports_issues(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_bytes(
        (DATA / "import" / "order.xml").read_bytes().replace(b"<ceb:appType>1", b"<ceb:appType>7")
    )
    code, output = _run("convert", str(bad))
    assert (code, output["error"]) == (2, "schema_violation")


# --- convert and write: a round trip gives the same message -------------------------

SAMPLE_MESSAGES = sorted(DATA.glob("*/*.xml"))


def _convert_then_write(source: Path, tmp_path: Path) -> bytes:
    converted = CliRunner().invoke(_app(), ["ceb", "convert", str(source)])
    assert converted.exit_code == 0, converted.stdout
    json_file = tmp_path / "message.json"
    json_file.write_text(converted.stdout, encoding="utf-8")
    written = CliRunner().invoke(_app(), ["ceb", "write", str(json_file)])
    assert written.exit_code == 0, written.stdout
    return written.stdout_bytes


@pytest.mark.parametrize("source", SAMPLE_MESSAGES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_ceb_write_turns_convert_output_back_into_the_same_message(
    source: Path, tmp_path: Path
) -> None:
    from tests.traceability.ceb.official_xsd import xsd_errors
    from traceability.ceb import read_message, write_message

    original = read_message(source.read_bytes())
    xml = _convert_then_write(source, tmp_path)
    assert read_message(xml) == original  # signature and ExtendMessage included
    assert xml == write_message(original)
    assert xsd_errors(xml) == []


def test_ceb_convert_carries_signature_and_extend_message_verbatim(tmp_path: Path) -> None:
    from traceability.ceb import read_message

    extend = (
        '<ceb:ExtendMessage xmlns:ceb="http://www.chinaport.gov.cn/ceb"><ceb:name>sandan</ceb:name>'
        "<ceb:version>1</ceb:version><ceb:Message><lot>L-7</lot></ceb:Message></ceb:ExtendMessage>"
    )
    data = (DATA / "import" / "inventory.xml").read_bytes()
    data = data.replace(b"<ds:Signature", extend.encode() + b"<ds:Signature", 1)
    source = tmp_path / "inventory.xml"
    source.write_bytes(data)
    code, output = _run("convert", str(source))
    assert code == 0
    assert output["ExtendMessage"] == extend
    signature = str(output["Signature"])
    assert signature.startswith("<ds:Signature")
    assert signature.endswith("</ds:Signature>")
    # Verbatim after the start tag, which declares the ds namespace the root declared here.
    assert signature[signature.index(">") :] in data.decode("utf-8")
    again = read_message(_convert_then_write(source, tmp_path))
    assert again.extend_message == extend.encode()
    assert again.signature == signature.encode()


def test_a_signature_over_written_bytes_survives_convert_and_write(tmp_path: Path) -> None:
    """write re-emits the signature verbatim, so a message signed as sandan writes it verifies."""
    from tests.traceability.ceb.conftest import make_signer
    from traceability.ceb import read_message, sign_xml, verify_xml_signature, write_message

    signer = make_signer()
    written = write_message(read_message((DATA / "import" / "return.xml").read_bytes()))
    signed = sign_xml(
        written, private_key_pem=signer.key_pem, certificate_pem=signer.cert_pem, key_name="k-1"
    )
    source = tmp_path / "return.xml"
    source.write_bytes(signed)
    again = _convert_then_write(source, tmp_path)
    assert verify_xml_signature(again, signer.cert_pem).valid


@pytest.mark.parametrize(
    ("change", "path", "rule"),
    [
        (lambda m: m.pop("Signature"), "CEB625Message/Signature", "schema.required"),
        (lambda m: m.update(Signature="<Signature/>"), "Signature", "json.xml"),
        (lambda m: m.update(Signature="<ds:Signature"), "Signature", "json.xml"),
        (lambda m: m["documents"][0].pop("orderNo"), "documents[0].orderNo", "json.model"),
        (lambda m: m.update(documents={}), "documents", "json.type"),
        (lambda m: m.update(colour="red"), "colour", "json.unexpected"),
    ],
)
def test_ceb_write_names_what_is_wrong(
    change: object, path: str, rule: str, tmp_path: Path
) -> None:
    code, output = _run("convert", str(DATA / "import" / "return.xml"))
    change(output)  # type: ignore[operator]
    if "Signature" not in output:
        output["signed"] = False
    json_file = tmp_path / "message.json"
    json_file.write_text(json.dumps(output, ensure_ascii=False), encoding="utf-8")
    code, answer = _run("write", str(json_file))
    assert (code, answer["error"]) == (2, "schema_violation")
    issues = {(i["path"], i["reason"]) for i in answer["issues"]}  # type: ignore[union-attr, index]
    assert (path, rule) in issues


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b"<xml/>", "json_invalid"),
        (b"\xff\xfe", "json_invalid"),
        (b'"\xff"', "json_invalid"),
        (b"[" * 100_000 + b"]" * 100_000, "json_too_deep"),
        (b'{"message_type": "CEB999"}', "unknown_message"),
    ],
    ids=["xml", "bom", "not-utf8", "deep", "unknown-type"],
)
def test_ceb_write_refuses_what_is_not_a_converted_message(
    content: bytes, error: str, tmp_path: Path
) -> None:
    json_file = tmp_path / "message.json"
    json_file.write_bytes(content)
    code, answer = _run("write", str(json_file))
    assert (code, answer["error"]) == (2, error)


# --- batched messages: up to 100 business nodes, the trade's own one is judged ---------


def _batch(file: Path, element: bytes, *changes: tuple[bytes, bytes], first: bool = False) -> None:
    """Add a copy of the file's business node ``element`` with ``changes`` applied."""
    data = file.read_bytes()
    start = data.index(b"<ceb:" + element + b">")
    end = data.index(b"</ceb:" + element + b">") + len(element) + 7
    other = data[start:end]
    for old, new in changes:
        assert old in other
        other = other.replace(old, new)
    at = start if first else end
    file.write_bytes(data[:at] + other + data[at:])


OTHER_WAYBILL = (
    (b"C96512</ceb:guid>", b"C96513</ceb:guid>"),
    (b"YT2024031500001", b"YT2024031500002"),
    (b"SD20240315000001", b"SD20240315000002"),
)


@pytest.mark.parametrize("first", [False, True])
def test_ceb_check_judges_the_trades_waybill_in_a_batched_ceb511(trade: Path, first: bool) -> None:
    _batch(trade / "logistics.xml", b"Logistics", *OTHER_WAYBILL, first=first)
    code, output = _run("check", str(trade))
    assert (code, output["verdict"], output["reasons"]) == (0, "match", [])


def test_ceb_check_batch_judges_the_trades_own_node_not_the_other(trade: Path) -> None:
    _batch(trade / "logistics.xml", b"Logistics", *OTHER_WAYBILL, (b"10.00", b"99.00"))
    assert _run("check", str(trade))[0] == 0  # the other waybill's freight is not the trade's
    trade.joinpath("logistics.xml").write_bytes(
        (DATA / "import" / "logistics.xml").read_bytes().replace(b"10.00", b"99.00")
    )
    _batch(trade / "logistics.xml", b"Logistics", *OTHER_WAYBILL, (b"99.00", b"10.00"))
    code, output = _run("check", str(trade))
    assert (code, output["verdict"]) == (1, "mismatch")


@pytest.mark.parametrize(
    ("changes", "rule", "field"),
    [
        (OTHER_WAYBILL[1:], "duplicate.guid", "CEB511Message/Logistics[2]/LogisticsHead/guid"),
        (
            OTHER_WAYBILL[::2],
            "duplicate.logisticsNo",
            "CEB511Message/Logistics[2]/LogisticsHead/logisticsNo",
        ),
        (
            OTHER_WAYBILL[:2],
            "duplicate.orderNo",
            "CEB511Message/Logistics[2]/LogisticsHead/orderNo",
        ),
    ],
)
def test_ceb_check_applies_the_duplicate_rules_across_a_batch(
    trade: Path, changes: tuple[tuple[bytes, bytes], ...], rule: str, field: str
) -> None:
    _batch(trade / "logistics.xml", b"Logistics", *changes)
    code, output = _run("check", str(trade))
    assert (code, output["verdict"]) == (2, "invalid")
    found = {(r["rule"], r["file"], r["field"]) for r in output["reasons"]}  # type: ignore[union-attr, index]
    assert (rule, "logistics.xml", field) in found


def test_ceb_check_says_when_a_batch_lacks_the_trade(trade: Path) -> None:
    logistics = trade / "logistics.xml"
    _batch(logistics, b"Logistics", *OTHER_WAYBILL)
    _batch(logistics, b"Logistics", (b"C96512</", b"C96514</"), (b"000001<", b"000003<"))
    data = logistics.read_bytes()
    start = data.index(b"<ceb:Logistics>")
    logistics.write_bytes(data[:start] + data[data.index(b"</ceb:Logistics>") + 16 :])
    code, output = _run("check", str(trade))
    assert (code, output["verdict"]) == (2, "invalid")
    reasons = output["reasons"]
    assert [(r["rule"], r["expected"]) for r in reasons] == [  # type: ignore[union-attr, index]
        ("input.trade_not_in_message", "SD20240315000001")
    ]


def test_ceb_check_batched_orders_need_the_order_number(trade: Path) -> None:
    _batch(
        trade / "order.xml",
        b"Order",
        (b"C96402</ceb:guid>", b"C96409</ceb:guid>"),
        (b"SD20240315000001", b"SD20240315000009"),
        (b"PAY20240315000001", b"PAY20240315000009"),  # one payment pays one order
    )
    code, output = _run("check", str(trade))
    assert (code, output["verdict"]) == (2, "invalid")
    rules = [r["rule"] for r in output["reasons"]]  # type: ignore[union-attr, index]
    assert rules == ["input.ambiguous_trade"]
    code, output = _run("check", str(trade), "--order-no", "SD20240315000001")
    assert (code, output["verdict"], output["reasons"]) == (0, "match", [])


def test_ceb_check_finds_an_export_waybill_in_a_batch_by_the_inventorys_logistics_no(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "export"
    shutil.copytree(DATA / "export", folder)
    for name in ("summary.xml", "waybill_group.xml"):
        (folder / name).unlink()
    _batch(
        folder / "logistics.xml",
        b"Logistics",
        (b"5051</ceb:guid>", b"5052</ceb:guid>"),
        (b"EX-YT-000001", b"EX-YT-000002"),
        first=True,
    )
    code, output = _run("check", str(folder))
    assert (code, output["verdict"], output["reasons"]) == (0, "match", [])


@pytest.mark.parametrize("source", ["import/order.xml", "export/summary.xml"])
def test_ceb_write_with_an_sm2_key_signs_sm2_sm3_named_by_the_certificate(
    source: str, tmp_path: Path
) -> None:
    from cryptography import x509

    from tests.sm2_openssl import self_signed_sm2_certificate, sm2_key
    from tests.traceability.ceb.official_xsd import xsd_errors
    from traceability.ceb import read_message, verify_xml_signature

    key = sm2_key(tmp_path / "ebc.pem")
    certificate = self_signed_sm2_certificate(key, tmp_path / "ebc.crt", "3301960002")
    converted = CliRunner().invoke(_app(), ["ceb", "convert", str(DATA / source)])
    json_file = tmp_path / "message.json"
    json_file.write_text(converted.stdout, encoding="utf-8")
    written = CliRunner().invoke(
        _app(),
        ["ceb", "write", str(json_file), "--key", str(key), "--certificate", str(certificate)],
    )
    assert written.exit_code == 0, written.stdout
    result = verify_xml_signature(written.stdout_bytes, certificate.read_bytes())
    assert result.valid, result
    assert result.algorithm == "http://www.chinaport.gov.cn/2022/04/xmldsig#sm2-sm3"
    serial = x509.load_pem_x509_certificate(certificate.read_bytes()).serial_number
    assert result.key_name == f"{serial:016x}"
    assert read_message(written.stdout_bytes).signature is not None
    assert xsd_errors(written.stdout_bytes) == []


def test_ceb_write_refuses_a_key_without_certificate_or_of_another_certificate(
    tmp_path: Path,
) -> None:
    from tests.sm2_openssl import self_signed_sm2_certificate, sm2_key

    key, other = sm2_key(tmp_path / "a.pem"), sm2_key(tmp_path / "b.pem")
    certificate = self_signed_sm2_certificate(other, tmp_path / "b.crt", "other")
    converted = CliRunner().invoke(_app(), ["ceb", "convert", str(DATA / "import/order.xml")])
    json_file = tmp_path / "message.json"
    json_file.write_text(converted.stdout, encoding="utf-8")
    code, output = _run("write", str(json_file), "--key", str(key))
    assert code != 0
    assert "go together" in str(output["message"])
    code, output = _run(
        "write", str(json_file), "--key", str(key), "--certificate", str(certificate)
    )
    assert code != 0
    assert output["error"] == "signing_refused"
    assert "does not hold the signing key" in str(output["message"])


def test_ceb_sign_signs_a_message_as_it_stands_replacing_its_signature(tmp_path: Path) -> None:
    import base64

    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
    from lxml import etree

    from tests.sm2_openssl import c14n, self_signed_sm2_certificate, sm2_key, sm2_verify
    from traceability.ceb import verify_xml_signature
    from traceability.ceb.spec import DS_NS

    def sign(path: Path, key: Path, certificate: Path) -> Any:
        args = ["ceb", "sign", str(path), "--key", str(key), "--certificate", str(certificate)]
        done = CliRunner().invoke(_app(), args)
        assert done.exit_code == 0, done.stdout
        return done

    old_key = sm2_key(tmp_path / "old.pem")
    old_certificate = self_signed_sm2_certificate(old_key, tmp_path / "old.crt", "old")
    key = sm2_key(tmp_path / "ebc.pem")
    certificate = self_signed_sm2_certificate(key, tmp_path / "ebc.crt", "3301960002")
    source = DATA / "import" / "order.xml"
    first = tmp_path / "first.xml"
    first.write_bytes(sign(source, old_key, old_certificate).stdout_bytes)
    signed = sign(first, key, certificate)
    root = etree.fromstring(signed.stdout_bytes)
    (signature,) = root.findall(f"{{{DS_NS}}}Signature")  # the old one is gone
    assert verify_xml_signature(signed.stdout_bytes, certificate.read_bytes()).valid
    assert not verify_xml_signature(signed.stdout_bytes, old_certificate.read_bytes()).valid
    # OpenSSL, the independent implementation, verifies the SignatureValue (raw r‖s).
    raw = base64.b64decode(signature.findtext(f"{{{DS_NS}}}SignatureValue"))
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    signed_info = c14n(signature.find(f"{{{DS_NS}}}SignedInfo"))
    assert sm2_verify(certificate, signed_info, der, tmp_path)
    # The business content is byte for byte what was given.
    converted = CliRunner().invoke(_app(), ["ceb", "convert", str(source)])
    signed_file = tmp_path / "signed.xml"
    signed_file.write_bytes(signed.stdout_bytes)
    reconverted = CliRunner().invoke(_app(), ["ceb", "convert", str(signed_file)])
    assert json.loads(reconverted.stdout)["documents"] == json.loads(converted.stdout)["documents"]


def test_ceb_sign_refuses_what_is_not_a_ceb_message(tmp_path: Path) -> None:
    from tests.sm2_openssl import self_signed_sm2_certificate, sm2_key

    key = sm2_key(tmp_path / "ebc.pem")
    certificate = self_signed_sm2_certificate(key, tmp_path / "ebc.crt", "3301960002")
    junk = tmp_path / "junk.xml"
    junk.write_bytes(b"<ceb:CEB311Message xmlns:ceb='http://www.chinaport.gov.cn/ceb'/>")
    code, output = _run("sign", str(junk), "--key", str(key), "--certificate", str(certificate))
    assert code != 0
    assert output["error"] != "signing_refused", output
    assert output["message"]
