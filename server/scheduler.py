"""Send due reminders by Web Push, safely from several processes at once.

One `run_once(now)`::

    plan ──► commit ──► claim a batch ──► send each reminder ──► commit each
                            ▲                                         │
                            └──────────── until none is due ◄─────────┘

A claim marks reminders `claimed` by a token of this run in one UPDATE whose
subquery picks due rows: with `FOR UPDATE SKIP LOCKED` on PostgreSQL, and under
SQLite's single write lock there. Two processes therefore never claim one
reminder. A claim older than CLAIM_LEASE is taken over, so a reminder claimed
by a process that crashed is sent after the restart. Before sending, the
worker renews its claim, and it stores the result only while the claim is
still its own.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask, current_app
from sqlalchemy import and_, or_, select, update

from . import reminders
from .models import FollowUp, PushSubscription, Reminder, db
from .push import delivery
from .push.delivery import DeliveryError, DeliveryResult

log = logging.getLogger(__name__)

# How long a claim protects a reminder. It must exceed the longest send of one
# reminder: deliver() may take 4 attempts of 10 s with up to 60 s between them
# for each of the user's subscriptions.
CLAIM_LEASE = timedelta(minutes=10)

# Reminders claimed per UPDATE.
CLAIM_BATCH_SIZE = 50

# Seconds a push service keeps a reminder for a phone that is offline.
REMINDER_TTL_SECONDS = 24 * 60 * 60

# A reminder whose pushes all failed is tried again this much later, until it
# has been claimed MAX_REMINDER_ATTEMPTS times.
RETRY_DELAY = timedelta(minutes=15)
MAX_REMINDER_ATTEMPTS = 3

# Seconds between runs of `flask scheduler` and of the background thread.
DEFAULT_INTERVAL_SECONDS = 30

DeliverFunction = Callable[..., DeliveryResult]


@dataclass
class RunReport:
    """Counts of one run: reminders planned, sent, failed and skipped."""

    planned: int = 0
    sent: int = 0
    failed: int = 0
    skipped: int = 0


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def run_once(
    now: datetime | None = None,
    *,
    deliver: DeliverFunction = delivery.deliver,
    sleep: Callable[[float], None] = time.sleep,
    worker: str | None = None,
    batch_size: int = CLAIM_BATCH_SIZE,
) -> RunReport:
    """Plan reminders, then send every reminder due by `now` (naive UTC).

    Runs in the current app context. `deliver` and `sleep` are passed to the
    push delivery, so tests can use the test push service and skip the waits.
    """
    now = now or utcnow()
    worker = worker or f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
    report = RunReport()
    report.planned = reminders.plan_reminders(now)
    db.session.commit()

    vapid_key = None
    started = time.monotonic()
    while True:
        token = f"{worker}:{uuid.uuid4().hex[:8]}"
        claimed = claim_due(now, token, batch_size)
        if not claimed:
            break
        if vapid_key is None:
            from .api.push import load_or_create_vapid_key

            vapid_key = load_or_create_vapid_key(current_app.instance_path)
        sender = Sender(
            deliver=deliver,
            sleep=sleep,
            vapid_key=vapid_key,
            subject=current_app.config["VAPID_SUBJECT"],
        )
        for reminder_id in claimed:
            # Renewed claims count the time this run has taken.
            moment = now + timedelta(seconds=time.monotonic() - started)
            status = send_claimed(reminder_id, token, moment, sender)
            db.session.commit()
            if status == "sent":
                report.sent += 1
            elif status in ("failed", "pending"):
                report.failed += 1
            elif status == "skipped":
                report.skipped += 1
    return report


def claim_due(now: datetime, token: str, batch_size: int) -> list[int]:
    """Claim up to `batch_size` due reminders for `token`, commit, return their ids."""
    due = or_(
        and_(Reminder.status == "pending", Reminder.due_at <= now),
        and_(Reminder.status == "claimed", Reminder.claimed_at < now - CLAIM_LEASE),
    )
    picked = select(Reminder.id).where(due).order_by(Reminder.due_at).limit(batch_size)
    if db.engine.dialect.name == "postgresql":
        picked = picked.with_for_update(skip_locked=True)

    db.session.execute(
        update(Reminder)
        .where(Reminder.id.in_(picked.scalar_subquery()), due)
        .values(
            status="claimed",
            claimed_by=token,
            claimed_at=now,
            attempts=Reminder.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return list(
        db.session.scalars(
            select(Reminder.id)
            .where(Reminder.claimed_by == token, Reminder.status == "claimed")
            .order_by(Reminder.due_at, Reminder.id)
        )
    )


def renew_claim(reminder_id: int, token: str, moment: datetime) -> bool:
    """Extend the claim's lease; return False if another worker took it over."""
    result = db.session.execute(
        update(Reminder)
        .where(
            Reminder.id == reminder_id,
            Reminder.claimed_by == token,
            Reminder.status == "claimed",
        )
        .values(claimed_at=moment)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def finish_claim(reminder_id: int, token: str, values: dict[str, Any]) -> None:
    """Store the reminder's outcome if the claim is still this worker's."""
    db.session.execute(
        update(Reminder)
        .where(Reminder.id == reminder_id, Reminder.claimed_by == token)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


@dataclass
class Sender:
    """Delivery settings shared by the pushes of one run."""

    deliver: DeliverFunction
    sleep: Callable[[float], None]
    vapid_key: ec.EllipticCurvePrivateKey
    subject: str

    def push(self, subscription: PushSubscription, payload: dict[str, Any]) -> DeliveryResult:
        return self.deliver(
            subscription_json(subscription),
            payload,
            vapid_private_key=self.vapid_key,
            subject=self.subject,
            ttl=REMINDER_TTL_SECONDS,
            sleep=self.sleep,
        )


def subscription_json(subscription: PushSubscription) -> dict[str, Any]:
    return {
        "endpoint": subscription.endpoint,
        "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
    }


def send_claimed(reminder_id: int, token: str, moment: datetime, sender: Sender) -> str:
    """Send one claimed reminder to each of its user's subscriptions.

    Returns the status stored: `sent` when at least one phone got it, `skipped`
    when it is obsolete or the user has no subscription, `pending` when it will
    be tried again, `failed` when it will not, or `lost` when another worker
    took the claim over.
    """
    if not renew_claim(reminder_id, token, moment):
        log.warning("reminder %s: claim was taken over; not sending", reminder_id)
        return "lost"

    reminder = db.session.get(Reminder, reminder_id, populate_existing=True)
    payload, reason = build_payload(reminder)
    if payload is None:
        finish_claim(reminder_id, token, {"status": "skipped"})
        log.info("reminder %s skipped: %s", reminder_id, reason)
        return "skipped"

    subscriptions = db.session.scalars(
        select(PushSubscription)
        .where(PushSubscription.user_id == reminder.user_id)
        .order_by(PushSubscription.id)
    ).all()
    if not subscriptions:
        finish_claim(reminder_id, token, {"status": "skipped"})
        log.info("reminder %s skipped: user %s has no subscription", reminder_id, reminder.user_id)
        return "skipped"

    statuses = [
        push_to(sender, reminder, subscription, payload, moment)
        for subscription in subscriptions
    ]
    if "delivered" in statuses:
        values = {"status": "sent", "sent_at": moment}
    elif "failed" in statuses and reminder.attempts < MAX_REMINDER_ATTEMPTS:
        values = {"status": "pending", "due_at": moment + RETRY_DELAY}
    else:
        values = {"status": "failed"}
    finish_claim(reminder_id, token, values)
    return values["status"]


def push_to(
    sender: Sender,
    reminder: Reminder,
    subscription: PushSubscription,
    payload: dict[str, Any],
    moment: datetime,
) -> str:
    """Send one push; delete the subscription when the push service returns 404 or 410.

    Errors are logged and returned as `failed`, so one bad subscription never
    stops the run.
    """
    host = urlsplit(subscription.endpoint).hostname
    try:
        result = sender.push(subscription, {**payload, "reminder_id": reminder.id})
    except delivery.InvalidSubscriptionError as error:
        log.warning(
            "reminder %s: subscription %s is invalid (%s); deleting it",
            reminder.id, subscription.id, error,
        )
        db.session.delete(subscription)
        return "gone"
    except (DeliveryError, ValueError, OSError) as error:
        log.warning(
            "reminder %s: push to %s for user %s failed: %s",
            reminder.id, host, reminder.user_id, error,
        )
        return "failed"

    log.info(
        "reminder %s: push to %s for user %s %s (HTTP %s, %s attempts)",
        reminder.id, host, reminder.user_id, result.status,
        result.http_status, result.attempts,
    )
    if result.status == "gone":
        db.session.delete(subscription)
    elif result.status == "delivered":
        subscription.last_success_at = moment
    return result.status


def build_payload(reminder: Reminder) -> tuple[dict[str, Any] | None, str]:
    """Return the push payload, or None and the reason the reminder is obsolete."""
    if reminder.kind == "followup_due" and reminder.followup_id:
        followup = db.session.get(FollowUp, reminder.followup_id)
        if followup is None or followup.done or followup.deleted:
            return None, f"follow-up {reminder.followup_id} is done or deleted"

    if reminder.kind != "digest":
        return reminder.payload, ""

    folded = db.session.scalars(
        select(Reminder.payload)
        .where(Reminder.digest_id == reminder.id)
        .order_by(Reminder.due_at, Reminder.id)
    ).all()
    if not folded:
        return None, "the digest holds no reminders"
    return reminders.digest_payload(list(folded)), ""


def run_forever(
    app: Flask,
    interval: float = DEFAULT_INTERVAL_SECONDS,
    stop: threading.Event | None = None,
) -> None:
    """Call run_once every `interval` seconds until `stop` is set.

    An error in one run is logged, and the next run starts after the interval.
    """
    stop = stop or threading.Event()
    log.info("scheduler started, running every %s s", interval)
    while not stop.is_set():
        with app.app_context():
            try:
                report = run_once()
            except Exception:
                log.exception("scheduler run failed; retrying in %s s", interval)
                db.session.rollback()
            else:
                if report.sent or report.failed or report.planned:
                    log.info(
                        "scheduler run: %d planned, %d sent, %d failed, %d skipped",
                        report.planned, report.sent, report.failed, report.skipped,
                    )
            finally:
                db.session.remove()
        stop.wait(interval)
    log.info("scheduler stopped")


def start_background(app: Flask, interval: float = DEFAULT_INTERVAL_SECONDS) -> threading.Event:
    """Run the scheduler in a daemon thread of this process; set the event to stop."""
    stop = threading.Event()
    thread = threading.Thread(
        target=run_forever,
        args=(app, interval, stop),
        name="dealbook-scheduler",
        daemon=True,
    )
    thread.start()
    return stop

