"""Which spec and which model belong to each supported CEB message type."""

from __future__ import annotations

from traceability.ceb import models
from traceability.ceb._export_specs import EXPORT_SPECS
from traceability.ceb._import_specs import IMPORT_SPECS
from traceability.ceb._receipt_specs import RECEIPT_SPECS
from traceability.ceb.spec import MessageSpec
from traceability.trade.models import DOCUMENT_MODELS, CebModel

SPECS: dict[str, MessageSpec] = {
    spec.code: spec for spec in (*IMPORT_SPECS, *EXPORT_SPECS, *RECEIPT_SPECS)
}

MODELS: dict[str, type[CebModel]] = {
    **DOCUMENT_MODELS,
    "CEB625": models.ReturnApplication,
    "CEB607": models.MasterWaybill,
    "CEB701": models.SummaryApplication,
    "CEB312": models.OrderReturn,
    "CEB304": models.OrderReturn,
    "CEB412": models.PaymentReturn,
    "CEB512": models.LogisticsReturn,
    "CEB506": models.LogisticsReturn,
    "CEB622": models.ImportInventoryReturn,
    "CEB626": models.ImportInventoryReturn,
    "CEB404": models.ReceiptsReturn,
    "CEB604": models.ExportInventoryReturn,
    "CEB608": models.WayBillReturn,
    "CEB702": models.SummaryReturn,
    "CEB900": models.MessageReturn,
}

assert set(SPECS) == set(MODELS), "every spec needs a model and vice versa"
