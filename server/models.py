"""Tables of Dealbook.

Synced entities (account, contact, deal, note, followup, conflict) share the
columns of `SyncedMixin`: a client-made UUID, the team, the team change
sequence number `seq` of the last change, and `meta`, the per-field merge
metadata described in docs/sync.md.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from .db import db


def utcnow() -> datetime:
    """Return the current UTC time as a naive datetime, as the columns store it."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def new_id() -> str:
    return str(uuid.uuid4())


class Team(db.Model):
    __tablename__ = "teams"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    office: Mapped[str | None] = mapped_column(String(100))
    # The high-water mark of the team's change sequence: every synced row of
    # the team has seq <= change_seq once its transaction has committed.
    change_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    # Changes when the change sequence restarts (restore from a backup), so
    # phones holding an older cursor pull afresh.
    epoch: Mapped[str] = mapped_column(String(16), default=lambda: uuid.uuid4().hex[:12])
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16), default="rep")
    password_hash: Mapped[str | None] = mapped_column(String(256))
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Token(db.Model):
    """A bearer token; only its SHA-256 digest is stored."""

    __tablename__ = "tokens"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)


class SyncedMixin:
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    @declared_attr
    def team_id(cls) -> Mapped[str]:
        return mapped_column(ForeignKey("teams.id"))

    @declared_attr.directive
    def __table_args__(cls) -> tuple:
        return (Index(f"ix_{cls.__tablename__}_team_seq", "team_id", "seq"),)


class Account(SyncedMixin, db.Model):
    __tablename__ = "accounts"

    name: Mapped[str] = mapped_column(String(200))
    sector: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str | None] = mapped_column(String(100))
    external_id: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        Index("ix_accounts_team_seq", "team_id", "seq"),
        Index("ix_accounts_team_external", "team_id", "external_id"),
    )


class Contact(SyncedMixin, db.Model):
    __tablename__ = "contacts"

    account_id: Mapped[str | None] = mapped_column(String(36), index=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(50))
    title: Mapped[str | None] = mapped_column(String(200))


class Deal(SyncedMixin, db.Model):
    __tablename__ = "deals"

    title: Mapped[str] = mapped_column(String(300))
    account_id: Mapped[str | None] = mapped_column(String(36), index=True)
    contact_id: Mapped[str | None] = mapped_column(String(36))
    stage: Mapped[str] = mapped_column(String(32), index=True)
    value: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    expected_close: Mapped[date | None] = mapped_column(Date)
    owner_id: Mapped[str | None] = mapped_column(String(36), index=True)
    status: Mapped[str] = mapped_column(String(8), default="open", index=True)
    description: Mapped[str | None] = mapped_column(Text)
    engaged_at: Mapped[date | None] = mapped_column(Date)
    closed_at: Mapped[date | None] = mapped_column(Date)
    product: Mapped[str | None] = mapped_column(String(100))
    pipeline: Mapped[str] = mapped_column(String(64), default="default")
    # A rep's own win probability in percent; None means the stage's default.
    probability: Mapped[int | None] = mapped_column(Integer)
    # A parked deal is out of the pipeline value and forecast until this day.
    parked_until: Mapped[date | None] = mapped_column(Date)
    # The BANT qualification checklist, one field each so offline edits merge.
    bant_budget: Mapped[bool] = mapped_column(Boolean, default=False)
    bant_authority: Mapped[bool] = mapped_column(Boolean, default=False)
    bant_need: Mapped[bool] = mapped_column(Boolean, default=False)
    bant_timing: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str | None] = mapped_column(String(32))
    external_id: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        Index("ix_deals_team_seq", "team_id", "seq"),
        Index("ix_deals_team_source_external", "team_id", "source", "external_id"),
    )


class Note(SyncedMixin, db.Model):
    __tablename__ = "notes"

    deal_id: Mapped[str] = mapped_column(String(36), index=True)
    author_id: Mapped[str | None] = mapped_column(String(36))
    met_at: Mapped[datetime | None] = mapped_column(DateTime)
    body: Mapped[str] = mapped_column(Text, default="")


class FollowUp(SyncedMixin, db.Model):
    __tablename__ = "followups"

    deal_id: Mapped[str] = mapped_column(String(36), index=True)
    assignee_id: Mapped[str | None] = mapped_column(String(36), index=True)
    due_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    done: Mapped[bool] = mapped_column(Boolean, default=False)


class Conflict(SyncedMixin, db.Model):
    """Two concurrent texts of one field; both are kept until the rep chooses."""

    __tablename__ = "conflicts"

    entity: Mapped[str] = mapped_column(String(16))
    record_id: Mapped[str] = mapped_column(String(36), index=True)
    field: Mapped[str] = mapped_column(String(64))
    kept: Mapped[str | None] = mapped_column(Text)
    other: Mapped[str | None] = mapped_column(Text)
    other_user_id: Mapped[str | None] = mapped_column(String(36))
    resolved: Mapped[bool] = mapped_column(Boolean, default=False)


class FieldHistory(db.Model):
    """A value that a merge replaced or did not apply, kept so no edit is lost."""

    __tablename__ = "field_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id"))
    entity: Mapped[str] = mapped_column(String(16))
    record_id: Mapped[str] = mapped_column(String(36))
    field: Mapped[str] = mapped_column(String(64))
    value: Mapped[Any] = mapped_column(JSON, nullable=True)
    # A stamp: 22 characters of wall time and counter, and a device id of up to 64.
    hlc: Mapped[str | None] = mapped_column(String(86))
    device: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(32))
    seq: Mapped[int] = mapped_column(BigInteger)
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (Index("ix_field_history_record", "entity", "record_id"),)


class AppliedMutation(db.Model):
    """The result of every mutation received, so a re-sent one applies once."""

    __tablename__ = "applied_mutations"

    device_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    mutation_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class StageEvent(db.Model):
    """A deal entering a stage, for conversion and time-in-stage figures."""

    __tablename__ = "stage_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id"))
    deal_id: Mapped[str] = mapped_column(String(36))
    stage: Mapped[str] = mapped_column(String(32))
    entered_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (Index("ix_stage_events_team_deal", "team_id", "deal_id"),)


class PushSubscription(db.Model):
    """One browser's Web Push subscription, for one user on one device."""

    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    endpoint: Mapped[str] = mapped_column(String(1024), unique=True)
    p256dh: Mapped[str] = mapped_column(String(128))
    auth: Mapped[str] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime)


class Reminder(db.Model):
    """A push to send to a user at `due_at` (UTC), planned by server/reminders.py.

    `dedupe_key` names the event the reminder is about, so planning the same
    event twice inserts one row. Reminders folded into a digest are `skipped`
    and point at the digest by `digest_id`.
    """

    __tablename__ = "reminders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    deal_id: Mapped[str | None] = mapped_column(String(36))
    followup_id: Mapped[str | None] = mapped_column(String(36))
    due_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("reminders.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)

    __table_args__ = (
        Index("ix_reminders_status_due", "status", "due_at"),
        Index("ix_reminders_claimed_by", "claimed_by"),
    )
