"""The three-document matcher: pure, deterministic, every failing rule reported.

``match_trade(documents, context=...)`` resolves the direction (from the
documents' types) and the customs mode (given in the context, else the
inventory's tradeMode, else the export orderType, else 9610), runs every rule
of :data:`~traceability.trade.rules.RULES` that applies to the direction, and
returns a :class:`~traceability.trade.verdict.Verdict`. Documents are already
validated models: matching never re-validates and never reads the clock.
"""

from __future__ import annotations

from traceability.trade._state import MatchState, prepare
from traceability.trade.inputs import MatchContext, TradeDocuments
from traceability.trade.modes import DocumentKind
from traceability.trade.rules import RULES_BY_ID, checks_for
from traceability.trade.verdict import RuleFailure, Verdict, VerdictStatus

_DEFAULT_CONTEXT = MatchContext()


def match_trade(documents: TradeDocuments, *, context: MatchContext = _DEFAULT_CONTEXT) -> Verdict:
    """Match the documents of one trade and explain the result.

    Raises :class:`~traceability.trade.errors.InconsistentTrade` when the
    documents mix directions or the given mode does not exist in their direction.
    """
    state = prepare(documents, context)
    for check in checks_for(state.direction):
        check(state)
    return _verdict(state)


def _missing(state: MatchState) -> tuple[DocumentKind, ...]:
    docs = state.docs
    # DocumentKind values are TradeDocuments' attribute names.
    return tuple(kind for kind in state.rules.required_documents if getattr(docs, kind) is None)


def _verdict(state: MatchState) -> Verdict:
    missing = _missing(state)
    if missing:
        status = VerdictStatus.PENDING
    elif state.failures:
        status = VerdictStatus.MISMATCH
    else:
        status = VerdictStatus.MATCH
    return Verdict(
        status,
        state.direction,
        state.rules.mode,
        state.key,
        missing,
        tuple(state.failures),
        tuple(state.notices),
    )


def run_rule(
    rule_id: str, documents: TradeDocuments, *, context: MatchContext = _DEFAULT_CONTEXT
) -> tuple[RuleFailure, ...]:
    """Run one rule alone (whatever the direction) and return its failures."""
    state = prepare(documents, context)
    RULES_BY_ID[rule_id].check(state)
    return tuple(state.failures)
