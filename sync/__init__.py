"""The pure merge engine shared by the server and, through its twin, the PWA."""

from .clock import (
    MAX_COUNTER,
    MAX_WALL_MS,
    HybridClock,
    Stamp,
    format_stamp,
    parse_stamp,
    wall_ms_of,
)
from .errors import InvalidMutation, InvalidRecord, InvalidStamp, SyncError
from .merge import (
    MAX_CLOCK_AHEAD_MS,
    Conflict,
    FieldMeta,
    HistoryEntry,
    Mutation,
    Outcome,
    Record,
    apply_mutation,
    same_value,
)

__all__ = [
    "MAX_CLOCK_AHEAD_MS",
    "MAX_COUNTER",
    "MAX_WALL_MS",
    "Conflict",
    "FieldMeta",
    "HistoryEntry",
    "HybridClock",
    "InvalidMutation",
    "InvalidRecord",
    "InvalidStamp",
    "Mutation",
    "Outcome",
    "Record",
    "Stamp",
    "SyncError",
    "apply_mutation",
    "format_stamp",
    "parse_stamp",
    "same_value",
    "wall_ms_of",
]
