"""The traceability demo: a lot of Gannan navel oranges from the orchard to a shop in Rotterdam.

Four parties register with their own signing keys (a farm cooperative, an
inspection laboratory with a chain account, a logistics company, an overseas
warehouse), each signs and captures its own EPCIS events through the real
HTTP API, the worker anchors the event hashes per lot, and the lot's Digital
Link, QR code and verified provenance are produced.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from biip.checksums import gs1_standard_check_digit
from fastapi.testclient import TestClient

from api.anchoring.worker import AnchorWorker
from api.demo.parties import RegisteredParty, bearer, check_response, register_party
from traceability import Algorithm
from traceability.epcis.samples import OrangeLot, navel_orange_chain
from traceability.gs1 import build_digital_link

Emit = Callable[[str], None]

#: (role, name, signing algorithm, chain account, location attribute names of OrangeLot).
TRACE_PARTIES: tuple[tuple[str, str, Algorithm, bool, tuple[str, ...]], ...] = (
    (
        "producer",
        "信丰县脐橙专业合作社 Xinfeng Navel Orange Cooperative",
        Algorithm.ED25519,
        False,
        ("farm", "packhouse"),
    ),
    ("inspector", "赣州海关技术中心 Ganzhou Customs Laboratory", Algorithm.SM2, True, ("lab",)),
    ("logistics", "赣欧国际物流 Gan-Europe Logistics", Algorithm.ES256, False, ("port",)),
    (
        "warehouse",
        "Rotterdam Fresh Warehouse B.V.",
        Algorithm.ES256K,
        False,
        ("warehouse", "store"),
    ),
)

#: What each place of the sample chain is called (OrangeLot attribute → location object fields).
PLACES: dict[str, dict[str, str]] = {
    "farm": {
        "name": "Xinfeng navel orange orchard, block B7",
        "nameZh": "信丰县脐橙果园 B7 地块",
        "address": "Anxi town, Xinfeng county, Ganzhou, Jiangxi, China",
        "addressZh": "中国江西省赣州市信丰县安西镇",
        "region": "Gannan 赣南",
    },
    "packhouse": {
        "name": "Xinfeng cooperative packhouse",
        "nameZh": "信丰合作社分选包装厂",
        "address": "Industrial park, Xinfeng county, Ganzhou, Jiangxi, China",
        "addressZh": "中国江西省赣州市信丰县工业园",
        "region": "Gannan 赣南",
    },
    "lab": {
        "name": "Ganzhou Customs technical centre laboratory",
        "nameZh": "赣州海关技术中心实验室",
        "address": "Zhanggong district, Ganzhou, Jiangxi, China",
        "addressZh": "中国江西省赣州市章贡区",
    },
    "port": {
        "name": "Ganzhou International Land Port",
        "nameZh": "赣州国际陆港",
        "address": "Nankang district, Ganzhou, Jiangxi, China",
        "addressZh": "中国江西省赣州市南康区",
    },
    "warehouse": {
        "name": "Rotterdam Fresh cold store",
        "nameZh": "鹿特丹生鲜冷库",
        "address": "Waalhaven, Rotterdam, the Netherlands",
        "addressZh": "荷兰鹿特丹瓦尔港",
    },
    "store": {
        "name": "Fresh market Rotterdam-Centrum",
        "nameZh": "鹿特丹市中心生鲜超市",
        "address": "Lijnbaan, Rotterdam, the Netherlands",
        "addressZh": "荷兰鹿特丹林班街",
    },
}
#: The products of the sample chain (OrangeLot GTIN attribute → product master data).
PRODUCTS: dict[str, dict[str, str]] = {
    "gtin": {
        "name": "Gannan navel oranges, 5 kg case",
        "nameZh": "赣南脐橙 5 公斤装",
        "brand": "Xinfeng Cooperative",
        "brandZh": "信丰合作社",
    },
    "raw_gtin": {
        "name": "Gannan navel oranges, bulk",
        "nameZh": "赣南脐橙（散装鲜果）",
        "brand": "Xinfeng Cooperative",
        "brandZh": "信丰合作社",
    },
}

#: Which role captures each business step of the sample chain.
CAPTURER = {
    "commissioning": "producer",
    "packing": "producer",
    "inspecting": "inspector",
    "shipping": "logistics",
    "receiving": "warehouse",
    "storing": "warehouse",
    "retail_selling": "warehouse",
}


def _register(
    client: TestClient, admin: dict[str, str], tag: str, ids: OrangeLot
) -> dict[str, RegisteredParty]:
    parties: dict[str, RegisteredParty] = {}
    for role, name, alg, chain, places in TRACE_PARTIES:
        # At most 18 characters: a 9810 inventory names its overseas warehouse by this code,
        # in ebpCode (C..18), so the life-cycle demo's export can consign the lot to it.
        code = f"{role.upper()[:3]}{tag}"
        party = register_party(client, admin, code, [role], name=name, alg=alg, chain_account=chain)
        glns = [{"gln": getattr(ids, place), **PLACES[place]} for place in places]
        check_response(
            client.put(f"/parties/{code}/locations", json={"glns": glns}, headers=admin), 200
        )
        parties[role] = party
    # The cooperative owns the GTINs it commissions (the lot rule's brand owner); each run's
    # cooperative takes the sample company prefix over from the previous run's.
    body = {"prefixes": [ids.company_prefix], "transfer": True}
    path = f"/parties/{parties['producer'].code}/company-prefixes"
    check_response(client.put(path, json=body, headers=admin), 200)
    for attribute, product in PRODUCTS.items():
        gtin = getattr(ids, attribute)
        headers = parties["producer"].headers
        check_response(client.put(f"/products/{gtin}", json=product, headers=headers), 200)
    return parties


def _split(chain: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The sample chain's events grouped by the role that captures them, order kept."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for event in chain["epcisBody"]["eventList"]:
        groups.setdefault(CAPTURER[event["bizStep"]], []).append(event)
    return groups


def _capture(
    client: TestClient, party: RegisteredParty, chain: dict[str, Any], events: list[Any]
) -> dict[str, Any]:
    document = {**chain, "epcisBody": {"eventList": events}}
    headers = party.headers | {"GS1-Capture-Error-Behaviour": "rollback"}
    accepted = check_response(
        client.post("/capture", json=party.envelope("epcis-event", document), headers=headers), 202
    )
    job = check_response(
        client.get(accepted.headers["Location"], headers=party.headers), 200
    ).json()
    if job["running"] or not job["success"]:
        raise RuntimeError(f"capture by {party.code} did not succeed: {job}")
    return dict(job)


def lot_number(tag: str) -> str:
    """A lot number unique to the run (AI 10: at most 20 characters)."""
    return ("GN" + re.sub(r"[^A-Za-z0-9]", "", tag).upper())[:20]


def pallet_number(tag: str) -> str:
    """An SSCC unique to the run: two runs' pallets must not hold each other's lots."""
    serial = int.from_bytes(hashlib.sha256(tag.encode()).digest()[:8], "big") % 10**9
    digits = f"0{OrangeLot.company_prefix}{serial:09d}"
    return digits + str(gs1_standard_check_digit(digits))


def run_trace_demo(
    client: TestClient,
    admin_token: str,
    worker: AnchorWorker,
    out_dir: Path,
    emit: Emit,
    tag: str,
) -> dict[str, Any]:
    """Capture, anchor and verify a navel-orange lot; write its QR code; return a summary."""
    admin = bearer(admin_token)
    ids = OrangeLot(lot=lot_number(tag), sscc=pallet_number(tag))
    parties = _register(client, admin, tag, ids)
    chain = navel_orange_chain(datetime.now(UTC) - timedelta(days=30), ids)
    jobs = {
        role: _capture(client, parties[role], chain, events)
        for role, events in _split(chain).items()
    }
    emit(
        f"captured {sum(j['counts']['captured'] for j in jobs.values())} signed EPCIS events "
        f"for lot {ids.lot} (GTIN {ids.gtin})"
    )
    worker.drain()
    base = client.app.state.runtime.settings.public_base_url  # type: ignore[attr-defined]
    link = build_digital_link(ids.gtin, lot=ids.lot, host=base)
    emit(f"Digital Link: {link}")
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for kind in ("png", "svg"):
        image = check_response(client.get("/qr", params={"dl": link, "format": kind}), 200).content
        path = out_dir / f"lot-{ids.lot}.{kind}"
        path.write_bytes(image)
        paths[kind] = str(path)
    emit(f"QR code: {paths['png']} and {paths['svg']}")
    provenance = check_response(
        client.get(urlsplit(link).path, headers={"Accept": "application/json"}), 200
    ).json()
    for event in provenance["events"]:
        check = event["verification"]
        emit(
            f"  {event['stage'] or '-':<10} {event['bizStep'] or event['type']:<15} "
            f"{check['status']:<13} block {check['blockNumber']} tx {check['txHash']}"
        )
    summary = provenance["verification"]
    emit(f"{summary['verified']} of {summary['total']} events verified on chain")
    return {
        "gtin": ids.gtin,
        "lot": ids.lot,
        "digitalLink": link,
        "qr": paths,
        "parties": {role: p.code for role, p in parties.items()},
        "captureJobs": {role: job["captureID"] for role, job in jobs.items()},
        "events": [
            {
                "eventHash": e["eventHash"],
                "stage": e["stage"],
                "bizStep": e["bizStep"],
                **{k: e["verification"][k] for k in ("status", "blockNumber", "txHash")},
            }
            for e in provenance["events"]
        ],
        "allVerified": summary["allVerified"],
        "findings": provenance["findings"],
    }
