"""Parse the money, date and probability strings that CRM exports write.

Every parser takes the cell text, returns ``None`` for a blank cell and raises
:class:`InvalidValue` whose message quotes the text and says what is accepted.
Nothing here knows which CRM wrote the file; callers pass hints such as the
day/month order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Literal

DateOrder = Literal["mdy", "dmy"]

# Symbols and prefixes that name a currency, longest first so "NT$" wins over "$".
CURRENCY_SYMBOLS: dict[str, str] = {
    "NT$": "TWD",
    "US$": "USD",
    "HK$": "HKD",
    "A$": "AUD",
    "C$": "CAD",
    "$": "USD",
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "₩": "KRW",
}

# Symbols shared by several currencies: a currency column may override them.
AMBIGUOUS_SYMBOLS = frozenset({"$", "¥"})

# Characters used to group thousands: comma, dot, space, no-break spaces, apostrophe.
GROUP_SEPARATORS = ",. '\u00a0\u202f’"

# Day 0 of Excel's 1900 date system. Serials from 61 on are exact; Excel counts a
# 29 February 1900 that never existed, so earlier serials are off by one.
EXCEL_EPOCH = date(1899, 12, 30)
FIRST_EXACT_EXCEL_SERIAL = 61
LAST_EXCEL_SERIAL = 2_958_465  # 9999-12-31

_ISO_CODE = re.compile(r"^[A-Z]{3}$")
_NUMBER_CHARS = re.compile(r"^[0-9,. '\u00a0\u202f’]+$")
_ISO_DATE = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[T ].*)?$")
_SLASH_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})(?: .*)?$")
_DOT_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{2}|\d{4})\.?(?: .*)?$")
_SERIAL = re.compile(r"^\d{1,7}(?:\.\d+)?$")
_PROBABILITY = re.compile(r"^(\d+(?:[.,]\d+)?)\s*(%?)$")


class InvalidValue(ValueError):
    """Raised when a cell cannot be read as the type its column holds."""

    def __init__(self, value: str, message: str) -> None:
        super().__init__(message)
        self.value = value


@dataclass(frozen=True)
class Money:
    """An amount and the currency named next to it in the cell, if any."""

    amount: Decimal
    currency: str | None
    ambiguous_symbol: bool = False


def parse_money(text: str) -> Money | None:
    """Parse an amount such as "NT$1,234,567", "€ 12.500,00" or "(1,200.50)".

    A currency may stand before or after the number, as a symbol or an ISO 4217
    code. The last of "," and "." is the decimal separator when both occur. A
    single separator followed by exactly three digits groups thousands
    ("1.234" is 1234), because money is not written with three decimals.
    """
    cell = text.strip()
    if not cell:
        return None

    body, negative = _strip_sign(cell)
    body, currency, ambiguous = _strip_currency(body)
    body, inner_negative = _strip_sign(body)
    if not body or not _NUMBER_CHARS.match(body) or not any(c.isdigit() for c in body):
        raise InvalidValue(
            text,
            f"{text!r} is not an amount; write digits with an optional currency "
            "symbol or ISO code, such as 1200.50, $1,200.50 or EUR 1.200,50.",
        )

    amount = Decimal(_normalise_number(text, body))
    if negative != inner_negative:
        amount = -amount

    return Money(amount, currency, ambiguous)


def _strip_sign(body: str) -> tuple[str, bool]:
    body = body.strip()
    if body.startswith("(") and body.endswith(")"):
        return body[1:-1].strip(), True
    if body[:1] in ("-", "\u2212"):
        return body[1:].strip(), True
    if body[-1:] in ("-", "\u2212"):
        return body[:-1].strip(), True

    return body, False


def _strip_currency(body: str) -> tuple[str, str | None, bool]:
    for symbol, code in CURRENCY_SYMBOLS.items():
        if body.startswith(symbol):
            return body[len(symbol) :].strip(), code, symbol in AMBIGUOUS_SYMBOLS
        if body.endswith(symbol):
            return body[: -len(symbol)].strip(), code, symbol in AMBIGUOUS_SYMBOLS

    head, _, rest = body.partition(" ")
    if _ISO_CODE.match(head) and rest:
        return rest.strip(), head, False
    rest, _, tail = body.rpartition(" ")
    if _ISO_CODE.match(tail) and rest:
        return rest.strip(), tail, False
    if len(body) > 3 and _ISO_CODE.match(body[:3]) and body[3].isdigit():
        return body[3:], body[:3], False

    return body, None, False


def _normalise_number(text: str, body: str) -> str:
    """Return ``body`` as a plain decimal string such as "-1234.50"."""
    digits = re.sub(r"[ '\u00a0\u202f’]", " ", body)
    last_comma = digits.rfind(",")
    last_dot = digits.rfind(".")
    decimal_mark = None
    if last_comma >= 0 and last_dot >= 0:
        decimal_mark = "," if last_comma > last_dot else "."
    elif last_comma >= 0 or last_dot >= 0:
        mark = "," if last_comma >= 0 else "."
        fraction = digits.rsplit(mark, 1)[1]
        if digits.count(mark) == 1 and len(fraction) != 3:
            decimal_mark = mark

    if decimal_mark is None:
        whole, fraction = digits, ""
    else:
        whole, fraction = digits.rsplit(decimal_mark, 1)
    if not fraction.isdigit() and fraction:
        raise _bad_grouping(text)

    groups = re.split(r"[ ,.]", whole)
    if not _is_valid_grouping(groups):
        raise _bad_grouping(text)

    number = "".join(groups)
    return f"{number}.{fraction}" if fraction else number


def _is_valid_grouping(groups: list[str]) -> bool:
    if not all(group.isdigit() for group in groups):
        return False
    if len(groups) == 1:
        return True
    head, *rest = groups
    if head.startswith("0"):
        return False
    if 1 <= len(head) <= 3 and all(len(group) == 3 for group in rest):
        return True
    # Indian grouping: 12,34,567.
    return (
        1 <= len(head) <= 2
        and len(rest[-1]) == 3
        and all(len(group) == 2 for group in rest[:-1])
    )


def _bad_grouping(text: str) -> InvalidValue:
    return InvalidValue(
        text,
        f"{text!r} is not an amount: its digit groups do not match a thousands "
        "separator; write 1,234,567.89 or 1.234.567,89.",
    )


def parse_decimal(text: str) -> Decimal | None:
    """Parse a plain number such as "1100.04" (no currency, dot decimal mark)."""
    cell = text.strip()
    if not cell:
        return None
    try:
        return Decimal(cell)
    except InvalidOperation:
        raise InvalidValue(text, f"{text!r} is not a number.") from None


def parse_date(text: str, *, order: DateOrder = "mdy") -> date | None:
    """Parse a date in ISO, M/D/YYYY, D/M/YYYY, D.M.YYYY or Excel serial form.

    ``order`` settles "03/04/2017" when both parts could be the month; a part
    above 12 settles it regardless. A time after the date is ignored. Dotted
    dates are always day first.
    """
    cell = text.strip()
    if not cell:
        return None

    if match := _ISO_DATE.match(cell):
        year, month, day = (int(part) for part in match.groups())
        return _make_date(text, year, month, day)
    if match := _SLASH_DATE.match(cell):
        first, second, year = match.groups()
        month, day = _order_parts(int(first), int(second), order)
        return _make_date(text, _full_year(year), month, day)
    if match := _DOT_DATE.match(cell):
        day, month, year = match.groups()
        return _make_date(text, _full_year(year), int(month), int(day))
    if _SERIAL.match(cell):
        return _excel_serial_date(text, Decimal(cell))

    raise InvalidValue(
        text,
        f"{text!r} is not a date; write 2017-03-01, 3/1/2017, 1.3.2017 or an "
        "Excel serial number such as 42795.",
    )


def _order_parts(first: int, second: int, order: DateOrder) -> tuple[int, int]:
    if first > 12:
        return second, first
    if second > 12:
        return first, second

    return (first, second) if order == "mdy" else (second, first)


def _full_year(year: str) -> int:
    if len(year) == 4:
        return int(year)
    # Same pivot as strptime's %y: 00-68 are 2000-2068, 69-99 are 1969-1999.
    short = int(year)
    return 2000 + short if short < 69 else 1900 + short


def _make_date(text: str, year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise InvalidValue(
            text, f"{text!r} is not a valid calendar date (year {year}, month "
            f"{month}, day {day})."
        ) from None


def _excel_serial_date(text: str, serial: Decimal) -> date:
    days = int(serial)
    if not FIRST_EXACT_EXCEL_SERIAL <= days <= LAST_EXCEL_SERIAL:
        raise InvalidValue(
            text,
            f"{text!r} is outside the Excel serial dates this import reads "
            f"({FIRST_EXACT_EXCEL_SERIAL} is 1900-03-01, {LAST_EXCEL_SERIAL} "
            "is 9999-12-31).",
        )

    return EXCEL_EPOCH + timedelta(days=days)


def parse_probability(text: str) -> int | None:
    """Parse a win probability in percent, "40%" or "40", rounded to a whole number.

    A bare fraction such as "0.4" is rejected instead of guessed, because it could
    mean 0.4 % or 40 %.
    """
    cell = text.strip()
    if not cell:
        return None

    match = _PROBABILITY.match(cell)
    if not match:
        raise InvalidValue(text, f"{text!r} is not a probability; write 40 or 40%.")
    number = Decimal(match.group(1).replace(",", "."))
    has_percent_sign = bool(match.group(2))
    if not has_percent_sign and 0 < number < 1:
        raise InvalidValue(
            text,
            f"{text!r} is ambiguous as a probability; write 40 or 40% for forty "
            "percent.",
        )
    if number > 100:
        raise InvalidValue(
            text, f"{text!r} is not a probability: it is above 100 percent."
        )

    return int(number.quantize(Decimal(1)))
