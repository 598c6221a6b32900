"""CBV codes in words: business steps, dispositions, units and measurements, in English and Chinese.

The consumer page never shows a code where a shopper expects a word: a CBV 2.0
business step becomes what happened ("Shipped"), a UN/ECE Recommendation 20
unit code its symbol (``KGM`` → ``kg``). A code this table does not know is
shown as the code itself, never dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from api.services.trace.i18n import Lang

#: Every CBV 2.0 business step (traceability.epcis.vocabulary.BIZ_STEPS): (English, Chinese).
STEPS: Final[Mapping[str, tuple[str, str]]] = {
    "accepting": ("Accepted", "验收"),
    "arriving": ("Arrived", "到达"),
    "assembling": ("Assembled", "组装"),
    "collecting": ("Collected", "收集"),
    "commissioning": ("Recorded at source", "源头登记"),
    "consigning": ("Consigned", "托运"),
    "creating_class_instance": ("Produced", "生产"),
    "cycle_counting": ("Stock counted", "循环盘点"),
    "decommissioning": ("Taken out of use", "停用"),
    "departing": ("Departed", "出发"),
    "destroying": ("Destroyed", "销毁"),
    "disassembling": ("Disassembled", "拆解"),
    "dispensing": ("Dispensed", "分装发放"),
    "encoding": ("Labelled", "赋码"),
    "entering_exiting": ("Entered or left a site", "进出场地"),
    "holding": ("Held back", "暂扣"),
    "inspecting": ("Inspected", "检验"),
    "installing": ("Installed", "安装"),
    "killing": ("Deactivated", "注销"),
    "loading": ("Loaded", "装货"),
    "other": ("Other step", "其他环节"),
    "packing": ("Packed", "装箱"),
    "picking": ("Picked", "拣货"),
    "receiving": ("Received", "收货"),
    "removing": ("Removed", "取出"),
    "repackaging": ("Repacked", "重新包装"),
    "repairing": ("Repaired", "维修"),
    "replacing": ("Replaced", "更换"),
    "reserving": ("Reserved", "预留"),
    "retail_selling": ("Sold in a shop", "门店销售"),
    "sampling": ("Sampled", "抽样"),
    "sensor_reporting": ("Sensor reading", "传感器记录"),
    "shipping": ("Shipped", "发运"),
    "staging_outbound": ("Ready to ship", "待发运"),
    "stock_taking": ("Stock taken", "盘点"),
    "stocking": ("Put on the shelf", "上架"),
    "storing": ("Stored", "入库储存"),
    "transporting": ("In transport", "运输中"),
    "unloading": ("Unloaded", "卸货"),
    "unpacking": ("Unpacked", "拆箱"),
    "void_shipping": ("Shipment cancelled", "取消发运"),
}

#: Event types, for an event without a business step: (English, Chinese).
EVENT_TYPES: Final[Mapping[str, tuple[str, str]]] = {
    "ObjectEvent": ("Observed", "观察记录"),
    "AggregationEvent": ("Packed together", "组合包装"),
    "TransformationEvent": ("Processed", "加工"),
    "TransactionEvent": ("Trade recorded", "交易记录"),
    "AssociationEvent": ("Linked", "关联"),
}

#: CBV 2.0 dispositions a shopper may meet (others are shown as the code): (English, Chinese).
DISPOSITIONS: Final[Mapping[str, tuple[str, str]]] = {
    "active": ("active", "已启用"),
    "available": ("available", "可用"),
    "conformant": ("passed", "合格"),
    "non_conformant": ("failed", "不合格"),
    "damaged": ("damaged", "已损坏"),
    "destroyed": ("destroyed", "已销毁"),
    "expired": ("expired", "已过期"),
    "in_progress": ("in progress", "处理中"),
    "in_transit": ("in transit", "运输中"),
    "recalled": ("recalled", "已召回"),
    "retail_sold": ("sold", "已售出"),
    "returned": ("returned", "已退回"),
    "sellable_accessible": ("on sale", "可售"),
    "sellable_not_accessible": ("in stock", "库存中"),
    "non_sellable_other": ("not for sale", "不可售"),
    "stolen": ("stolen", "被盗"),
    "unknown": ("unknown", "未知"),
}

#: UN/ECE Recommendation 20 codes EPCIS uses for quantities and sensor reports: (English, Chinese).
UNITS: Final[Mapping[str, tuple[str, str]]] = {
    "KGM": ("kg", "千克"),
    "GRM": ("g", "克"),
    "MGM": ("mg", "毫克"),
    "TNE": ("t", "吨"),
    "LTR": ("L", "升"),
    "MLT": ("mL", "毫升"),
    "MTQ": ("m³", "立方米"),
    "MTR": ("m", "米"),
    "CMT": ("cm", "厘米"),
    "MMT": ("mm", "毫米"),
    "KMT": ("km", "千米"),
    "MTK": ("m²", "平方米"),
    "CEL": ("°C", "°C"),
    "FAH": ("°F", "°F"),
    "KEL": ("K", "K"),
    "P1": ("%", "%"),
    "H87": ("pieces", "件"),
    "EA": ("each", "个"),
    "C62": ("units", "个"),
    "XBX": ("boxes", "箱"),
    "CT": ("cartons", "箱"),
    "NA": ("mg/kg", "毫克/千克"),
    "M1": ("mg/L", "毫克/升"),
    "A93": ("g/m³", "克/立方米"),
    "KMH": ("km/h", "千米/时"),
    "MTS": ("m/s", "米/秒"),
    "LUX": ("lx", "勒克斯"),
    "DD": ("°", "°"),
    "HUR": ("h", "小时"),
    "MIN": ("min", "分钟"),
    "SEC": ("s", "秒"),
    "KPA": ("kPa", "千帕"),
    "BAR": ("bar", "巴"),
}

#: Measurement types a shopper reads (CBV sensor types, the demo's Brix): (English, Chinese).
MEASUREMENTS: Final[Mapping[str, tuple[str, str]]] = {
    "Temperature": ("Temperature", "温度"),
    "RelativeHumidity": ("Humidity", "湿度"),
    "AbsoluteHumidity": ("Humidity", "湿度"),
    "Brix": ("Sugar content", "糖度"),
    "MassConcentration": ("Residue", "残留量"),
    "Mass": ("Weight", "重量"),
    "Length": ("Length", "长度"),
    "Speed": ("Speed", "速度"),
    "Illuminance": ("Light", "光照"),
    "Angle": ("Angle", "角度"),
    "Pressure": ("Pressure", "压力"),
    "Volume": ("Volume", "体积"),
    "Time": ("Time", "时间"),
    "AmountOfSubstancePerUnitVolume": ("Concentration", "浓度"),
    "DoseEquivalentRate": ("Radiation dose rate", "辐射剂量率"),
}


def _pick(table: Mapping[str, tuple[str, str]], lang: Lang, code: str) -> str | None:
    words = table.get(code)
    return None if words is None else words[1 if lang == "zh" else 0]


def step_label(lang: Lang, step: str | None, event_type: str) -> str:
    """What happened, in words: the business step's, else the event type's, else the code."""
    if step == "commissioning" and event_type == "TransformationEvent":
        # A transformation commissions what it makes: to a shopper, the goods were processed.
        step = None
    if step:
        return _pick(STEPS, lang, step) or step
    return _pick(EVENT_TYPES, lang, event_type) or event_type


def disposition_label(lang: Lang, disposition: str | None) -> str | None:
    """The disposition in words (the code when the table has none)."""
    return (_pick(DISPOSITIONS, lang, disposition) or disposition) if disposition else None


def measurement_label(lang: Lang, measurement: str | None) -> str:
    """A sensor reading's name in words (the type itself when the table has none)."""
    if not measurement:
        return "读数" if lang == "zh" else "Reading"
    return _pick(MEASUREMENTS, lang, measurement) or measurement


def unit_label(lang: Lang, uom: str | None, measurement: str | None = None) -> str:
    """A Rec 20 unit code as its symbol or word (unknown codes as written; none as nothing).

    A Brix reading in percent (``P1``, as the demo's refractometer reports it) is degrees Brix.
    """
    if not uom:
        return ""
    if uom == "P1" and measurement == "Brix":
        return "°Brix"
    return _pick(UNITS, lang, uom) or uom


def amount(value: float | None, uom: str | None, lang: Lang, measurement: str | None = None) -> str:
    """``6.5°C``, ``12.8 °Brix``, ``1200 kg``: a value and its unit; empty without a value."""
    if value is None:
        return ""
    number = f"{value:g}"
    unit = unit_label(lang, uom, measurement)
    if not unit:
        return number
    return f"{number}{unit}" if unit in ("%", "°", "°C", "°F") else f"{number} {unit}"


def quantity_text(lang: Lang, value: float | None, uom: str | None) -> str:
    """An EPCIS quantity with its unit, or a count of items when it has none (EPCIS 2.0)."""
    if value is None:
        return ""
    if uom:
        return amount(value, uom, lang)
    return f"{value:g} 件" if lang == "zh" else f"{value:g} items"


def items_text(lang: Lang, count: int, *, pallets: bool = False) -> str:
    """How many identified items (EPCs) an event names; SSCCs are pallets."""
    if pallets:
        return f"{count} 托" if lang == "zh" else f"{count} pallet{'s' if count != 1 else ''}"
    if lang == "zh":
        return f"{count} 件"
    return f"{count} item" if count == 1 else f"{count} items"
