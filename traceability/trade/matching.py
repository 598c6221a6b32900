"""The three-document matcher: pure, deterministic, every failing rule reported.

``match_trade(documents, context=..., hashes=...)`` resolves the direction (from the
documents' types) and the customs mode (given in the context, else the
inventory's tradeMode, else the export orderType, else 9610), runs every rule
of :data:`~traceability.trade.rules.RULES` that applies to the direction, and
returns a :class:`~traceability.trade.verdict.Verdict`. Documents are already
validated models: matching never re-validates and never reads the clock.
``hashes`` gives each document's content hash, which the verdict then names (see
:mod:`~traceability.trade.verdict`): an anchored verdict must always be given them.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from traceability.trade._state import MatchState, prepare
from traceability.trade.errors import InconsistentTrade
from traceability.trade.inputs import MatchContext, TradeDocuments
from traceability.trade.modes import DocumentKind
from traceability.trade.rules import RULES_BY_ID, checks_for
from traceability.trade.verdict import RuleFailure, Verdict, VerdictStatus

_DEFAULT_CONTEXT = MatchContext()


def match_trade(
    documents: TradeDocuments,
    *,
    context: MatchContext = _DEFAULT_CONTEXT,
    hashes: Mapping[str, str] | None = None,
) -> Verdict:
    """Match the documents of one trade and explain the result.

    ``hashes`` maps each present document's kind (``"order"``, ...) to its content hash
    (64 hex), for exactly the present documents.

    Raises :class:`~traceability.trade.errors.InconsistentTrade` when the
    documents mix directions, the given mode does not exist in their direction, or
    ``hashes`` does not name exactly the present documents.
    """
    named = _named_documents(documents, hashes) if hashes is not None else {}
    state = prepare(documents, context)
    for check in checks_for(state.direction):
        check(state)
    return _verdict(state, named)


def _named_documents(
    documents: TradeDocuments, hashes: Mapping[str, str]
) -> dict[DocumentKind, str]:
    present = [document.kind for document in documents.present()]
    if sorted(hashes) != sorted(kind.value for kind in present):
        raise InconsistentTrade(
            f"hashes name {sorted(hashes)}, but the documents are {[k.value for k in present]}"
        )
    named: dict[DocumentKind, str] = {}
    for kind in present:
        digest = str(hashes[kind.value]).lower()
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise InconsistentTrade(f"the {kind.value} hash is not 64 hex digits")
        named[kind] = digest
    return named


def _missing(state: MatchState) -> tuple[DocumentKind, ...]:
    docs = state.docs
    # DocumentKind values are TradeDocuments' attribute names.
    return tuple(kind for kind in state.rules.required_documents if getattr(docs, kind) is None)


def _verdict(state: MatchState, documents: Mapping[DocumentKind, str]) -> Verdict:
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
        documents=MappingProxyType(dict(documents)),
    )


def run_rule(
    rule_id: str, documents: TradeDocuments, *, context: MatchContext = _DEFAULT_CONTEXT
) -> tuple[RuleFailure, ...]:
    """Run one rule alone (whatever the direction) and return its failures."""
    state = prepare(documents, context)
    RULES_BY_ID[rule_id].check(state)
    return tuple(state.failures)
