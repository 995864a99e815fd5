"""KPI rules the data set cannot show: notes, forecasts, follow-ups, stage moves."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from server.kpis import Scope, compute_kpis
from server.models import Deal, FollowUp, Note, StageEvent, Team, db

START, END = date(2025, 3, 1), date(2025, 4, 1)
NOW = datetime(2025, 4, 15, 9, 0)


def add_deal(team_id: str, owner_id: str | None, **values) -> Deal:
    values.setdefault("title", "Deal")
    values.setdefault("stage", "prospecting")
    values.setdefault("status", "open")
    deal = Deal(team_id=team_id, owner_id=owner_id, **values)
    db.session.add(deal)
    db.session.flush()
    return deal


def add_event(deal: Deal, stage: str, at: datetime) -> None:
    db.session.add(StageEvent(team_id=deal.team_id, deal_id=deal.id, stage=stage,
                              entered_at=at))


def test_first_response_forecast_followups_stays(app, book):
    ana, ben = book.members["ana"], book.members["ben"]
    north = book.teams["North"]
    with app.app_context():
        # First response: a note after 6 h (a later stage move does not count).
        quick = add_deal(north, ana.id, created_at=datetime(2025, 3, 3, 9))
        db.session.add(Note(team_id=north, deal_id=quick.id, met_at=datetime(2025, 3, 3, 15)))
        add_event(quick, "prospecting", datetime(2025, 3, 3, 9))
        add_event(quick, "qualification", datetime(2025, 3, 10, 9))
        add_event(quick, "proposal", datetime(2025, 3, 20, 9))
        quick.stage = "proposal"
        # A stage move after 24 h; a note dated before creation is ignored.
        slow = add_deal(north, ben.id, created_at=datetime(2025, 3, 5, 10))
        db.session.add(Note(team_id=north, deal_id=slow.id, met_at=datetime(2025, 3, 1)))
        add_event(slow, "qualification", datetime(2025, 3, 6, 10))
        slow.stage = "qualification"
        # Created in the period with no response yet, and one created before it.
        add_deal(north, ana.id, created_at=datetime(2025, 3, 30))
        add_deal(north, ana.id, created_at=datetime(2025, 2, 1))

        # Forecast: open deals by expected close month and currency.
        add_deal(north, ana.id, stage="proposal", value=Decimal("1000"), currency="USD",
                 expected_close=date(2025, 3, 31), created_at=datetime(2025, 1, 1))
        add_deal(north, ben.id, stage="negotiation", value=Decimal("200.50"),
                 currency="EUR", expected_close=date(2025, 3, 2),
                 created_at=datetime(2025, 1, 1))
        add_deal(north, ana.id, stage="closing", value=Decimal("300"), currency="USD",
                 expected_close=date(2025, 4, 1), created_at=datetime(2025, 1, 1))
        add_deal(north, ana.id, stage="closing", value=Decimal("999"), currency="USD",
                 status="lost", expected_close=date(2025, 3, 15),
                 created_at=datetime(2025, 1, 1))

        # Overdue follow-ups: ana's, and an unassigned one on ben's deal.
        for deal, assignee, due, done, deleted in (
            (quick, ana.id, datetime(2025, 4, 1), False, False),
            (slow, None, datetime(2025, 4, 2), False, False),
            (quick, ana.id, datetime(2025, 4, 3), True, False),
            (quick, ana.id, datetime(2025, 4, 4), False, True),
            (quick, ana.id, datetime(2025, 5, 1), False, False),
        ):
            db.session.add(FollowUp(team_id=north, deal_id=deal.id, assignee_id=assignee,
                                    due_at=due, done=done, deleted=deleted))
        db.session.commit()

        quick_id, slow_id = quick.id, slow.id
        team = db.session.get(Team, north)
        figures = compute_kpis(Scope((team,)), START, END, NOW)
        ana_figures = compute_kpis(Scope((team,), ana.id), START, END, NOW)

    assert figures["first_response"] == {"new_deals": 3, "responded": 2, "mean_hours": 15.0}
    assert ana_figures["first_response"] == {
        "new_deals": 2, "responded": 1, "mean_hours": 6.0,
    }

    assert figures["forecast"] == [
        {"month": "2025-03", "currency": "EUR", "deals": 1,
         "value": Decimal("200.50"), "weighted_value": Decimal("140.35")},
        {"month": "2025-03", "currency": "USD", "deals": 1,
         "value": Decimal("1000.00"), "weighted_value": Decimal("500.00")},
    ]
    assert figures["open"]["USD"]["unscheduled_deals"] == 4
    assert figures["open"]["EUR"]["weighted_value"] == Decimal("140.35")

    stays = {row["stage"]: row for row in figures["time_in_stage"]}
    assert stays["prospecting"] == {"stage": "prospecting", "stays": 1, "average_days": 7.0}
    assert stays["qualification"]["stays"] == 1
    assert stays["qualification"]["average_days"] == 10.0
    assert stays["proposal"]["stays"] == 0

    overdue = figures["overdue_followups"]
    assert overdue["total"] == 2
    assert [f["due_at"] for f in overdue["followups"]] == [
        datetime(2025, 4, 1), datetime(2025, 4, 2),
    ]
    assert overdue["followups"][0]["deal_title"] == "Deal"
    assert overdue["followups"][0]["days_overdue"] == 14
    assert ana_figures["overdue_followups"]["total"] == 1

    stale = {row["id"]: row for row in figures["stale_deals"]["deals"]}
    assert stale[quick_id]["days_in_stage"] == 26
    assert stale[slow_id]["stage"] == "qualification"
    assert figures["stale_deals"]["total"] == len(stale)


def test_deleted_and_other_team_deals_ignored(app, book):
    north, south = book.teams["North"], book.teams["South"]
    with app.app_context():
        add_deal(north, None, value=Decimal("10"))
        add_deal(north, None, value=Decimal("20"), deleted=True)
        add_deal(south, None, value=Decimal("40"))
        db.session.commit()
        team = db.session.get(Team, north)

        figures = compute_kpis(Scope((team,)), START, END, NOW)

    assert figures["open"]["USD"]["deals"] == 1
    assert figures["open"]["USD"]["value"] == Decimal("10.00")
    assert figures["open"]["USD"]["weighted_value"] == Decimal("0.50")


def test_parked_deal_leaves_pipeline_and_forecast_until_its_day(app, book):
    ana = book.members["ana"]
    north = book.teams["North"]
    with app.app_context():
        add_deal(north, ana.id, stage="proposal", value=Decimal("500"),
                 expected_close=date(2025, 3, 20), created_at=datetime(2025, 1, 1))
        add_deal(north, ana.id, stage="proposal", value=Decimal("7000"),
                 expected_close=date(2025, 3, 25), created_at=datetime(2025, 1, 1),
                 parked_until=date(2025, 7, 1))
        db.session.commit()
        scope = Scope((db.session.get(Team, north),))

        parked = compute_kpis(scope, START, END, NOW)
        after = compute_kpis(scope, START, END, datetime(2025, 7, 1, 9))

    assert parked["open"]["USD"]["value"] == Decimal("500.00")
    assert [m["value"] for m in parked["forecast"]] == [Decimal("500.00")]
    assert after["open"]["USD"]["value"] == Decimal("7500.00")
    assert [m["value"] for m in after["forecast"]] == [Decimal("7500.00")]


def test_deal_probability_overrides_stage_default(app, book):
    ana = book.members["ana"]
    north = book.teams["North"]
    with app.app_context():
        add_deal(north, ana.id, stage="proposal", value=Decimal("1000"),
                 created_at=datetime(2025, 1, 1))
        add_deal(north, ana.id, stage="proposal", value=Decimal("1000"),
                 created_at=datetime(2025, 1, 1), probability=90)
        db.session.commit()

        figures = compute_kpis(Scope((db.session.get(Team, north),)), START, END, NOW)

    assert figures["open"]["USD"]["weighted_value"] == Decimal("1400.00")
