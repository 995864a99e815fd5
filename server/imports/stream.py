"""Stream deals and line issues out of one export file."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from types import TracebackType

from . import crm_dataset, generic, hubspot, pipedrive, salesforce
from .detect import (
    Source,
    describe_unknown_header,
    normalise_column,
    open_text,
    read_rows,
)
from .errors import ImportFileError, UnknownFormatError
from .format import ExportFormat, ProductCatalog
from .record import Record
from .rows import FormatName, ImportedDeal, LineIssue, ParseReport

logger = logging.getLogger(__name__)

# Tried in this order; the first whose signature columns are all present wins.
FORMATS: dict[str, ExportFormat] = {
    export.name: export
    for export in (
        crm_dataset.FORMAT,
        pipedrive.FORMAT,
        hubspot.FORMAT,
        salesforce.API_FORMAT,
        salesforce.REPORT_FORMAT,
        generic.FORMAT,
    )
}


def choose_format(header: list[str], name: str | None = None) -> ExportFormat:
    """Return the format named ``name``, or the first whose signature ``header`` has."""
    if name is not None:
        if name not in FORMATS:
            raise ImportFileError(
                f"Format {name!r} is not known; use one of {', '.join(FORMATS)}."
            )
        return FORMATS[name]

    for export in FORMATS.values():
        if export.matches(header):
            return export
    accepted = {e.name: ", ".join(e.signature) for e in FORMATS.values()}
    raise UnknownFormatError(describe_unknown_header(header, accepted))


class ImportStream:
    """An open export whose rows are read lazily, one at a time.

    Opening reads the header, so an unreadable or unknown file raises
    :class:`~server.imports.errors.ImportFileError` at once. Iterating yields
    :class:`ImportedDeal` rows and :class:`LineIssue` items in file order; a
    skipped row yields only its issues. Use it as a context manager, or call
    :meth:`close`, to close a file opened from a path.
    """

    def __init__(
        self,
        source: Source,
        *,
        format: FormatName | None = None,
        products: ProductCatalog | None = None,
        track_duplicates: bool = True,
    ) -> None:
        self.track_duplicates = track_duplicates
        self._text, self.encoding, self.delimiter, self._owned = open_text(source)
        self._products: ProductCatalog = products or {}
        try:
            self._rows = read_rows(self._text, self.delimiter, self.encoding)
            self.header = self._read_header()
            self.export = choose_format(self.header, format)
            self.export.require_columns(self.header)
        except BaseException:
            self.close()
            raise
        self.format: FormatName = self.export.name
        logger.info("Detected %s with %d columns", self.format, len(self.header))

    def _read_header(self) -> list[str]:
        first = next(self._rows, None)
        if first is None:
            raise ImportFileError("The file is empty; it needs a header row.")
        line, cells = first
        if line != 1:
            logger.info("Header found on line %d after blank lines", line)

        return [cell.strip() for cell in cells]

    def __iter__(self) -> Iterator[ImportedDeal | LineIssue]:
        yield from self.export.check_header(self.header)
        seen_ids: dict[str, int] | None = {} if self.track_duplicates else None
        for line, cells in self._rows:
            yield from self._parse_row(line, cells, seen_ids)

    def _parse_row(
        self, line: int, cells: list[str], seen_ids: dict[str, int] | None
    ) -> Iterator[ImportedDeal | LineIssue]:
        if not self._has_header_width(cells):
            yield LineIssue(
                line,
                None,
                None,
                f"The row has {len(cells)} fields but the header has "
                f"{len(self.header)}; check the quotes and delimiters on it.",
                "field_count",
            )
            return

        for column, cell in zip(self.header, cells):
            if "\x00" in cell:
                yield LineIssue(
                    line,
                    column,
                    cell.replace("\x00", "\\x00"),
                    "The cell contains a NUL character (\\x00); remove it and "
                    "import the row again.",
                )
                return

        record = Record(line, self.header, cells, date_order=self.export.date_order)
        deal = self.export.build_deal(record, self._products)
        yield from record.issues
        if deal is None:
            return

        if seen_ids is None or deal.external_id is None:
            yield deal
            return

        # NOTE: every distinct id stays in memory (an estimated 100 bytes each);
        # the database import turns this off and finds duplicates by query.
        if deal.external_id in seen_ids:
            first_line = seen_ids[deal.external_id]
            yield LineIssue(
                line,
                self._id_column(),
                deal.external_id,
                f"Id {deal.external_id!r} already appears on line {first_line}; "
                "this row is skipped.",
                "duplicate_id",
            )
            return
        if deal.external_id is not None:
            seen_ids[deal.external_id] = line
        yield deal

    def _has_header_width(self, cells: list[str]) -> bool:
        if len(cells) == len(self.header):
            return True
        extra = cells[len(self.header) :]
        if extra and not any(cell.strip() for cell in extra):
            del cells[len(self.header) :]
            return True

        return False

    def _id_column(self) -> str | None:
        names = {normalise_column(name): name for name in self.header}
        for column in ("opportunity_id", "deal - id", "record id", "id",
                       "opportunity id", "external_id"):
            if column in names:
                return names[column]

        return None

    def close(self) -> None:
        """Close the file if this stream opened it from a path."""
        self._text.close()
        if self._owned is not None:
            self._owned.close()

    def __enter__(self) -> ImportStream:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def parse_file(
    source: Source,
    *,
    format: FormatName | None = None,
    products: ProductCatalog | None = None,
) -> ParseReport:
    """Parse a whole export into a :class:`ParseReport`.

    This keeps every row in memory; use :class:`ImportStream` for large files.
    """
    with ImportStream(source, format=format, products=products) as stream:
        report = ParseReport(stream.format, stream.encoding, stream.delimiter)
        for item in stream:
            report.add(item)

    return report
