"""Hostile or careless clients: every bad value gets a 4xx or a rejected result.

Each test sends what a broken or malicious client could send and checks that
the server neither returns 500 nor writes any of it, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import io
import itertools

from tests.server.helpers import new_id

_wall = itertools.count(1_700_000_000_001)


def stamp(device: str = "dev-a") -> str:
    return f"{next(_wall):016d}-0000-{device}"


def mutation(mid: str, entity: str, record_id: str, **fields) -> dict:
    return {
        "id": mid,
        "entity": entity,
        "record_id": record_id,
        "fields": fields,
        "base": {name: 0 for name in fields},
        "hlc": stamp(),
    }


def post_sync(client, member, mutations, device="dev-a"):
    return client.post(
        "/api/sync",
        json={"protocol": 1, "device_id": device, "cursor": None, "mutations": mutations},
        headers=member.headers,
    )


def push(client, member, mutations, device="dev-a") -> list[dict]:
    response = post_sync(client, member, mutations, device)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["results"]


def create_deal(client, member, device="dev-a") -> str:
    deal_id = new_id()
    [result] = push(
        client,
        member,
        [mutation(f"{device}:{new_id()}", "deal", deal_id, title="Racks", stage="prospecting")],
        device,
    )
    assert result["status"] == "applied"
    return deal_id


def count(app, model_name: str) -> int:
    from server import models

    with app.app_context():
        model = getattr(models, model_name)
        return models.db.session.scalar(models.db.select(models.db.func.count()).select_from(model))


def deal_title(app, deal_id: str) -> str:
    from server.models import Deal, db

    with app.app_context():
        return db.session.get(Deal, deal_id).title


def test_utc_time_past_year_range_rejected(client, book):
    ana = book.members["ana"]
    deal_id = create_deal(client, ana)

    results = push(
        client,
        ana,
        [
            mutation("dev-a:1", "note", new_id(), deal_id=deal_id, body="b",
                     met_at="9999-12-31T23:00:00-14:00"),
            mutation("dev-a:2", "followup", new_id(), deal_id=deal_id,
                     due_at="0001-01-01T00:00:00+01:00"),
        ],
    )

    assert [r["status"] for r in results] == ["rejected", "rejected"]
    assert "met_at" in results[0]["errors"]
    assert "due_at" in results[1]["errors"]
    assert "years 1 to 9999" in results[1]["message"]


def test_device_id_with_newline_rejected(client, book):
    response = post_sync(client, book.members["ana"], [], device="dev-a\n")

    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_request"
    assert "device_id" in response.get_json()["fields"]


def test_record_id_must_be_a_uuid(client, book, app):
    ana = book.members["ana"]
    results = push(
        client,
        ana,
        [
            mutation("dev-a:1", "deal", "-" * 36, title="T", stage="prospecting"),
            mutation("dev-a:2", "deal", new_id() + "\n", title="T", stage="prospecting"),
        ],
    )

    assert [r["status"] for r in results] == ["rejected", "rejected"]
    assert all("record_id" in r["errors"] for r in results)
    assert count(app, "Deal") == 0


def test_stamp_with_non_ascii_digits_rejected(client, book):
    ana = book.members["ana"]
    deal_id = create_deal(client, ana)
    edit = mutation("dev-a:1", "deal", deal_id, title="Arabic-Indic")
    edit["hlc"] = "٠٠٠١٧٠٠٠٠٠٠٠٠٠٠٢-0000-dev-a"

    [result] = push(client, ana, [edit])

    assert result["status"] == "rejected"
    assert "hlc" in result["errors"]


def test_overlong_stamp_rejected(client, book, app):
    ana = book.members["ana"]
    deal_id = create_deal(client, ana)
    edit = mutation("dev-a:1", "deal", deal_id, title="Long device")
    edit["hlc"] = "0001600000000000-0000-" + "d" * 100
    good = mutation("dev-a:2", "deal", deal_id, stage="proposal")

    results = push(client, ana, [edit, good])

    assert [r["status"] for r in results] == ["rejected", "applied"]
    assert "at most 64 characters" in results[0]["errors"]["hlc"][0]
    assert deal_title(app, deal_id) == "Racks"


def test_max_length_device_stamp_stored(client, book, app):
    ana = book.members["ana"]
    device = "d" * 64
    deal_id = create_deal(client, ana, device=device)
    first = mutation(f"{device}:1", "deal", deal_id, title="Newer")
    first["hlc"] = stamp(device)
    older = mutation(f"{device}:2", "deal", deal_id, title="Older")
    older["hlc"] = "0001600000000000-0000-" + device

    results = push(client, ana, [first, older], device=device)

    # The older stamp of the same device loses and its value goes to history.
    assert [r["status"] for r in results] == ["applied", "unchanged"]
    assert count(app, "FieldHistory") == 2


def test_unstorable_mutation_ids_rejected(client, book, app):
    ana = book.members["ana"]
    deal_id = create_deal(client, ana)
    stored = count(app, "AppliedMutation")

    results = push(
        client,
        ana,
        [
            mutation("m" * 129, "deal", deal_id, title="Too long id"),
            mutation("dev-a:\x00", "deal", deal_id, title="NUL id"),
        ],
    )

    assert [r["status"] for r in results] == ["rejected", "rejected"]
    assert [r["id"] for r in results] == [None, None]
    assert [r["index"] for r in results] == [0, 1]
    assert all("id" in r["errors"] for r in results)
    assert count(app, "AppliedMutation") == stored
    assert deal_title(app, deal_id) == "Racks"


def test_nul_in_field_rejects_mutation_only(client, book, app):
    ana = book.members["ana"]
    deal_id = create_deal(client, ana)

    results = push(
        client,
        ana,
        [
            mutation("dev-a:1", "deal", deal_id, title="Rack\x00s", value=5),
            mutation("dev-a:2", "deal", deal_id, stage="proposal"),
        ],
    )

    assert [r["status"] for r in results] == ["rejected", "applied"]
    assert "NUL" in results[0]["errors"]["title"][0]
    from server.models import Deal, db

    with app.app_context():
        deal = db.session.get(Deal, deal_id)
        assert (deal.title, deal.value, deal.stage) == ("Racks", None, "proposal")


def test_other_team_device_result_not_leaked(client, book):
    ana, sia = book.members["ana"], book.members["sia"]
    secret = mutation("shared:1", "deal", new_id(), title="", stage="prospecting")
    secret["fields"]["description"] = "North's secret price list"
    [first] = push(client, ana, [secret], device="shared")
    assert first["status"] == "rejected"

    response = post_sync(
        client,
        sia,
        [mutation("shared:1", "deal", new_id(), title="South", stage="prospecting")],
        device="shared",
    )

    assert response.status_code == 409
    assert response.get_json()["error"] == "device_taken"
    assert "secret" not in response.get_data(as_text=True)
    # Ana still gets her own result back when she re-sends.
    [again] = push(client, ana, [secret], device="shared")
    assert again["status"] == "duplicate"
    assert again["first_status"] == "rejected"


def test_reference_to_rejected_create_rejected(client, book, app):
    ana, sia = book.members["ana"], book.members["sia"]
    account_id, contact_id, deal_id = new_id(), new_id(), new_id()
    other_deal = new_id()

    results = push(
        client,
        ana,
        [
            # An account without a name is rejected, and so is all that refers to it.
            mutation("dev-a:1", "account", account_id, sector="Retail"),
            mutation("dev-a:2", "contact", contact_id, name="Li", account_id=account_id),
            mutation("dev-a:3", "deal", deal_id, title="T", stage="prospecting",
                     contact_id=contact_id),
            mutation("dev-a:4", "note", new_id(), deal_id=deal_id, body="orphan"),
            # A deal owned by another team's user is rejected, and its follow-up.
            mutation("dev-a:5", "deal", other_deal, title="T", stage="prospecting",
                     owner_id=sia.id),
            mutation("dev-a:6", "followup", new_id(), deal_id=other_deal,
                     due_at="2030-01-01T09:00:00Z"),
        ],
    )

    assert [r["status"] for r in results] == ["rejected"] * 6
    assert "deal_id" in results[3]["errors"]
    assert "deal_id" in results[5]["errors"]
    for model in ("Account", "Contact", "Deal", "Note", "FollowUp"):
        assert count(app, model) == 0, model


def test_reference_to_later_create_applies(client, book, app):
    ana = book.members["ana"]
    deal_id = new_id()

    results = push(
        client,
        ana,
        [
            mutation("dev-a:1", "note", new_id(), deal_id=deal_id, body="First call"),
            mutation("dev-a:2", "deal", deal_id, title="T", stage="prospecting"),
        ],
    )

    assert [r["status"] for r in results] == ["applied", "applied"]


def test_reference_to_duplicate_create_rejected(client, book, app):
    ana = book.members["ana"]
    deal_id = create_deal(client, ana)
    later_deal = new_id()

    results = push(
        client,
        ana,
        [
            mutation("dev-a:1", "deal", deal_id, stage="proposal"),
            mutation("dev-a:2", "note", new_id(), deal_id=later_deal, body="x"),
            # Same id as the first: answered duplicate, so the deal is not created.
            mutation("dev-a:1", "deal", later_deal, title="T", stage="prospecting"),
        ],
    )

    assert [r["status"] for r in results] == ["applied", "rejected", "duplicate"]
    assert count(app, "Note") == 0
    assert count(app, "Deal") == 1


def test_nul_in_json_body_is_400(client, book):
    ana = book.members["ana"]

    response = client.delete(
        "/api/push/subscriptions",
        json={"endpoint": "https://push.example/\x00"},
        headers=ana.headers,
    )

    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "invalid_request"
    assert "body.endpoint" in body["message"]


def test_kpis_owner_id_with_nul_is_not_found(client, book):
    response = client.get("/api/kpis?owner_id=%00", headers=book.members["ana"].headers)

    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"


def test_import_row_with_nul_skipped(client, book, app):
    ana = book.members["ana"]
    data = b"title,stage\nRa\x00cks,prospecting\nDesks,prospecting\n"

    response = client.post(
        "/api/imports",
        data={"file": (io.BytesIO(data), "deals.csv")},
        headers=ana.headers,
        content_type="multipart/form-data",
    )

    assert response.status_code == 200, response.get_json()
    report = response.get_json()
    assert report["created"] == {"deal": 1}
    [skipped] = report["skipped"]
    assert (skipped["line"], skipped["field"]) == (2, "title")
    assert "NUL" in skipped["reason"]


def test_create_then_edit_in_batch(client, book, app):
    ana = book.members["ana"]
    deal_id = new_id()

    results = push(
        client,
        ana,
        [
            mutation("dev-a:1", "deal", deal_id, title="T", stage="prospecting"),
            mutation("dev-a:2", "deal", deal_id, stage="proposal"),
        ],
    )

    assert [r["status"] for r in results] == ["applied", "applied"]
    from server.models import Deal, db

    with app.app_context():
        assert db.session.get(Deal, deal_id).stage == "proposal"


def test_edit_after_rejected_create_in_batch(client, book, app):
    ana, sia = book.members["ana"], book.members["sia"]
    deal_id = new_id()

    results = push(
        client,
        ana,
        [
            mutation("dev-a:1", "deal", deal_id, title="T", stage="prospecting",
                     owner_id=sia.id),
            mutation("dev-a:2", "deal", deal_id, stage="proposal"),
        ],
    )

    assert [r["status"] for r in results] == ["rejected", "rejected"]
    assert "owner_id" in results[0]["errors"]
    assert "A new deal needs a title." in results[1]["errors"]["title"]
    assert count(app, "Deal") == 0
