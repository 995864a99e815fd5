"""Parse each sample export and each broken file, checking rows and reports."""

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from server.imports import (
    ImportedDeal,
    MissingColumnsError,
    UnknownFormatError,
    UnsupportedEncodingError,
    open_import,
    parse_file,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "csv"


def by_id(report):
    return {deal.external_id: deal for deal in report.rows}


def test_pipedrive_export_rows():
    report = parse_file(FIXTURES / "pipedrive_deals.csv")
    assert report.format == "pipedrive"
    assert report.skipped == []
    deals = by_id(report)
    assert deals["101"].value == Decimal("1200.50")
    assert deals["101"].expected_close == date(2025, 1, 21)
    assert deals["101"].probability == 40
    assert deals["101"].stage == "qualification"
    assert deals["102"].title == "Warehouse scanners\r\nphase 2"
    assert deals["102"].line == 3
    assert deals["102"].created_at == date(2024, 11, 4)
    assert deals["103"].line == 5
    assert (deals["103"].stage, deals["103"].status) == ("closing", "won")
    assert deals["103"].closed_at == date(2024, 12, 14)
    assert (deals["104"].stage, deals["104"].status) == ("nurturing", "lost")
    assert deals["104"].closed_at == date(2024, 12, 20)
    assert deals["105"].value is None
    assert deals["105"].stage == "negotiation"


def test_pipedrive_big5_export():
    report = parse_file(FIXTURES / "pipedrive_zh_tw_big5.csv")
    assert report.encoding == "cp950"
    deals = by_id(report)
    assert deals["201"].title == "台北機房伺服器升級"
    assert deals["201"].account_name == "宏達電子股份有限公司"
    assert deals["201"].value == Decimal("1234567")
    assert deals["201"].currency == "TWD"
    assert deals["202"].currency == "TWD"


def test_hubspot_close_date_only_when_closed():
    report = parse_file(FIXTURES / "hubspot_deals.csv")
    assert report.format == "hubspot"
    deals = by_id(report)
    assert deals["9001"].expected_close is None
    assert deals["9001"].closed_at is None
    assert deals["9001"].owner == "ana@example.com"
    assert deals["9001"].stage == "initial_contact"
    assert deals["9002"].closed_at == date(2025, 1, 15)
    assert (deals["9002"].stage, deals["9002"].status) == ("closing", "won")
    assert (deals["9003"].stage, deals["9003"].status) == ("prospecting", "lost")
    assert deals["9004"].account_name is None


def test_salesforce_api_export():
    report = parse_file(FIXTURES / "salesforce_api.csv")
    assert report.format == "salesforce_api"
    assert report.skipped == []
    deals = by_id(report)
    first = deals["0065g00000AbCdEAAV"]
    assert first.stage == "nurturing"
    assert first.expected_close == date(2025, 2, 28)
    assert first.created_at == date(2024, 11, 2)
    assert first.probability == 60
    won = deals["0065g00000AbCdFAAV"]
    assert (won.status, won.currency, won.closed_at) == ("won", "EUR", date(2025, 1, 15))
    custom_lost = deals["0065g00000AbCdGAAV"]
    assert (custom_lost.stage, custom_lost.status) == ("prospecting", "lost")


def test_salesforce_account_ids_warn():
    data = b"Id,Name,AccountId,StageName\n1,Rack refresh,0015g00000Q,Prospecting\n"
    report = parse_file(io.BytesIO(data))
    assert len(report.rows) == 1
    assert report.rows[0].account_name is None
    assert [(w.line, w.field, w.code) for w in report.warnings] == [
        (1, "AccountId", "account_ids_only")
    ]


def test_salesforce_report_semicolon_bom():
    report = parse_file(FIXTURES / "salesforce_report_eu.csv")
    assert report.format == "salesforce_report"
    assert (report.encoding, report.delimiter) == ("utf-8-sig", ";")
    first, won, kiosk = report.rows
    assert first.value == Decimal("12500.00")
    assert first.currency == "EUR"
    assert first.expected_close == date(2025, 12, 31)
    assert first.probability == 75
    assert won.value == Decimal("1500.50")
    assert won.closed_at == date(2025, 1, 15)
    assert kiosk.title == "Kiosk pilot; phase 1"
    assert kiosk.account_name is None
    assert kiosk.expected_close == date(2025, 3, 1)


def test_salesforce_report_us_dates():
    report = parse_file(FIXTURES / "salesforce_report_us.csv")
    open_deal, lost = report.rows
    assert open_deal.expected_close == date(2025, 3, 4)
    assert open_deal.stage == "negotiation"
    assert lost.value == Decimal("-250.00")
    assert lost.closed_at == date(2024, 12, 20)


def test_generic_template_rows():
    report = parse_file(FIXTURES / "generic_template.csv")
    assert report.format == "generic"
    deals = by_id(report)
    assert deals["D-1"].contact_name == "Jane Roe"
    assert deals["D-1"].expected_close == date(2025, 2, 28)
    assert deals["D-2"].currency == "EUR"
    assert deals["D-3"].currency == "USD"
    assert (deals["D-3"].stage, deals["D-3"].status) == ("nurturing", "lost")


BROKEN_ROWS = [
    (3, "expected_close", "2025-02-30", "not a valid calendar date", "invalid"),
    (4, "value", "12,000 dollars", "is not an amount", "invalid"),
    (5, "stage", "Signed Off", "Accepted: Dealbook keys", "unknown_stage"),
    (6, "external_id", "B-1", "already appears on line 2", "duplicate_id"),
    (7, "title", "", "title is missing", "missing"),
    (8, None, None, "has 3 fields but the header has 11", "field_count"),
    (9, "value", "abc", "'abc' is not an amount", "invalid"),
    (11, "status", "lost", "contradicts stage 'Closed Won'", "status_mismatch"),
    (12, "value", "€ 100", "is in EUR but currency says USD", "currency_mismatch"),
]


def test_broken_rows_report():
    report = parse_file(FIXTURES / "generic_broken_rows.csv")
    assert [deal.external_id for deal in report.rows] == ["B-1"]
    assert report.warnings == []
    assert len(report.skipped) == len(BROKEN_ROWS)
    for issue, expected in zip(report.skipped, BROKEN_ROWS):
        line, field, value, reason, code = expected
        assert issue.line == line
        assert issue.field == field
        assert issue.value == value
        assert reason in issue.reason
        assert issue.code == code
        assert issue.severity == "error"


def test_missing_required_column_generic():
    with pytest.raises(MissingColumnsError, match="'stage'"):
        parse_file(FIXTURES / "generic_missing_columns.csv")


def test_missing_required_column_pipedrive():
    with pytest.raises(MissingColumnsError, match="'Deal - Stage'"):
        parse_file(FIXTURES / "pipedrive_missing_stage.csv")


def test_unknown_header_names_columns():
    with pytest.raises(UnknownFormatError) as caught:
        parse_file(FIXTURES / "unknown_header.csv")
    message = str(caught.value)
    assert "'Opportunity', 'Customer', 'Revenue'" in message
    for name in ("crm_dataset", "pipedrive", "hubspot", "salesforce_api",
                 "salesforce_report", "generic"):
        assert name in message


def test_forced_format_checks_columns():
    with pytest.raises(MissingColumnsError):
        parse_file(FIXTURES / "hubspot_deals.csv", format="generic")


def test_stream_yields_in_file_order():
    with open_import(FIXTURES / "generic_broken_rows.csv") as stream:
        assert stream.format == "generic"
        lines = [item.line for item in stream]
    assert lines == sorted(lines)


def test_stream_leaves_caller_file_open():
    with open(FIXTURES / "generic_template.csv", "rb") as file:
        with open_import(file) as stream:
            rows = list(stream)
        assert not file.closed
    assert all(isinstance(row, ImportedDeal) for row in rows)


def test_stream_reads_lazily():
    header = b"external_id,title,stage,value\n"
    body = b"".join(b"X-%d,Deal %d,proposal,%d\n" % (i, i, i) for i in range(50_000))
    source = io.BytesIO(header + body)
    with open_import(source) as stream:
        first = next(iter(stream))
        assert first.external_id == "X-0"
        assert source.tell() < len(header + body) / 4


def test_utf16_file_rejected():
    data = "title,stage\nA,proposal\n".encode("utf-16")
    with pytest.raises(UnsupportedEncodingError, match="UTF-16"):
        parse_file(io.BytesIO(data))


def test_late_invalid_utf8_names_line():
    rows = b"".join(b"Deal %d,proposal\n" % i for i in range(10_000))
    data = b"title,stage\n" + rows + b"\xff\xfe broken,proposal\n"
    with pytest.raises(UnsupportedEncodingError, match="not valid utf-8"):
        parse_file(io.BytesIO(data))


def test_empty_file_rejected():
    with pytest.raises(Exception, match="empty"):
        parse_file(io.BytesIO(b""))


def test_trailing_empty_fields_accepted():
    data = b"title,stage\nRack refresh,proposal,,\n"
    report = parse_file(io.BytesIO(data))
    assert [deal.title for deal in report.rows] == ["Rack refresh"]
