"""Table-driven tests of the money, date and probability parsers."""

from datetime import date
from decimal import Decimal

import pytest

from server.imports.values import (
    InvalidValue,
    parse_date,
    parse_money,
    parse_probability,
)

MONEY_CASES = [
    ("1200", Decimal("1200"), None),
    ("1200.50", Decimal("1200.50"), None),
    ("$1,200.50", Decimal("1200.50"), "USD"),
    ("NT$1,234,567", Decimal("1234567"), "TWD"),
    ("€ 12.500,00", Decimal("12500.00"), "EUR"),
    ("12.500,00 €", Decimal("12500.00"), "EUR"),
    ("£99.99", Decimal("99.99"), "GBP"),
    ("¥120,000", Decimal("120000"), "JPY"),
    ("USD 1,000", Decimal("1000"), "USD"),
    ("1,000 EUR", Decimal("1000"), "EUR"),
    ("EUR1000", Decimal("1000"), "EUR"),
    ("CHF 1'234.50", Decimal("1234.50"), "CHF"),
    ("1 234 567,89", Decimal("1234567.89"), None),
    ("1\u00a0234,5", Decimal("1234.5"), None),
    ("1.234.567", Decimal("1234567"), None),
    ("1.234", Decimal("1234"), None),
    ("1,234", Decimal("1234"), None),
    ("12,5", Decimal("12.5"), None),
    ("0.5", Decimal("0.5"), None),
    ("12,34,567.00", Decimal("1234567.00"), None),
    ("(1,200.50)", Decimal("-1200.50"), None),
    ("-$300", Decimal("-300"), "USD"),
    ("$-300", Decimal("-300"), "USD"),
    ("300-", Decimal("-300"), None),
]


@pytest.mark.parametrize(("text", "amount", "currency"), MONEY_CASES)
def test_money_parses(text, amount, currency):
    money = parse_money(text)
    assert money is not None
    assert money.amount == amount
    assert money.currency == currency


@pytest.mark.parametrize("text", ["", "   "])
def test_money_blank_is_none(text):
    assert parse_money(text) is None


@pytest.mark.parametrize(
    "text", ["12,000 dollars", "abc", "$", "1,2,3", "12..5", "0,123", "1.23.45"]
)
def test_money_rejects_invalid(text):
    with pytest.raises(InvalidValue) as caught:
        parse_money(text)
    assert repr(text) in str(caught.value)
    assert caught.value.value == text


def test_money_marks_dollar_ambiguous():
    assert parse_money("$5").ambiguous_symbol
    assert not parse_money("NT$5").ambiguous_symbol


DATE_CASES = [
    ("2017-03-01", "mdy", date(2017, 3, 1)),
    ("2017-03-01T10:00:00.000+0000", "mdy", date(2017, 3, 1)),
    ("2024-11-02 09:15:00", "mdy", date(2024, 11, 2)),
    ("2017/3/1", "mdy", date(2017, 3, 1)),
    ("3/1/2017", "mdy", date(2017, 3, 1)),
    ("3/1/2017", "dmy", date(2017, 1, 3)),
    ("12/20/2024", "dmy", date(2024, 12, 20)),
    ("20/12/2024", "mdy", date(2024, 12, 20)),
    ("3/1/17", "mdy", date(2017, 3, 1)),
    ("1.3.2025", "mdy", date(2025, 3, 1)),
    ("31.12.2025", "mdy", date(2025, 12, 31)),
    ("45678", "mdy", date(2025, 1, 21)),
    ("42795", "mdy", date(2017, 3, 1)),
    ("42795.5", "mdy", date(2017, 3, 1)),
    ("61", "mdy", date(1900, 3, 1)),
]


@pytest.mark.parametrize(("text", "order", "expected"), DATE_CASES)
def test_date_parses(text, order, expected):
    assert parse_date(text, order=order) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2025-02-30", "not a valid calendar date"),
        ("13/13/2025", "not a valid calendar date"),
        ("60", "outside the Excel serial dates"),
        ("next week", "is not a date"),
        ("2025-1", "is not a date"),
    ],
)
def test_date_rejects_invalid(text, reason):
    with pytest.raises(InvalidValue) as caught:
        parse_date(text)
    assert reason in str(caught.value)
    assert repr(text) in str(caught.value)


def test_date_blank_is_none():
    assert parse_date(" ") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [("40%", 40), ("40", 40), ("40 %", 40), ("12.5%", 12), ("100", 100),
     ("0", 0), ("1", 1), ("", None)],
)
def test_probability_parses(text, expected):
    assert parse_probability(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [("0.4", "ambiguous"), ("140%", "above 100"), ("high", "not a probability"),
     ("-5", "not a probability")],
)
def test_probability_rejects_invalid(text, reason):
    with pytest.raises(InvalidValue) as caught:
        parse_probability(text)
    assert reason in str(caught.value)
