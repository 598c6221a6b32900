"""A realistic farm-to-consumer EPCIS chain for one lot of Gannan navel oranges (赣南脐橙).

Harvest in an orchard in Xinfeng county, Ganzhou (Jiangxi), washing and
grading at a packhouse, a laboratory inspection (certificate, temperature,
Brix, pesticide residue), cases packed on an SSCC pallet, export shipping
under the trade's order number and waybill, receiving and cold storage at an
overseas warehouse in Rotterdam, and retail sale. Deterministic: the caller
passes the start time; identifiers carry valid GS1 check digits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Final

from biip.checksums import gs1_standard_check_digit

from traceability.epcis.context import CONTEXT_URLS

__all__ = ["SANDAN_NS", "OrangeLot", "navel_orange_chain"]

SANDAN_NS: Final = "https://ns.sandan.example/epcis/"
_CN: Final = timezone(timedelta(hours=8))
_NL: Final = timezone(timedelta(hours=1))


def _gln(prefix: str, reference: str) -> str:
    digits = prefix + reference
    return digits + str(gs1_standard_check_digit(digits))


@dataclass(frozen=True)
class OrangeLot:
    """Identifiers of the sample chain (defaults: a fictitious GS1 China company 6901234)."""

    company_prefix: str = "6901234"  # the cooperative's GS1 company prefix (brand owner)
    gtin: str = "06901234123456"  # 5 kg case of navel oranges
    raw_gtin: str = "06901234000108"  # bulk harvested fruit
    lot: str = "GN2411A"
    sscc: str = "069012340000000177"
    order_no: str = "SO-2024-118"
    waybill: str = "WB778899001"
    farm: str = _gln("6901234", "00001")
    packhouse: str = _gln("6901234", "00002")
    lab: str = _gln("6901234", "00003")
    port: str = _gln("6901234", "00004")
    warehouse: str = _gln("8712345", "00010")
    store: str = _gln("8712345", "00020")
    grower: str = _gln("6901234", "00000")
    exporter: str = _gln("6901234", "00009")
    importer: str = _gln("8712345", "00000")


def _at(moment: datetime, zone: timezone) -> tuple[str, str]:
    local = moment.astimezone(zone)
    return local.isoformat(timespec="milliseconds"), local.strftime("%z")[:3] + ":00"


def _base(kind: str, moment: datetime, zone: timezone, step: str, where: str) -> dict[str, Any]:
    time, offset = _at(moment, zone)
    return {
        "type": kind,
        "eventTime": time,
        "eventTimeZoneOffset": offset,
        "bizStep": step,
        "readPoint": {"id": f"https://id.gs1.org/414/{where}"},
        "bizLocation": {"id": f"https://id.gs1.org/414/{where}"},
    }


def _lot(gtin: str, lot: str) -> str:
    return f"https://id.gs1.org/01/{gtin}/10/{lot}"


def _party(key: str, gln: str, kind: str = "owning_party") -> dict[str, str]:
    return {"type": kind, key: f"https://id.gs1.org/417/{gln}"}


def _place(key: str, gln: str) -> dict[str, str]:
    return {"type": "location", key: f"https://id.gs1.org/414/{gln}"}


def _harvest(ids: OrangeLot, start: datetime) -> dict[str, Any]:
    return _base("ObjectEvent", start, _CN, "commissioning", ids.farm) | {
        "action": "ADD",
        "disposition": "active",
        "quantityList": [{"epcClass": _lot(ids.raw_gtin, ids.lot), "quantity": 1200, "uom": "KGM"}],
        "sourceList": [_party("source", ids.grower)],
        "ilmd": {
            "sandan:variety": "纽荷尔 Newhall",
            "sandan:origin": "江西省赣州市信丰县 Xinfeng, Ganzhou, Jiangxi",
            "sandan:harvestDate": start.astimezone(_CN).date().isoformat(),
            "sandan:orchardBlock": "B7",
        },
    }


def _grading(ids: OrangeLot, start: datetime) -> dict[str, Any]:
    return _base(
        "TransformationEvent", start + timedelta(hours=20), _CN, "commissioning", ids.packhouse
    ) | {
        "disposition": "active",
        "inputQuantityList": [
            {"epcClass": _lot(ids.raw_gtin, ids.lot), "quantity": 1200, "uom": "KGM"}
        ],
        "outputQuantityList": [{"epcClass": _lot(ids.gtin, ids.lot), "quantity": 230}],
        "sourceList": [_party("source", ids.grower)],
        "destinationList": [_party("destination", ids.exporter)],
        "ilmd": {"sandan:grade": "特级 Extra", "sandan:sizeMm": "75-80", "sandan:washed": True},
    }


def _inspection(ids: OrangeLot, start: datetime) -> dict[str, Any]:
    moment = start + timedelta(hours=30)
    return _base("ObjectEvent", moment, _CN, "inspecting", ids.lab) | {
        "action": "OBSERVE",
        "disposition": "conformant",
        "quantityList": [{"epcClass": _lot(ids.gtin, ids.lot), "quantity": 230}],
        "certificationInfo": ["https://cert.example.cn/CIQ/2024/360700-118"],
        "sensorElementList": [
            {
                "sensorMetadata": {
                    "time": _at(moment, _CN)[0],
                    "deviceID": "urn:epc:id:giai:6901234.LAB01",
                },
                "sensorReport": [
                    {"type": "Temperature", "value": 6.5, "uom": "CEL"},
                    {"type": "sandan:Brix", "value": 12.8, "uom": "P1"},
                    {
                        "type": "MassConcentration",
                        "chemicalSubstance": "https://identifiers.org/inchikey:YWTYJOPNNQFBPC-UHFFFAOYSA-N",
                        "value": 0.02,
                        "uom": "NA",
                    },
                ],
            }
        ],
    }


def _packing(ids: OrangeLot, start: datetime) -> dict[str, Any]:
    return _base("AggregationEvent", start + timedelta(hours=36), _CN, "packing", ids.packhouse) | {
        "action": "ADD",
        "disposition": "in_progress",
        "parentID": f"https://id.gs1.org/00/{ids.sscc}",
        "childQuantityList": [{"epcClass": _lot(ids.gtin, ids.lot), "quantity": 230}],
        # The pallet goes to the logistics company's port: custody for its shipping event.
        "destinationList": [_place("destination", ids.port)],
    }


def _shipping(ids: OrangeLot, start: datetime) -> dict[str, Any]:
    return _base("ObjectEvent", start + timedelta(hours=48), _CN, "shipping", ids.port) | {
        "action": "OBSERVE",
        "disposition": "in_transit",
        "epcList": [f"https://id.gs1.org/00/{ids.sscc}"],
        "bizTransactionList": [
            {"type": "po", "bizTransaction": f"urn:epcglobal:cbv:bt:{ids.importer}:{ids.order_no}"},
            {"type": "bol", "bizTransaction": f"urn:epcglobal:cbv:bt:{ids.exporter}:{ids.waybill}"},
        ],
        "sourceList": [_party("source", ids.exporter), _place("source", ids.port)],
        "destinationList": [
            _party("destination", ids.importer),
            _place("destination", ids.warehouse),
        ],
    }


def _warehouse(ids: OrangeLot, start: datetime) -> list[dict[str, Any]]:
    received = _base("ObjectEvent", start + timedelta(days=24), _NL, "receiving", ids.warehouse)
    received |= {
        "action": "OBSERVE",
        "disposition": "in_progress",
        "epcList": [f"https://id.gs1.org/00/{ids.sscc}"],
        "sourceList": [_party("source", ids.importer)],
    }
    moment = start + timedelta(days=24, hours=3)
    stored = _base("ObjectEvent", moment, _NL, "storing", ids.warehouse)
    stored |= {
        "action": "OBSERVE",
        "disposition": "sellable_not_accessible",
        "epcList": [f"https://id.gs1.org/00/{ids.sscc}"],
        "sensorElementList": [
            {
                "sensorMetadata": {"time": _at(moment, _NL)[0]},
                "sensorReport": [{"type": "Temperature", "value": 5.8, "uom": "CEL"}],
            }
        ],
    }
    return [received, stored]


def _retail(ids: OrangeLot, start: datetime) -> dict[str, Any]:
    return _base("ObjectEvent", start + timedelta(days=27), _NL, "retail_selling", ids.store) | {
        "action": "OBSERVE",
        "disposition": "retail_sold",
        "quantityList": [{"epcClass": _lot(ids.gtin, ids.lot), "quantity": 12}],
    }


def navel_orange_chain(start: datetime, ids: OrangeLot | None = None) -> dict[str, Any]:
    """An EPCISDocument with the whole chain of one lot, harvest at ``start`` (aware)."""
    lot = ids or OrangeLot()
    events = [
        _harvest(lot, start),
        _grading(lot, start),
        _inspection(lot, start),
        _packing(lot, start),
        _shipping(lot, start),
        *_warehouse(lot, start),
        _retail(lot, start),
    ]
    return {
        "@context": [CONTEXT_URLS[0], {"sandan": SANDAN_NS}],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": _at(start + timedelta(days=27, hours=1), _NL)[0],
        "epcisBody": {"eventList": events},
    }
