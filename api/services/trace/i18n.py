"""Words of the consumer page in Chinese and English, and the choice between them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal

Lang = Literal["zh", "en"]
LANGS: Final[tuple[Lang, ...]] = ("zh", "en")

TEXT: Final[Mapping[Lang, Mapping[str, str]]] = {
    "en": {
        "title": "Where your food comes from",
        "lot": "Lot",
        "gtin": "GTIN",
        "origin": "Origin",
        "region": "Region",
        "farm": "Farm",
        "address": "Address",
        "gln": "GLN",
        "brand": "Brand",
        "producer_credit": "Producer credit grade",
        "stage.none": "Other step",
        "state.verified": "Verified",
        "state.verified_with_gaps": "Verified, with gaps",
        "state.not_verified": "Not verified",
        "state.recalled": "Recalled",
        "state_note.verified": "Every event is signed by its recorder and anchored on chain.",
        "state_note.verified_with_gaps": "Every anchored event checks out, but the record has "
        "gaps (see below).",
        "state_note.not_verified": "At least one event failed its check or is not on chain yet.",
        "state_note.recalled": "This lot is under recall.",
        "finding.missing_stage": "No “{stage}” step was recorded.",
        "finding.time_reversed": "“{stage}” is dated {time}, before “{earlier}” at {earlierTime}.",
        "finding.broken_custody": "“{step}” handed the goods to {to}, but the next step "
        "received them from {from}.",
        "finding.unreached_location": "The goods were shipped to {to}, but next seen at {at}.",
        "finding.unclassified": "The step “{step}” fits no stage of the journey.",
        "finding.recalled": "This lot is under recall.",
        "finding.other": "A problem was found in the record.",
        "alert": "{what} {value} is outside the allowed range.",
        "alert.device": "The {what} sensor reported a fault.",
        "harvested": "Harvested",
        "timeline": "Journey",
        "inspection": "Inspection and certificates",
        "no_inspection": "No inspection recorded.",
        "certificate": "Certificate",
        "result": "Result",
        "sensors": "Sensor readings",
        "alerts": "Out-of-range readings",
        "findings": "Gaps and problems in the record",
        "verification": "Verification on the blockchain",
        "verification_note": "For each event the server recomputed its CBV 2.0 hash from the "
        "stored record and checked its Merkle proof with one call to the TraceRegistry "
        "contract.",
        "summary": "{verified} of {total} events verified on chain",
        "chain_id": "Chain checked (chain id)",
        "verify_yourself": "Check this lot yourself, without trusting this site (browser verifier)",
        "block": "block",
        "tx": "tx",
        "recalled_title": "RECALL: do not eat this product",
        "recalled_by": "Recorded on chain by {by}",
        "recalled_via": "Made from lot {lot}, which is under recall",
        "reason": "Reason",
        "place": "Place",
        "quantity": "Quantity",
        "captured_by": "Recorded by",
        "signed": "signed",
        "orders": "Order",
        "waybill": "Waybill",
        "returns_title": "Returned goods",
        "returns_note": "Goods of this lot's order came back (a return application sandan "
        "accepted and recorded on chain). The return is a signed document, not an event of "
        "this lot.",
        "return_whole": "whole order returned",
        "return_partial": "part of the order returned",
        "language": "中文",
        "lang_other": "zh",
        "product": "Product",
        "not_found": "No record for this code",
        "stage.origin": "Harvest",
        "stage.processing": "Washing and grading",
        "stage.inspection": "Inspection",
        "stage.packing": "Packing",
        "stage.export": "Export shipping",
        "stage.warehouse": "Warehouse",
        "stage.retail": "Shop",
        "correction.corrected": "corrected: the recorder declared this record incorrect",
        "correction.retracted": "retracted: the recorder declared this never happened",
        "status.verified": "verified on chain",
        "status.recalled": "on chain, lot recalled",
        "status.unsigned": "recorded, not signed",
        "status.hash_mismatch": "FAILED: record changed after anchoring",
        "status.not_on_chain": "FAILED: proof does not lead to an anchored root",
        "status.not_anchored": "not anchored yet",
        "status.unreadable": "FAILED: record unreadable",
        "ilmd.variety": "Variety",
        "ilmd.origin": "Origin",
        "ilmd.harvestDate": "Harvest date",
        "ilmd.orchardBlock": "Orchard block",
        "ilmd.grade": "Grade",
        "ilmd.sizeMm": "Size (mm)",
        "ilmd.washed": "Washed",
        "bt.po": "Purchase order",
        "bt.bol": "Bill of lading",
        "bt.inv": "Invoice",
        "bt.desadv": "Despatch advice",
    },
    "zh": {
        "title": "产品溯源",
        "lot": "批次",
        "gtin": "商品条码 GTIN",
        "origin": "产地",
        "region": "产区",
        "farm": "果园",
        "address": "地址",
        "gln": "全球位置码 GLN",
        "brand": "品牌",
        "producer_credit": "生产企业信用等级",
        "stage.none": "其他环节",
        "state.verified": "已验证",
        "state.verified_with_gaps": "已验证，但记录有缺口",
        "state.not_verified": "未通过验证",
        "state.recalled": "已召回",
        "state_note.verified": "每个事件都由记录方签名并已上链。",
        "state_note.verified_with_gaps": "已上链的事件均校验通过，但记录存在缺口（见下文）。",
        "state_note.not_verified": "至少一个事件校验失败或尚未上链。",
        "state_note.recalled": "本批次已被召回。",
        "finding.missing_stage": "未记录“{stage}”环节。",
        "finding.time_reversed": "“{stage}”的时间 {time} 早于“{earlier}”的 {earlierTime}。",
        "finding.broken_custody": "“{step}”将货物交给 {to}，但下一环节记录的来源是 {from}。",
        "finding.unreached_location": "货物发往 {to}，但随后出现在 {at}。",
        "finding.unclassified": "环节“{step}”不属于流通历程的任何阶段。",
        "finding.recalled": "本批次已被召回。",
        "finding.other": "记录中发现一个问题。",
        "alert": "{what} {value} 超出允许范围。",
        "alert.device": "{what}传感器报告故障。",
        "harvested": "采收时间",
        "timeline": "流通历程",
        "inspection": "检验与证书",
        "no_inspection": "未记录检验。",
        "certificate": "证书",
        "result": "结果",
        "sensors": "传感器读数",
        "alerts": "超出范围的读数",
        "findings": "记录中的缺口与问题",
        "verification": "区块链验证",
        "verification_note": "服务器根据存储的记录重新计算每个事件的 CBV 2.0 哈希，"
        "并通过一次 TraceRegistry 合约调用校验其默克尔证明。",
        "summary": "{total} 个事件中 {verified} 个已在链上验证",
        "chain_id": "所校验的区块链 (链 ID)",
        "verify_yourself": "无需信任本网站，自行验证此批次 (浏览器验证器)",
        "block": "区块",
        "tx": "交易",
        "recalled_title": "召回：请勿食用本产品",
        "recalled_by": "由 {by} 记录在链上",
        "recalled_via": "本批次由已召回的批次 {lot} 加工而成",
        "reason": "原因",
        "place": "地点",
        "quantity": "数量",
        "captured_by": "记录方",
        "signed": "已签名",
        "orders": "订单",
        "waybill": "运单",
        "returns_title": "退货",
        "returns_note": "本批次所属订单的商品已退回（sandan 已接受的退货申请，并已记录在链上）。"
        "退货申请是签名单证，不是本批次的事件。",
        "return_whole": "整单退货",
        "return_partial": "部分退货",
        "language": "English",
        "lang_other": "en",
        "product": "产品",
        "not_found": "未找到此编码的记录",
        "stage.origin": "采收",
        "stage.processing": "清洗与分级",
        "stage.inspection": "检验",
        "stage.packing": "包装",
        "stage.export": "出口运输",
        "stage.warehouse": "海外仓",
        "stage.retail": "零售",
        "correction.corrected": "已更正：记录方声明此记录有误",
        "correction.retracted": "已撤回：记录方声明此事件未发生",
        "status.verified": "已在链上验证",
        "status.recalled": "已上链，批次已召回",
        "status.unsigned": "已记录，未签名",
        "status.hash_mismatch": "验证失败：记录在上链后被修改",
        "status.not_on_chain": "验证失败：证明未指向链上的根",
        "status.not_anchored": "尚未上链",
        "status.unreadable": "验证失败：记录无法读取",
        "ilmd.variety": "品种",
        "ilmd.origin": "产地",
        "ilmd.harvestDate": "采收日期",
        "ilmd.orchardBlock": "果园地块",
        "ilmd.grade": "等级",
        "ilmd.sizeMm": "果径 (毫米)",
        "ilmd.washed": "已清洗",
        "bt.po": "采购订单",
        "bt.bol": "提单/运单",
        "bt.inv": "发票",
        "bt.desadv": "发货通知",
    },
}


def choose_lang(query_lang: str | None, accept_language: str | None) -> Lang:
    """``?lang=`` first, then the best of zh/en in Accept-Language by q-value, else English."""
    if query_lang:
        short = query_lang.strip().lower()[:2]
        if short in LANGS:
            return "zh" if short == "zh" else "en"
    best: tuple[float, Lang] | None = None
    for position, item in enumerate((accept_language or "").split(",")):
        tag, _, params = item.strip().partition(";")
        short = tag.strip().lower()[:2]
        if short not in LANGS:
            continue
        weight = accept_quality(params)
        # Earlier entries win ties, as browsers list preferences in order.
        candidate = (weight - position * 1e-6, "zh" if short == "zh" else "en")
        if weight > 0 and (best is None or candidate[0] > best[0]):
            best = candidate  # type: ignore[assignment]
    return best[1] if best else "en"


def accept_quality(params: str) -> float:
    """The ``q`` weight of one Accept or Accept-Language entry's parameters (1 when absent)."""
    for part in params.split(";"):
        key, _, value = part.strip().partition("=")
        if key == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


def translate(lang: Lang, key: str, default: str | None = None) -> str:
    """The word for ``key`` (``default`` or the key itself when there is none)."""
    return TEXT[lang].get(key, default if default is not None else key)
