"""KPIs of the imported public data set, checked against plain Python over its CSVs.

The expected figures are computed here from sales_pipeline.csv, products.csv
and sales_teams.csv alone, with the rules docs/kpis.md states, and no server
code. One import per backend serves the whole book, one team and one rep.
"""

from __future__ import annotations

import csv
import re
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from sqlalchemy import event

from server.importing import import_crm_dataset
from server.kpis import Scope, compute_kpis
from server.models import Deal, Team, User, db
from server.pipelines import store_pipelines, team_pipelines
from tests.conftest import SHARED_DATA

DATASET = SHARED_DATA / "crm-sales-opportunities"
STAGES = [
    "prospecting", "qualification", "initial_contact", "nurturing",
    "proposal", "negotiation", "closing", "post_sales",
]
PROBABILITIES = {
    "prospecting": 5, "qualification": 10, "initial_contact": 20, "nurturing": 30,
    "proposal": 50, "negotiation": 70, "closing": 90, "post_sales": 100,
}
INITIAL_CONTACT_ROTTING_DAYS = 7
NOW = datetime(2018, 1, 1)
QUERIES_PER_CALL = 8


def read_csv(name: str) -> list[dict[str, str]]:
    with open(DATASET / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def squash(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def half_up(value, places: str) -> Decimal:
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    return Decimal(value).quantize(Decimal(places), ROUND_HALF_UP)


def day(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


@pytest.fixture(scope="module")
def pipeline():
    """sales_pipeline.csv as deals with stage, status and value, by the import rules."""
    prices = {squash(r["product"]): Decimal(r["sales_price"]) for r in read_csv("products.csv")}
    deals = []
    for row in read_csv("sales_pipeline.csv"):
        label = row["deal_stage"]
        engaged, closed = day(row["engage_date"]), day(row["close_date"])
        status = {"Won": "won", "Lost": "lost"}.get(label, "open")
        if label == "Prospecting" or (label == "Lost" and engaged is None):
            stage = "prospecting"
        elif label == "Won":
            stage = "closing"
        else:
            stage = "initial_contact"
        if row["close_value"]:
            value = Decimal(row["close_value"])
        elif status == "lost":
            value = Decimal(0)
        else:
            value = prices[squash(row["product"])]
        deals.append(
            {
                "external_id": row["opportunity_id"], "agent": row["sales_agent"],
                "stage": stage, "status": status, "value": value,
                "engaged": engaged, "closed": closed,
            }
        )
    return deals


@pytest.fixture(scope="module")
def teams():
    members: dict[str, list[str]] = {}
    for row in read_csv("sales_teams.csv"):
        members.setdefault(row["manager"], []).append(row["sales_agent"])
    return members


def expected_kpis(deals, start, end, probabilities=PROBABILITIES,
                  rotting_days=INITIAL_CONTACT_ROTTING_DAYS):
    """Compute the KPIs from the CSV deals by the definitions in docs/kpis.md."""
    open_deals = [d for d in deals if d["status"] == "open"]
    weighted = sum(d["value"] * probabilities[d["stage"]] for d in open_deals) / 100
    closed = [d for d in deals if d["closed"] and start <= d["closed"] < end
              and d["status"] != "open"]
    won = [d for d in closed if d["status"] == "won"]
    lost = [d for d in closed if d["status"] == "lost"]
    won_total = sum(d["value"] for d in won)
    cycle_days = sum((d["closed"] - d["engaged"]).days for d in won)
    decided = len(won) + len(lost)

    # Imported deals were created on the import day, after every period here,
    # so the cohort is the deals engaged in the period.
    cohort = [d for d in deals if d["engaged"] and start <= d["engaged"] < end]
    reached = [
        sum(1 for d in cohort if STAGES.index(d["stage"]) >= i or d["status"] == "won")
        for i in range(len(STAGES))
    ]
    stays: dict[str, list[int]] = {}
    for d in cohort:
        if d["status"] != "open" and d["closed"]:
            stays.setdefault(d["stage"], []).append((d["closed"] - d["engaged"]).days)

    cutoff = NOW - timedelta(days=rotting_days)
    stale = sorted(
        (d for d in open_deals if d["stage"] == "initial_contact" and d["engaged"]
         and datetime.combine(d["engaged"], time(12)) < cutoff),
        key=lambda d: d["engaged"],
    )
    return {
        "open": {
            "deals": len(open_deals),
            "value": half_up(sum(d["value"] for d in open_deals), "0.01"),
            "weighted_value": half_up(weighted, "0.01"),
            "unscheduled_deals": len(open_deals),
        },
        "win_rate": {
            "won": len(won), "lost": len(lost),
            "rate": float(half_up(Fraction(len(won), decided), "0.0001")) if decided else None,
        },
        "average_won_value": half_up(Fraction(won_total) / len(won), "0.01") if won else None,
        "won_count": len(won),
        "cycle_days": float(half_up(Fraction(cycle_days, len(won)), "0.01")) if won else None,
        "velocity": half_up(
            Fraction(len(open_deals)) * Fraction(len(won), decided)
            * Fraction(won_total) / len(won) / Fraction(cycle_days, len(won)),
            "0.01",
        ) if won and cycle_days else None,
        "reached": reached,
        "stays": {
            stage: (len(days), float(half_up(Fraction(sum(days), len(days)), "0.01")))
            for stage, days in stays.items()
        },
        "stale": stale,
    }


def check_kpis(figures, expected, deal_ids):
    """Assert every KPI of `figures` against the CSV computation `expected`."""
    assert figures["open"] == {"USD": expected["open"]}

    assert figures["win_rate"] == expected["win_rate"]
    won = expected["won_count"]
    if won:
        assert figures["average_won_value"] == {
            "USD": {"deals": won, "value": expected["average_won_value"]}
        }
        assert figures["sales_velocity"] == {"USD": expected["velocity"]}
    else:
        assert figures["average_won_value"] == {}
        assert figures["sales_velocity"] == {}
    assert figures["sales_cycle"]["deals"] == won
    assert figures["sales_cycle"]["average_days"] == expected["cycle_days"]

    # The data set has no creation dates, notes or expected close dates.
    assert figures["first_response"] == {"new_deals": 0, "responded": 0, "mean_hours": None}
    assert figures["forecast"] == []
    assert figures["overdue_followups"] == {"total": 0, "followups": []}

    reached = expected["reached"]
    conversion = figures["stage_conversion"]
    assert [row["stage"] for row in conversion] == STAGES[:-1]
    assert [row["reached"] for row in conversion] == reached[:-1]
    assert [row["next_reached"] for row in conversion] == reached[1:]
    for row, before, after in zip(conversion, reached, reached[1:]):
        rate = float(half_up(Fraction(after, before), "0.0001")) if before else None
        assert row["rate"] == rate, row["stage"]

    for row in figures["time_in_stage"]:
        stays, average = expected["stays"].get(row["stage"], (0, None))
        assert (row["stays"], row["average_days"]) == (stays, average), row["stage"]

    stale = figures["stale_deals"]
    assert stale["total"] == len(expected["stale"])
    listed = [deal_ids[d["external_id"]] for d in expected["stale"]]
    oldest = sorted(
        expected["stale"], key=lambda d: (d["engaged"], deal_ids[d["external_id"]])
    )[:50]
    assert [row["id"] for row in stale["deals"]] == [
        deal_ids[d["external_id"]] for d in oldest
    ]
    assert set(row["id"] for row in stale["deals"]) <= set(listed)
    for row, d in zip(stale["deals"], oldest):
        assert row["days_in_stage"] == (NOW - datetime.combine(d["engaged"], time(12))).days


def count_queries(app):
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    return statements, lambda: event.remove(db.engine, "before_cursor_execute", record)


def test_kpis_match_csv_for_book_team_rep(app, pipeline, teams):
    with app.app_context():
        report = import_crm_dataset(str(DATASET))
        assert report.skipped == []
        deal_ids = dict(db.session.execute(db.select(Deal.external_id, Deal.id)).all())
        all_teams = tuple(db.session.scalars(db.select(Team).order_by(Team.name)))

        book_period = (date(2016, 10, 1), date(2018, 1, 1))
        statements, stop = count_queries(app)
        figures = compute_kpis(Scope(all_teams), *book_period, NOW)
        stop()
        assert len(statements) == QUERIES_PER_CALL
        check_kpis(figures, expected_kpis(pipeline, *book_period), deal_ids)

        manager = sorted(teams)[0]
        team = next(t for t in all_teams if t.name.endswith(f"({manager})"))
        team_deals = [d for d in pipeline if d["agent"] in teams[manager]]
        team_period = (date(2017, 4, 1), date(2017, 7, 1))
        figures = compute_kpis(Scope((team,)), *team_period, NOW)
        check_kpis(figures, expected_kpis(team_deals, *team_period), deal_ids)

        agent = teams[manager][0]
        rep = db.session.scalar(db.select(User).where(User.name == agent))
        rep_deals = [d for d in pipeline if d["agent"] == agent]
        rep_period = (date(2017, 1, 1), date(2018, 1, 1))
        figures = compute_kpis(Scope((team,), rep.id), *rep_period, NOW)
        check_kpis(figures, expected_kpis(rep_deals, *rep_period), deal_ids)

        # A team's own probabilities and rotting limits replace the defaults.
        pipelines = team_pipelines(team)
        custom = dict(PROBABILITIES, prospecting=8, initial_contact=25)
        for stage in pipelines[0]["stages"]:
            stage["probability"] = custom[stage["key"]]
            if stage["key"] == "initial_contact":
                stage["rotting_days"] = 60
        store_pipelines(team, pipelines)
        db.session.commit()
        figures = compute_kpis(Scope((team,)), *team_period, NOW)
        check_kpis(
            figures,
            expected_kpis(team_deals, *team_period, probabilities=custom, rotting_days=60),
            deal_ids,
        )

        # The whole book mixes the changed team with teams on the defaults.
        figures = compute_kpis(Scope(all_teams), *book_period, NOW)
        others = [d for d in pipeline if d["agent"] not in teams[manager]]
        weighted = (
            sum(d["value"] * custom[d["stage"]] for d in team_deals if d["status"] == "open")
            + sum(d["value"] * PROBABILITIES[d["stage"]] for d in others
                  if d["status"] == "open")
        ) / 100
        assert figures["open"]["USD"]["weighted_value"] == half_up(weighted, "0.01")
