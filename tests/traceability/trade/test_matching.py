"""The matcher: every rule passes on consistent trades and fails alone on its own defect."""

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from traceability.trade import (
    RULES,
    InconsistentTrade,
    MatchContext,
    TradeDocuments,
    TradeKey,
    TradeMode,
    Verdict,
    VerdictStatus,
    match_trade,
    run_rule,
    verdict_hash,
)
from traceability.trade.samples import (
    BASE_TIME,
    PLATFORM,
    ExportTerms,
    ImportTerms,
    Line,
    b2b_export_trade,
    export_trade,
    import_trade,
    short_payment_trade,
)

from .conftest import alter

KNOWN = MatchContext(prior_annual_total=Decimal(0), now=BASE_TIME + timedelta(days=5))
OTHER = TradeKey(PLATFORM[0], "SD-SOMEONE-ELSE")
SELF = TradeKey(PLATFORM[0], "SD20250301000001")

Failure = tuple[str, str, str]


def _failures(verdict: Verdict) -> list[Failure]:
    return [(f.rule, f.document.value, f.field) for f in verdict.failures]


CLEAN_TRADES: dict[str, Callable[[], TradeDocuments]] = {
    "import 9610": import_trade,
    "import 9610 without inventory": lambda: import_trade(inventory=False),
    "import 1210": lambda: import_trade(ImportTerms(mode=TradeMode.BONDED)),
    "export 9610": export_trade,
    "export 1210": lambda: export_trade(ExportTerms(mode=TradeMode.BONDED)),
    "export 9710": b2b_export_trade,
    "export 9810": lambda: export_trade(ExportTerms(mode=TradeMode.B2B_OVERSEAS_WAREHOUSE)),
}


@pytest.mark.parametrize("name", sorted(CLEAN_TRADES))
def test_match_trade_matches_consistent_trade(name: str) -> None:
    verdict = match_trade(CLEAN_TRADES[name](), context=KNOWN)
    assert verdict.failures == ()
    assert verdict.missing == ()
    assert verdict.status is VerdictStatus.MATCH


@pytest.mark.parametrize("name", sorted(CLEAN_TRADES))
@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_rule_passes_alone_on_consistent_trade(name: str, rule: Any) -> None:
    assert run_rule(rule.id, CLEAN_TRADES[name](), context=KNOWN) == ()


def _imp(**changes: Any) -> Callable[[], TradeDocuments]:
    kind, fields = next(iter(changes.items()))
    return lambda: alter(import_trade(), kind, **fields)


def _exp(**changes: Any) -> Callable[[], TradeDocuments]:
    kind, fields = next(iter(changes.items()))
    return lambda: alter(export_trade(), kind, **fields)


def _big_import(qty: int, price: str) -> Callable[[], TradeDocuments]:
    line = Line("戴森吹风机", "戴森牌 HD15 型 电吹风", "8516310000", Decimal(qty), Decimal(price))
    return lambda: import_trade(ImportTerms(lines=(line,)))


# (case id, trade builder, context, expected failures in report order)
FAILING: list[tuple[str, Callable[[], TradeDocuments], MatchContext, list[Failure]]] = [
    ("mode given differs from inventory", import_trade, MatchContext(mode=TradeMode.BONDED),
     [("mode.trade_mode", "inventory", "tradeMode")]),
    ("export orderType B under 9610", _exp(order={"orderType": "B"}), KNOWN,
     [("mode.trade_mode", "order", "orderType")]),
    ("payment orderNo", _imp(payment={"orderNo": "SD-OTHER"}), KNOWN,
     [("linkage.order_no", "payment", "orderNo")]),
    ("waybill orderNo", _imp(waybill={"orderNo": "SD-OTHER"}), KNOWN,
     [("linkage.order_no", "waybill", "orderNo")]),
    ("export inventory orderNo", _exp(inventory={"orderNo": "GZ-OTHER"}), KNOWN,
     [("linkage.order_no", "inventory", "orderNo")]),
    ("payment ebpCode", _imp(payment={"ebpCode": "3301960X99"}), KNOWN,
     [("linkage.ebp_code", "payment", "ebpCode")]),
    ("inventory ebcCode", _imp(inventory={"ebcCode": "3301960X99"}), KNOWN,
     [("linkage.ebc_code", "inventory", "ebcCode")]),
    ("export waybill ebcCode", _exp(waybill={"ebcCode": "3301960X99"}), KNOWN,
     [("linkage.ebc_code", "waybill", "ebcCode")]),
    ("order names another payment", _imp(order={"payTransactionId": "AP-OTHER"}), KNOWN,
     [("linkage.pay_transaction", "payment", "payTransactionId")]),
    ("inventory logisticsNo", _imp(inventory={"logisticsNo": "SF-OTHER"}), KNOWN,
     [("linkage.logistics_no", "inventory", "logisticsNo")]),
    ("export inventory logisticsCode", _exp(inventory={"logisticsCode": "3301960X99"}), KNOWN,
     [("linkage.logistics_no", "inventory", "logisticsCode")]),
    ("waybill used by another order", import_trade, MatchContext(waybill_trades=frozenset({OTHER})),
     [("uniqueness.logistics_no", "waybill", "logisticsNo")]),
    ("payment used by another order", import_trade, MatchContext(payment_trades=frozenset({OTHER})),
     [("uniqueness.pay_transaction", "payment", "payTransactionId")]),
    ("export receipt used by another order", export_trade,
     MatchContext(payment_trades=frozenset({OTHER})),
     [("uniqueness.pay_transaction", "payment", "payNo")]),
    ("order line price", _imp(order={"lines": {2: {"price": "119.51"}}}), KNOWN,
     [("amount.item_total", "order", "OrderList[gnum=2].totalPrice")]),
    ("inventory line price", _imp(inventory={"lines": {1: {"price": "568.99"}}}), KNOWN,
     [("amount.item_total", "inventory", "InventoryList[gnum=1].totalPrice")]),
    ("goodsValue", _imp(order={"goodsValue": "809", "discount": "11"}), KNOWN,
     [("amount.goods_value_sum", "order", "goodsValue")]),
    ("taxTotal one fen more", _imp(order={"taxTotal": "75.81"}), KNOWN,
     [("amount.actural_paid_formula", "order", "acturalPaid")]),
    ("payment one fen short", _imp(payment={"amountPaid": "893.79"}), KNOWN,
     [("amount.payment_equals_paid", "payment", "amountPaid")]),
    ("receipt charge one fen over", _exp(payment={"charge": "1520.01"}), KNOWN,
     [("amount.receipt_charge", "payment", "charge")]),
    ("inventory line qty", _imp(inventory={"lines": {2: {"qty": "3", "qty1": "3",
                                                          "price": "79.66667"}}}), KNOWN,
     [("amount.inventory_lines", "inventory", "InventoryList[gnum=2].qty")]),
    ("export receipt currency", _exp(payment={"currency": "502"}), KNOWN,
     [("currency", "payment", "currency")]),
    ("export inventory line currency", _exp(inventory={"lines": {1: {"currency": "502"}}}), KNOWN,
     [("currency", "inventory", "InventoryList[gnum=1].currency")]),
    ("payer name", _imp(payment={"payerName": "李华"}), KNOWN,
     [("identity.payer_is_buyer", "payment", "payerName")]),
    ("payer id type", _imp(payment={"payerIdType": "2"}), KNOWN,
     [("identity.payer_is_buyer", "payment", "payerIdType")]),
    ("inventory buyer telephone", _imp(inventory={"buyerTelephone": "13900000000"}), KNOWN,
     [("identity.inventory_buyer", "inventory", "buyerTelephone")]),
    ("waybill consignee address", _imp(waybill={"consigneeAddress": "浙江省杭州市滨江区"}), KNOWN,
     [("consignee", "waybill", "consigneeAddress")]),
    ("waybill consignee", _imp(waybill={"consignee": "王晓明"}), KNOWN,
     [("consignee", "waybill", "consignee")]),
    ("inventory consignee address", _imp(inventory={"consigneeAddress": "上海市"}), KNOWN,
     [("consignee", "inventory", "consigneeAddress")]),
    ("inventory insuredFee", _imp(inventory={"insuredFee": "6"}), KNOWN,
     [("logistics.freight", "inventory", "insuredFee")]),
    ("export inventory freight", _exp(inventory={"freight": "150"}), KNOWN,
     [("logistics.freight", "inventory", "freight")]),
    ("inventory gross weight", _imp(inventory={"grossWeight": "1.75"}), KNOWN,
     [("logistics.weight", "inventory", "grossWeight")]),
    ("net above gross", _imp(inventory={"netWeight": "9"}), KNOWN,
     [("logistics.weight", "inventory", "netWeight")]),
    ("export waybill weight", _exp(waybill={"grossWeight": "100"}), KNOWN,
     [("logistics.weight", "inventory", "grossWeight")]),
    ("two parcels", _imp(waybill={"packNo": 2}), KNOWN,
     [("logistics.pack_no", "waybill", "packNo")]),
    ("over 5000 in two items", _big_import(2, "2600"), KNOWN,
     [("limit.single_transaction", "order", "goodsValue")]),
    ("over the annual limit", import_trade, MatchContext(prior_annual_total=Decimal("25200")),
     [("limit.annual", "order", "buyerIdNumber")]),
    ("over the annual limit alone", _big_import(1, "27000"), MatchContext(),
     [("limit.annual", "order", "buyerIdNumber")]),
    ("waybill before payment", _imp(waybill={"appTime": "20250301100000"}), KNOWN,
     [("time.sequence", "waybill", "appTime")]),
    ("payment declared before paid", _imp(payment={"appTime": "20250301100030"}), KNOWN,
     [("time.sequence", "payment", "appTime")]),
    ("inventory in the future", import_trade, MatchContext(now=BASE_TIME + timedelta(hours=2)),
     [("time.sequence", "inventory", "appTime")]),
    ("export receipt in the future", export_trade, MatchContext(now=BASE_TIME + timedelta(days=1)),
     [("time.sequence", "payment", "appTime"), ("time.sequence", "payment", "accountingDate")]),
]  # fmt: skip


failing_cases = pytest.mark.parametrize(
    ("builder", "context", "expected"),
    [pytest.param(b, c, e, id=i) for i, b, c, e in FAILING],
)


@failing_cases
def test_match_trade_reports_exactly_the_failing_rule(
    builder: Callable[[], TradeDocuments], context: MatchContext, expected: list[Failure]
) -> None:
    verdict = match_trade(builder(), context=context)
    assert _failures(verdict) == expected
    assert verdict.status is VerdictStatus.MISMATCH
    for failure in verdict.failures:
        assert failure.message
        assert failure.expected != failure.actual


@failing_cases
def test_rule_fails_alone(
    builder: Callable[[], TradeDocuments], context: MatchContext, expected: list[Failure]
) -> None:
    assert _failures_of_rule(expected[0][0], builder(), context) == expected


def _failures_of_rule(rule: str, docs: TradeDocuments, context: MatchContext) -> list[Failure]:
    return [(f.rule, f.document.value, f.field) for f in run_rule(rule, docs, context=context)]


def test_match_trade_reports_every_failure_in_order() -> None:
    docs = alter(short_payment_trade(), "waybill", consignee="李华", packNo=2)
    verdict = match_trade(docs, context=KNOWN)
    assert _failures(verdict) == [
        ("amount.payment_equals_paid", "payment", "amountPaid"),
        ("identity.payer_is_buyer", "payment", "payerIdNumber"),
        ("identity.payer_is_buyer", "payment", "payerName"),
        ("consignee", "waybill", "consignee"),
        ("logistics.pack_no", "waybill", "packNo"),
    ]
    assert verdict.failed_rules == (
        "amount.payment_equals_paid",
        "identity.payer_is_buyer",
        "consignee",
        "logistics.pack_no",
    )


def test_short_payment_sample_fails_amount_and_payer() -> None:
    verdict = match_trade(short_payment_trade(), context=KNOWN)
    assert verdict.status is VerdictStatus.MISMATCH
    assert verdict.failed_rules == ("amount.payment_equals_paid", "identity.payer_is_buyer")
    amount = verdict.failures[0]
    assert (amount.expected, amount.actual) == ("893.80", "893.79")


@pytest.mark.parametrize(
    ("builder", "context"),
    [
        (import_trade, MatchContext(waybill_trades=frozenset({SELF}))),
        (import_trade, MatchContext(prior_annual_total=Decimal("25167"))),  # exactly 26000
        (_big_import(1, "6000"), KNOWN),  # single indivisible item: notice, not failure
        (_big_import(1, "4975"), KNOWN),  # customs value exactly 5000
    ],
)  # fmt: skip
def test_match_trade_accepts_boundary_cases(
    builder: Callable[[], TradeDocuments], context: MatchContext
) -> None:
    assert match_trade(builder(), context=context).failures == ()


def test_single_indivisible_item_over_limit_is_a_notice() -> None:
    verdict = match_trade(_big_import(1, "6000")(), context=KNOWN)
    assert verdict.status is VerdictStatus.MATCH
    assert [n.rule for n in verdict.notices] == ["limit.single_transaction"]


def test_unknown_prior_total_is_a_notice_not_a_guess() -> None:
    verdict = match_trade(import_trade())
    assert verdict.status is VerdictStatus.MATCH
    assert [n.rule for n in verdict.notices] == ["limit.annual"]


@pytest.mark.parametrize(
    ("name", "drop", "missing"),
    [
        ("import 9610", ("payment",), ("payment",)),
        ("import 9610", ("payment", "waybill"), ("payment", "waybill")),
        ("import 9610", ("order",), ("order",)),
        ("import 1210", ("waybill",), ("waybill",)),
        ("export 9610", ("payment",), ("payment",)),
        ("export 9610", ("inventory",), ("inventory",)),
        ("export 1210", ("payment",), ("payment",)),
        ("export 9710", ("inventory",), ("inventory",)),
        ("export 9810", ("waybill",), ("waybill",)),
        ("export 9810", ("order", "inventory"), ("order", "inventory")),
    ],
)
def test_match_trade_is_pending_while_a_required_document_is_missing(
    name: str, drop: tuple[str, ...], missing: tuple[str, ...], without: Callable[..., Any]
) -> None:
    context = (
        KNOWN
        if name != "export 9810" or "inventory" not in drop
        else MatchContext(mode=TradeMode.B2B_OVERSEAS_WAREHOUSE, prior_annual_total=Decimal(0))
    )
    verdict = match_trade(without(CLEAN_TRADES[name](), *drop), context=context)
    assert verdict.status is VerdictStatus.PENDING
    assert tuple(kind.value for kind in verdict.missing) == missing
    assert verdict.failures == ()


@pytest.mark.parametrize("name", ["export 9710", "export 9810", "import 9610 without inventory"])
def test_match_trade_does_not_wait_for_documents_the_mode_lacks(name: str) -> None:
    docs = CLEAN_TRADES[name]()
    assert docs.payment is None or docs.inventory is None
    assert match_trade(docs, context=KNOWN).status is VerdictStatus.MATCH


def test_pending_verdict_already_lists_failures(without: Callable[..., Any]) -> None:
    docs = without(short_payment_trade(), "waybill")
    verdict = match_trade(docs, context=KNOWN)
    assert verdict.status is VerdictStatus.PENDING
    assert verdict.failed_rules == ("amount.payment_equals_paid", "identity.payer_is_buyer")


def test_export_waybill_alone_has_no_trade_key(without: Callable[..., Any]) -> None:
    verdict = match_trade(without(export_trade(), "order", "payment", "inventory"))
    assert verdict.key is None
    assert verdict.to_json_dict()["tradeId"] is None


def test_trade_documents_reject_mixed_directions() -> None:
    with pytest.raises(InconsistentTrade):
        TradeDocuments(order=import_trade().order, waybill=export_trade().waybill)


def test_trade_documents_reject_empty_trade() -> None:
    with pytest.raises(InconsistentTrade):
        TradeDocuments()


def test_match_trade_rejects_mode_of_other_direction() -> None:
    with pytest.raises(InconsistentTrade, match="not an import mode"):
        match_trade(import_trade(), context=MatchContext(mode=TradeMode.B2B_DIRECT))


def test_verdict_hash_is_deterministic_and_binds_the_content() -> None:
    first = match_trade(short_payment_trade(), context=KNOWN)
    second = match_trade(short_payment_trade(), context=KNOWN)
    assert first == second
    assert verdict_hash(first) == verdict_hash(second)
    assert len(verdict_hash(first)) == 32
    clean = match_trade(import_trade(), context=KNOWN)
    assert verdict_hash(clean) != verdict_hash(first)


def test_verdict_json_names_trade_and_rules() -> None:
    data = match_trade(short_payment_trade(), context=KNOWN).to_json_dict()
    assert data["status"] == "mismatch"
    assert data["orderNo"] == "SD20250301000003"
    assert data["tradeMode"] == "9610"
    assert data["rulesVersion"]
    assert data["failures"][0] == {
        "rule": "amount.payment_equals_paid",
        "document": "payment",
        "field": "amountPaid",
        "expected": "893.80",
        "actual": "893.79",
        "message": "amount paid 893.79 differs from the order's acturalPaid 893.80 by -0.01",
    }


def test_rule_table_ids_are_unique_and_documented() -> None:
    ids = [rule.id for rule in RULES]
    assert len(ids) == len(set(ids))
    for rule in RULES:
        assert rule.basis in {"S", "I"}
        assert rule.summary.startswith(rule.id + ":")
