"""Team rules: when a synced deal change matches a trigger, the server acts.

A team's rules are a list in `Team.settings["rules"]`:

    {"id": "3f2a9c1d04be", "enabled": true,
     "trigger": "stage_entered", "trigger_params": {"stage": "proposal"},
     "action": "create_followup", "action_params": {"due_in_days": 2}}

| trigger | fires when a synced mutation | params |
|---|---|---|
| `stage_entered` | sets the deal's stage to `stage` | `stage` |
| `lead_score_reached` | checks a BANT item so the deal's lead score reaches `score`; once per deal | `score` (0-100) |
| `deal_won` | sets the deal's status to `won` | none |

| action | does | params |
|---|---|---|
| `create_followup` | a follow-up for the deal owner, `due_in_days` ahead | `due_in_days` (default 1) |
| `notify_owner` | a push to the deal owner | `message` (optional) |
| `notify_manager_and_checkin` | a push to each team manager and a `park_checkin` reminder for the owner `checkin_days` ahead | `checkin_days` (default 30) |

`syncing.push` calls `evaluate_rules` with the push's results, under the team
lock and before it stores the team's change sequence. A re-sent mutation is a
`duplicate` and does not fire again. Every action also has a dedupe key of the
rule id, device and mutation id: the follow-up's id is derived from it, and the
reminders carry it as their dedupe key. Each action is recorded in the deal's
history as a `FieldHistory` row with field `rule`, reason `rule:<rule id>` and
the action as its value.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Flask, g, jsonify
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import select

from sync.clock import format_stamp

from . import reminders
from .auth import describe_errors, login_required, read_json_object
from .entities import BANT_FIELDS, ENTITIES, STAGES, lead_score
from .errors import BadRequest, Forbidden, NotFound
from .models import Account, Deal, FieldHistory, FollowUp, Team, User, db
from .records import SERVER_DEVICE

if TYPE_CHECKING:
    from .syncing import Checked, PushContext

log = logging.getLogger(__name__)
bp = Blueprint("rules", __name__, url_prefix="/api/rules")

TRIGGERS = ("stage_entered", "lead_score_reached", "deal_won")
ACTIONS = ("create_followup", "notify_owner", "notify_manager_and_checkin")

# Namespace of the ids of follow-ups that rules create (UUID version 5).
RULE_FOLLOWUP_NAMESPACE = uuid.UUID("6f1c9a52-3b0e-4d7a-9e55-2c4b8f0d1a73")

# A team keeps at most this many rules; each synced deal change checks them all.
MAX_RULES = 50


class StageEnteredParams(Schema):
    stage = fields.String(required=True, validate=validate.OneOf(STAGES))


class LeadScoreParams(Schema):
    score = fields.Integer(required=True, strict=True, validate=validate.Range(0, 100))


class NoParams(Schema):
    pass


class CreateFollowupParams(Schema):
    due_in_days = fields.Integer(
        load_default=1, strict=True, validate=validate.Range(0, 365)
    )


class NotifyOwnerParams(Schema):
    message = fields.String(load_default=None, validate=validate.Length(max=200))


class CheckinParams(Schema):
    checkin_days = fields.Integer(
        load_default=30, strict=True, validate=validate.Range(1, 365)
    )


TRIGGER_PARAMS: dict[str, type[Schema]] = {
    "stage_entered": StageEnteredParams,
    "lead_score_reached": LeadScoreParams,
    "deal_won": NoParams,
}
ACTION_PARAMS: dict[str, type[Schema]] = {
    "create_followup": CreateFollowupParams,
    "notify_owner": NotifyOwnerParams,
    "notify_manager_and_checkin": CheckinParams,
}


class RuleSchema(Schema):
    trigger = fields.String(required=True, validate=validate.OneOf(TRIGGERS))
    trigger_params = fields.Dict(load_default=dict)
    action = fields.String(required=True, validate=validate.OneOf(ACTIONS))
    action_params = fields.Dict(load_default=dict)
    enabled = fields.Boolean(load_default=True)


def load_rule(data: dict[str, Any]) -> dict[str, Any]:
    """Check a rule sent by a client and return it with defaults filled in.

    Raises ValidationError whose messages name each bad field and value.
    """
    rule = RuleSchema().load(data)
    errors: dict[str, Any] = {}
    for name, schemas, kind in (
        ("trigger_params", TRIGGER_PARAMS, rule["trigger"]),
        ("action_params", ACTION_PARAMS, rule["action"]),
    ):
        try:
            rule[name] = schemas[kind]().load(rule[name])
        except ValidationError as exc:
            errors[name] = {
                key: [f"{rule[name].get(key)!r} is not valid: {' '.join(messages)}"]
                for key, messages in exc.normalized_messages().items()
            }
    if errors:
        raise ValidationError(errors)
    return rule


def team_rules(team: Team) -> list[dict[str, Any]]:
    return list((team.settings or {}).get("rules") or [])


def save_rules(team: Team, rules: list[dict[str, Any]]) -> None:
    # A new dict, because SQLAlchemy detects a JSON column change by assignment.
    team.settings = {**(team.settings or {}), "rules": rules}


def require_manager() -> None:
    if g.user.role != "manager":
        raise Forbidden(
            "forbidden",
            detail=(
                f"Only a manager can change the team's rules, and you are a "
                f"{g.user.role}; ask your manager to make this change."
            ),
        )


def locked_team() -> Team:
    from .syncing import lock_team

    return lock_team(g.user.team_id)


@bp.get("")
@login_required
def list_rules():
    team = db.session.get(Team, g.user.team_id)
    return jsonify({"rules": team_rules(team)})


@bp.post("")
@login_required
def create_rule():
    require_manager()
    try:
        rule = load_rule(read_json_object())
    except ValidationError as exc:
        raise BadRequest(
            "invalid_request", detail=describe_errors(exc.messages), fields=exc.messages
        )

    team = locked_team()
    rules = team_rules(team)
    if len(rules) >= MAX_RULES:
        raise BadRequest(
            "invalid_request",
            detail=f"The team has {len(rules)} rules, the maximum; delete or reuse one.",
        )
    rule = {"id": uuid.uuid4().hex[:12], **rule}
    save_rules(team, [*rules, rule])
    db.session.commit()
    log.info("user %s created rule %s (%s -> %s)", g.user.id, rule["id"],
             rule["trigger"], rule["action"])
    return jsonify(rule), 201


@bp.patch("/<rule_id>")
@login_required
def update_rule(rule_id: str):
    require_manager()
    data = read_json_object()
    enabled = data.get("enabled")
    if set(data) != {"enabled"} or not isinstance(enabled, bool):
        raise BadRequest(
            "invalid_request",
            detail=f"Send {{\"enabled\": true}} or {{\"enabled\": false}}, not {data!r}.",
        )

    team = locked_team()
    rules = team_rules(team)
    found = [rule for rule in rules if rule.get("id") == rule_id]
    if not found:
        raise NotFound("not_found", detail=f"Your team has no rule {rule_id!r}.")
    changed = {**found[0], "enabled": enabled}
    save_rules(team, [changed if rule is found[0] else rule for rule in rules])
    db.session.commit()
    log.info("user %s set rule %s enabled=%s", g.user.id, rule_id, enabled)
    return jsonify(changed)


# Evaluation ----------------------------------------------------------------------


def evaluate_rules(ctx: PushContext, pairs: list[tuple[Checked, dict[str, Any]]]) -> None:
    """Run the team's enabled rules on the deals whose stage or status this push changed.

    `pairs` are the push's checked mutations with their results. Writes go
    into the push's transaction and take sequence numbers from `ctx`.
    """
    rules = [rule for rule in team_rules(ctx.team) if rule.get("enabled")]
    if not rules:
        return

    for item, result in pairs:
        changed = set(result.get("changed") or ())
        watched = {"stage", "status", *BANT_FIELDS}
        if item.spec is None or item.spec.name != "deal" or not changed & watched:
            continue
        deal = ctx.rows.get(("deal", item.raw["record_id"]))
        if deal is None or deal.deleted:
            continue
        for rule in rules:
            if not is_triggered(rule, deal, changed):
                continue
            if rule["trigger"] == "lead_score_reached":
                # A score crosses the threshold once per deal, whichever edit did it.
                if lead_rule_fired(ctx, rule, deal):
                    continue
            run_action(ctx, rule, deal, item.id)


def is_triggered(rule: dict[str, Any], deal: Deal, changed: set[str]) -> bool:
    """Return whether a deal change, naming the fields it changed, fires the rule."""
    params = rule.get("trigger_params") or {}
    if rule["trigger"] == "stage_entered":
        return "stage" in changed and deal.stage == params.get("stage")
    if rule["trigger"] == "deal_won":
        return "status" in changed and deal.status == "won"
    if rule["trigger"] == "lead_score_reached":
        values = {name: getattr(deal, name) for name in BANT_FIELDS}
        return bool(changed & set(BANT_FIELDS)) and lead_score(values) >= params.get(
            "score", 100
        )
    return False


def lead_rule_fired(ctx: PushContext, rule: dict[str, Any], deal: Deal) -> bool:
    """Return whether the lead score rule already ran on this deal."""
    return (
        db.session.scalar(
            select(FieldHistory.id).where(
                FieldHistory.entity == "deal",
                FieldHistory.record_id == deal.id,
                FieldHistory.reason == f"rule:{rule['id']}",
            )
        )
        is not None
    )


def action_key(rule_id: str, device: str, mutation_id: str) -> str:
    """Return the dedupe key of a rule's action on one mutation (53 characters for a 12-character rule id)."""
    digest = hashlib.sha256(f"{device}\n{mutation_id}".encode()).hexdigest()[:40]
    return f"{rule_id}:{digest}"


def run_action(
    ctx: PushContext, rule: dict[str, Any], deal: Deal, mutation_id: str
) -> None:
    """Apply the rule's action to the deal and record it in the deal's history."""
    key = action_key(rule["id"], ctx.device, mutation_id)
    now = datetime.fromtimestamp(ctx.now_ms / 1000, timezone.utc).replace(tzinfo=None)
    params = rule.get("action_params") or {}
    owner_id = deal.owner_id or ctx.user.id
    record: dict[str, Any] = {
        "action": rule["action"],
        "device": ctx.device,
        "mutation_id": mutation_id,
    }

    if rule["action"] == "create_followup":
        due = now + timedelta(days=params.get("due_in_days", 1))
        record["followup_id"] = create_followup(ctx, deal, owner_id, due, key)
    elif rule["action"] == "notify_owner":
        message = params.get("message") or f"Rule: {rule['trigger'].replace('_', ' ')}"
        notify(ctx, deal, [owner_id], "rule", message, now, key)
        record["user_ids"] = [owner_id]
    elif rule["action"] == "notify_manager_and_checkin":
        managers = list(
            db.session.scalars(
                select(User.id).where(User.team_id == ctx.team.id, User.role == "manager")
            )
        )
        notify(ctx, deal, managers, "rule", f"Deal {deal.status}", now, key)
        checkin = now + timedelta(days=params.get("checkin_days", 30))
        notify(ctx, deal, [owner_id], "park_checkin", "Time to check in", checkin,
               f"{key}:checkin")
        record["user_ids"] = managers
        record["checkin_at"] = checkin.isoformat() + "Z"

    db.session.add(
        FieldHistory(
            team_id=ctx.team.id,
            entity="deal",
            record_id=deal.id,
            field="rule",
            value=record,
            hlc=None,
            device=SERVER_DEVICE,
            reason=f"rule:{rule['id']}",
            seq=ctx.seq,
        )
    )
    log.info("rule %s ran %s on deal %s", rule["id"], rule["action"], deal.id)


def create_followup(
    ctx: PushContext, deal: Deal, assignee_id: str, due: datetime, key: str
) -> str:
    """Add a follow-up with an id derived from `key`, unless it exists; return its id."""
    followup_id = str(uuid.uuid5(RULE_FOLLOWUP_NAMESPACE, key))
    if db.session.get(FollowUp, followup_id) is not None:
        return followup_id

    seq = ctx.next_seq()
    stamp = format_stamp(ctx.now_ms, 0, SERVER_DEVICE)
    row = FollowUp(
        id=followup_id,
        team_id=ctx.team.id,
        deal_id=deal.id,
        assignee_id=assignee_id,
        due_at=due,
        done=False,
        deleted=False,
        seq=seq,
    )
    row.meta = {
        name: {"ver": seq, "hlc": stamp, "dev": SERVER_DEVICE}
        for name in ENTITIES["followup"].field_names
    }
    db.session.add(row)
    return followup_id


def notify(
    ctx: PushContext,
    deal: Deal,
    user_ids: list[str],
    kind: str,
    title: str,
    due: datetime,
    key: str,
) -> None:
    """Plan a reminder about the deal for each user, due at `due` (their quiet hours apply)."""
    account = db.session.get(Account, deal.account_id) if deal.account_id else None
    times = reminders.load_user_times(user_ids)
    reminders.insert_reminders(
        [
            reminders.Planned(
                team_id=ctx.team.id,
                user_id=user_id,
                kind=kind,
                dedupe_key=f"{kind}:{key}:{user_id}",
                due_at=reminders.send_time(due, times[user_id]),
                payload=reminders.deal_payload(
                    kind, title, deal.id, deal.title, account.name if account else None
                ),
                deal_id=deal.id,
            )
            for user_id in user_ids
            if user_id in times
        ]
    )


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
