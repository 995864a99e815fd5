"""Pipedrive deal exports ("Deal - Title", "Deal - Stage", ...).

Pipedrive keeps the stage beside the status, so a lost deal keeps the stage it
was lost at. Spreadsheet exports may hold Excel serial dates, which
:func:`~server.imports.values.parse_date` reads.
"""

from __future__ import annotations

from .format import ExportFormat, ProductCatalog, resolve_status
from .record import Record
from .rows import ImportedDeal


def build_deal(record: Record, products: ProductCatalog) -> ImportedDeal | None:
    """Build a deal from a Pipedrive row, or None after reporting its errors."""
    title = record.required_text("Deal - Title")
    placed = resolve_status(record, "Deal - Stage", "Deal - Status")
    value, currency = record.amount("Deal - Value", "Deal - Currency")
    expected_close = record.date("Deal - Expected close date")
    created_at = record.date("Deal - Deal created")
    won_at = record.date("Deal - Won time")
    lost_at = record.date("Deal - Lost time")
    probability = record.probability("Deal - Probability")
    if title is None or placed is None or record.has_errors:
        return None

    stage, status = placed
    closed_at = {"won": won_at, "lost": lost_at}.get(status)
    return ImportedDeal(
        source="pipedrive",
        external_id=record.text("Deal - ID"),
        title=title,
        account_name=record.text("Deal - Organization"),
        contact_name=record.text("Deal - Contact person"),
        owner=record.text("Deal - Owner"),
        stage=stage,
        status=status,
        value=value,
        currency=currency,
        expected_close=expected_close,
        created_at=created_at,
        closed_at=closed_at,
        probability=probability,
        line=record.line,
    )


FORMAT = ExportFormat(
    name="pipedrive",
    description="Pipedrive deals export",
    signature=("Deal - Title",),
    required=("Deal - Title", "Deal - Stage"),
    build_deal=build_deal,
)
