"""Apply a phone's mutations and collect the changes it has not seen.

One push runs in one transaction that holds the team's row lock, so the team's
change sequence numbers commit in the order they were taken:

    phone A push ──lock team──► seq 41, 42 ──commit──► unlock
    phone B push ─────wait────────────────────────────► seq 43 ──commit──►

A pull reads the committed high-water mark `teams.change_seq` first and returns
only rows at or below it, so a row whose transaction commits later is never
skipped by a cursor that moved past it.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable, Iterable

from marshmallow import ValidationError
from sqlalchemy import update

from sync.clock import parse_stamp
from sync.errors import SyncError
from sync.merge import apply_mutation

from .entities import ENTITIES, EntitySpec, load_fields, record_of
from .pipelines import team_pipelines
from .errors import ApiError
from .models import (
    AppliedMutation,
    Conflict,
    FieldHistory,
    StageEvent,
    Team,
    User,
    db,
    new_id,
)

log = logging.getLogger(__name__)

PROTOCOL_VERSION = 1
# The largest push a phone may send; the PWA splits larger outboxes.
MAX_PUSH_MUTATIONS = 500
# Pull page sizes: the default, and the largest a phone may ask for.
DEFAULT_PAGE_SIZE = 500
MAX_PAGE_SIZE = 1000

UUID_PATTERN = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
# Mutation ids are stored as given: 1 to 128 characters, no control characters.
MUTATION_ID_PATTERN = re.compile(r"[^\x00-\x1f\x7f]{1,128}")
# A stamp is stored in the field history: 22 characters for wall time and
# counter, and a device id of at most 64, as a request's device_id.
MAX_STAMP_LENGTH = 86


@dataclass
class PushContext:
    team: Team
    user: User
    device: str
    now_ms: int
    seq: int = 0
    # Records of this push by (entity, id), as merge-engine dicts.
    records: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    rows: dict[tuple[str, str], Any] = field(default_factory=dict)
    results: list[dict[str, Any]] = field(default_factory=list)
    hooks: list[Callable[..., None]] = field(default_factory=list)

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq


def lock_team(team_id: str) -> Team:
    """Take the team's row lock for the rest of the transaction and return it.

    The no-op UPDATE takes a row lock on PostgreSQL and the write lock on
    SQLite before anything is read, so the change sequence read next is current.
    """
    db.session.execute(
        update(Team).where(Team.id == team_id).values(change_seq=Team.change_seq)
    )
    team = db.session.get(Team, team_id, populate_existing=True)
    assert team is not None
    return team


def push(user: User, device: str, mutations: list[Any], now_ms: int) -> list[dict]:
    """Apply a batch of mutations for the user's team and return one result each."""
    if not mutations:
        return []

    team = lock_team(user.team_id)
    check_device_owner(user, device)
    ctx = PushContext(team=team, user=user, device=device, now_ms=now_ms)
    ctx.seq = team.change_seq

    seen, taken = find_applied(device, user, mutations)
    checked = [check_shape(m, index) for index, m in enumerate(mutations)]
    fresh: list[Checked] = []
    fresh_ids: set[str] = set()
    for item in checked:
        if item.id in taken:
            item.reject(
                "id",
                f"Mutation id {item.id!r} of device {device!r} was sent by another "
                "account; sign in again on this phone to get a new device id.",
            )
        elif item.ok and item.id not in seen and item.id not in fresh_ids:
            fresh.append(item)
            fresh_ids.add(item.id)
    load_records(ctx, fresh)
    check_references(ctx, fresh)

    results: list[dict[str, Any]] = []
    first_results: dict[str, dict] = {}
    for item in checked:
        key = item.id
        if key is not None and key in taken:
            # The stored result belongs to another account: neither shown nor stored.
            results.append(item.rejection())
            continue
        if key is not None and key in seen:
            results.append(duplicate_result(seen[key]))
            continue
        if key is not None and key in first_results:
            results.append(duplicate_result(first_results[key]))
            continue
        result = apply_checked(ctx, item) if item.ok else item.rejection()
        results.append(result)
        if key is not None:
            first_results[key] = result
            db.session.add(
                AppliedMutation(
                    device_id=device,
                    mutation_id=key,
                    team_id=team.id,
                    user_id=user.id,
                    result=result,
                )
            )

    # Team rules act on the deal stage and status changes of this push.
    from .rules import evaluate_rules

    evaluate_rules(ctx, list(zip(checked, results)))

    team.change_seq = ctx.seq
    for hook in ctx.hooks:
        hook()
    return results


def check_device_owner(user: User, device: str) -> None:
    """Reject a device id that another user's mutations already carry.

    Mutation ids are unique per device, so a device id shared by two users
    would make one user's new mutation look like a re-sent one of the other.
    """
    other = db.session.scalar(
        db.select(AppliedMutation.user_id)
        .where(AppliedMutation.device_id == device, AppliedMutation.user_id != user.id)
        .limit(1)
    )
    if other is not None:
        raise ApiError("device_taken", status=409, device=device)


def duplicate_result(first: dict[str, Any]) -> dict[str, Any]:
    return {**first, "status": "duplicate", "first_status": first.get("status")}


def find_applied(
    device: str, user: User, mutations: list[Any]
) -> tuple[dict[str, dict], set[str]]:
    """Return the stored results of mutations this device sent before, by id.

    Also return the ids stored for this device id by another user or team: a
    device id belongs to one sign-in, so another account's results are not
    this user's to see.
    """
    ids = [m.get("id") for m in mutations if isinstance(m, dict)]
    ids = [i for i in ids if is_mutation_id(i)]
    if not ids:
        return {}, set()
    rows = db.session.scalars(
        db.select(AppliedMutation).where(
            AppliedMutation.device_id == device, AppliedMutation.mutation_id.in_(ids)
        )
    )
    seen: dict[str, dict] = {}
    taken: set[str] = set()
    for row in rows:
        if row.user_id == user.id and row.team_id == user.team_id:
            seen[row.mutation_id] = row.result
        else:
            taken.add(row.mutation_id)
    return seen, taken


def is_mutation_id(value: Any) -> bool:
    return isinstance(value, str) and MUTATION_ID_PATTERN.fullmatch(value) is not None


@dataclass
class Checked:
    """A mutation after the checks that need no database."""

    raw: Any
    index: int
    errors: dict[str, list[str]] = field(default_factory=dict)
    spec: EntitySpec | None = None
    loaded: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def id(self) -> str | None:
        """The mutation id, or None when it is not one that can be stored."""
        value = self.raw.get("id") if isinstance(self.raw, dict) else None
        return value if is_mutation_id(value) else None

    def reject(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def rejection(self) -> dict[str, Any]:
        summary = "; ".join(f"{k}: {' '.join(v)}" for k, v in self.errors.items())
        return {
            "id": self.id,
            "index": self.index,
            "status": "rejected",
            "errors": self.errors,
            "message": f"Change not applied, fix or discard it. {summary}",
        }


def check_shape(raw: Any, index: int) -> Checked:
    """Check a mutation's envelope and its field values."""
    item = Checked(raw=raw, index=index)
    if not isinstance(raw, dict):
        item.reject("mutation", f"Mutation {index} is {raw!r}, not a JSON object.")
        return item

    mutation_id = raw.get("id")
    if not is_mutation_id(mutation_id):
        item.reject(
            "id",
            f"{mutation_id!r} is not a mutation id; use 'DEVICE:COUNTER', "
            "1 to 128 characters without control characters.",
        )
    entity = raw.get("entity")
    spec = ENTITIES.get(entity) if isinstance(entity, str) else None
    if spec is None:
        names = ", ".join(ENTITIES)
        item.reject("entity", f"{entity!r} is not an entity; use one of: {names}.")
    record_id = raw.get("record_id")
    if not isinstance(record_id, str) or not UUID_PATTERN.fullmatch(record_id):
        item.reject("record_id", f"{record_id!r} is not a record id; use a UUID.")

    values = raw.get("fields")
    if not isinstance(values, dict) or not values:
        item.reject("fields", f"{values!r} is not an object of changed fields.")
    base = raw.get("base", {})
    if not isinstance(base, dict) or not all(
        isinstance(v, int) and not isinstance(v, bool) and v >= 0
        for v in base.values()
    ):
        item.reject("base", f"{base!r} is not an object of field versions.")
    try:
        parse_stamp(raw.get("hlc"))
    except (SyncError, TypeError, ValueError) as exc:
        item.reject("hlc", str(exc))
    else:
        if len(raw["hlc"]) > MAX_STAMP_LENGTH:
            item.reject(
                "hlc",
                f"Stamp {raw['hlc']!r} is {len(raw['hlc'])} characters long; the "
                f"maximum is {MAX_STAMP_LENGTH}, so use a device id of at most "
                f"{MAX_STAMP_LENGTH - 22} characters.",
            )

    if spec is not None and isinstance(values, dict) and values:
        item.spec = spec
        try:
            item.loaded = load_fields(spec, values)
        except ValidationError as exc:
            for name, messages in exc.messages.items():
                for message in messages:
                    item.reject(name, message)
    return item


def load_records(ctx: PushContext, items: list[Checked]) -> None:
    """Load every record the batch touches with one query per entity."""
    wanted: dict[str, set[str]] = {}
    for item in items:
        wanted.setdefault(item.spec.name, set()).add(item.raw["record_id"])

    for name, ids in wanted.items():
        spec = ENTITIES[name]
        for row in db.session.scalars(
            db.select(spec.model).where(spec.model.id.in_(ids))
        ):
            ctx.rows[(name, row.id)] = row
            ctx.records[(name, row.id)] = merge_input(spec, row)


def merge_input(spec: EntitySpec, row: Any) -> dict[str, Any]:
    """Return the row as the merge engine's record: fields never written are left out."""
    record = record_of(spec, row)
    meta = record["meta"]
    record["fields"] = {k: v for k, v in record["fields"].items() if k in meta}
    return record


def check_pipeline(ctx: PushContext, item: Checked) -> None:
    """Reject a deal moved to a pipeline the team does not have."""
    pipeline = item.loaded.get("pipeline")
    if item.spec.name != "deal" or pipeline is None:
        return
    keys = [p["key"] for p in team_pipelines(ctx.team)]
    if pipeline not in keys:
        item.reject(
            "pipeline",
            f"{pipeline!r} is not a pipeline of your team; use one of: {', '.join(keys)}.",
        )


def check_references(ctx: PushContext, items: list[Checked]) -> None:
    """Reject mutations that reach outside the team or name missing records."""
    team_id = ctx.team.id
    creating: set[tuple[str, str]] = set()
    wanted: dict[str, set[str]] = {}
    for item in items:
        key = (item.spec.name, item.raw["record_id"])
        row = ctx.rows.get(key)
        if row is not None and row.team_id != team_id:
            item.reject(
                "record_id",
                f"{item.spec.name} {key[1]} belongs to another team; "
                "it cannot be changed from this account.",
            )
            continue
        if row is None:
            creating.add(key)
        for name, target in item.spec.references.items():
            value = item.loaded.get(name)
            if value:
                wanted.setdefault(target, set()).add(value)
        check_pipeline(ctx, item)

    found: set[tuple[str, str]] = set()
    for target, ids in wanted.items():
        model = User if target == "user" else ENTITIES[target].model
        query = db.select(model.id).where(model.id.in_(ids), model.team_id == team_id)
        found.update((target, i) for i in db.session.scalars(query))

    def key_of(item: Checked) -> tuple[str, str]:
        return (item.spec.name, item.raw["record_id"])

    # The first accepted mutation of a new record creates it; later ones in the
    # batch edit it. A record created in this batch may be referred to only if
    # its creation is accepted, so each rejection can reject more mutations.
    rejected_one = True
    while rejected_one:
        rejected_one = False
        creators: set[tuple[str, str]] = set()
        for item in items:
            key = key_of(item)
            if not item.ok or key not in creating or key in creators:
                continue
            check_create(item)
            if item.ok:
                creators.add(key)
            else:
                rejected_one = True
        for item in items:
            if not item.ok:
                continue
            for name, target in item.spec.references.items():
                value = item.loaded.get(name)
                if value and (target, value) not in found and (target, value) not in creators:
                    item.reject(
                        name,
                        f"{value!r} is not a {target} of your team; "
                        "pick one from the team's list.",
                    )
                    rejected_one = True

    for item in items:
        if item.ok and key_of(item) in creating:
            ctx.records[key_of(item)] = None  # type: ignore[assignment]


def check_create(item: Checked) -> None:
    if item.spec.name == "conflict":
        item.reject("record_id", "Conflicts are made by the server; resolve an existing one.")
    missing = [n for n in item.spec.required_on_create if item.loaded.get(n) in (None, "")]
    for name in missing:
        item.reject(name, f"A new {item.spec.name} needs a {name}.")


def apply_checked(ctx: PushContext, item: Checked) -> dict[str, Any]:
    """Merge one checked mutation into its record and write what changed."""
    spec = item.spec
    key = (spec.name, item.raw["record_id"])
    record = ctx.records.get(key)
    mutation = {
        "id": item.raw["id"],
        "entity": spec.name,
        "record_id": key[1],
        "fields": dict(item.raw["fields"]),
        "base": dict(item.raw.get("base") or {}),
        "hlc": item.raw["hlc"],
    }
    if record is None:
        # Defaults count as the device's own values, written by the same stamp.
        for name, value in spec.defaults.items():
            mutation["fields"].setdefault(name, value)
            item.loaded.setdefault(name, value)

    seq = ctx.next_seq()
    outcome = apply_mutation(
        record,
        mutation,
        device=ctx.device,
        seq=seq,
        now_ms=ctx.now_ms,
        text_fields=spec.text_fields,
    )
    ctx.records[key] = outcome["record"]
    changed = outcome["changed_fields"]
    if changed:
        write_row(ctx, spec, key, item.loaded, changed, outcome["record"], seq)
    record_history(ctx, spec, key[1], outcome["history"], seq)
    conflict_ids = [
        create_conflict(ctx, spec, key[1], c) for c in outcome["conflicts"]
    ]
    return {
        "id": item.id,
        "index": item.index,
        "status": outcome["status"],
        "seq": seq,
        "changed": changed,
        "conflicts": conflict_ids,
    }


def write_row(
    ctx: PushContext,
    spec: EntitySpec,
    key: tuple[str, str],
    loaded: dict[str, Any],
    changed: Iterable[str],
    record: dict[str, Any],
    seq: int,
) -> None:
    row = ctx.rows.get(key)
    if row is None:
        row = spec.model(id=key[1], team_id=ctx.team.id)
        db.session.add(row)
        ctx.rows[key] = row
    missing = {n: record["fields"][n] for n in changed if n not in loaded}
    values = {**loaded, **load_fields(spec, missing)} if missing else loaded
    for name in changed:
        setattr(row, name, values[name])
    row.meta = record["meta"]
    row.seq = seq
    row.updated_at = db.func.now()
    if spec.name == "deal":
        note_deal_change(ctx, row, changed)


def note_deal_change(ctx: PushContext, row: Any, changed: Iterable[str]) -> None:
    """Keep the derived dates of a deal and its stage events up to date."""
    changed = set(changed)
    if "stage" in changed:
        db.session.add(StageEvent(team_id=ctx.team.id, deal_id=row.id, stage=row.stage))
        if row.stage != "prospecting" and row.engaged_at is None:
            row.engaged_at = date.today()
    if "status" in changed:
        row.closed_at = date.today() if row.status in ("won", "lost") else None


def record_history(
    ctx: PushContext, spec: EntitySpec, record_id: str, entries: list[dict], seq: int
) -> None:
    for entry in entries:
        db.session.add(
            FieldHistory(
                team_id=ctx.team.id,
                entity=spec.name,
                record_id=record_id,
                field=entry["field"],
                value=entry["value"],
                hlc=entry.get("hlc"),
                device=entry.get("dev"),
                reason=entry["reason"],
                seq=seq,
            )
        )


def create_conflict(
    ctx: PushContext, spec: EntitySpec, record_id: str, conflict: dict
) -> str:
    """Store a free-text conflict as a synced record and return its id."""
    seq = ctx.next_seq()
    row = Conflict(
        id=new_id(),
        team_id=ctx.team.id,
        entity=spec.name,
        record_id=record_id,
        field=conflict["field"],
        kept=conflict["kept"],
        other=conflict["other"],
        other_user_id=None,
        resolved=False,
        seq=seq,
    )
    stamp = conflict.get("kept_hlc") or ""
    row.meta = {
        name: {"ver": seq, "hlc": stamp, "dev": "server"}
        for name in ("entity", "record_id", "field", "kept", "other", "resolved", "deleted")
    }
    db.session.add(row)
    return row.id


@dataclass
class Page:
    changes: list[dict[str, Any]]
    cursor: str
    has_more: bool
    reset: bool


def format_cursor(team: Team, seq: int) -> str:
    return f"{team.epoch}:{seq}"


def pull(team_id: str, cursor: str | None, limit: int) -> Page:
    """Return the team's records changed after the cursor, oldest change first."""
    team = db.session.get(Team, team_id, populate_existing=True)
    high_water = team.change_seq
    after, reset = read_cursor(team, cursor)

    candidates: list[tuple[int, dict[str, Any]]] = []
    more = False
    for spec in ENTITIES.values():
        model = spec.model
        rows = db.session.scalars(
            db.select(model)
            .where(
                model.team_id == team.id,
                model.seq > after,
                model.seq <= high_water,
            )
            .order_by(model.seq)
            .limit(limit + 1)
        ).all()
        more = more or len(rows) > limit
        candidates.extend((row.seq, record_of(spec, row)) for row in rows)

    candidates.sort(key=lambda pair: pair[0])
    page = candidates[:limit]
    more = more or len(candidates) > limit
    # With more to come the page is full, so the cursor moves to its last row.
    # Otherwise every change up to the high-water mark has been sent.
    last = page[-1][0] if more else high_water
    return Page(
        changes=[record for _, record in page],
        cursor=format_cursor(team, last),
        has_more=more,
        reset=reset,
    )


def read_cursor(team: Team, cursor: str | None) -> tuple[int, bool]:
    """Return the sequence number after which to pull, and whether to reset.

    A cursor from another epoch, or ahead of the team's high-water mark (the
    server was restored from an older backup), is unknown: the phone pulls
    everything again.
    """
    if cursor is None:
        return 0, False
    epoch, _, number = cursor.partition(":")
    if epoch != team.epoch or not number.isdigit() or int(number) > team.change_seq:
        log.info("team %s: unknown cursor %r, sending a reset", team.id, cursor)
        return 0, True
    return int(number), False


def wall_clock_ms() -> int:
    return int(time.time() * 1000)
