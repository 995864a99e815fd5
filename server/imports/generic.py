"""Dealbook's own CSV template: one deal per row, columns named as in the app.

Required: ``title`` and ``stage``. Optional: ``external_id``, ``account``,
``contact``, ``owner``, ``status``, ``value``, ``currency``,
``expected_close``, ``created_at``, ``closed_at``, ``probability``,
``product``. Dates are best written as ISO 8601; M/D/YYYY is read month first.
"""

from __future__ import annotations

from .format import ExportFormat, ProductCatalog, resolve_status
from .record import Record
from .rows import ImportedDeal

def build_deal(record: Record, products: ProductCatalog) -> ImportedDeal | None:
    """Build a deal from a template row, or None after reporting its errors."""
    title = record.required_text("title")
    placed = resolve_status(record, "stage", "status")
    value, currency = record.amount("value", "currency")
    expected_close = record.date("expected_close")
    created_at = record.date("created_at")
    closed_at = record.date("closed_at")
    probability = record.probability("probability")
    if title is None or placed is None or record.has_errors:
        return None

    stage, status = placed
    return ImportedDeal(
        source="generic",
        external_id=record.text("external_id"),
        title=title,
        account_name=record.text("account"),
        contact_name=record.text("contact"),
        owner=record.text("owner"),
        stage=stage,
        status=status,
        value=value,
        currency=currency,
        expected_close=expected_close,
        created_at=created_at,
        closed_at=closed_at,
        probability=probability,
        product=record.text("product"),
        line=record.line,
    )


FORMAT = ExportFormat(
    name="generic",
    description="Dealbook CSV template",
    signature=("title",),
    required=("title", "stage"),
    build_deal=build_deal,
)
