"""Hybrid logical clock (HLC) stamps.

A stamp is ``WWWWWWWWWWWWWWWW-CCCC-DEVICE``: the wall time in milliseconds
since the epoch (16 decimal digits), a counter (4 lowercase hex digits) and
the device id. Comparing two stamps as strings compares them as clocks, with
ties broken by device id.

The clock follows Kulkarni et al., "Logical Physical Clocks and Consistent
Snapshots in Globally Distributed Databases" (2014). It never reads the time:
every call takes the current wall time in milliseconds.
"""

import re
from typing import NamedTuple

from .errors import InvalidStamp

# Largest wall time a stamp may carry, so the JavaScript twin stores it
# exactly as a Number (2**53 - 1). It is year 287396, far beyond any real clock.
MAX_WALL_MS = 2**53 - 1

# Largest counter value, the most that 4 hex digits can hold.
MAX_COUNTER = 0xFFFF

# Device ids are ASCII so that Python and JavaScript order stamps the same way.
_DEVICE_PATTERN = re.compile(r"[A-Za-z0-9._-]+")
# [0-9], not \d: \d also matches other scripts' digits, which int() reads.
_STAMP_PATTERN = re.compile(r"([0-9]{16})-([0-9a-f]{4})-([A-Za-z0-9._-]+)")


class Stamp(NamedTuple):
    """The three parts of a clock stamp."""

    wall_ms: int
    counter: int
    device: str


def format_stamp(wall_ms: int, counter: int, device: str) -> str:
    """Build a stamp string from its parts, checking each range."""
    _check_wall(wall_ms)
    if isinstance(counter, bool) or not isinstance(counter, int):
        raise InvalidStamp(f"Counter {counter!r} is not an integer.")
    if not 0 <= counter <= MAX_COUNTER:
        raise InvalidStamp(f"Counter {counter} is outside 0..{MAX_COUNTER}.")
    check_device(device)
    return f"{wall_ms:016d}-{counter:04x}-{device}"


def parse_stamp(stamp: str) -> Stamp:
    """Split a stamp string into its wall time, counter and device."""
    if not isinstance(stamp, str):
        raise InvalidStamp(f"Stamp {stamp!r} is not a string.")
    match = _STAMP_PATTERN.fullmatch(stamp)
    if match is None:
        raise InvalidStamp(
            f"Stamp {stamp!r} is invalid; expected 16 decimal digits of wall "
            "time in ms, '-', 4 lowercase hex digits of counter, '-', and a "
            "device id of letters, digits, '.', '_' or '-'."
        )
    wall_ms = int(match.group(1))
    if wall_ms > MAX_WALL_MS:
        raise InvalidStamp(
            f"Stamp {stamp!r} has a wall time above {MAX_WALL_MS} ms."
        )
    return Stamp(wall_ms, int(match.group(2), 16), match.group(3))


def wall_ms_of(stamp: str) -> int:
    """Return the wall time in milliseconds that a stamp carries."""
    return parse_stamp(stamp).wall_ms


def check_device(device: str) -> None:
    """Raise ``InvalidStamp`` unless ``device`` can appear in a stamp."""
    if not isinstance(device, str) or not _DEVICE_PATTERN.fullmatch(device):
        raise InvalidStamp(
            f"Device id {device!r} is invalid; use one or more ASCII "
            "letters, digits, '.', '_' or '-'."
        )


class HybridClock:
    """A hybrid logical clock for one device.

    ``last`` is the latest stamp the clock issued or observed, for a device
    that stores it across restarts and passes it back in.
    """

    def __init__(self, device: str, last: str | None = None) -> None:
        check_device(device)
        self.device = device
        self._wall_ms = 0
        self._counter = 0
        if last is not None:
            self._wall_ms, self._counter, _ = parse_stamp(last)

    @property
    def last(self) -> str:
        """The clock's current state as a stamp of this device."""
        return format_stamp(self._wall_ms, self._counter, self.device)

    def now(self, wall_ms: int) -> str:
        """Tick for a local or send event and return the new stamp."""
        _check_wall(wall_ms)
        if wall_ms > self._wall_ms:
            self._set(wall_ms, 0)
        else:
            self._set(self._wall_ms, self._counter + 1)

        return self.last

    def observe(self, remote_stamp: str, wall_ms: int) -> None:
        """Merge a stamp received from another device into this clock."""
        _check_wall(wall_ms)
        remote_wall, remote_counter, _ = parse_stamp(remote_stamp)
        wall = max(self._wall_ms, remote_wall, wall_ms)

        if wall == self._wall_ms and wall == remote_wall:
            counter = max(self._counter, remote_counter) + 1
        elif wall == self._wall_ms:
            counter = self._counter + 1
        elif wall == remote_wall:
            counter = remote_counter + 1
        else:
            counter = 0

        self._set(wall, counter)

    def _set(self, wall_ms: int, counter: int) -> None:
        # A counter past 4 hex digits moves the clock 1 ms on instead, so
        # stamps keep their fixed width and their order.
        if counter > MAX_COUNTER:
            wall_ms, counter = wall_ms + 1, 0
        if wall_ms > MAX_WALL_MS:
            raise InvalidStamp(f"Clock passed the largest wall time {MAX_WALL_MS}.")
        self._wall_ms, self._counter = wall_ms, counter


def _check_wall(wall_ms: int) -> None:
    if isinstance(wall_ms, bool) or not isinstance(wall_ms, int):
        raise InvalidStamp(f"Wall time {wall_ms!r} is not an integer of ms.")
    if not 0 <= wall_ms <= MAX_WALL_MS:
        raise InvalidStamp(
            f"Wall time {wall_ms} ms is outside 0..{MAX_WALL_MS}; "
            "pass milliseconds since the epoch."
        )
