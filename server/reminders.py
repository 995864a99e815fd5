"""Plan follow-up reminders: which pushes to send to whom, and when.

`plan_reminders(now)` turns the book into `Reminder` rows, one per event:

- `followup_due`: a follow-up that is not done comes due; to its assignee, or
  to the deal owner when it has none.
- `deal_rotting`: an open deal has had no activity (stage change, note or edit)
  for longer than its stage's limit, and no follow-up is scheduled after now.
  It goes to the owner, once per rotting spell.
- `no_first_contact`: a new lead in `prospecting` has no note after the team's
  first-contact hours; to the owner, once.
- `digest`: three or more of a user's reminders fall in one digest window, so
  they are folded into one push at the user's digest time.

Every reminder has a `dedupe_key` naming its event, and rows are inserted with
ON CONFLICT DO NOTHING, so planning again, or in two processes at once, never
makes a second reminder for one event. The time functions are pure: the clock
is the `now` argument, and times are naive UTC datetimes as the columns store
them.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import and_, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from .pipelines import pipelines_of_settings
from .models import Account, Deal, FollowUp, Note, Reminder, StageEvent, Team, User, db

log = logging.getLogger(__name__)

KINDS = (
    "followup_due",
    "deal_rotting",
    "no_first_contact",
    "digest",
    "rule",
    "park_checkin",
)


# Hours a new lead may wait for its first note; Team.settings["first_contact_hours"].
DEFAULT_FIRST_CONTACT_HOURS = 48

# Leads created longer ago than this are not new: an imported book full of old
# untouched leads does not produce a reminder per lead.
NEW_LEAD_MAX_AGE = timedelta(days=30)

# Follow-ups overdue by more than this get no reminder, so the first run on an
# old book does not send a backlog.
FOLLOWUP_MAX_OVERDUE = timedelta(days=7)

# User settings keys and their defaults, in the user's local time.
QUIET_HOURS_START = "quiet_hours_start"
QUIET_HOURS_END = "quiet_hours_end"
DIGEST_TIME = "digest_time"
DEFAULT_USER_SETTINGS: dict[str, str | None] = {
    QUIET_HOURS_START: "22:00",
    QUIET_HOURS_END: "07:00",
    DIGEST_TIME: "08:00",
}

# A digest window is the stretch of local time that ends at the user's digest
# time, so reminders that fall due in the evening and overnight are sent as one
# push in the morning.
DIGEST_WINDOW = timedelta(hours=12)

# Reminders in one digest window that make the planner send a digest instead.
DIGEST_MIN_REMINDERS = 3

# Follow-ups due this far ahead are planned already, so they can be folded into
# a digest before their own time comes.
FOLLOWUP_LOOKAHEAD = DIGEST_WINDOW

# Rows per IN (...) list in one query.
QUERY_CHUNK = 500

# The PWA's hash route of a deal.
DEAL_URL = "/#/deal/{deal_id}"

ACTIONS = [
    {"action": "done", "title": "Done"},
    {"action": "snooze-1d", "title": "Snooze 1 day"},
]


# Local times -----------------------------------------------------------------


@dataclass(frozen=True)
class UserTimes:
    """A user's time zone, quiet hours (None when off) and digest time."""

    zone: ZoneInfo
    quiet_start: time | None
    quiet_end: time | None
    digest_at: time


def parse_clock_time(text: Any) -> time:
    """Parse "HH:MM" (24-hour) or raise ValueError naming the value."""
    if not isinstance(text, str) or len(text) != 5 or text[2] != ":":
        raise ValueError(f"{text!r} is not a time of day; use HH:MM, e.g. '07:00'.")

    try:
        return time(int(text[:2]), int(text[3:]))
    except ValueError:
        raise ValueError(
            f"{text!r} is not a time of day; use HH:MM from 00:00 to 23:59."
        ) from None


def parse_time_zone(name: Any) -> ZoneInfo:
    """Return the IANA time zone `name` or raise ValueError naming it."""
    if not isinstance(name, str) or not name or name.startswith(("/", ".")):
        raise ValueError(f"{name!r} is not an IANA time zone such as 'Europe/London'.")

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"{name!r} is not an IANA time zone such as 'Europe/London'."
        ) from None


def user_settings(user: User) -> dict[str, str | None]:
    """Return the user's reminder settings with defaults filled in."""
    stored = user.settings or {}
    return {key: stored.get(key, default) for key, default in DEFAULT_USER_SETTINGS.items()}


def user_times(user: User) -> UserTimes:
    """Read a user's reminder times; a stored value that no longer parses is
    replaced by its default, so one bad row cannot stop the scheduler."""
    settings = user_settings(user)
    try:
        zone = parse_time_zone(user.time_zone or "UTC")
    except ValueError:
        log.warning("user %s has time zone %r; using UTC", user.id, user.time_zone)
        zone = ZoneInfo("UTC")

    def read(key: str) -> time | None:
        value = settings[key]
        if value is None:
            return None
        try:
            return parse_clock_time(value)
        except ValueError:
            log.warning("user %s has %s %r; using the default", user.id, key, value)
            return parse_clock_time(DEFAULT_USER_SETTINGS[key])

    quiet_start, quiet_end = read(QUIET_HOURS_START), read(QUIET_HOURS_END)
    if quiet_start is None or quiet_end is None:
        quiet_start = quiet_end = None
    return UserTimes(zone, quiet_start, quiet_end, read(DIGEST_TIME) or time(8))


def to_local(moment: datetime, zone: ZoneInfo) -> datetime:
    """Convert a naive UTC datetime to an aware local one."""
    return moment.replace(tzinfo=timezone.utc).astimezone(zone)


def local_to_utc(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """Return the naive UTC instant of wall-clock `clock` on `day` in `zone`.

    A wall-clock time that a DST change skips (02:30 on a spring-forward night)
    is read with the offset before the change, so it lands just after the gap.
    A time that occurs twice (01:30 on a fall-back night) is the first one.
    """
    local = datetime.combine(day, clock, tzinfo=zone).replace(fold=0)
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def in_quiet_hours(clock: time, start: time, end: time) -> bool:
    """Return whether a local time falls in quiet hours [start, end)."""
    if start <= end:
        return start <= clock < end

    return clock >= start or clock < end


def send_time(due: datetime, times: UserTimes) -> datetime:
    """Return when to send a reminder due at `due` (naive UTC).

    A reminder due inside the user's quiet hours waits for their end in the
    user's local time.
    """
    if times.quiet_start is None or times.quiet_end is None:
        return due

    local = to_local(due, times.zone)
    if not in_quiet_hours(local.time(), times.quiet_start, times.quiet_end):
        return due

    end_day = local.date()
    overnight = times.quiet_start > times.quiet_end
    if overnight and local.time() >= times.quiet_start:
        end_day += timedelta(days=1)
    return max(due, local_to_utc(end_day, times.quiet_end, times.zone))


def digest_window_end(send_at: datetime, times: UserTimes) -> datetime:
    """Return the digest time (naive UTC) that closes the window holding `send_at`.

    That is the first local digest time at or after `send_at`. The window is the
    DIGEST_WINDOW before it.
    """
    local = to_local(send_at, times.zone)
    day = local.date()
    if local.time() > times.digest_at:
        day += timedelta(days=1)
    end = local_to_utc(day, times.digest_at, times.zone)
    if end < send_at:
        # The digest time fell in a DST gap and moved just before `send_at`.
        end = local_to_utc(day + timedelta(days=1), times.digest_at, times.zone)
    return end


# Rules for deals ---------------------------------------------------------------


def rotting_limits(team_settings: dict[str, Any] | None) -> dict[str, timedelta]:
    """Return each stage's rotting limit for a team; a stage that never rots is left out.

    The limits come from the team's default pipeline (server/pipelines.py), the
    same ones the dashboard's stale deals use. `Team.settings["rotting_days"]`,
    a map of stage to days, overrides them.
    """
    stages = pipelines_of_settings(team_settings)[0]["stages"]
    days = {stage["key"]: stage["rotting_days"] for stage in stages}
    overrides = (team_settings or {}).get("rotting_days") or {}
    for stage, value in overrides.items():
        if stage in days and isinstance(value, (int, float)) and value >= 1:
            days[stage] = value
    return {
        stage: timedelta(days=value) for stage, value in days.items() if value is not None
    }


def first_contact_limit(team_settings: dict[str, Any] | None) -> timedelta:
    """Return how long a team's new lead may wait for its first note."""
    hours = (team_settings or {}).get("first_contact_hours", DEFAULT_FIRST_CONTACT_HOURS)
    if not isinstance(hours, (int, float)) or hours <= 0:
        hours = DEFAULT_FIRST_CONTACT_HOURS
    return timedelta(hours=hours)


def last_activity(*moments: datetime | None) -> datetime | None:
    """Return the latest of the given times, ignoring missing ones."""
    present = [m for m in moments if m is not None]
    return max(present) if present else None


def is_rotting(
    now: datetime,
    stage_entered: datetime,
    activity: datetime,
    limit: timedelta,
    has_future_followup: bool,
) -> bool:
    """Return whether a deal has sat in its stage with no activity past its limit."""
    if has_future_followup:
        return False

    return now - stage_entered > limit and now - activity > limit


def stamp_key(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat()


# Push payloads ----------------------------------------------------------------


def describe_deal(title: str | None, account: str | None) -> str:
    """Return "Deal title · Account" for a notification body."""
    title = title or "Untitled deal"
    return f"{title} · {account}" if account else title


def deal_payload(
    kind: str,
    title: str,
    deal_id: str,
    deal_title: str | None,
    account: str | None,
    followup_id: str | None = None,
    detail: str | None = None,
) -> dict[str, Any]:
    """Build the push payload of a reminder about one deal."""
    body = describe_deal(deal_title, account)
    if detail:
        body = f"{body}: {detail}"
    return {
        "type": "reminder",
        "kind": kind,
        "title": title,
        "body": body[:300],
        "deal_id": deal_id,
        "followup_id": followup_id,
        "actions": ACTIONS,
        "url": DEAL_URL.format(deal_id=deal_id),
    }


# Planning ---------------------------------------------------------------------


@dataclass
class Planned:
    """A reminder to insert unless one with its dedupe key exists."""

    team_id: str
    user_id: str
    kind: str
    dedupe_key: str
    due_at: datetime
    payload: dict[str, Any]
    deal_id: str | None = None
    followup_id: str | None = None


def plan_reminders(now: datetime) -> int:
    """Plan every kind of reminder due by `now` and return how many were added.

    The caller commits.
    """
    planned = [
        *plan_followups(now),
        *plan_rotting(now),
        *plan_first_contact(now),
        *plan_park_checkins(now),
    ]
    added = insert_reminders(planned)
    fold_digests(now)
    return added


def chunks(values: list[Any], size: int = QUERY_CHUNK) -> Iterable[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def load_user_times(user_ids: Iterable[str]) -> dict[str, UserTimes]:
    """Return the reminder times of the given users, with one query per chunk."""
    times: dict[str, UserTimes] = {}
    for ids in chunks(sorted(set(user_ids))):
        for user in db.session.scalars(select(User).where(User.id.in_(ids))):
            times[user.id] = user_times(user)
    return times


def load_team_settings(team_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    settings: dict[str, dict[str, Any]] = {}
    for ids in chunks(sorted(set(team_ids))):
        for team_id, value in db.session.execute(
            select(Team.id, Team.settings).where(Team.id.in_(ids))
        ):
            settings[team_id] = value or {}
    return settings


def plan_followups(now: datetime) -> list[Planned]:
    """Plan a reminder for each open follow-up due by now plus FOLLOWUP_LOOKAHEAD.

    The dedupe key contains the due time, so a follow-up moved to another time
    is reminded of again.
    """
    recipient = func.coalesce(FollowUp.assignee_id, Deal.owner_id)
    rows = db.session.execute(
        select(
            FollowUp.id,
            FollowUp.team_id,
            FollowUp.deal_id,
            FollowUp.due_at,
            recipient.label("user_id"),
            Deal.title,
            Account.name,
        )
        .join(Deal, Deal.id == FollowUp.deal_id)
        .outerjoin(Account, Account.id == Deal.account_id)
        .where(
            FollowUp.done.is_(False),
            FollowUp.deleted.is_(False),
            Deal.deleted.is_(False),
            FollowUp.due_at > now - FOLLOWUP_MAX_OVERDUE,
            FollowUp.due_at <= now + FOLLOWUP_LOOKAHEAD,
            recipient.is_not(None),
        )
    ).all()
    times = load_user_times(row.user_id for row in rows)

    planned = []
    for row in rows:
        if row.user_id not in times:
            continue
        planned.append(
            Planned(
                team_id=row.team_id,
                user_id=row.user_id,
                kind="followup_due",
                dedupe_key=f"followup_due:{row.id}:{stamp_key(row.due_at)}",
                due_at=send_time(row.due_at, times[row.user_id]),
                payload=deal_payload(
                    "followup_due", "Follow-up due", row.deal_id, row.title,
                    row.name, followup_id=row.id,
                ),
                deal_id=row.deal_id,
                followup_id=row.id,
            )
        )
    return planned


def plan_rotting(now: datetime) -> list[Planned]:
    """Plan a reminder for each open deal that is rotting in its stage.

    One query reads the candidate deals with the time they entered their stage,
    their latest note and whether a follow-up is scheduled after `now`.
    """
    entered = (
        select(
            StageEvent.deal_id,
            StageEvent.stage,
            func.max(StageEvent.entered_at).label("entered_at"),
        )
        .group_by(StageEvent.deal_id, StageEvent.stage)
        .subquery()
    )
    notes = (
        select(
            Note.deal_id,
            func.max(Note.created_at).label("created_at"),
            func.max(Note.met_at).label("met_at"),
        )
        .where(Note.deleted.is_(False))
        .group_by(Note.deal_id)
        .subquery()
    )
    future = (
        select(FollowUp.deal_id)
        .where(
            FollowUp.done.is_(False),
            FollowUp.deleted.is_(False),
            FollowUp.due_at > now,
        )
        .group_by(FollowUp.deal_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            Deal.id,
            Deal.team_id,
            Deal.owner_id,
            Deal.stage,
            Deal.title,
            Deal.created_at,
            Deal.updated_at,
            Deal.parked_until,
            Account.name.label("account"),
            entered.c.entered_at,
            notes.c.created_at.label("note_created_at"),
            notes.c.met_at.label("note_met_at"),
            future.c.deal_id.label("future_followup"),
        )
        .outerjoin(Account, Account.id == Deal.account_id)
        .outerjoin(
            entered,
            and_(entered.c.deal_id == Deal.id, entered.c.stage == Deal.stage),
        )
        .outerjoin(notes, notes.c.deal_id == Deal.id)
        .outerjoin(future, future.c.deal_id == Deal.id)
        .where(
            Deal.status == "open",
            Deal.deleted.is_(False),
            Deal.owner_id.is_not(None),
            not_parked(now),
            # Every stage limit is at least a day, so a deal edited within
            # the last day cannot be rotting.
            Deal.updated_at <= now - timedelta(days=1),
        )
    ).all()
    teams = load_team_settings(row.team_id for row in rows)

    candidates = []
    for row in rows:
        limit = rotting_limits(teams.get(row.team_id)).get(row.stage)
        stage_entered = row.entered_at or row.created_at
        # The end of a parking counts as activity: the check-in comes first.
        unparked = datetime.combine(row.parked_until, time()) if row.parked_until else None
        activity = last_activity(
            stage_entered, row.updated_at, row.note_created_at, row.note_met_at, unparked
        )
        if limit is None or stage_entered is None or activity is None:
            continue
        if is_rotting(now, stage_entered, activity, limit, bool(row.future_followup)):
            candidates.append((row, stage_entered, activity, limit))
    times = load_user_times(row.owner_id for row, *_ in candidates)

    planned = []
    for row, stage_entered, activity, limit in candidates:
        if row.owner_id not in times:
            continue
        key = (
            f"deal_rotting:{row.id}:{row.stage}:"
            f"{stamp_key(stage_entered)}:{stamp_key(activity)}"
        )
        days = (now - activity).days
        planned.append(
            Planned(
                team_id=row.team_id,
                user_id=row.owner_id,
                kind="deal_rotting",
                dedupe_key=key,
                due_at=send_time(now, times[row.owner_id]),
                payload=deal_payload(
                    "deal_rotting", "Deal needs attention", row.id, row.title,
                    row.account, detail=f"no activity in {row.stage} for {days} days",
                ),
                deal_id=row.id,
            )
        )
    return planned


def not_parked(now: datetime):
    """Match deals not parked: a parked deal neither rots nor waits for contact."""
    return or_(Deal.parked_until.is_(None), Deal.parked_until <= now.date())


def plan_park_checkins(now: datetime) -> list[Planned]:
    """Plan a check-in for each parked deal whose parking ends today or earlier.

    The key names the parking day, so parking a deal again plans a new check-in.
    """
    rows = db.session.execute(
        select(
            Deal.id,
            Deal.team_id,
            Deal.owner_id,
            Deal.title,
            Deal.parked_until,
            Account.name.label("account"),
        )
        .outerjoin(Account, Account.id == Deal.account_id)
        .where(
            Deal.parked_until.is_not(None),
            Deal.parked_until <= now.date(),
            Deal.status == "open",
            Deal.deleted.is_(False),
            Deal.owner_id.is_not(None),
        )
    ).all()
    times = load_user_times(row.owner_id for row in rows)
    return [
        Planned(
            team_id=row.team_id,
            user_id=row.owner_id,
            kind="park_checkin",
            dedupe_key=f"park_checkin:{row.id}:{row.parked_until.isoformat()}",
            due_at=send_time(now, times[row.owner_id]),
            payload=deal_payload(
                "park_checkin", "Check in on a parked deal", row.id, row.title,
                row.account, detail=f"parked until {row.parked_until.isoformat()}",
            ),
            deal_id=row.id,
        )
        for row in rows
        if row.owner_id in times
    ]


def plan_first_contact(now: datetime) -> list[Planned]:
    """Plan a reminder for each new lead with no note after the first-contact hours."""
    has_note = (
        select(Note.id)
        .where(Note.deal_id == Deal.id, Note.deleted.is_(False))
        .exists()
    )
    rows = db.session.execute(
        select(
            Deal.id,
            Deal.team_id,
            Deal.owner_id,
            Deal.title,
            Deal.created_at,
            Account.name.label("account"),
        )
        .outerjoin(Account, Account.id == Deal.account_id)
        .where(
            Deal.stage == "prospecting",
            Deal.status == "open",
            Deal.deleted.is_(False),
            not_parked(now),
            Deal.owner_id.is_not(None),
            Deal.created_at > now - NEW_LEAD_MAX_AGE,
            ~has_note,
        )
    ).all()
    teams = load_team_settings(row.team_id for row in rows)
    late = [
        row
        for row in rows
        if now - row.created_at >= first_contact_limit(teams.get(row.team_id))
    ]
    times = load_user_times(row.owner_id for row in late)

    return [
        Planned(
            team_id=row.team_id,
            user_id=row.owner_id,
            kind="no_first_contact",
            dedupe_key=f"no_first_contact:{row.id}",
            due_at=send_time(now, times[row.owner_id]),
            payload=deal_payload(
                "no_first_contact", "New lead waiting", row.id, row.title,
                row.account, detail="no first contact yet",
            ),
            deal_id=row.id,
        )
        for row in late
        if row.owner_id in times
    ]


def insert_reminders(planned: list[Planned]) -> int:
    """Insert the planned reminders whose dedupe key is new; return how many.

    Existing keys are filtered out with one query per chunk, and the insert
    skips any key another process inserted in the meantime.
    """
    by_key = {p.dedupe_key: p for p in planned}
    for keys in chunks(list(by_key)):
        existing = db.session.scalars(
            select(Reminder.dedupe_key).where(Reminder.dedupe_key.in_(keys))
        )
        for key in existing:
            del by_key[key]
    if not by_key:
        return 0

    values = [
        {
            "team_id": p.team_id,
            "user_id": p.user_id,
            "kind": p.kind,
            "deal_id": p.deal_id,
            "followup_id": p.followup_id,
            "due_at": p.due_at,
            "status": "pending",
            "attempts": 0,
            "dedupe_key": p.dedupe_key,
            "payload": p.payload,
            "created_at": datetime.now(timezone.utc).replace(tzinfo=None),
        }
        for p in by_key.values()
    ]
    added = 0
    for rows in chunks(values):
        result = db.session.execute(insert_ignoring_duplicates().values(rows))
        added += max(result.rowcount, 0)
    log.info("planned %d reminders", added)
    return added


def insert_ignoring_duplicates():
    """Return INSERT INTO reminders ... ON CONFLICT (dedupe_key) DO NOTHING."""
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    return dialect.insert(Reminder).on_conflict_do_nothing(index_elements=["dedupe_key"])


def insert_reminder(planned: Planned) -> None:
    """Insert one planned reminder unless its dedupe key exists."""
    insert_reminders([planned])


def fold_digests(now: datetime) -> int:
    """Fold a user's reminders that share a digest window into one digest.

    A window with DIGEST_MIN_REMINDERS or more pending reminders, or with a
    pending digest already, gets a `digest` reminder at the window's end. The
    folded reminders become `skipped` with `digest_id` set. Returns how many
    reminders were folded.
    """
    rows = db.session.execute(
        select(Reminder.id, Reminder.user_id, Reminder.team_id, Reminder.due_at)
        .where(
            Reminder.status == "pending",
            Reminder.kind != "digest",
            Reminder.due_at <= now + DIGEST_WINDOW,
        )
    ).all()
    if not rows:
        return 0

    times = load_user_times(row.user_id for row in rows)
    windows: dict[tuple[str, datetime], list[Any]] = defaultdict(list)
    for row in rows:
        end = digest_window_end(row.due_at, times[row.user_id])
        if end > now and row.due_at > end - DIGEST_WINDOW:
            windows[(row.user_id, end)].append(row)

    open_digests = {
        (row.user_id, row.dedupe_key): row.id
        for row in db.session.execute(
            select(Reminder.id, Reminder.user_id, Reminder.dedupe_key).where(
                Reminder.kind == "digest",
                Reminder.status == "pending",
                Reminder.user_id.in_(sorted({user for user, _ in windows})),
            )
        )
    }

    folded = 0
    for (user_id, end), members in windows.items():
        key = f"digest:{user_id}:{stamp_key(end)}"
        if len(members) < DIGEST_MIN_REMINDERS and (user_id, key) not in open_digests:
            continue
        digest_id = open_digests.get((user_id, key)) or create_digest(
            members[0].team_id, user_id, key, send_time(end, times[user_id])
        )
        if digest_id is None:
            continue
        result = db.session.execute(
            Reminder.__table__.update()
            .where(
                Reminder.id.in_([m.id for m in members]),
                Reminder.status == "pending",
            )
            .values(status="skipped", digest_id=digest_id)
        )
        folded += result.rowcount
    if folded:
        log.info("folded %d reminders into digests", folded)
    return folded


def create_digest(team_id: str, user_id: str, key: str, due_at: datetime) -> int | None:
    """Insert a pending digest unless it exists; return its id if still pending."""
    insert_reminder(
        Planned(
            team_id=team_id,
            user_id=user_id,
            kind="digest",
            dedupe_key=key,
            due_at=due_at,
            payload={},
        )
    )
    return db.session.scalar(
        select(Reminder.id).where(Reminder.dedupe_key == key, Reminder.status == "pending")
    )


def digest_payload(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Build the push payload of a digest from the payloads it folds.

    Only the first few bodies are listed, so the payload stays small however
    many reminders were folded.
    """
    shown = [item.get("body", "") for item in items[:5]]
    more = len(items) - len(shown)
    body = "\n".join(shown) + (f"\nand {more} more" if more > 0 else "")
    return {
        "type": "digest",
        "kind": "digest",
        "title": f"{len(items)} reminders",
        "body": body[:1000],
        "deal_ids": [item.get("deal_id") for item in items[:50]],
        "url": "/#/board",
    }

