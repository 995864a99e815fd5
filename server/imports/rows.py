"""Canonical rows that every import format produces, and the per-line report.

These are plain values with no database identity: the code that writes them
matches accounts, contacts and owners by name (or owner email) and uses
``source`` plus ``external_id`` to recognise a deal imported before.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal
from ..stages import STAGES


Status = Literal["open", "won", "lost"]
Severity = Literal["error", "warning"]
FormatName = Literal[
    "crm_dataset", "pipedrive", "hubspot", "salesforce_api", "salesforce_report",
    "generic",
]

DEFAULT_CURRENCY = "USD"


@dataclass(frozen=True)
class ImportedDeal:
    """One deal read from an export, in Dealbook's stage keys and types."""

    source: FormatName
    external_id: str | None
    title: str
    account_name: str | None
    contact_name: str | None
    owner: str | None  # a person's name or email, as the export writes it
    stage: str  # one of STAGES
    status: Status
    value: Decimal | None
    currency: str = DEFAULT_CURRENCY  # ISO 4217
    expected_close: date | None = None
    created_at: date | None = None
    engaged_at: date | None = None
    closed_at: date | None = None
    probability: int | None = None  # percent, 0-100
    product: str | None = None
    line: int = 0  # physical line in the file where the row starts


@dataclass(frozen=True)
class ImportedAccount:
    """A company from the data set's accounts.csv."""

    name: str
    sector: str | None
    year_established: int | None
    revenue_musd: Decimal | None  # annual revenue, millions of USD
    employees: int | None
    country: str | None  # office_location: the headquarters country
    parent: str | None  # subsidiary_of: another account's name
    line: int = 0


@dataclass(frozen=True)
class ImportedTeamMember:
    """A sales agent with the manager who leads their team and their office."""

    agent: str
    manager: str
    office: str
    line: int = 0


@dataclass(frozen=True)
class ImportedTeam:
    """A manager's team: the manager, the regional office and the agents."""

    manager: str
    office: str
    agents: tuple[str, ...]


@dataclass(frozen=True)
class ImportedProduct:
    """A catalogue product with its series and list price in USD."""

    name: str
    series: str | None
    list_price: Decimal | None
    line: int = 0


@dataclass(frozen=True)
class LineIssue:
    """A problem found on one line of the file.

    An ``error`` means the row was skipped. A ``warning`` means the row was kept
    as reported next to it. ``code`` is a short stable key (``missing``,
    ``invalid``, ``unknown_stage``, ``duplicate_id``...) for callers that
    translate or group messages; ``reason`` is the English sentence.
    """

    line: int
    field: str | None  # the column name as the file writes it
    value: str | None
    reason: str
    code: str = "invalid"
    severity: Severity = "error"


@dataclass
class ParseReport:
    """All rows and issues of one file, collected by ``parse_file``."""

    format: FormatName
    encoding: str
    delimiter: str
    rows: list[ImportedDeal] = field(default_factory=list)
    skipped: list[LineIssue] = field(default_factory=list)
    warnings: list[LineIssue] = field(default_factory=list)

    def add(self, item: ImportedDeal | LineIssue) -> None:
        """Add a row or an issue from the stream to the matching list."""
        if isinstance(item, ImportedDeal):
            self.rows.append(item)
        elif item.severity == "error":
            self.skipped.append(item)
        else:
            self.warnings.append(item)

    @property
    def skipped_lines(self) -> list[int]:
        """Return the distinct lines skipped, in file order."""
        return sorted({issue.line for issue in self.skipped})
