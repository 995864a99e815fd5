import pytest

from sync import HybridClock, InvalidStamp, format_stamp, parse_stamp, wall_ms_of

WALL_MS = 1_733_312_345_678


def test_format_and_parse_round_trip() -> None:
    stamp = format_stamp(WALL_MS, 0x2A, "dev-a")

    assert stamp == "0001733312345678-002a-dev-a"
    assert parse_stamp(stamp) == (WALL_MS, 0x2A, "dev-a")
    assert wall_ms_of(stamp) == WALL_MS


def test_parse_error_names_stamp() -> None:
    with pytest.raises(InvalidStamp, match="'12:00'"):
        parse_stamp("12:00")


def test_now_stamps_strictly_increase() -> None:
    clock = HybridClock("dev-a")
    walls = [WALL_MS, WALL_MS, WALL_MS - 10, WALL_MS + 1, WALL_MS + 1]

    stamps = [clock.now(wall) for wall in walls]

    assert stamps == sorted(stamps)
    assert len(set(stamps)) == len(stamps)


def test_now_after_observe_exceeds_remote() -> None:
    clock = HybridClock("dev-a")
    remote = format_stamp(WALL_MS + 5_000, 7, "dev-b")

    clock.observe(remote, WALL_MS)

    assert clock.now(WALL_MS) > remote


def test_counter_overflow_moves_wall() -> None:
    clock = HybridClock("dev-a", format_stamp(WALL_MS, 0xFFFF, "dev-a"))

    assert clock.now(WALL_MS) == format_stamp(WALL_MS + 1, 0, "dev-a")


def test_clock_rejects_float_wall_time() -> None:
    clock = HybridClock("dev-a")

    with pytest.raises(InvalidStamp, match="1.5"):
        clock.now(1.5)  # type: ignore[arg-type]
