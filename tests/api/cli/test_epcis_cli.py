"""``sandan epcis hash``, ``sandan dl parse`` and ``sandan qr`` through Typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from traceability.epcis import event_hash, prehash
from traceability.epcis.hashing import LEGACY_PROFILE

DATA = Path(__file__).parents[2] / "data" / "epcis"
LINK = "https://trace.example.cn/01/06901234123456/10/GN2411A?17=251231"


def test_epcis_hash_prints_one_hash_per_event_in_order(run):
    document = json.loads((DATA / "hash_corpus.jsonld").read_text(encoding="utf-8"))
    result = run("epcis", "hash", str(DATA / "hash_corpus.jsonld"))
    assert result.exit_code == 0, result.output
    events = document["epcisBody"]["eventList"]
    expected = [event_hash(e, context=document["@context"]) for e in events]
    assert result.stdout.splitlines() == expected


def test_epcis_hash_prehash_prints_prehash_strings(run):
    document = json.loads((DATA / "navel_orange_chain.jsonld").read_text(encoding="utf-8"))
    result = run("epcis", "hash", "--prehash", str(DATA / "navel_orange_chain.jsonld"))
    assert result.exit_code == 0, result.output
    first = prehash(document["epcisBody"]["eventList"][0], context=document["@context"])
    assert result.stdout.splitlines()[0] == first


def test_epcis_hash_accepts_a_bare_event(run, tmp_path):
    document = json.loads((DATA / "hash_corpus.jsonld").read_text(encoding="utf-8"))
    event = document["epcisBody"]["eventList"][0] | {"@context": document["@context"]}
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event), encoding="utf-8")
    result = run("epcis", "hash", str(path))
    assert result.stdout.strip() == event_hash(event)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not JSON"),
        (json.dumps({"type": "ObjectEvent"}), "eventTime: required"),
    ],
)
def test_epcis_hash_rejects_invalid_file_naming_the_field(run, tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    result = run("epcis", "hash", str(path))
    assert result.exit_code == 2
    assert message in result.stderr


def test_epcis_hash_names_field_in_document(run, tmp_path):
    document = json.loads((DATA / "hash_corpus.jsonld").read_text(encoding="utf-8"))
    document["epcisBody"]["eventList"][2]["eventTime"] = "2024-11-03"
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    result = run("epcis", "hash", str(path))
    assert result.exit_code == 2
    assert "epcisBody.eventList[2].eventTime" in result.stderr


def test_dl_parse_prints_json(run):
    result = run("dl", "parse", LINK)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["gtin"] == "06901234123456"
    assert (data["lot"], data["expiry"]) == ("GN2411A", "2025-12-31")


def test_dl_parse_rejects_with_reason(run):
    result = run("dl", "parse", "https://a.cn/01/06901234123457")
    assert result.exit_code == 2
    assert "path./01: check digit" in result.stderr


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_qr_writes_label_sized_code(run, tmp_path, suffix):
    out = tmp_path / f"label{suffix}"
    result = run("qr", LINK, "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "error correction M" in result.stdout
    head = out.read_bytes()[:8]
    assert head.startswith(b"\x89PNG") if suffix == ".png" else b"<" in head


def test_qr_png_is_about_25_mm_at_300_dpi(run, tmp_path):
    out = tmp_path / "label.png"
    run("qr", LINK, "-o", str(out))
    width = int.from_bytes(out.read_bytes()[16:20], "big")  # the PNG IHDR chunk holds it
    assert 270 <= width <= 330  # 25 mm at 300 dpi is 295 px


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("", "is a directory"),
        ("label.gif", "unknown extension .gif"),
        ("missing/label.png", "does not exist"),
    ],
)
def test_qr_rejects_unusable_output(run, tmp_path, target, message):
    result = run("qr", LINK, "-o", str(tmp_path / target) if target else str(tmp_path))
    assert result.exit_code == 2
    assert message in result.stderr


def test_qr_validates_link_first(run, tmp_path):
    result = run("qr", "https://a.cn/01/123", "-o", str(tmp_path / "x.png"))
    assert result.exit_code == 2
    assert "invalid Digital Link" in result.stderr
    assert not (tmp_path / "x.png").exists()


def test_epcis_hash_hashes_the_events_of_a_query_document(run):
    # The reference generator's own fixture, with the hashes it expects (and epcis2.js computes).
    fixture = DATA / "reference-generator" / "epcisQueryDocument"
    result = run("epcis", "hash", str(fixture.with_suffix(".jsonld")))
    assert result.exit_code == 0, result.output
    expected = fixture.with_suffix(".hashes").read_text(encoding="utf-8").split()
    assert result.stdout.split() == expected


def test_epcis_hash_of_query_document_without_events_names_the_field(run, tmp_path):
    path = tmp_path / "query.json"
    path.write_text(json.dumps({"type": "EPCISQueryDocument", "epcisBody": {}}), encoding="utf-8")
    result = run("epcis", "hash", str(path))
    assert result.exit_code == 2
    assert "epcisBody.queryResults.resultsBody.eventList: required" in result.output


def test_epcis_hash_profile_option_selects_the_legacy_rule(run):
    path = DATA / "hash_corpus.jsonld"
    document = json.loads(path.read_text(encoding="utf-8"))
    result = run("epcis", "hash", "--profile", LEGACY_PROFILE, str(path))
    assert result.exit_code == 0, result.output
    events = document["epcisBody"]["eventList"]
    expected = [event_hash(e, context=document["@context"], profile=LEGACY_PROFILE) for e in events]
    assert result.stdout.splitlines() == expected
    assert expected != [event_hash(e, context=document["@context"]) for e in events]


def test_epcis_hash_refuses_an_unknown_profile_naming_the_option(run):
    result = run("epcis", "hash", "--profile", "cbv/0", str(DATA / "hash_corpus.jsonld"))
    assert result.exit_code == 2
    assert "--profile: unknown event hash profile 'cbv/0'" in result.output
