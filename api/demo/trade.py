"""The demo flow, driven through the real HTTP API (in process) and the real chain.

Parties register and sign their own documents; the worker anchors them;
customs releases; banks settle, finance and fetch authenticity bundles, which
are then checked against the chain alone, as ``sandan verify`` does.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from api.anchoring.worker import AnchorWorker
from api.demo.parties import RegisteredParty, bearer, check_response, register_party
from api.verify.rpc import JsonRpc
from api.verify.trust import TrustRoots
from api.verify.verifier import Report, verify_bundle
from traceability import Algorithm
from traceability.trade import samples
from traceability.trade.inputs import TradeDocuments

Emit = Callable[[str], None]

#: Demo parties: (code, name, roles, signing algorithm, needs a chain account).
PARTIES: tuple[tuple[str, str, tuple[str, ...], Algorithm, bool], ...] = (
    (samples.PLATFORM[0], samples.PLATFORM[1], ("platform",), Algorithm.ED25519, False),
    # The import trades' e-commerce company and declaring agent: it applies for returns.
    (samples.SELLER[0], samples.SELLER[1], ("platform",), Algorithm.ED25519, False),
    (samples.PAYER_COMPANY[0], samples.PAYER_COMPANY[1], ("payment",), Algorithm.ES256, False),
    (samples.CARRIER[0], samples.CARRIER[1], ("logistics",), Algorithm.SM2, False),
    (samples.EXPORTER[0], samples.EXPORTER[1], ("platform",), Algorithm.ES256K, False),
    ("GACC-HZ", "杭州海关", ("customs",), Algorithm.ED25519, True),
    ("BANK-BOC-ZJ", "中国银行浙江省分行", ("bank",), Algorithm.ED25519, True),
    ("BANK-ICBC-ZJ", "中国工商银行浙江省分行", ("bank",), Algorithm.ED25519, True),
)


@dataclass
class TradeOutcome:
    """What happened to one demo trade."""

    label: str
    order_no: str
    trade_id: str
    verdict: dict[str, Any]
    documents: list[dict[str, Any]] = field(default_factory=list)
    release: dict[str, Any] | None = None
    settlement: dict[str, Any] | None = None
    financing: list[dict[str, Any]] = field(default_factory=list)
    bundle_path: str | None = None
    verification: dict[str, Any] | None = None


def _check(response: Any, *expected: int) -> Any:
    return check_response(response, *expected).json()


def register_parties(client: TestClient, admin_token: str, tag: str) -> dict[str, RegisteredParty]:
    """Register every demo party with a fresh API key and signing key."""
    admin = bearer(admin_token)
    return {
        code: register_party(
            client,
            admin,
            code,
            roles,
            name=name,
            alg=alg,
            chain_account=chain,
            key_id=f"{code}-{tag}",
            reissue=True,  # registered by an earlier run: issue a new API key
        )
        for code, name, roles, alg, chain in PARTIES
    }


def submit_trade(
    client: TestClient,
    parties: dict[str, RegisteredParty],
    docs: TradeDocuments,
    signer_of: dict[str, str],
) -> list[dict[str, Any]]:
    """Each document signed and submitted by the party that issues it."""
    results = []
    for kind in ("order", "payment", "waybill", "inventory"):
        document = getattr(docs, kind)
        if document is None:
            continue
        party = parties[signer_of[kind]]
        envelope = party.envelope(kind, document.to_json_dict())
        results.append(_check(client.post("/documents", json=envelope, headers=party.headers), 201))
    return results


@dataclass
class DemoRun:
    """Inputs of one demo run."""

    client: TestClient
    admin_token: str
    worker: AnchorWorker
    out_dir: Path
    rpc: JsonRpc
    trust: TrustRoots
    emit: Emit
    tag: str
    #: The registered demo parties, once :func:`run_trade_demo` registered them.
    parties: dict[str, RegisteredParty] = field(default_factory=dict)


def run_trade_demo(run: DemoRun) -> list[TradeOutcome]:
    """Register parties, submit four trades, anchor, release, settle, finance, bundle, verify."""
    client, emit = run.client, run.emit
    parties = register_parties(client, run.admin_token, run.tag)
    run.parties.update(parties)
    emit(f"registered {len(parties)} parties, each with its own signing key")
    plan = _trade_plan(run.tag)
    outcomes = []
    for label, docs, signers in plan:
        submitted = submit_trade(client, parties, docs, signers)
        trade_id = submitted[0]["tradeId"]
        outcomes.append(
            TradeOutcome(label, docs.order.orderNo, trade_id, {}, documents=submitted)  # type: ignore[union-attr]
        )
    emit(f"submitted {sum(len(o.documents) for o in outcomes)} signed documents; anchoring...")
    run.worker.drain()
    for outcome in outcomes:
        outcome.verdict = _check(
            client.get(f"/trades/{outcome.trade_id}/verdict", headers=parties["GACC-HZ"].headers),
            200,
        )
        outcome.documents = [
            _check(
                client.get(f"/documents/{d['contentHash']}", headers=parties["GACC-HZ"].headers),
                200,
            )
            for d in outcome.documents
        ]
    _customs_and_banks(run, parties, outcomes)
    return outcomes


def _trade_plan(tag: str) -> list[tuple[str, TradeDocuments, dict[str, str]]]:
    platform, payer, carrier, exporter = (
        samples.PLATFORM[0],
        samples.PAYER_COMPANY[0],
        samples.CARRIER[0],
        samples.EXPORTER[0],
    )
    import_signers = {
        "order": platform,
        "payment": payer,
        "waybill": carrier,
        "inventory": platform,
    }
    export_signers = {
        "order": exporter,
        "payment": payer,
        "waybill": carrier,
        "inventory": exporter,
    }
    clean = samples.import_trade(
        samples.ImportTerms(
            order_no=f"SD{tag}01", logistics_no=f"SF{tag}01", pay_transaction_id=f"AP{tag}01"
        )
    )
    short = samples.short_payment_trade(
        samples.ImportTerms(
            order_no=f"SD{tag}03", logistics_no=f"SF{tag}03", pay_transaction_id=f"AP{tag}03"
        )
    )
    export = samples.export_trade(
        samples.ExportTerms(order_no=f"GZ{tag}02", logistics_no=f"EMS{tag}02CN")
    )
    return [
        ("import 9610, clean", clean, import_signers),
        ("export 9610, navel oranges", export, export_signers),
        ("import 9610, payment one fen short, payer is not the buyer", short, import_signers),
    ]


def _customs_and_banks(
    run: DemoRun, parties: dict[str, RegisteredParty], outcomes: list[TradeOutcome]
) -> None:
    client, emit = run.client, run.emit
    customs, boc, icbc = parties["GACC-HZ"], parties["BANK-BOC-ZJ"], parties["BANK-ICBC-ZJ"]
    releasable = _check(client.get("/customs/releasable", headers=customs.headers), 200)
    emit(f"customs sees {releasable['count']} releasable trade(s)")
    for outcome in outcomes:
        if outcome.verdict["status"] != "match":
            continue
        # Customs names the verdict it judged: the release is refused if it changed since.
        outcome.release = _check(
            client.post(
                f"/customs/trades/{outcome.trade_id}/release",
                json={"verdictHash": outcome.verdict["verdictHash"]},
                headers=customs.headers,
            ),
            200,
        )
    clean, export = outcomes[0], outcomes[1]
    clean.settlement = _check(
        client.post(
            f"/banks/trades/{clean.trade_id}/settlement",
            json={"settlementRef": f"FX-{run.tag}-0001"},
            headers=boc.headers,
        ),
        200,
    )
    terms = {"amount": "1500.00", "currency": "CNY", "rate": "0.0385", "days": 90}
    first = client.post(
        f"/banks/trades/{export.trade_id}/financing", json={"terms": terms}, headers=boc.headers
    )
    second = client.post(
        f"/banks/trades/{export.trade_id}/financing",
        json={"terms": {**terms, "rate": "0.0350"}},
        headers=icbc.headers,
    )
    export.financing = [
        {"bank": boc.code, "status": first.status_code, "body": first.json()},
        {"bank": icbc.code, "status": second.status_code, "body": second.json()},
    ]
    run.out_dir.mkdir(parents=True, exist_ok=True)
    for outcome in outcomes:
        if outcome.verdict["status"] != "match":
            continue
        bundle = _check(
            client.get(f"/banks/trades/{outcome.trade_id}/bundle", headers=boc.headers), 200
        )
        path = run.out_dir / f"bundle-{outcome.order_no}.json"
        path.write_text(json.dumps(bundle, ensure_ascii=False, indent=2), encoding="utf-8")
        outcome.bundle_path = str(path)
        report: Report = verify_bundle(bundle, run.rpc, run.trust)
        outcome.verification = report.to_json()
