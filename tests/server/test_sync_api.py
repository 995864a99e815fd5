"""The sync round trip over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from tests.server.helpers import Phone, new_id


def make_deal(phone: Phone, **fields) -> str:
    deal_id = new_id()
    phone.edit("deal", deal_id, title="Rack refresh", stage="prospecting", **fields)
    return deal_id


def test_created_deal_reaches_teammate(client, book):
    ana = Phone(client, book.members["ana"], "ana-phone")
    ben = Phone(client, book.members["ben"], "ben-phone")
    deal_id = make_deal(ana, value=12000)

    body = ana.sync()
    assert body["all_results"][0]["status"] == "applied"
    ben.sync()

    fields = ben.fields("deal", deal_id)
    assert fields["title"] == "Rack refresh"
    assert fields["value"] == 12000
    assert fields["status"] == "open"
    assert fields["currency"] == "USD"


def test_resent_mutation_applies_once(client, book):
    ana = Phone(client, book.members["ana"], "ana-phone")
    deal_id = make_deal(ana)
    ana.sync()
    note_id = new_id()
    note = ana.edit("note", note_id, deal_id=deal_id, body="Met the CIO")
    ana.sync()

    ana.outbox.append(note)
    body = ana.sync()

    result = body["all_results"][0]
    assert result["status"] == "duplicate"
    assert result["first_status"] == "applied"
    with client.application.app_context():
        from server.models import Note, db

        assert db.session.scalar(db.select(db.func.count()).select_from(Note)) == 1


def test_invalid_mutation_is_reported_and_rest_apply(client, book):
    ana = Phone(client, book.members["ana"], "ana-phone")
    deal_id = make_deal(ana)
    ana.sync()
    ana.edit("deal", deal_id, value="12,000 dollars")
    ana.edit("deal", deal_id, stage="proposal")
    ana.edit("deal", deal_id, stage="won-already")

    results = ana.sync()["all_results"]

    assert [r["status"] for r in results] == ["rejected", "applied", "rejected"]
    assert "'12,000 dollars'" in results[0]["errors"]["value"][0]
    assert "'won-already'" in results[2]["errors"]["stage"][0]
    assert ana.fields("deal", deal_id)["stage"] == "proposal"


def test_mutation_outside_team_is_rejected(client, book):
    ana = Phone(client, book.members["ana"], "ana-phone")
    sia = Phone(client, book.members["sia"], "sia-phone")
    deal_id = make_deal(ana)
    ana.sync()

    sia.edit("deal", deal_id, title="Taken over")
    result = sia.sync()["all_results"][0]

    assert result["status"] == "rejected"
    assert "another team" in result["errors"]["record_id"][0]
    assert ("deal", deal_id) not in sia.records
    ana.sync()
    assert ana.fields("deal", deal_id)["title"] == "Rack refresh"


def test_reference_to_other_team_is_rejected(client, book):
    ana = Phone(client, book.members["ana"], "ana-phone")
    deal_id = make_deal(ana, owner_id=book.members["sia"].id)

    result = ana.sync()["all_results"][0]

    assert result["status"] == "rejected"
    assert book.members["sia"].id in result["errors"]["owner_id"][0]


def test_pull_pages_resume_from_cursor(client, book):
    ana = Phone(client, book.members["ana"], "ana-phone")
    ids = [make_deal(ana) for _ in range(7)]
    ana.sync()
    ben = Phone(client, book.members["ben"], "ben-phone")

    ben.sync(limit=3)

    assert {r[1] for r in ben.records} == set(ids)


def test_unknown_cursor_gets_reset(client, book):
    ana = Phone(client, book.members["ana"], "ana-phone")
    deal_id = make_deal(ana)
    ana.sync()
    ana.cursor = "someotherepoch:3"

    body = ana.sync()

    assert body["reset"] is True
    assert ("deal", deal_id) in ana.records


def test_old_protocol_is_answered_409(client, book):
    response = client.post(
        "/api/sync",
        json={"protocol": 0, "device_id": "d1", "cursor": None, "mutations": []},
        headers=book.members["ana"].headers,
    )

    assert response.status_code == 409
    assert response.get_json()["error"] == "protocol_unsupported"
    assert "update the app" in response.get_json()["message"]


def test_oversized_batch_is_rejected_with_limit(client, book):
    ana = Phone(client, book.members["ana"], "ana-phone")
    for _ in range(501):
        make_deal(ana)

    response = client.post(
        "/api/sync",
        json={"protocol": 1, "device_id": "d1", "mutations": ana.outbox},
        headers=book.members["ana"].headers,
    )

    assert response.status_code == 400
    assert "at most 500" in response.get_json()["message"]


def test_sync_without_token_is_401(client, book):
    response = client.post("/api/sync", json={"protocol": 1, "device_id": "d1"})

    assert response.status_code == 401
    assert response.get_json()["error"] == "missing_token"


def test_malformed_request_names_field(client, book):
    response = client.post(
        "/api/sync",
        json={"protocol": 1, "device_id": "bad id!", "mutations": []},
        headers=book.members["ana"].headers,
    )

    assert response.status_code == 400
    assert "device_id" in response.get_json()["message"]


def test_bant_checklist_and_probability_sync(client, book):
    from server.entities import lead_score

    ana = Phone(client, book.members["ana"], "ana-phone")
    deal_id = make_deal(ana, bant_budget=True, bant_need=True, probability=35)
    ana.edit("deal", deal_id, probability=150)

    results = ana.sync()["all_results"]

    assert [r["status"] for r in results] == ["applied", "rejected"]
    assert "150" in results[1]["errors"]["probability"][0]
    fields = ana.fields("deal", deal_id)
    assert fields["probability"] == 35
    assert fields["pipeline"] == "default"
    assert lead_score(fields) == 50


def test_deleted_record_pulls_as_deleted(client, book):
    ana = Phone(client, book.members["ana"], "ana-phone")
    ben = Phone(client, book.members["ben"], "ben-phone")
    deal_id = make_deal(ana, value=12000)
    ana.sync()
    ben.sync()
    assert ben.records[("deal", deal_id)]["deleted"] is False

    ana.edit("deal", deal_id, deleted=True)
    ana.sync()
    ben.sync()

    record = ben.records[("deal", deal_id)]
    assert record["deleted"] is True
    assert record["fields"]["deleted"] is True


def test_device_id_of_another_user_is_rejected(client, book):
    ana = Phone(client, book.members["ana"], "shared-device")
    make_deal(ana)
    ana.sync()
    ben = Phone(client, book.members["ben"], "shared-device")
    make_deal(ben)

    response = client.post(
        "/api/sync",
        json={"protocol": 1, "device_id": "shared-device", "mutations": ben.outbox},
        headers=book.members["ben"].headers,
    )

    assert response.status_code == 409
    assert response.get_json()["error"] == "device_taken"
    assert "'shared-device'" in response.get_json()["message"]


def test_value_finer_than_cents_is_rejected(client, book):
    ana = Phone(client, book.members["ana"], "ana-phone")
    deal_id = make_deal(ana, value=10.5)
    ana.edit("deal", deal_id, value=0.001)

    results = ana.sync()["all_results"]

    assert [r["status"] for r in results] == ["applied", "rejected"]
    assert "0.001" in results[1]["errors"]["value"][0]
    assert "decimal places" in results[1]["errors"]["value"][0]
    assert ana.fields("deal", deal_id)["value"] == 10.5


def test_unknown_pipeline_is_rejected(client, book):
    ana = Phone(client, book.members["ana"], "ana-phone")
    deal_id = make_deal(ana)
    ana.edit("deal", deal_id, pipeline="nope")

    results = ana.sync()["all_results"]

    assert [r["status"] for r in results] == ["applied", "rejected"]
    assert "'nope'" in results[1]["errors"]["pipeline"][0]
    assert "default" in results[1]["errors"]["pipeline"][0]


def test_oversized_body_is_413_with_reason(client, book):
    body = b'{"protocol": 1, "device_id": "d1", "mutations": [' + b" " * (17 * 1024 * 1024) + b"]}"

    response = client.post(
        "/api/sync",
        data=body,
        content_type="application/json",
        headers=book.members["ana"].headers,
    )

    assert response.status_code == 413
    assert response.get_json()["error"] == "request_entity_too_large"
    assert "16 MiB" in response.get_json()["message"]
