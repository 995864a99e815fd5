"""The scheduler end to end: planning, real pywebpush, the test push service."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

from server.models import PushSubscription, Reminder, db
from server.scheduler import CLAIM_LEASE, claim_due
from tests.push_receiver import Reply

from .conftest import NOW, add_deal, add_followup, reminders_of

REPO = Path(__file__).resolve().parents[2]


def test_payload_names_deal_and_account(app, book, run, receiver, subscribe, quiet_hours_off):
    ana = book.members["ana"]
    phone = subscribe(ana)
    deal_id = add_deal(app, ana, title="Rack refresh", account="Acme Corp")
    followup_id = add_followup(app, ana, deal_id, NOW - timedelta(minutes=5))

    report = run()

    [push] = receiver.requests_for(phone)
    payload = push.payload
    assert report.sent == 1
    assert push.status == 201
    assert "Rack refresh" in payload["body"]
    assert "Acme Corp" in payload["body"]
    assert payload["deal_id"] == deal_id
    assert payload["followup_id"] == followup_id
    assert payload["url"] == f"/#/deal/{deal_id}"
    assert [a["title"] for a in payload["actions"]] == ["Done", "Snooze 1 day"]
    assert reminders_of(app)[0].status == "sent"


def test_followup_reminded_once(app, book, run, receiver, subscribe, quiet_hours_off):
    ana = book.members["ana"]
    phone = subscribe(ana)
    deal_id = add_deal(app, ana)
    add_followup(app, ana, deal_id, NOW - timedelta(minutes=5))

    run()
    run(NOW + timedelta(minutes=1))

    assert len(receiver.requests_for(phone)) == 1


def test_future_followup_waits(app, book, run, receiver, subscribe, quiet_hours_off):
    ana = book.members["ana"]
    phone = subscribe(ana)
    add_followup(app, ana, add_deal(app, ana), NOW + timedelta(hours=2))

    run()
    waiting = len(receiver.requests_for(phone))
    run(NOW + timedelta(hours=2))

    assert waiting == 0
    assert len(receiver.requests_for(phone)) == 1


def test_done_followup_not_sent(app, book, run, receiver, subscribe, quiet_hours_off):
    from server.models import FollowUp

    ana = book.members["ana"]
    phone = subscribe(ana)
    followup_id = add_followup(app, ana, add_deal(app, ana), NOW + timedelta(hours=1))
    run()
    with app.app_context():
        db.session.get(FollowUp, followup_id).done = True
        db.session.commit()

    run(NOW + timedelta(hours=1))

    assert receiver.requests_for(phone) == []
    assert reminders_of(app)[0].status == "skipped"


def test_dead_subscription_deleted_loop_goes_on(
    app, book, run, receiver, subscribe, quiet_hours_off
):
    """Two phones, one gets 410 from its push service: that subscription is
    deleted, and the other phone and the next rep still get their reminders."""
    ana, ben = book.members["ana"], book.members["ben"]
    expired, working = subscribe(ana), subscribe(ana)
    bens_phone = subscribe(ben)
    receiver.script(expired, 410)
    add_followup(app, ana, add_deal(app, ana), NOW - timedelta(minutes=2))
    add_followup(app, ben, add_deal(app, ben, title="Fleet"), NOW - timedelta(minutes=1))

    report = run()

    assert [r.status for r in receiver.requests_for(expired)] == [410]
    assert [r.status for r in receiver.requests_for(working)] == [201]
    assert [r.status for r in receiver.requests_for(bens_phone)] == [201]
    assert report.sent == 2
    with app.app_context():
        endpoints = set(db.session.scalars(db.select(PushSubscription.endpoint)))
    assert expired["endpoint"] not in endpoints
    assert working["endpoint"] in endpoints


def test_failing_rep_does_not_stop_next(app, book, run, receiver, subscribe, quiet_hours_off):
    ana, ben = book.members["ana"], book.members["ben"]
    broken = subscribe(ana)
    bens_phone = subscribe(ben)
    receiver.script(broken, 400)
    add_followup(app, ana, add_deal(app, ana), NOW - timedelta(minutes=2))
    add_followup(app, ben, add_deal(app, ben), NOW - timedelta(minutes=1))

    report = run()

    assert [r.status for r in receiver.requests_for(bens_phone)] == [201]
    assert report.sent == 1
    assert report.failed == 1


def test_429_and_500_retried(app, book, run, receiver, subscribe, sleeps, quiet_hours_off):
    ana = book.members["ana"]
    phone = subscribe(ana)
    receiver.script(phone, Reply(429, retry_after="7"), 500)
    add_followup(app, ana, add_deal(app, ana), NOW - timedelta(minutes=1))

    report = run()

    assert [r.status for r in receiver.requests_for(phone)] == [429, 500, 201]
    assert sleeps == [7.0, 2.0]
    assert report.sent == 1


def test_transient_failure_tried_again_later(
    app, book, run, receiver, subscribe, quiet_hours_off
):
    ana = book.members["ana"]
    phone = subscribe(ana)
    receiver.script(phone, 503, 503, 503, 503)
    add_followup(app, ana, add_deal(app, ana), NOW - timedelta(minutes=1))

    run()
    [reminder] = reminders_of(app)
    run(reminder.due_at)

    assert reminder.status == "pending"
    assert [r.status for r in receiver.requests_for(phone)] == [503] * 4 + [201]
    assert reminders_of(app)[0].status == "sent"


def test_quiet_hours_delay_send(app, book, run, receiver, subscribe):
    ana = book.members["ana"]
    phone = subscribe(ana)
    night = datetime(2027, 6, 9, 23, 30)
    add_followup(app, ana, add_deal(app, ana), night)

    run(night)
    at_night = len(receiver.requests_for(phone))
    run(datetime(2027, 6, 10, 7, 0))

    assert at_night == 0
    assert len(receiver.requests_for(phone)) == 1
    assert reminders_of(app)[0].due_at == datetime(2027, 6, 10, 7, 0)


def test_digest_when_several_due(app, book, run, receiver, subscribe):
    ana = book.members["ana"]
    phone = subscribe(ana)
    evening = datetime(2027, 6, 9, 20, 0)
    for hour, title in ((21, "Alpha"), (23, "Beta"), (5, "Gamma")):
        due = evening.replace(hour=hour) + timedelta(days=hour < 12)
        add_followup(app, ana, add_deal(app, ana, title=title), due)

    run(evening)
    for hour in (21, 23):
        run(evening.replace(hour=hour))
    before_digest = len(receiver.requests_for(phone))
    run(datetime(2027, 6, 10, 8, 0))

    [push] = receiver.requests_for(phone)
    assert before_digest == 0
    assert push.payload["type"] == "digest"
    assert push.payload["title"] == "3 reminders"
    for title in ("Alpha", "Beta", "Gamma"):
        assert title in push.payload["body"]
    [digest] = reminders_of(app, kind="digest")
    assert digest.due_at == datetime(2027, 6, 10, 8, 0)
    assert len(reminders_of(app, digest_id=digest.id, status="skipped")) == 3


def test_two_due_are_not_a_digest(app, book, run, receiver, subscribe):
    ana = book.members["ana"]
    phone = subscribe(ana)
    evening = datetime(2027, 6, 9, 20, 0)
    add_followup(app, ana, add_deal(app, ana), evening + timedelta(hours=1))
    add_followup(app, ana, add_deal(app, ana), evening + timedelta(hours=1, minutes=30))

    run(evening + timedelta(hours=2))

    assert len(receiver.requests_for(phone)) == 2
    assert reminders_of(app, kind="digest") == []


def rotting_deal(app, member, **values) -> str:
    """A proposal (limit 10 days) untouched for 12 days."""
    from server.models import StageEvent

    deal_id = add_deal(app, member, age=timedelta(days=40), **values)
    with app.app_context():
        db.session.add(
            StageEvent(
                team_id=member.team_id,
                deal_id=deal_id,
                stage="proposal",
                entered_at=NOW - timedelta(days=12),
            )
        )
        db.session.commit()
    return deal_id


def test_rotting_fires_once(app, book, run, receiver, subscribe, quiet_hours_off):
    ana = book.members["ana"]
    phone = subscribe(ana)
    deal_id = rotting_deal(app, ana)

    for hours in (0, 1, 30):
        run(NOW + timedelta(hours=hours))

    [push] = receiver.requests_for(phone)
    assert push.payload["kind"] == "deal_rotting"
    assert push.payload["deal_id"] == deal_id
    assert len(reminders_of(app, kind="deal_rotting")) == 1


def test_rotting_fires_again_after_new_spell(app, book, run, receiver, subscribe, quiet_hours_off):
    from server.models import Note

    ana = book.members["ana"]
    phone = subscribe(ana)
    deal_id = rotting_deal(app, ana)
    run()
    with app.app_context():
        db.session.add(
            Note(team_id=ana.team_id, deal_id=deal_id, body="Called",
                 created_at=NOW + timedelta(days=1), updated_at=NOW + timedelta(days=1))
        )
        db.session.commit()

    run(NOW + timedelta(days=5))
    run(NOW + timedelta(days=12))

    assert len(receiver.requests_for(phone)) == 2


def test_rotting_not_with_future_followup(app, book, run, receiver, subscribe, quiet_hours_off):
    ana = book.members["ana"]
    phone = subscribe(ana)
    deal_id = rotting_deal(app, ana)
    add_followup(app, ana, deal_id, NOW + timedelta(days=3))

    run()

    assert receiver.requests_for(phone) == []
    assert reminders_of(app, kind="deal_rotting") == []


def test_rotting_limit_from_team_settings(app, book, run, receiver, subscribe, quiet_hours_off):
    from server.models import Team

    ana = book.members["ana"]
    subscribe(ana)
    rotting_deal(app, ana)
    with app.app_context():
        team = db.session.get(Team, ana.team_id)
        team.settings = {"rotting_days": {"proposal": 20}}
        db.session.commit()

    run()

    assert reminders_of(app, kind="deal_rotting") == []


def test_no_first_contact_fires_once(app, book, run, receiver, subscribe, quiet_hours_off):
    ana = book.members["ana"]
    phone = subscribe(ana)
    deal_id = add_deal(app, ana, stage="prospecting", title="New lead", age=timedelta(hours=49))
    add_deal(app, ana, stage="prospecting", title="Fresh lead", age=timedelta(hours=10))

    for hours in (0, 1, 24):
        run(NOW + timedelta(hours=hours))

    kinds = Counter(r.payload["kind"] for r in receiver.requests_for(phone))
    [reminder] = reminders_of(app, kind="no_first_contact", deal_id=deal_id)
    assert reminder.status == "sent"
    assert kinds["no_first_contact"] == 1
    assert len(reminders_of(app, kind="no_first_contact")) == 1


def test_stale_claim_reclaimed_once(app, book, run, receiver, subscribe, quiet_hours_off):
    """A process claims a reminder and crashes; after the lease another sends it."""
    ana = book.members["ana"]
    phone = subscribe(ana)
    add_followup(app, ana, add_deal(app, ana), NOW - timedelta(minutes=1))
    with app.app_context():
        from server.reminders import plan_reminders

        plan_reminders(NOW)
        db.session.commit()
        crashed = claim_due(NOW, "crashed-worker:1", 10)

    run(NOW + CLAIM_LEASE - timedelta(minutes=1))
    within_lease = len(receiver.requests_for(phone))
    run(NOW + CLAIM_LEASE + timedelta(minutes=1))
    run(NOW + 3 * CLAIM_LEASE)

    assert len(crashed) == 1
    assert within_lease == 0
    assert len(receiver.requests_for(phone)) == 1
    [reminder] = reminders_of(app)
    assert reminder.status == "sent"
    assert reminder.attempts == 2


def test_two_processes_send_each_once(app, book, receiver, tmp_path):
    """Two scheduler processes on one database deliver 200 reminders once each."""
    from server.api.push import load_or_create_vapid_key
    from server.models import Team, User

    load_or_create_vapid_key(app.instance_path)
    count = 200
    with app.app_context():
        team = db.session.get(Team, book.members["ana"].team_id)
        for index in range(20):
            user = User(team_id=team.id, email=f"rep{index}@example.com", name=f"Rep {index}")
            db.session.add(user)
            db.session.flush()
            subscription = receiver.new_subscription()
            db.session.add(
                PushSubscription(
                    user_id=user.id,
                    endpoint=subscription["endpoint"],
                    p256dh=subscription["keys"]["p256dh"],
                    auth=subscription["keys"]["auth"],
                )
            )
            for number in range(count // 20):
                db.session.add(
                    Reminder(
                        team_id=team.id,
                        user_id=user.id,
                        kind="followup_due",
                        # Due long enough ago that no digest window is still open.
                        due_at=NOW - timedelta(hours=13, minutes=number),
                        dedupe_key=f"load:{index}:{number}",
                        payload={"title": f"{index}-{number}"},
                    )
                )
        db.session.commit()
        url = db.engine.url.render_as_string(hide_password=False)

    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [
        sys.executable, "-m", "tests.reminders.scheduler_process",
        url, app.instance_path, NOW.isoformat(),
    ]
    workers = [
        subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    reports = [json.loads(worker.communicate(timeout=240)[0]) for worker in workers]

    delivered = Counter(r.payload["reminder_id"] for r in receiver.received)
    assert [worker.returncode for worker in workers] == [0, 0]
    assert len(delivered) == count
    assert set(delivered.values()) == {1}
    assert sum(report["sent"] for report in reports) == count
    assert all(report["sent"] > 0 for report in reports), reports
    assert {r.status for r in reminders_of(app)} == {"sent"}


def test_parked_deal_does_not_rot_and_checks_in_once(
    app, book, run, receiver, subscribe, quiet_hours_off
):
    ana = book.members["ana"]
    phone = subscribe(ana)
    parked_until = (NOW + timedelta(days=90)).date()
    deal_id = rotting_deal(app, ana, parked_until=parked_until)

    run()
    run(NOW + timedelta(days=89))
    assert receiver.requests_for(phone) == []

    run(NOW + timedelta(days=90, hours=1))
    run(NOW + timedelta(days=91))

    kinds = [push.payload["kind"] for push in receiver.requests_for(phone)]
    assert kinds[0] == "park_checkin"
    assert kinds.count("park_checkin") == 1
    assert receiver.requests_for(phone)[0].payload["deal_id"] == deal_id


def test_rotting_limit_from_team_pipeline(app, book, run, receiver, subscribe, quiet_hours_off):
    from server.models import Team
    from server.pipelines import default_pipelines, store_pipelines

    ana = book.members["ana"]
    phone = subscribe(ana)
    with app.app_context():
        pipelines = default_pipelines()
        pipelines[0]["stages"][4]["rotting_days"] = 30
        store_pipelines(db.session.get(Team, ana.team_id), pipelines)
        db.session.commit()
    rotting_deal(app, ana)

    run()

    assert receiver.requests_for(phone) == []
