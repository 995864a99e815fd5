"""Replayed sync failures of real offline apps, checked at the API."""

from __future__ import annotations

from server.models import Conflict, Deal, FieldHistory, Note, db
from tests.server.helpers import Phone, new_id

DAY_MS = 24 * 3600 * 1000


def team_phones(client, book):
    ana = Phone(client, book.members["ana"], "ana-phone")
    ben = Phone(client, book.members["ben"], "ben-phone")
    return ana, ben


def shared_deal(ana: Phone, ben: Phone, **fields) -> str:
    deal_id = new_id()
    ana.edit("deal", deal_id, title="Edge gateways", stage="prospecting", **fields)
    ana.sync()
    ben.sync()
    return deal_id


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(model))


def test_lost_response_retry_leaves_one_note(app, client, book):
    ana, ben = team_phones(client, book)
    deal_id = shared_deal(ana, ben)
    ana.edit("note", new_id(), deal_id=deal_id, body="Met the buyer in the car park")
    lost = list(ana.outbox)
    client.post(
        "/api/sync",
        json={"protocol": 1, "device_id": ana.device, "mutations": lost},
        headers=ana.member.headers,
    )

    results = ana.sync()["all_results"]
    ben.sync()

    assert results[0]["status"] == "duplicate"
    assert count(app, Note) == 1
    notes = [r for (entity, _), r in ben.records.items() if entity == "note"]
    assert len(notes) == 1


def test_queued_stage_moves_end_in_last_stage_in_any_order(app, client, book):
    ana, ben = team_phones(client, book)
    deal_id = shared_deal(ana, ben)
    ana.edit("deal", deal_id, stage="qualification")
    ana.edit("deal", deal_id, stage="proposal")
    ana.edit("deal", deal_id, value=15000)
    first, second, third = ana.outbox
    ana.outbox = [third]
    ana.sync()
    ana.outbox = [second, first]
    ana.sync()

    fields = ana.fields("deal", deal_id)
    assert fields["stage"] == "proposal"
    assert fields["value"] == 15000


def test_edit_on_deleted_deal_is_kept_not_applied(app, client, book):
    ana, ben = team_phones(client, book)
    deal_id = shared_deal(ana, ben, value=5000)
    ana.edit("deal", deal_id, deleted=True)
    ana.sync()

    ben.edit("deal", deal_id, value=7000)
    result = ben.sync()["all_results"][0]

    assert result["status"] == "deleted"
    assert ben.fields("deal", deal_id)["deleted"] is True
    assert ben.fields("deal", deal_id)["value"] == 5000
    with app.app_context():
        kept = db.session.scalars(
            db.select(FieldHistory).where(FieldHistory.record_id == deal_id)
        ).all()
        assert any(h.value == 7000 and h.reason == "edit_on_deleted" for h in kept)

    ben.edit("deal", deal_id, deleted=False, value=7000)
    ben.sync()
    ana.sync()
    assert ana.fields("deal", deal_id)["deleted"] is False
    assert ana.fields("deal", deal_id)["value"] == 7000


def test_two_reps_two_fields_both_survive(app, client, book):
    ana, ben = team_phones(client, book)
    deal_id = shared_deal(ana, ben)
    ana.edit("deal", deal_id, stage="negotiation")
    ben.edit("deal", deal_id, expected_close="2027-03-31")

    ana.sync()
    ben.sync()
    ana.sync()

    for phone in (ana, ben):
        fields = phone.fields("deal", deal_id)
        assert fields["stage"] == "negotiation"
        assert fields["expected_close"] == "2027-03-31"
    assert count(app, Conflict) == 0


def test_concurrent_note_edits_keep_both_texts(app, client, book):
    ana, ben = team_phones(client, book)
    deal_id = shared_deal(ana, ben)
    note_id = new_id()
    ana.edit("note", note_id, deal_id=deal_id, body="Budget approved")
    ana.sync()
    ben.sync()
    ana.edit("note", note_id, body="Budget approved for Q3")
    ben.edit("note", note_id, body="Budget approved, needs CFO sign-off")

    ana.sync()
    ben.sync()
    ana.sync()

    conflicts = [r for (e, _), r in ana.records.items() if e == "conflict"]
    assert len(conflicts) == 1
    texts = {conflicts[0]["fields"]["kept"], conflicts[0]["fields"]["other"]}
    assert texts == {"Budget approved for Q3", "Budget approved, needs CFO sign-off"}
    assert ana.fields("note", note_id)["body"] == conflicts[0]["fields"]["kept"]
    assert ben.fields("note", note_id) == ana.fields("note", note_id)

    ben.edit("note", note_id, body="Budget approved for Q3; needs CFO sign-off")
    ben.edit("conflict", conflicts[0]["id"], resolved=True)
    ben.sync()
    ana.sync()
    assert ana.fields("note", note_id)["body"].endswith("needs CFO sign-off")
    assert ana.fields("conflict", conflicts[0]["id"])["resolved"] is True


def test_fast_clock_does_not_beat_later_teammate_edit(app, client, book):
    ana, ben = team_phones(client, book)
    deal_id = shared_deal(ana, ben)
    server_now = ana.clock_ms + 10_000
    app.config["DEALBOOK_CLOCK_MS"] = lambda: server_now
    ana.clock_ms = server_now + DAY_MS
    ana.edit("deal", deal_id, title="Edge gateways (a day fast)")
    ben.clock_ms = server_now + 5_000
    ben.edit("deal", deal_id, title="Edge gateways, 40 units")

    ben.sync()
    ana.sync()
    ben.sync()

    assert ana.fields("deal", deal_id)["title"] == "Edge gateways, 40 units"
    assert ben.fields("deal", deal_id)["title"] == "Edge gateways, 40 units"
    with app.app_context():
        lost = db.session.scalars(
            db.select(FieldHistory.value).where(FieldHistory.record_id == deal_id)
        ).all()
        assert "Edge gateways (a day fast)" in lost


def test_server_rows_match_every_phone_after_two_syncs(app, client, book):
    ana, ben = team_phones(client, book)
    deal_id = shared_deal(ana, ben, value=100)
    ana.edit("deal", deal_id, value=200, stage="proposal")
    ben.edit("deal", deal_id, value=300, title="Renamed")
    for _ in range(2):
        ana.sync()
        ben.sync()

    assert ana.records[("deal", deal_id)] == ben.records[("deal", deal_id)]
    with app.app_context():
        row = db.session.get(Deal, deal_id)
        assert float(row.value) == ana.fields("deal", deal_id)["value"]
        assert row.title == "Renamed"
        assert row.stage == "proposal"
