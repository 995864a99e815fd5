"""The interface of an export format module, and the shared deal-building steps."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from .detect import normalise_column
from .errors import MissingColumnsError
from .record import Record
from .rows import FormatName, ImportedDeal, ImportedProduct, LineIssue, Status
from .stages import place_deal
from .values import DateOrder

# Products keyed by normalise_label(name); only the data set format uses them.
ProductCatalog = Mapping[str, ImportedProduct]
BuildDeal = Callable[[Record, ProductCatalog], ImportedDeal | None]
CheckHeader = Callable[[list[str]], list[LineIssue]]


def check_nothing(header: list[str]) -> list[LineIssue]:
    """Return no header warnings."""
    return []


@dataclass(frozen=True)
class ExportFormat:
    """An export layout: how to recognise its header and build a deal per row."""

    name: FormatName
    description: str
    signature: tuple[str, ...]  # all present (any case) means this format
    required: tuple[str, ...]
    build_deal: BuildDeal
    date_order: DateOrder = "mdy"
    check_header: CheckHeader = field(default=check_nothing)

    def matches(self, header: Sequence[str]) -> bool:
        """Return whether ``header`` has every signature column."""
        names = {normalise_column(name) for name in header}
        return all(normalise_column(column) in names for column in self.signature)

    def require_columns(self, header: Sequence[str]) -> None:
        """Raise :class:`MissingColumnsError` unless every required column is present."""
        names = {normalise_column(name) for name in header}
        missing = [c for c in self.required if normalise_column(c) not in names]
        if missing:
            listed = ", ".join(repr(column) for column in missing)
            raise MissingColumnsError(
                f"The {self.description} is missing the required column(s) "
                f"{listed}; export them too and import the file again."
            )


def resolve_status(
    record: Record, stage_column: str, status_column: str | None = None
) -> tuple[str, Status] | None:
    """Return the stage and status of the row, or None after reporting an error.

    The status column, when present, must agree with an outcome label in the
    stage column ("Closed Won" beside "lost" is an error).
    """
    mapped = record.stage(stage_column)
    status_cell = record.status(status_column) if status_column else None
    if mapped is None:
        return None

    stage, label_status = mapped
    if label_status and status_cell and label_status != status_cell:
        record.error(
            status_column or stage_column,
            record.raw(status_column or stage_column),
            f"Status {status_cell!r} contradicts stage "
            f"{record.text(stage_column)!r}; correct one of the two.",
            "status_mismatch",
        )
        return None
    status: Status = label_status or status_cell or "open"

    return place_deal(stage, status), status
