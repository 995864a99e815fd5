"""Send times in the user's local time: quiet hours, DST and digest windows."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from server.reminders import (
    UserTimes,
    digest_window_end,
    is_rotting,
    parse_clock_time,
    parse_time_zone,
    rotting_limits,
    send_time,
)


def times(zone: str, start="22:00", end="07:00", digest="08:00") -> UserTimes:
    return UserTimes(
        ZoneInfo(zone),
        parse_clock_time(start) if start else None,
        parse_clock_time(end) if end else None,
        parse_clock_time(digest),
    )


# (zone, due UTC, expected send UTC) with quiet hours 22:00 to 07:00 local.
QUIET_HOURS_CASES = {
    "taipei evening moves to 07:00 +08": (
        "Asia/Taipei", datetime(2027, 3, 14, 15, 0), datetime(2027, 3, 14, 23, 0)),
    "taipei daytime unchanged": (
        "Asia/Taipei", datetime(2027, 3, 14, 3, 0), datetime(2027, 3, 14, 3, 0)),
    "new york night before spring forward": (
        "America/New_York", datetime(2027, 3, 13, 4, 0), datetime(2027, 3, 13, 12, 0)),
    "new york night of spring forward ends in EDT": (
        "America/New_York", datetime(2027, 3, 14, 4, 0), datetime(2027, 3, 14, 11, 0)),
    "new york inside the skipped hour": (
        "America/New_York", datetime(2027, 3, 14, 7, 30), datetime(2027, 3, 14, 11, 0)),
    "new york night of fall back ends in EST": (
        "America/New_York", datetime(2027, 11, 7, 3, 0), datetime(2027, 11, 7, 12, 0)),
    "new york first 01:30 of fall back": (
        "America/New_York", datetime(2027, 11, 7, 5, 30), datetime(2027, 11, 7, 12, 0)),
    "new york second 01:30 of fall back": (
        "America/New_York", datetime(2027, 11, 7, 6, 30), datetime(2027, 11, 7, 12, 0)),
    "new york 07:00 EST is not quiet": (
        "America/New_York", datetime(2027, 11, 7, 12, 0), datetime(2027, 11, 7, 12, 0)),
    "london night of spring forward ends in BST": (
        "Europe/London", datetime(2027, 3, 27, 23, 0), datetime(2027, 3, 28, 6, 0)),
    "london night of fall back ends in GMT": (
        "Europe/London", datetime(2027, 10, 30, 22, 0), datetime(2027, 10, 31, 7, 0)),
    "london 06:30 GMT after fall back": (
        "Europe/London", datetime(2027, 10, 31, 6, 30), datetime(2027, 10, 31, 7, 0)),
    "london noon unchanged": (
        "Europe/London", datetime(2027, 3, 28, 12, 0), datetime(2027, 3, 28, 12, 0)),
}


@pytest.mark.parametrize(
    "zone, due, expected", QUIET_HOURS_CASES.values(), ids=QUIET_HOURS_CASES.keys()
)
def test_quiet_hours_send_time(zone, due, expected):
    assert send_time(due, times(zone)) == expected


def test_quiet_end_in_dst_gap_lands_after_gap():
    # 02:30 does not exist in New York on 2027-03-14; 03:30 EDT is 07:30 UTC.
    user = times("America/New_York", start="22:00", end="02:30")

    sent = send_time(datetime(2027, 3, 14, 5, 0), user)

    assert sent == datetime(2027, 3, 14, 7, 30)


def test_quiet_hours_within_one_day():
    user = times("Europe/London", start="12:00", end="13:30")

    assert send_time(datetime(2027, 1, 5, 12, 15), user) == datetime(2027, 1, 5, 13, 30)
    assert send_time(datetime(2027, 1, 5, 13, 30), user) == datetime(2027, 1, 5, 13, 30)


def test_quiet_hours_off_keeps_due_time():
    user = times("Asia/Taipei", start=None, end=None)

    assert send_time(datetime(2027, 3, 14, 15, 0), user) == datetime(2027, 3, 14, 15, 0)


DIGEST_CASES = {
    "taipei evening to next morning": (
        "Asia/Taipei", datetime(2027, 3, 14, 14, 0), datetime(2027, 3, 15, 0, 0)),
    "new york across spring forward": (
        "America/New_York", datetime(2027, 3, 14, 3, 0), datetime(2027, 3, 14, 12, 0)),
    "new york across fall back": (
        "America/New_York", datetime(2027, 11, 7, 3, 0), datetime(2027, 11, 7, 13, 0)),
    "london across spring forward": (
        "Europe/London", datetime(2027, 3, 27, 22, 0), datetime(2027, 3, 28, 7, 0)),
    "london exactly at digest time": (
        "Europe/London", datetime(2027, 10, 31, 8, 0), datetime(2027, 10, 31, 8, 0)),
}


@pytest.mark.parametrize(
    "zone, send_at, expected", DIGEST_CASES.values(), ids=DIGEST_CASES.keys()
)
def test_digest_window_end(zone, send_at, expected):
    assert digest_window_end(send_at, times(zone)) == expected


@pytest.mark.parametrize("value", ["7:00", "24:00", "07:60", "", None, 700, "07-00"])
def test_parse_clock_time_names_value(value):
    with pytest.raises(ValueError, match=repr(value).replace("(", r"\(")):
        parse_clock_time(value)


def test_parse_clock_time_accepts_hh_mm():
    assert parse_clock_time("07:05") == time(7, 5)


@pytest.mark.parametrize("value", ["Mars/Olympus", "", "../etc/passwd", None])
def test_parse_time_zone_names_value(value):
    with pytest.raises(ValueError, match="is not an IANA time zone"):
        parse_time_zone(value)


def test_rotting_limits_team_override():
    limits = rotting_limits({"rotting_days": {"proposal": 3, "unknown": 2, "closing": -1}})

    assert limits["proposal"] == timedelta(days=3)
    assert limits["closing"] == timedelta(days=7)
    assert "unknown" not in limits


def test_is_rotting_needs_both_limits():
    now = datetime(2027, 6, 9)
    limit = timedelta(days=10)
    old = now - timedelta(days=11)
    recent = now - timedelta(days=2)

    assert is_rotting(now, old, old, limit, has_future_followup=False)
    assert not is_rotting(now, old, recent, limit, has_future_followup=False)
    assert not is_rotting(now, recent, recent, limit, has_future_followup=False)
    assert not is_rotting(now, old, old, limit, has_future_followup=True)
