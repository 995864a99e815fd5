"""Fixtures for reminder tests: the test push service and a small book."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.push_receiver import PushReceiver

# A fixed clock for planning: Wednesday 2027-06-09 12:00 UTC.
NOW = datetime(2027, 6, 9, 12, 0)


@pytest.fixture
def receiver():
    with PushReceiver() as running:
        yield running


@pytest.fixture
def sleeps() -> list[float]:
    """Delays that deliver() requested, recorded instead of slept."""
    return []


@pytest.fixture
def run(app, sleeps):
    """Run the scheduler once at `now` in the app, skipping delivery waits."""
    from server.scheduler import run_once

    def run(now: datetime = NOW, **options):
        with app.app_context():
            return run_once(now, sleep=sleeps.append, **options)

    return run


@pytest.fixture
def subscribe(client, receiver):
    """Subscribe a member's new phone through the API; return its subscription."""

    def subscribe(member) -> dict:
        subscription = receiver.new_subscription()
        response = client.post(
            "/api/push/subscriptions", json=subscription, headers=member.headers
        )
        assert response.status_code == 201, response.get_json()
        return subscription

    return subscribe


@pytest.fixture
def quiet_hours_off(app, book):
    """Turn quiet hours off for every member, so sends happen at the due time."""
    from server.models import User, db

    with app.app_context():
        for user in db.session.scalars(db.select(User)):
            user.settings = {"quiet_hours_start": None, "quiet_hours_end": None}
        db.session.commit()


def add_deal(app, member, *, title="Rack refresh", account="Acme Corp",
             stage="proposal", age=timedelta(days=2), **values) -> str:
    """Add an account and an open deal owned by `member`; return the deal id."""
    from server.models import Account, Deal, db

    created = NOW - age
    with app.app_context():
        account_row = Account(team_id=member.team_id, name=account)
        db.session.add(account_row)
        db.session.flush()
        deal = Deal(
            team_id=member.team_id,
            title=title,
            account_id=account_row.id,
            stage=stage,
            owner_id=member.id,
            created_at=created,
            updated_at=created,
            **values,
        )
        db.session.add(deal)
        db.session.commit()
        return deal.id


def add_followup(app, member, deal_id, due_at, **values) -> str:
    from server.models import FollowUp, db

    with app.app_context():
        followup = FollowUp(
            team_id=member.team_id,
            deal_id=deal_id,
            assignee_id=member.id,
            due_at=due_at,
            created_at=due_at - timedelta(days=3),
            updated_at=due_at - timedelta(days=3),
            **values,
        )
        db.session.add(followup)
        db.session.commit()
        return followup.id


def reminders_of(app, **where) -> list:
    from server.models import Reminder, db

    with app.app_context():
        query = db.select(Reminder).filter_by(**where).order_by(Reminder.id)
        rows = db.session.scalars(query).all()
        db.session.expunge_all()
        return rows
