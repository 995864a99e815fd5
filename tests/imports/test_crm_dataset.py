"""Check the data set import against figures computed here with plain csv.

The data set is not in the repository: SHARED_DATA points at the shared data
folder next to it, or at $DEALBOOK_SHARED_DATA when that is set.
"""

import csv
import os
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from server.imports import ImportedDeal, LineIssue, load_crm_dataset, parse_file

SHARED_DATA = Path(
    os.environ.get("DEALBOOK_SHARED_DATA")
    or Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
)
DATASET = SHARED_DATA / "crm-sales-opportunities"

pytestmark = pytest.mark.skipif(
    not (DATASET / "sales_pipeline.csv").exists(),
    reason=f"data set not found in {DATASET}",
)

EXPECTED_STAGES = {
    "Prospecting": ("prospecting", "open"),
    "Engaging": ("initial_contact", "open"),
    "Won": ("closing", "won"),
    "Lost": ("initial_contact", "lost"),
}


def read_plain(name):
    with open(DATASET / name, newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


@pytest.fixture(scope="module")
def pipeline():
    return read_plain("sales_pipeline.csv")


@pytest.fixture(scope="module")
def dataset():
    return load_crm_dataset(DATASET)


@pytest.fixture(scope="module")
def deals(dataset):
    items = list(dataset.iter_deals())
    assert [item for item in items if isinstance(item, LineIssue)] == []
    return [item for item in items if isinstance(item, ImportedDeal)]


def test_dataset_deal_count(pipeline, deals):
    assert len(deals) == len(pipeline)


def test_dataset_counts_by_stage(pipeline, deals):
    expected = Counter()
    for row in pipeline:
        expected[EXPECTED_STAGES[row["deal_stage"]][0]] += 1
    assert Counter(deal.stage for deal in deals) == expected


def test_dataset_counts_by_status(pipeline, deals):
    expected = Counter(EXPECTED_STAGES[row["deal_stage"]][1] for row in pipeline)
    assert Counter(deal.status for deal in deals) == expected


def test_dataset_counts_by_rep(pipeline, deals):
    expected = Counter(row["sales_agent"] for row in pipeline)
    assert Counter(deal.owner for deal in deals) == expected


def test_dataset_counts_by_manager(pipeline, dataset, deals):
    manager_of = {row["sales_agent"]: row["manager"] for row in read_plain("sales_teams.csv")}
    expected = Counter(manager_of[row["sales_agent"]] for row in pipeline)
    team_of = {
        agent: team.manager for team in dataset.teams.values() for agent in team.agents
    }
    assert Counter(team_of[deal.owner] for deal in deals) == expected


def test_dataset_empty_accounts(pipeline, deals):
    expected = sum(1 for row in pipeline if row["account"] == "")
    assert expected > 0
    assert sum(1 for deal in deals if deal.account_name is None) == expected
    assert sum(1 for deal in deals if deal.title.endswith(" for no account")) == expected


def test_dataset_value_sum(pipeline, deals):
    prices = {
        row["product"].replace(" ", "").casefold(): Decimal(row["sales_price"])
        for row in read_plain("products.csv")
    }
    expected = Decimal(0)
    for row in pipeline:
        if row["close_value"]:
            expected += Decimal(row["close_value"])
        else:
            expected += prices[row["product"].replace(" ", "").casefold()]
    assert sum(deal.value for deal in deals) == expected


def test_dataset_won_value_sum(pipeline, deals):
    expected = sum(
        Decimal(row["close_value"]) for row in pipeline if row["deal_stage"] == "Won"
    )
    assert sum(deal.value for deal in deals if deal.status == "won") == expected


def test_dataset_lost_deals_value_zero(deals):
    lost = [deal for deal in deals if deal.status == "lost"]
    assert lost
    assert {deal.value for deal in lost} == {Decimal(0)}


def test_dataset_open_deal_takes_list_price(deals):
    by_id = {deal.external_id: deal for deal in deals}
    open_pro = [d for d in deals if d.status == "open" and d.product == "GTX Pro"]
    assert open_pro
    assert {deal.value for deal in open_pro} == {Decimal(4821)}
    assert by_id["Z063OYW0"].product == "GTX Pro"
    assert by_id["Z063OYW0"].value == Decimal(4514)


def test_dataset_first_row_fields(deals):
    first = deals[0]
    assert first.external_id == "1C1I7A6R"
    assert first.title == "GTX Plus Basic for Cancity"
    assert first.line == 2
    assert first.engaged_at.isoformat() == "2016-10-20"
    assert first.closed_at.isoformat() == "2017-03-01"
    assert first.currency == "USD"


def test_dataset_dates_match_file(pipeline, deals):
    engaged = sum(1 for row in pipeline if row["engage_date"])
    closed = sum(1 for row in pipeline if row["close_date"])
    assert sum(1 for deal in deals if deal.engaged_at) == engaged
    assert sum(1 for deal in deals if deal.closed_at) == closed


def test_dataset_reference_tables(dataset):
    assert dataset.issues == []
    assert len(dataset.accounts) == len(read_plain("accounts.csv"))
    assert len(dataset.products) == len(read_plain("products.csv"))
    teams = read_plain("sales_teams.csv")
    assert len(dataset.members) == len(teams)
    assert set(dataset.teams) == {row["manager"] for row in teams}
    for row in teams:
        team = dataset.teams[row["manager"]]
        assert row["sales_agent"] in team.agents
        assert team.office == row["regional_office"]


def test_dataset_accounts_keep_parent(dataset):
    parents = {row["account"]: row["subsidiary_of"] or None for row in read_plain("accounts.csv")}
    assert {name: a.parent for name, a in dataset.accounts.items()} == parents


def test_pipeline_alone_detects_format():
    report = parse_file(DATASET / "sales_pipeline.csv")
    assert report.format == "crm_dataset"
    assert report.skipped == []
    assert report.warnings == []
    assert sum(1 for deal in report.rows if deal.value is None) == sum(
        1 for row in read_plain("sales_pipeline.csv") if not row["close_value"]
    )
