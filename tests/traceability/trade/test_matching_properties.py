"""Property tests: consistent trades match; one fen off fails exactly the amount rules."""

from datetime import timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from traceability.trade import MatchContext, TradeMode, VerdictStatus, match_trade, verdict_hash
from traceability.trade.samples import (
    BASE_TIME,
    ExportTerms,
    ImportTerms,
    Line,
    export_trade,
    import_trade,
)

from .conftest import alter

FEN = Decimal("0.01")
CONTEXT = MatchContext(prior_annual_total=Decimal(0), now=BASE_TIME + timedelta(days=30))

cents = st.integers(min_value=0, max_value=99_999).map(lambda c: Decimal(c) / 100)
lines = st.lists(
    st.builds(
        Line,
        name=st.sampled_from(["奶粉", "面膜", "保健品", "咖啡豆", "脐橙"]),
        gmodel=st.just("品牌 规格 型号"),
        gcode=st.just("2101110000"),
        qty=st.integers(min_value=1, max_value=4).map(Decimal),
        price=st.integers(min_value=1, max_value=60_000).map(lambda c: Decimal(c) / 100),
    ),
    min_size=1,
    max_size=4,
)


@st.composite
def import_terms(draw: st.DrawFn) -> ImportTerms:
    """Consistent retail import terms under the 5,000 CNY single limit."""
    chosen = tuple(draw(lines))
    freight = draw(cents.filter(lambda v: v <= 200))
    insured = draw(cents.filter(lambda v: v <= 50))
    goods = sum((line.total for line in chosen), Decimal(0))
    discount = Decimal(draw(st.integers(min_value=0, max_value=int(goods * 100)))) / 100
    terms = ImportTerms(
        lines=chosen,
        freight=freight,
        insured_fee=insured,
        discount=discount,
        mode=draw(st.sampled_from([TradeMode.RETAIL, TradeMode.BONDED])),
    )
    total = terms.goods_value + freight + insured
    return terms if total <= 5000 else ImportTerms(lines=chosen[:1], discount=Decimal(0))


@settings(max_examples=60, deadline=None)
@given(import_terms())
def test_any_consistent_import_trade_matches(terms: ImportTerms) -> None:
    verdict = match_trade(import_trade(terms), context=CONTEXT)
    assert verdict.failures == ()
    assert verdict.status is VerdictStatus.MATCH


# (document, field, rules that must fail when the field moves by one fen)
PERTURBATIONS = [
    ("payment", "amountPaid", ("amount.payment_equals_paid",)),
    ("order", "taxTotal", ("amount.actural_paid_formula",)),
    ("order", "acturalPaid", ("amount.actural_paid_formula", "amount.payment_equals_paid")),
]


@settings(max_examples=60, deadline=None)
@given(import_terms(), st.sampled_from(PERTURBATIONS), st.sampled_from([FEN, -FEN]))
def test_one_fen_off_fails_exactly_the_amount_rules(
    terms: ImportTerms, perturbation: tuple[str, str, tuple[str, ...]], delta: Decimal
) -> None:
    kind, field, rules = perturbation
    docs = import_trade(terms)
    value = getattr(getattr(docs, kind), field)
    if value + delta < 0:
        delta = -delta
    changed = alter(docs, kind, **{field: str(value + delta)})
    verdict = match_trade(changed, context=CONTEXT)
    assert verdict.failed_rules == rules
    assert verdict.status is VerdictStatus.MISMATCH


@settings(max_examples=40, deadline=None)
@given(import_terms(), st.integers(min_value=1, max_value=4))
def test_line_total_one_fen_off_fails_the_line_rules(terms: ImportTerms, gnum: int) -> None:
    docs = import_trade(terms)
    gnum = min(gnum, len(docs.order.items))
    total = docs.order.items[gnum - 1].totalPrice + FEN
    changed = alter(docs, "order", lines={gnum: {"totalPrice": str(total)}})
    verdict = match_trade(changed, context=CONTEXT)
    assert verdict.failed_rules == (
        "amount.item_total",
        "amount.goods_value_sum",
        "amount.inventory_lines",
    )


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.builds(
            Line,
            name=st.just("赣南脐橙"),
            gmodel=st.just("5千克/箱"),
            gcode=st.just("0805100000"),
            qty=st.integers(min_value=1, max_value=500).map(Decimal),
            price=st.integers(min_value=1, max_value=100_000).map(lambda c: Decimal(c) / 100),
            unit=st.just("035"),
            country=st.just("122"),
        ),
        min_size=1,
        max_size=3,
    ),
    cents,
    st.sampled_from(["142", "502", "300"]),
    st.sampled_from(list(TradeMode)),
    st.sampled_from([FEN, -FEN]),
)
def test_export_trade_matches_and_charge_one_fen_off_fails(
    chosen: list[Line], freight: Decimal, currency: str, mode: TradeMode, delta: Decimal
) -> None:
    terms = ExportTerms(lines=tuple(chosen), freight=freight, currency=currency, mode=mode)
    docs = export_trade(terms)
    verdict = match_trade(docs, context=CONTEXT)
    assert verdict.status is VerdictStatus.MATCH
    assert verdict_hash(verdict) == verdict_hash(match_trade(docs, context=CONTEXT))
    if docs.payment is not None:
        changed = alter(docs, "payment", charge=str(docs.payment.charge + delta))
        assert match_trade(changed, context=CONTEXT).failed_rules == ("amount.receipt_charge",)
