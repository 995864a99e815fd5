"""HubSpot deal exports ("Record ID", "Deal Name", "Deal Stage", ...).

HubSpot fills Close Date by default and resets it when a deal is won or lost,
so for an open deal it is no forecast. This import therefore reads Close Date
as ``closed_at`` for won and lost deals and drops it for open deals, leaving
``expected_close`` empty.
"""

from __future__ import annotations

from .format import ExportFormat, ProductCatalog, resolve_status
from .record import Record
from .rows import ImportedDeal


def build_deal(record: Record, products: ProductCatalog) -> ImportedDeal | None:
    """Build a deal from a HubSpot row, or None after reporting its errors."""
    title = record.required_text("Deal Name")
    placed = resolve_status(record, "Deal Stage")
    value, currency = record.amount("Amount", "Currency")
    close_date = record.date("Close Date")
    created_at = record.date("Create Date")
    if title is None or placed is None or record.has_errors:
        return None

    stage, status = placed
    return ImportedDeal(
        source="hubspot",
        external_id=record.text("Record ID"),
        title=title,
        account_name=record.text("Associated Company"),
        contact_name=record.text("Associated Contact"),
        owner=record.text("Deal owner"),
        stage=stage,
        status=status,
        value=value,
        currency=currency,
        created_at=created_at,
        closed_at=close_date if status != "open" else None,
        line=record.line,
    )


FORMAT = ExportFormat(
    name="hubspot",
    description="HubSpot deals export",
    signature=("Deal Name", "Deal Stage"),
    required=("Deal Name", "Deal Stage"),
    build_deal=build_deal,
)
