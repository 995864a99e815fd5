"""`GET /api/kpis` and `GET`/`PUT /api/pipelines` for the user's team."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from flask import Blueprint, current_app, g, jsonify, request

from .. import syncing
from ..auth import login_required, read_json_object
from ..errors import BadRequest, Forbidden, NotFound
from ..kpis import Scope, compute_kpis
from ..models import Team, User, db
from ..pipelines import PipelineError, store_pipelines, team_pipelines

bp = Blueprint("kpis", __name__, url_prefix="/api")

# Maximum length of a requested period, in days.
MAX_PERIOD_DAYS = 3660


@bp.get("/kpis")
@login_required
def kpis():
    team = db.session.get(Team, g.user.team_id)
    start, end = read_period()
    owner_id = request.args.get("owner_id") or None
    if owner_id is not None:
        check_team_member(owner_id, team)

    now = utc_now()
    figures = compute_kpis(Scope((team,), owner_id), start, end, now)
    return jsonify(to_json(figures))


@bp.get("/pipelines")
@login_required
def get_pipelines():
    team = db.session.get(Team, g.user.team_id)
    return jsonify({"pipelines": team_pipelines(team)})


@bp.put("/pipelines")
@login_required
def put_pipelines():
    if g.user.role != "manager":
        raise Forbidden(
            "forbidden",
            detail="Only a manager can change the team's pipelines; "
            f"your role is {g.user.role!r}.",
        )
    body = read_json_object()
    team = db.session.get(Team, g.user.team_id)
    try:
        pipelines = store_pipelines(team, body.get("pipelines"))
    except PipelineError as exc:
        raise BadRequest("invalid_request", detail=str(exc))

    db.session.commit()
    return jsonify({"pipelines": pipelines})


def utc_now() -> datetime:
    """Return the app clock's time as a naive UTC datetime, as the columns store it."""
    clock = current_app.config.get("DEALBOOK_CLOCK_MS", syncing.wall_clock_ms)
    return datetime.fromtimestamp(clock() / 1000, timezone.utc).replace(tzinfo=None)


def read_period() -> tuple[date, date]:
    """Return the [start, end) dates of the query, by default the current month."""
    today = utc_now().date()
    month_start = today.replace(day=1)
    next_month = (month_start + timedelta(days=32)).replace(day=1)
    start = read_date("start", month_start)
    end = read_date("end", next_month)
    if end <= start:
        raise BadRequest(
            "invalid_request",
            detail=f"end {end.isoformat()} must be after start {start.isoformat()}; "
            "the period is [start, end).",
        )
    if (end - start).days > MAX_PERIOD_DAYS:
        raise BadRequest(
            "invalid_request",
            detail=f"The period from {start.isoformat()} to {end.isoformat()} is "
            f"longer than {MAX_PERIOD_DAYS} days; ask for a shorter one.",
        )

    return start, end


def read_date(name: str, default: date) -> date:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadRequest(
            "invalid_request",
            detail=f"{name} {raw!r} is not a date; write it as YYYY-MM-DD.",
        )


def check_team_member(user_id: str, team: Team) -> None:
    """Raise 404 unless the user is in the team; other teams' users look unknown."""
    # PostgreSQL cannot compare text holding NUL; no user id has one.
    user = db.session.get(User, user_id) if "\x00" not in user_id else None
    if user is None or user.team_id != team.id:
        raise NotFound(
            "not_found",
            detail=f"owner_id {user_id!r} is not a member of team {team.name}; "
            "use an id from GET /api/team.",
        )


def to_json(value: Any) -> Any:
    """Convert KPI figures to JSON: money as decimal strings, dates as ISO 8601."""
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [to_json(item) for item in value]
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat() + "Z"
    if isinstance(value, date):
        return value.isoformat()
    return value
