"""Importing the public CRM data set and CRM exports into the database."""

from __future__ import annotations

import csv
from collections import Counter

import pytest

from server.importing import import_crm_dataset, import_deals_file
from server.models import Deal, Team, User, db
from tests.conftest import REPO, SHARED_DATA

DATASET = SHARED_DATA / "crm-sales-opportunities"
FIXTURES = REPO / "tests" / "fixtures" / "csv"


def read_csv(name: str) -> list[dict[str, str]]:
    with open(DATASET / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def expected():
    """Figures computed from the CSV files alone, without Dealbook's code."""
    pipeline = read_csv("sales_pipeline.csv")
    manager_of = {r["sales_agent"]: r["manager"] for r in read_csv("sales_teams.csv")}
    stage_of = {
        "Prospecting": "prospecting",
        "Engaging": "initial_contact",
        "Won": "closing",
        "Lost": "initial_contact",
    }
    return {
        "total": len(pipeline),
        "by_stage": Counter(stage_of[r["deal_stage"]] for r in pipeline),
        "by_status": Counter(
            {"Won": "won", "Lost": "lost"}.get(r["deal_stage"], "open") for r in pipeline
        ),
        "by_manager": Counter(manager_of[r["sales_agent"]] for r in pipeline),
        "by_rep": Counter(r["sales_agent"] for r in pipeline),
        "no_account": sum(1 for r in pipeline if not r["account"].strip()),
        "won_value": sum(
            int(r["close_value"]) for r in pipeline if r["deal_stage"] == "Won"
        ),
        "managers": len(set(manager_of.values())),
    }


def count_by(column, *where):
    query = db.select(column, db.func.count()).group_by(column)
    for clause in where:
        query = query.where(clause)
    return dict(db.session.execute(query).all())


def test_dataset_import_matches_independent_counts(app, expected):
    with app.app_context():
        report = import_crm_dataset(str(DATASET))

        assert report.created["deal"] == expected["total"]
        assert report.created["team"] == expected["managers"]
        assert report.skipped == []
        assert count_by(Deal.stage) == dict(expected["by_stage"])
        assert count_by(Deal.status) == dict(expected["by_status"])
        by_rep = dict(
            db.session.execute(
                db.select(User.name, db.func.count())
                .join(Deal, Deal.owner_id == User.id)
                .group_by(User.name)
            ).all()
        )
        assert by_rep == dict(expected["by_rep"])
        by_team = dict(
            db.session.execute(
                db.select(Team.name, db.func.count())
                .join(Deal, Deal.team_id == Team.id)
                .group_by(Team.name)
            ).all()
        )
        assert {name.split("(")[1].rstrip(")"): n for name, n in by_team.items()} == dict(
            expected["by_manager"]
        )
        no_account = db.session.scalar(
            db.select(db.func.count()).where(Deal.account_id.is_(None))
        )
        assert no_account == expected["no_account"]
        won_value = db.session.scalar(
            db.select(db.func.sum(Deal.value)).where(Deal.status == "won")
        )
        assert int(won_value) == expected["won_value"]


def test_dataset_reimport_adds_nothing(app, expected):
    with app.app_context():
        import_crm_dataset(str(DATASET))
        seq_before = db.session.scalar(db.select(db.func.sum(Team.change_seq)))

        again = import_crm_dataset(str(DATASET))

        assert dict(again.created) == {}
        assert again.unchanged["deal"] == expected["total"]
        assert db.session.scalar(db.select(db.func.count()).select_from(Deal)) == (
            expected["total"]
        )
        assert db.session.scalar(db.select(db.func.sum(Team.change_seq))) == seq_before


def test_dry_run_writes_nothing(app, book):
    with app.app_context():
        team = db.session.get(Team, book.teams["North"])
        report = import_deals_file(FIXTURES / "pipedrive_deals.csv", team, dry_run=True)

        assert report.created["deal"] > 0
        assert db.session.scalar(db.select(db.func.count()).select_from(Deal)) == 0


def test_export_import_then_rerun_is_idempotent(app, book):
    with app.app_context():
        team = db.session.get(Team, book.teams["North"])
        first = import_deals_file(FIXTURES / "pipedrive_deals.csv", team)
        second = import_deals_file(FIXTURES / "pipedrive_deals.csv", team)

        assert first.created["deal"] > 0
        assert second.created["deal"] == 0
        assert second.unchanged["deal"] == first.created["deal"]
        assert db.session.scalar(db.select(db.func.count()).select_from(Deal)) == (
            first.created["deal"]
        )


def test_imported_deals_reach_phones(app, client, book):
    from tests.server.helpers import Phone

    with app.app_context():
        team = db.session.get(Team, book.teams["North"])
        report = import_deals_file(FIXTURES / "pipedrive_deals.csv", team)
    ana = Phone(client, book.members["ana"], "ana-phone")

    ana.sync()

    deals = [r for (entity, _), r in ana.records.items() if entity == "deal"]
    assert len(deals) == report.created["deal"]


def test_reimport_restores_deleted_deal_without_twin(app, client, book):
    from tests.server.helpers import Phone

    with app.app_context():
        team = db.session.get(Team, book.teams["North"])
        first = import_deals_file(FIXTURES / "pipedrive_deals.csv", team)
    ana = Phone(client, book.members["ana"], "ana-phone")
    ana.sync()
    deal_id = next(i for (entity, i) in ana.records if entity == "deal")
    ana.edit("deal", deal_id, deleted=True)
    ana.sync()

    with app.app_context():
        team = db.session.get(Team, book.teams["North"])
        again = import_deals_file(FIXTURES / "pipedrive_deals.csv", team)
    ana.sync()

    assert again.restored["deal"] == 1
    deals = [r for (entity, _), r in ana.records.items() if entity == "deal"]
    assert len(deals) == first.created["deal"]
    assert ana.fields("deal", deal_id)["deleted"] is False


def test_duplicate_ids_skipped_near_and_far_apart(app, book, tmp_path, monkeypatch):
    import server.importing

    monkeypatch.setattr(server.importing, "FLUSH_EVERY", 3)
    lines = ["external_id,title,account,stage,status,value"]
    lines += [f"D-{n},Deal {n},Acme,proposal,open,{n}00" for n in range(1, 8)]
    lines += ["D-2,Near twin,Acme,proposal,open,1", "D-1,Far twin,Acme,proposal,open,1"]
    path = tmp_path / "deals.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    with app.app_context():
        team = db.session.get(Team, book.teams["North"])
        report = import_deals_file(path, team)
        titles = set(db.session.scalars(db.select(Deal.title)))

    assert report.created["deal"] == 7
    assert [(s["line"], s["value"]) for s in report.skipped] == [(9, "D-2"), (10, "D-1")]
    assert "already appears" in report.skipped[0]["reason"]
    assert "Near twin" not in titles
    assert "Far twin" not in titles


def test_header_only_file_says_nothing_was_imported(app, book, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("external_id,title,account,stage,status,value\n", encoding="utf-8")

    with app.app_context():
        team = db.session.get(Team, book.teams["North"])
        report = import_deals_file(path, team)

    assert dict(report.created) == {}
    assert [w["code"] for w in report.warnings] == ["no_rows"]
    assert "no rows" in report.warnings[0]["reason"]
