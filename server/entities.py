"""The synced entities: their tables, their fields and how a field is checked.

Each entity's marshmallow schema turns a mutation's JSON fields into column
values and rejects bad ones. `record_of` turns a row into the JSON-like record
that the merge engine in `sync/` works on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from .models import Account, Conflict, Contact, Deal, FollowUp, Note, db
from .stages import STAGES

STATUSES = ("open", "won", "lost")
MAX_VALUE = Decimal("99999999999999.99")


class UtcDateTime(fields.DateTime):
    """An ISO 8601 date-time, stored as naive UTC; a value without offset is UTC."""

    def _deserialize(self, value: Any, attr, data, **kwargs) -> datetime:
        parsed = super()._deserialize(value, attr, data, **kwargs)
        if parsed.tzinfo is not None:
            try:
                parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
            except OverflowError:
                # Near year 1 or 9999 the UTC time falls outside what Python holds.
                raise ValidationError(
                    "The time in UTC is outside years 1 to 9999; check the year."
                ) from None
        return parsed


class StrictDecimal(fields.Decimal):
    """A money amount given as a JSON number or a plain numeric string."""

    def _deserialize(self, value: Any, attr, data, **kwargs) -> Decimal:
        if isinstance(value, bool):
            raise self.make_error("invalid")
        amount = super()._deserialize(value, attr, data, **kwargs)
        # The column keeps cents; a finer amount would be rounded without a word.
        if amount.is_finite() and amount.as_tuple().exponent < -2:
            raise ValidationError("It has more than two decimal places; round it to cents.")
        return amount


def _text(max_length: int, required: bool = False) -> fields.String:
    return fields.String(
        required=required,
        allow_none=not required,
        validate=validate.Length(max=max_length),
    )


def _ref() -> fields.String:
    return fields.String(allow_none=True, validate=validate.Length(equal=36))


class AccountFields(Schema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    sector = _text(100)
    country = _text(100)
    deleted = fields.Boolean()


class ContactFields(Schema):
    account_id = _ref()
    name = fields.String(validate=validate.Length(min=1, max=200))
    email = fields.Email(allow_none=True)
    phone = _text(50)
    title = _text(200)
    deleted = fields.Boolean()


class DealFields(Schema):
    title = fields.String(validate=validate.Length(min=1, max=300))
    account_id = _ref()
    contact_id = _ref()
    stage = fields.String(validate=validate.OneOf(STAGES))
    value = StrictDecimal(
        allow_none=True,
        allow_nan=False,
        validate=validate.Range(min=0, max=MAX_VALUE),
    )
    currency = fields.String(validate=validate.Regexp(r"^[A-Z]{3}$"))
    expected_close = fields.Date(allow_none=True)
    owner_id = _ref()
    status = fields.String(validate=validate.OneOf(STATUSES))
    description = _text(20000)
    pipeline = fields.String(validate=validate.Length(min=1, max=64))
    probability = fields.Integer(
        allow_none=True, strict=True, validate=validate.Range(min=0, max=100)
    )
    parked_until = fields.Date(allow_none=True)
    bant_budget = fields.Boolean()
    bant_authority = fields.Boolean()
    bant_need = fields.Boolean()
    bant_timing = fields.Boolean()
    deleted = fields.Boolean()


BANT_FIELDS = ("bant_budget", "bant_authority", "bant_need", "bant_timing")


def lead_score(values: dict[str, Any]) -> int:
    """Score a lead from 0 to 100: 25 points for each BANT item checked."""
    return 25 * sum(bool(values.get(name)) for name in BANT_FIELDS)


class NoteFields(Schema):
    deal_id = fields.String(validate=validate.Length(equal=36))
    author_id = _ref()
    met_at = UtcDateTime(allow_none=True)
    body = fields.String(validate=validate.Length(max=20000))
    deleted = fields.Boolean()


class FollowUpFields(Schema):
    deal_id = fields.String(validate=validate.Length(equal=36))
    assignee_id = _ref()
    due_at = UtcDateTime(allow_none=True)
    done = fields.Boolean()
    deleted = fields.Boolean()


class ConflictFields(Schema):
    resolved = fields.Boolean()


@dataclass(frozen=True)
class EntitySpec:
    name: str
    model: type[db.Model]
    schema: Schema
    # Free-text fields: concurrent edits of these keep both texts.
    text_fields: frozenset[str] = frozenset()
    # Fields that must be present when a record is created.
    required_on_create: tuple[str, ...] = ()
    # Fields naming another record: field -> entity name, or "user".
    references: dict[str, str] = field(default_factory=dict)
    # Defaults for a new record's fields that the mutation left out.
    defaults: dict[str, Any] = field(default_factory=dict)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(self.schema.fields)


ENTITIES: dict[str, EntitySpec] = {
    spec.name: spec
    for spec in (
        EntitySpec("account", Account, AccountFields(), required_on_create=("name",)),
        EntitySpec(
            "contact",
            Contact,
            ContactFields(),
            required_on_create=("name",),
            references={"account_id": "account"},
        ),
        EntitySpec(
            "deal",
            Deal,
            DealFields(),
            text_fields=frozenset({"description"}),
            required_on_create=("title", "stage"),
            references={
                "account_id": "account",
                "contact_id": "contact",
                "owner_id": "user",
            },
            defaults={"status": "open", "currency": "USD", "pipeline": "default"},
        ),
        EntitySpec(
            "note",
            Note,
            NoteFields(),
            text_fields=frozenset({"body"}),
            required_on_create=("deal_id", "body"),
            references={"deal_id": "deal", "author_id": "user"},
        ),
        EntitySpec(
            "followup",
            FollowUp,
            FollowUpFields(),
            required_on_create=("deal_id", "due_at"),
            references={"deal_id": "deal", "assignee_id": "user"},
            defaults={"done": False},
        ),
        EntitySpec("conflict", Conflict, ConflictFields()),
    )
}

# Conflict rows carry more columns than a phone may write; they are sent whole.
CONFLICT_READ_FIELDS = (
    "entity",
    "record_id",
    "field",
    "kept",
    "other",
    "other_user_id",
    "resolved",
)


def read_fields(spec: EntitySpec) -> tuple[str, ...]:
    """Return the fields of a record sent to phones."""
    if spec.name == "conflict":
        return CONFLICT_READ_FIELDS + ("deleted",)
    return spec.field_names


def to_json_value(value: Any) -> Any:
    """Convert a column value to the JSON value phones and the merge engine see."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat() + "Z"
    if isinstance(value, date):
        return value.isoformat()
    return value


def record_of(spec: EntitySpec, row: Any) -> dict[str, Any]:
    """Return the JSON-like record of a row, as docs/sync.md shows it."""
    return {
        "entity": spec.name,
        "id": row.id,
        "deleted": bool(row.deleted),
        "seq": row.seq,
        "fields": {
            name: to_json_value(getattr(row, name)) for name in read_fields(spec)
        },
        "meta": dict(row.meta or {}),
    }


def load_fields(spec: EntitySpec, values: dict[str, Any]) -> dict[str, Any]:
    """Check JSON field values and return them as column values.

    Raises `ValidationError` whose messages name each bad field and value.
    """
    unknown = sorted(set(values) - set(spec.field_names))
    errors: dict[str, list[str]] = {}
    for name in unknown:
        allowed = ", ".join(spec.field_names)
        errors[name] = [f"{spec.name} has no field {name!r}; fields are: {allowed}."]
    for name, value in values.items():
        # PostgreSQL text cannot hold NUL, and no field needs one.
        if name not in unknown and isinstance(value, str) and "\x00" in value:
            errors[name] = [
                f"{value!r} is not a valid {name}: it contains a NUL character "
                "(\\x00); remove it."
            ]
    try:
        loaded = spec.schema.load(
            {k: v for k, v in values.items() if k not in errors}, partial=True
        )
    except ValidationError as exc:
        loaded = {}
        for name, messages in exc.normalized_messages().items():
            shown = values.get(name)
            text = " ".join(messages) if isinstance(messages, list) else str(messages)
            errors[name] = [f"{shown!r} is not a valid {name}: {text}"]
    if errors:
        raise ValidationError(errors)
    return loaded
