"""Per-field merge of one mutation into one record.

The rules are those of docs/sync.md, tried in order for each field:

1. The record has no value for the field: apply.
2. The record is deleted and the mutation does not set ``deleted``: apply
   nothing, keep the values in history (``edit_on_deleted``).
3. The device that wrote the current value sent the mutation: its own clock
   orders the two, so apply if the mutation's stamp is higher, else keep the
   value in history (``superseded``).
4. The mutation's base is at least the field's ``ver``: a sequential edit.
   Apply and keep the old value in history (``overwritten``).
5. Otherwise the edits are concurrent and the higher stamp wins, except that
   a stamp more than ``MAX_CLOCK_AHEAD_MS`` ahead of ``now_ms`` never wins.
   The loser goes to history (``concurrent``). For a free-text field a
   conflict entry also contains both texts.

Rule 2 is checked for the whole mutation before any field, so a mutation
on a deleted record writes nothing, not even a field the record lacks.
"""

import copy
from collections.abc import Collection
from typing import Any, Literal, NamedTuple, NotRequired, TypedDict

from .clock import check_device, parse_stamp, wall_ms_of
from .errors import InvalidMutation, InvalidRecord, InvalidStamp

# Maximum lead, in ms, of a stamp over the server's clock for it to still win a
# concurrent edit. It stops a phone with a fast clock from winning every edit.
MAX_CLOCK_AHEAD_MS = 60_000

Reason = Literal["overwritten", "concurrent", "superseded", "edit_on_deleted"]
Status = Literal["applied", "deleted", "unchanged"]


class FieldMeta(TypedDict):
    """Version, stamp and device of the last write to a field."""

    ver: int
    hlc: str
    dev: str


class Record(TypedDict):
    """A stored record: its field values and the metadata of each field."""

    entity: str
    id: str
    fields: dict[str, Any]
    meta: dict[str, FieldMeta]


class Mutation(TypedDict):
    """A change sent by a device: new values and the ``ver`` each was based on."""

    id: NotRequired[str]
    entity: str
    record_id: str
    fields: dict[str, Any]
    base: NotRequired[dict[str, int]]
    hlc: str


class HistoryEntry(TypedDict):
    """A value that the merge did not keep in the record, and why."""

    field: str
    value: Any
    hlc: str
    dev: str
    reason: Reason


class Conflict(TypedDict):
    """Two concurrent texts of a free-text field: the kept and the other."""

    field: str
    kept: Any
    other: Any
    kept_hlc: str
    other_hlc: str
    other_dev: str


class Outcome(TypedDict):
    """The result of applying a mutation: the new record and what was lost."""

    record: Record
    status: Status
    history: list[HistoryEntry]
    conflicts: list[Conflict]
    changed_fields: list[str]


def apply_mutation(
    record: Record | dict[str, Any] | None,
    mutation: Mutation | dict[str, Any],
    *,
    device: str,
    seq: int,
    now_ms: int,
    text_fields: Collection[str],
) -> Outcome:
    """Merge ``mutation`` from ``device`` into ``record`` and return the outcome.

    ``record`` is None when the record does not exist yet. ``seq`` is the
    team's change sequence number given to the fields this mutation writes,
    and ``now_ms`` the server's clock. Neither argument is modified.
    """
    check_device(device)
    _check_context(seq, now_ms)
    _check_mutation(mutation)
    created = record is None
    merged = _new_record(mutation) if created else _copy_record(record, mutation)
    outcome: Outcome = {
        "record": merged,
        "status": "unchanged",
        "history": [],
        "conflicts": [],
        "changed_fields": [],
    }
    incoming = copy.deepcopy(mutation["fields"])
    written: FieldMeta = {"ver": seq, "hlc": mutation["hlc"], "dev": device}

    if _is_deleted(merged) and "deleted" not in incoming:
        for field, value in incoming.items():
            _lose(outcome, field, value, written, "edit_on_deleted")
        outcome["status"] = "deleted"
        return outcome

    base = mutation.get("base", {})
    for field, value in incoming.items():
        context = _FieldContext(field, base.get(field, 0), written, now_ms)
        _merge_field(outcome, context, value, field in text_fields)

    if created and "deleted" not in merged["fields"]:
        _write(outcome, "deleted", False, written)
    if outcome["changed_fields"]:
        outcome["status"] = "applied"

    return outcome


class _FieldContext(NamedTuple):
    """Inputs of the merge rules for one field of the mutation."""

    field: str
    base: int
    written: FieldMeta
    now_ms: int


def _merge_field(
    outcome: Outcome, context: _FieldContext, value: Any, is_text: bool
) -> None:
    record = outcome["record"]
    field, written = context.field, context.written
    if field not in record["fields"]:
        _write(outcome, field, value, written)
        return

    current = _current_meta(record, field)
    if current["dev"] == written["dev"]:
        if written["hlc"] > current["hlc"]:
            _overwrite(outcome, field, value, written, "overwritten")
        else:
            _lose(outcome, field, value, written, "superseded")
    elif context.base >= current["ver"]:
        _overwrite(outcome, field, value, written, "overwritten")
    elif _wins_concurrent(written["hlc"], current["hlc"], context.now_ms):
        kept_value = copy.deepcopy(value)
        old_value = _overwrite(outcome, field, value, written, "concurrent")
        if is_text:
            _add_conflict(outcome, field, kept_value, written, old_value, current)
    else:
        kept_value = copy.deepcopy(record["fields"][field])
        _lose(outcome, field, value, written, "concurrent")
        if is_text:
            _add_conflict(outcome, field, kept_value, current, value, written)


def _wins_concurrent(incoming_hlc: str, current_hlc: str, now_ms: int) -> bool:
    # NOTE: when both stamps are too far ahead, the value that arrived first
    # is kept, so the result then depends on the order of arrival.
    if wall_ms_of(incoming_hlc) - now_ms > MAX_CLOCK_AHEAD_MS:
        return False
    if wall_ms_of(current_hlc) - now_ms > MAX_CLOCK_AHEAD_MS:
        return True

    return incoming_hlc > current_hlc


def _write(outcome: Outcome, field: str, value: Any, written: FieldMeta) -> None:
    record = outcome["record"]
    record["fields"][field] = value
    record["meta"][field] = dict(written)  # type: ignore[assignment]
    outcome["changed_fields"].append(field)


def _overwrite(
    outcome: Outcome, field: str, value: Any, written: FieldMeta, reason: Reason
) -> Any:
    """Write ``value``, moving the old value to history, and return the old one."""
    record = outcome["record"]
    old_value = record["fields"][field]
    old_meta = record["meta"][field]
    if not same_value(old_value, value):
        _add_history(outcome, field, old_value, old_meta, reason)
    _write(outcome, field, value, written)

    return old_value


def _lose(
    outcome: Outcome, field: str, value: Any, written: FieldMeta, reason: Reason
) -> None:
    fields = outcome["record"]["fields"]
    if field in fields and same_value(fields[field], value):
        return
    _add_history(outcome, field, value, written, reason)


def _add_history(
    outcome: Outcome, field: str, value: Any, meta: FieldMeta, reason: Reason
) -> None:
    outcome["history"].append(
        {
            "field": field,
            "value": copy.deepcopy(value),
            "hlc": meta["hlc"],
            "dev": meta["dev"],
            "reason": reason,
        }
    )


def _add_conflict(
    outcome: Outcome,
    field: str,
    kept: Any,
    kept_meta: FieldMeta,
    other: Any,
    other_meta: FieldMeta,
) -> None:
    if same_value(kept, other):
        return
    outcome["conflicts"].append(
        {
            "field": field,
            "kept": copy.deepcopy(kept),
            "other": copy.deepcopy(other),
            "kept_hlc": kept_meta["hlc"],
            "other_hlc": other_meta["hlc"],
            "other_dev": other_meta["dev"],
        }
    )


def same_value(left: Any, right: Any) -> bool:
    """Compare two JSON values, treating ``True`` and ``1`` as different."""
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(
            same_value(left[key], right[key]) for key in left
        )
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(
            same_value(a, b) for a, b in zip(left, right)
        )
    if isinstance(left, (dict, list)) or isinstance(right, (dict, list)):
        return False

    return bool(left == right)


def _is_deleted(record: Record) -> bool:
    return record["fields"].get("deleted") is True


def _new_record(mutation: Mutation | dict[str, Any]) -> Record:
    return {
        "entity": mutation["entity"],
        "id": mutation["record_id"],
        "fields": {},
        "meta": {},
    }


def _copy_record(
    record: Record | dict[str, Any], mutation: Mutation | dict[str, Any]
) -> Record:
    if not isinstance(record, dict):
        raise InvalidRecord(f"Record {record!r} is not a JSON object.")
    where = f"{record.get('entity')!r} record {record.get('id')!r}"
    if (record.get("entity"), record.get("id")) != (
        mutation["entity"],
        mutation["record_id"],
    ):
        raise InvalidMutation(
            f"Mutation for {mutation['entity']!r} record "
            f"{mutation['record_id']!r} cannot apply to {where}; "
            "load the record the mutation names."
        )
    if not isinstance(record.get("fields"), dict):
        raise InvalidRecord(f"The fields of {where} are not a JSON object.")
    if not isinstance(record.get("meta", {}), dict):
        raise InvalidRecord(f"The meta of {where} is not a JSON object.")

    merged = copy.deepcopy(record)
    merged.setdefault("meta", {})
    return merged  # type: ignore[return-value]


def _current_meta(record: Record, field: str) -> FieldMeta:
    meta = record["meta"].get(field)
    where = f"{record['entity']!r} record {record['id']!r}"
    if not isinstance(meta, dict):
        raise InvalidRecord(
            f"Field {field!r} of {where} has a value but no meta; "
            "store ver, hlc and dev with every field."
        )
    ver = meta.get("ver")
    if isinstance(ver, bool) or not isinstance(ver, int) or ver < 0:
        raise InvalidRecord(f"Field {field!r} of {where} has invalid ver {ver!r}.")
    if not isinstance(meta.get("dev"), str):
        raise InvalidRecord(
            f"Field {field!r} of {where} has invalid dev {meta.get('dev')!r}."
        )
    parse_stamp(meta.get("hlc"))  # type: ignore[arg-type]

    return meta  # type: ignore[return-value]


def _check_context(seq: int, now_ms: int) -> None:
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
        raise InvalidMutation(f"Sequence number {seq!r} is not a positive integer.")
    if isinstance(now_ms, bool) or not isinstance(now_ms, int) or now_ms < 0:
        raise InvalidMutation(
            f"Server time {now_ms!r} is not a non-negative integer of ms."
        )


def _check_mutation(mutation: Mutation | dict[str, Any]) -> None:
    if not isinstance(mutation, dict):
        raise InvalidMutation(f"Mutation {mutation!r} is not a JSON object.")
    name = f"Mutation {mutation.get('id', '(no id)')!r}"
    for key in ("entity", "record_id"):
        if not isinstance(mutation.get(key), str) or not mutation[key]:
            raise InvalidMutation(
                f"{name} has invalid {key} {mutation.get(key)!r}; "
                "send a non-empty string."
            )
    fields = mutation.get("fields")
    if not isinstance(fields, dict) or not fields:
        raise InvalidMutation(
            f"{name} has fields {fields!r}; send an object with at least one field."
        )
    if "deleted" in fields and not isinstance(fields["deleted"], bool):
        raise InvalidMutation(
            f"{name} sets deleted to {fields['deleted']!r}; send true or false."
        )
    _check_base(name, mutation.get("base", {}))
    if not isinstance(mutation.get("hlc"), str):
        raise InvalidStamp(
            f"{name} has hlc {mutation.get('hlc')!r}; send the device's clock "
            "stamp of the edit."
        )
    parse_stamp(mutation["hlc"])


def _check_base(name: str, base: Any) -> None:
    if not isinstance(base, dict):
        raise InvalidMutation(f"{name} has base {base!r}; send an object.")
    for field, ver in base.items():
        if isinstance(ver, bool) or not isinstance(ver, int) or ver < 0:
            raise InvalidMutation(
                f"{name} has base {ver!r} for field {field!r}; send the "
                "non-negative ver the device had seen, or 0 for a new field."
            )
