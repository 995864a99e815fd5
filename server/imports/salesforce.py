"""Salesforce opportunity exports, by API name (Data Loader) or report label.

CloseDate is the forecast close for an open opportunity and the actual close
once it is closed, so it fills ``expected_close`` or ``closed_at`` by status.
When IsClosed and IsWon are exported they decide the status, which lets an
org's own closed stage names import without a table entry.
"""

from __future__ import annotations

from .format import ExportFormat, ProductCatalog, resolve_status
from .record import Record
from .rows import ImportedDeal, LineIssue, Status
from .detect import normalise_column
from .stages import LOST_STAGE_UNKNOWN, WON_STAGE, map_stage

TRUE_VALUES = frozenset({"true", "1", "yes"})


def _closed_status(record: Record) -> Status | None:
    """Return won or lost from IsClosed/IsWon, or None when open or not exported."""
    is_closed = (record.text("IsClosed") or "").casefold()
    if is_closed not in TRUE_VALUES:
        return None
    is_won = (record.text("IsWon") or "").casefold()

    return "won" if is_won in TRUE_VALUES else "lost"


def build_api_deal(record: Record, products: ProductCatalog) -> ImportedDeal | None:
    """Build a deal from a Data Loader (API name) row, or None after errors."""
    title = record.required_text("Name")
    closed_status = _closed_status(record)
    label = record.text("StageName") or ""
    if closed_status and map_stage(label) is None:
        stage = WON_STAGE if closed_status == "won" else LOST_STAGE_UNKNOWN
        placed: tuple[str, Status] | None = (stage, closed_status)
    else:
        placed = resolve_status(record, "StageName")
    value, currency = record.amount("Amount", "CurrencyIsoCode")
    close_date = record.date("CloseDate")
    created_at = record.date("CreatedDate")
    probability = record.probability("Probability")
    if title is None or placed is None or record.has_errors:
        return None

    stage, status = placed
    if closed_status and closed_status != status:
        status = closed_status
        stage = WON_STAGE if status == "won" else stage
    return ImportedDeal(
        source="salesforce_api",
        external_id=record.text("Id"),
        title=title,
        account_name=record.text("Account.Name"),
        contact_name=None,
        owner=record.text("Owner.Name") or record.text("OwnerId"),
        stage=stage,
        status=status,
        value=value,
        currency=currency,
        expected_close=close_date if status == "open" else None,
        created_at=created_at,
        closed_at=close_date if status != "open" else None,
        probability=probability,
        line=record.line,
    )


def check_api_header(header: list[str]) -> list[LineIssue]:
    """Warn when accounts are exported only as ids, which cannot be matched."""
    names = {normalise_column(name) for name in header}
    if "account.name" in names or "accountid" not in names:
        return []

    return [
        LineIssue(
            1,
            "AccountId",
            None,
            "AccountId contains Salesforce ids, not names, so deals import "
            "without an account; export Account.Name to link them.",
            "account_ids_only",
            "warning",
        )
    ]


def build_report_deal(record: Record, products: ProductCatalog) -> ImportedDeal | None:
    """Build a deal from an opportunity report row, or None after errors."""
    title = record.required_text("Opportunity Name")
    placed = resolve_status(record, "Stage")
    value, currency = record.amount("Amount", "Opportunity Currency")
    close_date = record.date("Close Date")
    created_at = record.date("Created Date")
    probability = record.probability("Probability (%)")
    if title is None or placed is None or record.has_errors:
        return None

    stage, status = placed
    return ImportedDeal(
        source="salesforce_report",
        external_id=record.text("Opportunity ID"),
        title=title,
        account_name=record.text("Account Name"),
        contact_name=record.text("Contact Name"),
        owner=record.text("Opportunity Owner"),
        stage=stage,
        status=status,
        value=value,
        currency=currency,
        expected_close=close_date if status == "open" else None,
        created_at=created_at,
        closed_at=close_date if status != "open" else None,
        probability=probability,
        line=record.line,
    )


API_FORMAT = ExportFormat(
    name="salesforce_api",
    description="Salesforce opportunities export (API names)",
    signature=("StageName",),
    required=("Name", "StageName"),
    build_deal=build_api_deal,
    check_header=check_api_header,
)

REPORT_FORMAT = ExportFormat(
    name="salesforce_report",
    description="Salesforce opportunity report",
    signature=("Opportunity Name",),
    required=("Opportunity Name", "Stage"),
    build_deal=build_report_deal,
)
