"""What the document models tell the CEB XML spec generator beyond their fields.

:mod:`traceability.ceb` builds each message's element tree from a model's
fields (order, lengths, optional, ``Literal`` values, list bounds). Two small
markers carry the rest:

* :class:`XmlForm`, in a field's ``Annotated`` metadata: the lexical kind of a
  custom type (``Dec19_5`` is a ``decimal``) or an XSD facet that the model
  deliberately does not enforce, so that the matcher, not the parser, reports it
  (``payerIdType`` is fixed to ``1`` in import XML, yet a payment with ``2``
  must reach the ``identity.payer_is_buyer`` rule);
* :class:`XmlLayout`, a model's ``xml_layout`` class attribute: the business
  element and head names, how often the element occurs, the signature and the
  conditional rules (by name, see ``traceability.ceb._rules``).

Plain data only: ``traceability.trade`` does not import ``traceability.ceb``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

XmlKind = Literal["text", "decimal", "int", "datetime", "date", "millis", "status"]


@dataclass(frozen=True, slots=True)
class XmlForm:
    """A field's CEB XML form where its Python type does not say it (``None``: from the type)."""

    kind: XmlKind | None = None
    max_length: int | None = None
    min_length: int | None = None
    digits: int | None = None
    fixed: str | None = None
    choices: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class XmlLayout:
    """Where a model sits in its CEB message.

    ``element`` is the business element (``Order``); ``head`` the group holding
    the model's non-list fields (``OrderHead``), ``None`` when they sit directly
    in the business element; list fields become repeated groups named by their
    alias. ``rules`` name conditional checks of ``traceability.ceb._rules``.
    """

    element: str
    head: str | None = None
    occurs: tuple[int, int] = (1, 100)
    signature_required: bool = False
    rules: tuple[str, ...] = ()
