"""One CSV row as a format module reads it, collecting issues as it goes.

Each typed getter returns None for a blank or invalid cell. An invalid cell
also adds an error to :attr:`Record.issues`. So one pass reports every bad
cell of a row, and the stream skips the row afterwards.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from .detect import normalise_column
from .rows import DEFAULT_CURRENCY, LineIssue, Status
from .stages import ACCEPTED_LABELS, map_stage
from .values import (
    DateOrder,
    InvalidValue,
    parse_date,
    parse_decimal,
    parse_money,
    parse_probability,
)

STATUSES: dict[str, Status] = {"open": "open", "won": "won", "lost": "lost"}


class Record:
    """The cells of one row, looked up by column name regardless of case."""

    def __init__(
        self,
        line: int,
        header: list[str],
        cells: list[str],
        *,
        date_order: DateOrder = "mdy",
    ) -> None:
        self.line = line
        self.date_order = date_order
        self.issues: list[LineIssue] = []
        self._cells = {normalise_column(name): cell for name, cell in zip(header, cells)}
        self._names = {normalise_column(name): name.strip() for name in header}

    def has(self, column: str) -> bool:
        """Return whether the header has ``column``."""
        return normalise_column(column) in self._cells

    def raw(self, column: str) -> str:
        """Return the cell as written, or "" when the header lacks the column."""
        return self._cells.get(normalise_column(column), "")

    def text(self, column: str) -> str | None:
        """Return the stripped cell, or None when it is blank."""
        return self.raw(column).strip() or None

    def required_text(self, column: str) -> str | None:
        """Return the stripped cell, reporting an error when it is blank."""
        value = self.text(column)
        if value is None:
            self.error(column, "", f"{self.name(column)} is missing.", "missing")

        return value

    def date(self, column: str) -> date | None:
        """Return the cell as a date, reporting an error when it is not one."""
        try:
            return parse_date(self.raw(column), order=self.date_order)
        except InvalidValue as error:
            self.error(column, error.value, str(error))
            return None

    def decimal(self, column: str) -> Decimal | None:
        """Return the cell as a plain number, reporting an error when it is not one."""
        try:
            return parse_decimal(self.raw(column))
        except InvalidValue as error:
            self.error(column, error.value, str(error))
            return None

    def probability(self, column: str) -> int | None:
        """Return the cell as a percentage, reporting an error when invalid."""
        try:
            return parse_probability(self.raw(column))
        except InvalidValue as error:
            self.error(column, error.value, str(error))
            return None

    def amount(
        self, column: str, currency_column: str | None = None
    ) -> tuple[Decimal | None, str]:
        """Return the amount in ``column`` and its ISO 4217 currency.

        The currency column wins over a "$" or "¥" in the amount, which several
        currencies share. An ISO code or an unambiguous symbol that contradicts
        the currency column is an error, because one of the two is wrong.
        """
        listed = self._currency_code(currency_column) if currency_column else None
        try:
            money = parse_money(self.raw(column))
        except InvalidValue as error:
            self.error(column, error.value, str(error))
            return None, listed or DEFAULT_CURRENCY
        if money is None:
            return None, listed or DEFAULT_CURRENCY

        named = money.currency
        if listed and named and named != listed and not money.ambiguous_symbol:
            self.error(
                column,
                self.raw(column),
                f"{self.raw(column)!r} is in {named} but {self.name(currency_column)}"
                f" says {listed}; correct one of the two.",
                "currency_mismatch",
            )
            return None, listed

        return money.amount, listed or named or DEFAULT_CURRENCY

    def _currency_code(self, column: str) -> str | None:
        code = self.text(column)
        if code is None:
            return None
        if len(code) != 3 or not code.isalpha():
            self.error(
                column,
                code,
                f"{code!r} is not an ISO 4217 currency code such as USD, EUR or TWD.",
            )
            return None

        return code.upper()

    def stage(self, column: str) -> tuple[str, Status | None] | None:
        """Return the stage key and outcome status for the label in ``column``."""
        label = self.required_text(column)
        if label is None:
            return None
        mapped = map_stage(label)
        if mapped is None:
            self.error(
                column,
                label,
                f"Stage {label!r} is not a known stage. Accepted: {ACCEPTED_LABELS}.",
                "unknown_stage",
            )

        return mapped

    def status(self, column: str) -> Status | None:
        """Return "open", "won" or "lost" from ``column``; None when blank."""
        value = self.text(column)
        if value is None:
            return None
        status = STATUSES.get(value.casefold())
        if status is None:
            self.error(
                column,
                value,
                f"Status {value!r} is not one of open, won, lost.",
                "unknown_status",
            )

        return status

    def name(self, column: str) -> str:
        """Return the column name as the file's header writes it."""
        return self._names.get(normalise_column(column), column)

    def error(self, column: str, value: str, reason: str, code: str = "invalid") -> None:
        """Record an error that makes the stream skip this row."""
        issue = LineIssue(self.line, self.name(column), value, reason, code, "error")
        self.issues.append(issue)

    def warn(self, column: str, value: str, reason: str, code: str) -> None:
        """Record a warning about a row that is still imported."""
        issue = LineIssue(self.line, self.name(column), value, reason, code, "warning")
        self.issues.append(issue)

    @property
    def has_errors(self) -> bool:
        """Return whether any issue so far makes the row unusable."""
        return any(issue.severity == "error" for issue in self.issues)
