"""Team rules: CRUD for managers, and actions when a synced deal change lands."""

from __future__ import annotations

from server.models import FieldHistory, FollowUp, Reminder, db
from tests.server.helpers import Phone, new_id


def create_rule(client, member, **rule):
    return client.post("/api/rules", json=rule, headers=member.headers)


def test_rep_cannot_create_rule(client, book):
    response = create_rule(
        client, book.members["ana"], trigger="deal_won", action="notify_owner"
    )

    assert response.status_code == 403
    assert "Only a manager" in response.get_json()["message"]


def test_manager_creates_lists_and_disables(client, book):
    max_, ana = book.members["max"], book.members["ana"]

    created = create_rule(
        client, max_, trigger="stage_entered", trigger_params={"stage": "proposal"},
        action="create_followup", action_params={"due_in_days": 2},
    )
    rule_id = created.get_json()["id"]
    disabled = client.patch(f"/api/rules/{rule_id}", json={"enabled": False}, headers=max_.headers)
    by_rep = client.patch(f"/api/rules/{rule_id}", json={"enabled": True}, headers=ana.headers)
    listed = client.get("/api/rules", headers=ana.headers).get_json()["rules"]

    assert created.status_code == 201
    assert disabled.status_code == 200
    assert by_rep.status_code == 403
    assert [(r["id"], r["enabled"]) for r in listed] == [(rule_id, False)]
    assert listed[0]["action_params"] == {"due_in_days": 2}


def test_rule_errors_name_value(client, book):
    max_ = book.members["max"]

    bad_stage = create_rule(
        client, max_, trigger="stage_entered", trigger_params={"stage": "won"},
        action="create_followup",
    )
    bad_trigger = create_rule(client, max_, trigger="deal_lost", action="notify_owner")

    assert bad_stage.status_code == 400
    assert "'won'" in bad_stage.get_json()["message"]
    assert bad_trigger.status_code == 400
    assert "trigger" in bad_trigger.get_json()["fields"]


def test_stage_entered_creates_one_followup(client, book, app):
    max_, ana = book.members["max"], book.members["ana"]
    rule = create_rule(
        client, max_, trigger="stage_entered", trigger_params={"stage": "proposal"},
        action="create_followup", action_params={"due_in_days": 3},
    ).get_json()
    phone = Phone(client, ana, "ana-phone")
    deal_id = new_id()
    phone.edit("deal", deal_id, title="Rack refresh", stage="qualification", owner_id=ana.id)
    phone.sync()

    moved = phone.edit("deal", deal_id, stage="proposal")
    phone.sync()
    # The phone lost the response and sends the same mutation again.
    phone.outbox.append(moved)
    again = phone.sync()

    assert again["all_results"][0]["status"] == "duplicate"
    with app.app_context():
        followups = db.session.scalars(db.select(FollowUp).filter_by(deal_id=deal_id)).all()
        history = db.session.scalars(
            db.select(FieldHistory).filter_by(record_id=deal_id, reason=f"rule:{rule['id']}")
        ).all()
    assert len(followups) == 1
    assert followups[0].assignee_id == ana.id
    assert followups[0].meta["due_at"]["dev"] == "server"
    assert len(history) == 1
    assert history[0].value["followup_id"] == followups[0].id
    pulled = [key for key in phone.records if key == ("followup", followups[0].id)]
    assert pulled == [("followup", followups[0].id)]


def test_disabled_rule_does_nothing(client, book, app):
    max_, ana = book.members["max"], book.members["ana"]
    rule = create_rule(
        client, max_, trigger="stage_entered", trigger_params={"stage": "proposal"},
        action="create_followup",
    ).get_json()
    client.patch(f"/api/rules/{rule['id']}", json={"enabled": False}, headers=max_.headers)
    phone = Phone(client, ana, "ana-phone")

    phone.edit("deal", new_id(), title="Rack refresh", stage="proposal", owner_id=ana.id)
    phone.sync()

    with app.app_context():
        assert db.session.scalars(db.select(FollowUp)).all() == []


def test_deal_won_notifies_manager(client, book, app, receiver, subscribe, run):
    max_, ana = book.members["max"], book.members["ana"]
    create_rule(client, max_, trigger="deal_won", action="notify_manager_and_checkin",
                action_params={"checkin_days": 45})
    managers_phone = subscribe(max_)
    phone = Phone(client, ana, "ana-phone")
    deal_id = new_id()
    phone.edit("deal", deal_id, title="Rack refresh", stage="closing", owner_id=ana.id)
    phone.sync()

    phone.edit("deal", deal_id, status="won")
    phone.sync()
    with app.app_context():
        [notice] = db.session.scalars(db.select(Reminder).filter_by(kind="rule")).all()
        [checkin] = db.session.scalars(db.select(Reminder).filter_by(kind="park_checkin")).all()
        notice_due, notice_user = notice.due_at, notice.user_id
        checkin_user, checkin_wait = checkin.user_id, checkin.due_at - notice.due_at
    run(notice_due)

    [push] = receiver.requests_for(managers_phone)
    assert notice_user == max_.id
    assert push.payload["deal_id"] == deal_id
    assert "Rack refresh" in push.payload["body"]
    assert checkin_user == ana.id
    assert checkin_wait.days >= 44


def test_lead_score_rule_notifies_owner_once(client, book, app):
    max_, ana = book.members["max"], book.members["ana"]
    rule = create_rule(
        client, max_, trigger="lead_score_reached", trigger_params={"score": 75},
        action="notify_owner",
    ).get_json()
    phone = Phone(client, ana, "ana-phone")
    deal_id = new_id()
    phone.edit("deal", deal_id, title="Rack refresh", stage="qualification",
               owner_id=ana.id, bant_budget=True, bant_need=True)
    phone.sync()
    below = count_rule_runs(app, deal_id, rule["id"])

    phone.edit("deal", deal_id, bant_authority=True)
    phone.sync()
    phone.edit("deal", deal_id, bant_timing=True)
    phone.sync()

    assert below == 0
    assert count_rule_runs(app, deal_id, rule["id"]) == 1
    with app.app_context():
        reminders = db.session.scalars(db.select(Reminder).filter_by(deal_id=deal_id)).all()
    assert [(r.user_id, r.kind) for r in reminders] == [(ana.id, "rule")]


def count_rule_runs(app, deal_id: str, rule_id: str) -> int:
    with app.app_context():
        return len(
            db.session.scalars(
                db.select(FieldHistory).filter_by(record_id=deal_id, reason=f"rule:{rule_id}")
            ).all()
        )
