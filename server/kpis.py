"""Sales KPIs of a team's book, or of one rep, computed by aggregate SQL.

`compute_kpis` runs a fixed number of queries (eight) whatever the size of the
book: every figure is a SUM, COUNT or window over the deals, notes, follow-ups
and stage events in scope, so no query loads every row into Python. The lists
(stale deals, overdue follow-ups) are capped at `LIST_LIMIT` rows each and
carry the full count beside them. docs/kpis.md defines each figure.

Money is summed per currency and returned as `Decimal` rounded to the cent.
Ratios are floats rounded half up to 4 decimals, days and hours to 2.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Iterable

from sqlalchemy import Date, and_, case, cast, false, func, literal, or_, select, union_all
from sqlalchemy.sql.elements import ColumnElement

from .entities import STAGES
from .models import Deal, FollowUp, Note, StageEvent, Team, db
from .pipelines import rotting_limits, stage_probabilities

# Maximum rows in the stale deal and overdue follow-up lists.
LIST_LIMIT = 50
CENT = Decimal("0.01")
RATE_PLACES = Decimal("0.0001")
SECONDS_PER_HOUR = Decimal(3600)


@dataclass(frozen=True)
class Scope:
    """The deals a computation covers: some teams' books, or one rep's deals."""

    teams: tuple[Team, ...]
    owner_id: str | None = None

    @property
    def team_ids(self) -> list[str]:
        return [team.id for team in self.teams]


def compute_kpis(
    scope: Scope, start: date, end: date, now: datetime
) -> dict[str, Any]:
    """Compute every KPI of `scope` over the period [start, end), as of `now`.

    `now` is a naive UTC datetime; the snapshot figures (open pipeline, stale
    deals, overdue follow-ups) are taken at that moment.
    """
    sql = SqlDialect(db.session.get_bind().dialect.name)
    start_at = datetime.combine(start, time())
    end_at = datetime.combine(end, time())
    open_figures = open_pipeline(scope, now.date())
    closed = closed_deals(scope, sql, start, end)
    return {
        "period": {"start": start, "end": end},
        "owner_id": scope.owner_id,
        "as_of": now,
        "open": open_figures,
        "win_rate": closed["win_rate"],
        "average_won_value": closed["average_won_value"],
        "sales_cycle": closed["sales_cycle"],
        "sales_velocity": sales_velocity(open_figures, closed),
        "first_response": first_response(scope, sql, start_at, end_at),
        "stage_conversion": stage_conversion(scope, sql, start, end),
        "time_in_stage": time_in_stage(scope, sql, start_at, end_at),
        "forecast": forecast(scope, sql, start, end, now.date()),
        "stale_deals": stale_deals(scope, now),
        "overdue_followups": overdue_followups(scope, now),
    }


class SqlDialect:
    """Date arithmetic written the way SQLite or PostgreSQL does it."""

    def __init__(self, name: str) -> None:
        self.sqlite = name == "sqlite"

    def as_date(self, expr: Any) -> ColumnElement:
        if self.sqlite:
            return func.date(expr, type_=Date)
        return cast(expr, Date)

    def days_between(self, later: Any, earlier: Any) -> ColumnElement:
        """Whole calendar days from the date of `earlier` to the date of `later`."""
        if self.sqlite:
            return func.julianday(func.date(later)) - func.julianday(func.date(earlier))
        return cast(later, Date) - cast(earlier, Date)

    def seconds_between(self, later: Any, earlier: Any) -> ColumnElement:
        if self.sqlite:
            return (func.julianday(later) - func.julianday(earlier)) * 86400
        return func.extract("epoch", later - earlier)

    def month(self, expr: Any) -> ColumnElement:
        if self.sqlite:
            return func.strftime("%Y-%m", expr)
        return func.to_char(expr, "YYYY-MM")


def deal_filters(scope: Scope) -> list[ColumnElement]:
    filters = [Deal.team_id.in_(scope.team_ids), Deal.deleted.is_(False)]
    if scope.owner_id is not None:
        filters.append(Deal.owner_id == scope.owner_id)
    return filters


def in_pipeline(today: date) -> ColumnElement:
    """Match open deals that count in the pipeline: not parked past `today`."""
    return or_(Deal.parked_until.is_(None), Deal.parked_until <= today)


def probability_case(scope: Scope) -> ColumnElement:
    """Return each deal's win probability in percent: its own, else its stage's."""
    groups = group_teams(scope.teams, stage_probabilities)
    whens = []
    for team_ids, probabilities in groups:
        in_team = Deal.team_id.in_(team_ids) if len(groups) > 1 else literal(True)
        for stage, percent in probabilities.items():
            whens.append((and_(in_team, Deal.stage == stage), percent))
    # A rep's own probability on a deal wins over the stage's default.
    return func.coalesce(Deal.probability, case(*whens, else_=0))


def stage_index_case() -> ColumnElement:
    return case({stage: index for index, stage in enumerate(STAGES)}, value=Deal.stage)


def group_teams(teams: Iterable[Team], settings_of) -> list[tuple[list[str], dict]]:
    """Group team ids by equal pipeline settings, so CASE expressions stay short."""
    groups: dict[tuple, list[str]] = defaultdict(list)
    values: dict[tuple, dict] = {}
    for team in teams:
        mapping = settings_of(team)
        key = tuple(sorted(mapping.items()))
        groups[key].append(team.id)
        values[key] = mapping
    return [(ids, values[key]) for key, ids in groups.items()]


def to_cents(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT, ROUND_HALF_UP)


def ratio(numerator: Any, denominator: Any, places: Decimal = RATE_PLACES) -> float | None:
    if not denominator:
        return None
    exact = Decimal(str(numerator)) / Decimal(str(denominator))
    return float(exact.quantize(places, ROUND_HALF_UP))


def open_pipeline(scope: Scope, today: date) -> dict[str, dict[str, Any]]:
    """Sum open deals now, per currency: count, value and probability-weighted value.

    Parked deals are left out until the day their parking ends.
    """
    weighted_percent = func.sum(Deal.value * probability_case(scope))
    query = (
        select(
            Deal.currency,
            func.count(),
            func.sum(Deal.value),
            weighted_percent,
            func.sum(case((Deal.expected_close.is_(None), 1), else_=0)),
        )
        .where(*deal_filters(scope), Deal.status == "open", in_pipeline(today))
        .group_by(Deal.currency)
        .order_by(Deal.currency)
    )
    return {
        currency: {
            "deals": count,
            "value": to_cents(value),
            "weighted_value": to_cents(Decimal(str(weighted or 0)) / 100),
            "unscheduled_deals": int(unscheduled or 0),
        }
        for currency, count, value, weighted, unscheduled in db.session.execute(query)
    }


def closed_deals(scope: Scope, sql: SqlDialect, start: date, end: date) -> dict[str, Any]:
    """Compute win rate, average won value and sales cycle of deals closed in the period."""
    started = func.coalesce(Deal.engaged_at, sql.as_date(Deal.created_at))
    query = (
        select(
            Deal.status,
            Deal.currency,
            func.count(),
            func.sum(Deal.value),
            func.count(Deal.value),
            func.sum(sql.days_between(Deal.closed_at, started)),
        )
        .where(
            *deal_filters(scope),
            Deal.status.in_(("won", "lost")),
            Deal.closed_at >= start,
            Deal.closed_at < end,
        )
        .group_by(Deal.status, Deal.currency)
    )
    counts: Counter = Counter()
    won_value: dict[str, dict[str, Any]] = {}
    cycle_days = Decimal(0)
    for status, currency, count, value, valued, days in db.session.execute(query):
        counts[status] += count
        if status != "won":
            continue
        cycle_days += Decimal(str(days or 0))
        won_value[currency] = {
            "deals": valued,
            "total": Decimal(str(value or 0)),
            "value": to_cents(Decimal(str(value or 0)) / valued) if valued else None,
        }

    won, lost = counts["won"], counts["lost"]
    return {
        "win_rate": {"won": won, "lost": lost, "rate": ratio(won, won + lost)},
        "average_won_value": {
            currency: {"deals": figures["deals"], "value": figures["value"]}
            for currency, figures in sorted(won_value.items())
        },
        "sales_cycle": {
            "deals": won,
            "average_days": ratio(cycle_days, won, CENT),
        },
        "cycle_days": cycle_days,
        "won_totals": won_value,
    }


def sales_velocity(
    open_figures: dict[str, dict[str, Any]], closed: dict[str, Any]
) -> dict[str, Decimal]:
    """Return money per day per currency: open deals × win rate × average won / cycle.

    The product is taken from the exact sums and rounded once, at the end.
    """
    won = closed["win_rate"]["won"]
    decided = won + closed["win_rate"]["lost"]
    cycle_days = closed["cycle_days"]
    velocity: dict[str, Decimal] = {}
    for currency, totals in sorted(closed["won_totals"].items()):
        open_deals = open_figures.get(currency, {}).get("deals", 0)
        if not decided or not totals["deals"] or not cycle_days:
            continue
        # average won = total / valued; cycle = cycle_days / won
        numerator = open_deals * won * totals["total"] * won
        denominator = decided * totals["deals"] * cycle_days
        velocity[currency] = to_cents(numerator / denominator)
    return velocity


def first_response(
    scope: Scope, sql: SqlDialect, start_at: datetime, end_at: datetime
) -> dict[str, Any]:
    """Measure deal creation to the first note met_at or first stage event past prospecting.

    Responses dated before the deal's creation (an imported history) do not count.
    """
    team_ids = scope.team_ids
    responses = union_all(
        select(Note.deal_id.label("deal_id"), Note.met_at.label("at")).where(
            Note.team_id.in_(team_ids), Note.deleted.is_(False), Note.met_at.is_not(None)
        ),
        select(StageEvent.deal_id, StageEvent.entered_at).where(
            StageEvent.team_id.in_(team_ids), StageEvent.stage != "prospecting"
        ),
    ).subquery()
    first = (
        select(Deal.created_at, func.min(responses.c.at).label("first_at"))
        .select_from(Deal)
        .outerjoin(
            responses,
            and_(responses.c.deal_id == Deal.id, responses.c.at >= Deal.created_at),
        )
        .where(
            *deal_filters(scope), Deal.created_at >= start_at, Deal.created_at < end_at
        )
        .group_by(Deal.id, Deal.created_at)
        .subquery()
    )
    new_deals, responded, seconds = db.session.execute(
        select(
            func.count(),
            func.count(first.c.first_at),
            func.sum(sql.seconds_between(first.c.first_at, first.c.created_at)),
        )
    ).one()
    hours = Decimal(str(seconds or 0)) / SECONDS_PER_HOUR
    return {
        "new_deals": new_deals,
        "responded": responded,
        "mean_hours": ratio(hours, responded, CENT),
    }


def stage_conversion(
    scope: Scope, sql: SqlDialect, start: date, end: date
) -> list[dict[str, Any]]:
    """Count, per stage, deals of the period's cohort that reached it and the next.

    The cohort is the deals whose entry date (engaged_at, else the creation
    date) is in the period. A deal reached a stage when its current stage is
    that stage or a later one, or when it is won.
    """
    index = stage_index_case()
    entered = func.coalesce(Deal.engaged_at, sql.as_date(Deal.created_at))
    reached_columns = [
        func.sum(case((or_(index >= i, Deal.status == "won"), 1), else_=0))
        for i in range(len(STAGES))
    ]
    row = db.session.execute(
        select(*reached_columns).where(
            *deal_filters(scope), entered >= start, entered < end
        )
    ).one()
    reached = [int(count or 0) for count in row]
    return [
        {
            "stage": stage,
            "reached": reached[i],
            "next_stage": STAGES[i + 1],
            "next_reached": reached[i + 1],
            "rate": ratio(reached[i + 1], reached[i]),
        }
        for i, stage in enumerate(STAGES[:-1])
    ]


def time_in_stage(
    scope: Scope, sql: SqlDialect, start_at: datetime, end_at: datetime
) -> list[dict[str, Any]]:
    """Average the completed stays in each stage that began in the period.

    A stay starts at a stage event and ends at the deal's next stage event, or
    at closed_at when the deal closed in that stage. Stays of open deals in
    their current stage are still running and are left out.
    """
    left_at = func.lead(StageEvent.entered_at).over(
        partition_by=StageEvent.deal_id,
        order_by=(StageEvent.entered_at, StageEvent.id),
    )
    events = (
        select(
            StageEvent.deal_id,
            StageEvent.stage,
            StageEvent.entered_at,
            left_at.label("left_at"),
        )
        .where(StageEvent.team_id.in_(scope.team_ids))
        .subquery()
    )
    ended = case(
        (events.c.left_at.is_not(None), sql.as_date(events.c.left_at)),
        (Deal.status != "open", Deal.closed_at),
    )
    query = (
        select(
            events.c.stage,
            func.count(ended),
            func.sum(sql.days_between(ended, events.c.entered_at)),
        )
        .join(Deal, Deal.id == events.c.deal_id)
        .where(
            *deal_filters(scope),
            events.c.entered_at >= start_at,
            events.c.entered_at < end_at,
        )
        .group_by(events.c.stage)
    )
    totals = {stage: (stays, days) for stage, stays, days in db.session.execute(query)}
    result = []
    for stage in STAGES:
        stays, days = totals.get(stage, (0, None))
        result.append(
            {
                "stage": stage,
                "stays": stays,
                "average_days": ratio(Decimal(str(days or 0)), stays, CENT),
            }
        )
    return result


def forecast(
    scope: Scope, sql: SqlDialect, start: date, end: date, today: date
) -> list[dict[str, Any]]:
    """Sum open, unparked deals expected to close in the period, per month and currency."""
    month = sql.month(Deal.expected_close)
    query = (
        select(
            month,
            Deal.currency,
            func.count(),
            func.sum(Deal.value),
            func.sum(Deal.value * probability_case(scope)),
        )
        .where(
            *deal_filters(scope),
            Deal.status == "open",
            in_pipeline(today),
            Deal.expected_close >= start,
            Deal.expected_close < end,
        )
        .group_by(month, Deal.currency)
        .order_by(month, Deal.currency)
    )
    return [
        {
            "month": month_key,
            "currency": currency,
            "deals": count,
            "value": to_cents(value),
            "weighted_value": to_cents(Decimal(str(weighted or 0)) / 100),
        }
        for month_key, currency, count, value, weighted in db.session.execute(query)
    ]


def stale_deals(scope: Scope, now: datetime) -> dict[str, Any]:
    """List open deals that stayed in their stage past its rotting limit, oldest first.

    A deal entered its stage at its latest stage event, else at its creation.
    """
    latest_event = (
        select(func.max(StageEvent.entered_at))
        .where(StageEvent.team_id == Deal.team_id, StageEvent.deal_id == Deal.id)
        .scalar_subquery()
    )
    entered = func.coalesce(latest_event, Deal.created_at)
    deals = (
        select(
            Deal.id,
            Deal.team_id,
            Deal.title,
            Deal.stage,
            Deal.owner_id,
            Deal.value,
            Deal.currency,
            entered.label("entered_at"),
        )
        .where(*deal_filters(scope), Deal.status == "open", in_pipeline(now.date()))
        .subquery()
    )

    conditions = []
    for team_ids, limits in group_teams(scope.teams, rotting_limits):
        for stage, days in limits.items():
            if days is None:
                continue
            conditions.append(
                and_(
                    deals.c.team_id.in_(team_ids),
                    deals.c.stage == stage,
                    deals.c.entered_at < now - timedelta(days=days),
                )
            )
    query = (
        select(deals, func.count().over().label("total"))
        .where(or_(*conditions) if conditions else false())
        .order_by(deals.c.entered_at, deals.c.id)
        .limit(LIST_LIMIT)
    )
    rows = db.session.execute(query).all()
    return {
        "total": rows[0].total if rows else 0,
        "deals": [
            {
                "id": row.id,
                "title": row.title,
                "stage": row.stage,
                "owner_id": row.owner_id,
                "value": to_cents(row.value) if row.value is not None else None,
                "currency": row.currency,
                "entered_stage_at": row.entered_at,
                "days_in_stage": (now - row.entered_at).days,
            }
            for row in rows
        ],
    }


def overdue_followups(scope: Scope, now: datetime) -> dict[str, Any]:
    """List follow-ups not done and due before `now`, oldest first.

    For one rep, a follow-up counts when assigned to the rep, or unassigned
    on one of the rep's deals.
    """
    filters = [
        FollowUp.team_id.in_(scope.team_ids),
        FollowUp.deleted.is_(False),
        FollowUp.done.is_(False),
        FollowUp.due_at < now,
        Deal.deleted.is_(False),
    ]
    if scope.owner_id is not None:
        filters.append(
            func.coalesce(FollowUp.assignee_id, Deal.owner_id) == scope.owner_id
        )
    query = (
        select(
            FollowUp.id,
            FollowUp.deal_id,
            Deal.title,
            FollowUp.assignee_id,
            FollowUp.due_at,
            func.count().over().label("total"),
        )
        .join(Deal, Deal.id == FollowUp.deal_id)
        .where(*filters)
        .order_by(FollowUp.due_at, FollowUp.id)
        .limit(LIST_LIMIT)
    )
    rows = db.session.execute(query).all()
    return {
        "total": rows[0].total if rows else 0,
        "followups": [
            {
                "id": row.id,
                "deal_id": row.deal_id,
                "deal_title": row.title,
                "assignee_id": row.assignee_id,
                "due_at": row.due_at,
                "days_overdue": (now - row.due_at).days,
            }
            for row in rows
        ],
    }
