"""`POST /api/imports` and the CSV exports under `/api/exports/`."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from server.models import Account, Contact, Deal, FollowUp, Note, db
from tests.conftest import REPO

FIXTURES = REPO / "tests" / "fixtures" / "csv"
BOM = b"\xef\xbb\xbf"


def upload(client, member, data: bytes, name: str = "deals.csv", query: str = ""):
    return client.post(
        f"/api/imports{query}",
        data={"file": (io.BytesIO(data), name)},
        headers=member.headers,
        content_type="multipart/form-data",
    )


def read_export(response) -> list[dict[str, str]]:
    assert response.data.startswith(BOM)
    return list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))


def team_deals(team_id: str) -> list[tuple]:
    """Return the team's deals as comparable tuples, without ids or owners."""
    rows = db.session.execute(
        db.select(Deal, Account.name, Contact.name)
        .outerjoin(Account, Account.id == Deal.account_id)
        .outerjoin(Contact, Contact.id == Deal.contact_id)
        .where(Deal.team_id == team_id)
    ).all()
    return sorted(
        tuple(
            "" if value is None else str(value)
            for value in (
                deal.title, account, contact, deal.stage, deal.status, deal.value,
                deal.currency, deal.expected_close, deal.closed_at,
                deal.created_at.date(), deal.product,
            )
        )
        for deal, account, contact in rows
    )


def test_upload_dry_run_then_real(app, client, book):
    ana = book.members["ana"]
    data = (FIXTURES / "pipedrive_deals.csv").read_bytes()

    dry = upload(client, ana, data, query="?dry_run=1")
    with app.app_context():
        after_dry_run = db.session.scalar(db.select(db.func.count()).select_from(Deal))
    real = upload(client, ana, data)
    again = upload(client, ana, data)

    assert dry.status_code == 200
    assert dry.get_json()["dry_run"] is True
    assert dry.get_json()["format"] == "pipedrive"
    assert dry.get_json()["created"]["deal"] > 0
    assert after_dry_run == 0
    assert real.get_json()["created"] == dry.get_json()["created"]
    assert again.get_json()["created"] == {}
    assert again.get_json()["unchanged"]["deal"] == real.get_json()["created"]["deal"]
    with app.app_context():
        count = db.session.scalar(db.select(db.func.count()).select_from(Deal))
    assert count == real.get_json()["created"]["deal"]


def test_upload_reports_broken_rows(client, book):
    response = upload(client, book.members["ana"],
                      (FIXTURES / "generic_broken_rows.csv").read_bytes())

    body = response.get_json()
    assert response.status_code == 200
    assert body["created"]["deal"] == 1
    skipped_lines = {entry["line"] for entry in body["skipped"]}
    assert {3, 4, 5, 6, 7, 8} <= skipped_lines
    assert all(entry["reason"] for entry in body["skipped"])
    assert any("'2025-02-30'" in entry["reason"] or entry["value"] == "2025-02-30"
               for entry in body["skipped"])


def test_upload_rejects_unusable_files(app, client, book):
    ana = book.members["ana"]

    unknown = upload(client, ana, (FIXTURES / "unknown_header.csv").read_bytes())
    missing = upload(client, ana, (FIXTURES / "generic_missing_columns.csv").read_bytes())
    utf16 = upload(client, ana, "title,stage\nA,proposal\n".encode("utf-16"))
    empty = upload(client, ana, b"")
    no_file = client.post("/api/imports", data={}, headers=ana.headers,
                          content_type="multipart/form-data")
    bad_flag = upload(client, ana, b"title,stage\n", query="?dry_run=maybe")
    app.config["DEALBOOK_IMPORT_MAX_BYTES"] = 1024
    too_large = upload(client, ana, b"title,stage\n" + b"A,proposal\n" * 200)

    assert unknown.status_code == 400
    assert "Opportunity" in unknown.get_json()["message"]
    assert "Deal - Title" in unknown.get_json()["message"]
    assert missing.status_code == 400
    assert "stage" in missing.get_json()["message"]
    assert utf16.status_code == 400
    assert "UTF-16" in utf16.get_json()["message"]
    assert empty.status_code == 400
    assert no_file.status_code == 400
    assert "'file'" in no_file.get_json()["message"]
    assert bad_flag.status_code == 400
    assert "'maybe'" in bad_flag.get_json()["message"]
    assert too_large.status_code == 413
    assert too_large.get_json()["error"] == "file_too_large"
    assert "0.0009765" in too_large.get_json()["message"]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Deal)) == 0


def test_export_round_trip_to_other_team(app, client, book):
    ana, sia = book.members["ana"], book.members["sia"]
    upload(client, ana, (FIXTURES / "pipedrive_deals.csv").read_bytes())
    upload(client, ana, (FIXTURES / "generic_template.csv").read_bytes())

    exported = client.get("/api/exports/deals.csv", headers=ana.headers)
    first = upload(client, sia, exported.data, name="export.csv")
    second = upload(client, sia, exported.data, name="export.csv")

    assert exported.status_code == 200
    assert exported.mimetype == "text/csv"
    assert "deals.csv" in exported.headers["Content-Disposition"]
    rows = read_export(exported)
    assert list(rows[0]) == [
        "external_id", "title", "account", "contact", "owner", "stage", "status",
        "value", "currency", "expected_close", "created_at", "closed_at",
        "probability", "product",
    ]
    assert first.status_code == 200
    assert first.get_json()["format"] == "generic"
    assert first.get_json()["skipped"] == []
    assert first.get_json()["created"]["deal"] == len(rows)
    assert second.get_json()["created"] == {}
    with app.app_context():
        assert team_deals(sia.team_id) == team_deals(ana.team_id)


def test_export_notes_followups_and_formulas(app, client, book):
    ana = book.members["ana"]
    with app.app_context():
        deal = Deal(team_id=ana.team_id, title="=HYPERLINK(\"x\")", stage="proposal")
        db.session.add(deal)
        db.session.flush()
        db.session.add(Note(team_id=ana.team_id, deal_id=deal.id, author_id=ana.id,
                            met_at=datetime(2025, 3, 1, 10), body="Met the buyer"))
        db.session.add(FollowUp(team_id=ana.team_id, deal_id=deal.id,
                                assignee_id=ana.id, due_at=datetime(2025, 3, 8, 9)))
        db.session.add(Deal(team_id=book.teams["South"], title="South deal",
                            stage="proposal"))
        db.session.commit()
        deal_id = deal.id

    deals = read_export(client.get("/api/exports/deals.csv", headers=ana.headers))
    notes = read_export(client.get("/api/exports/notes.csv", headers=ana.headers))
    followups = read_export(client.get("/api/exports/followups.csv", headers=ana.headers))
    anonymous = client.get("/api/exports/deals.csv")

    assert [row["title"] for row in deals] == ["'=HYPERLINK(\"x\")"]
    assert deals[0]["external_id"] == deal_id
    assert deals[0]["probability"] == "50"
    assert notes == [{"id": notes[0]["id"], "deal_id": deal_id,
                      "deal_title": "'=HYPERLINK(\"x\")", "author": ana.email,
                      "met_at": "2025-03-01T10:00:00", "body": "Met the buyer"}]
    assert followups[0]["assignee"] == ana.email
    assert followups[0]["due_at"] == "2025-03-08T09:00:00"
    assert followups[0]["done"] == "false"
    assert anonymous.status_code == 401
