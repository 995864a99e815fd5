"""Qualifying a lead on a 390 x 844 phone: the BANT checklist, the lead
score on the board, sorting and filtering by it, and a win probability
override that outlives stage moves. The edits are made offline and reach
the server's deal row once the phone is back online."""

from __future__ import annotations

import uuid

from playwright.sync_api import Page, expect

from tests.e2e.phones import open_app, pending_mutations, wait_until
from tests.server.helpers import Phone

# Tab bars measured, by language: the tabs must fit without scrolling.
LANGUAGES = ["en", "zh-TW"]


def column(page: Page, stage: str):
    return page.locator(f'[data-testid="stage-column"][data-stage="{stage}"]')


def add_scored_lead(client, member) -> str:
    """Add "Core switches" to Lead qualification with one BANT item ticked.

    It closes before the seeded "Edge routers", so it comes first by close
    date and second once Edge routers scores 50.
    """
    phone = Phone(client, member, device="seed-lead")
    deal_id = str(uuid.uuid4())
    phone.edit(
        "deal",
        deal_id,
        title="Core switches",
        stage="qualification",
        value=3000,
        currency="USD",
        expected_close="2027-01-15",
        owner_id=member.id,
        status="open",
        bant_budget=True,
    )
    body = phone.sync()
    assert {result["status"] for result in body["all_results"]} == {"applied"}
    return deal_id


def server_deal(live_server, deal_id: str):
    from server.models import Deal, db

    with live_server.app.app_context():
        deal = db.session.get(Deal, deal_id)
        db.session.expunge(deal)
        return deal


def wait_for_server_deal(page: Page, live_server, deal_id: str, **expected):
    """Wait until the server's deal row has every expected column value.

    The outbox may already be empty when an edit is made, so "All changes
    synced" alone does not show that the edit arrived.
    """

    def arrived() -> bool:
        deal = server_deal(live_server, deal_id)
        return all(getattr(deal, name) == value for name, value in expected.items())

    wait_until(page, arrived, f"the server's deal {deal_id} never had {expected}")


def expect_tabs_fit(page: Page) -> None:
    tabs = page.get_by_test_id("tabs")
    overflow = tabs.evaluate("nav => nav.scrollWidth - nav.clientWidth")
    assert overflow <= 0, f"the tab bar overflows by {overflow} px"
    box = page.get_by_test_id("tab-dashboard").bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= 390, box


def test_qualify_lead_offline(new_phone, live_server, client, book, seeded):
    from server.entities import BANT_FIELDS, lead_score

    ana = book.members["ana"]
    add_scored_lead(client, ana)
    deal_id = seeded.deal_ids["Edge routers"]
    phone, page = open_app(new_phone, ana)
    qualification = column(page, "qualification")

    # Online board: sorted by close date, scores on qualification cards only.
    expect(page.get_by_test_id("board-sort")).to_have_value("expected_close")
    expect(page.get_by_test_id("board-min-score")).to_have_value("0")
    expect(qualification.get_by_test_id("card-title")).to_have_text(
        ["Core switches", "Edge routers"]
    )
    expect(qualification.get_by_test_id("card-score")).to_have_text(
        ["Lead score 25", "Lead score 0"]
    )
    expect(column(page, "proposal").get_by_test_id("card-score")).to_have_count(0)
    expect_tabs_fit(page)

    # Offline: tick two BANT items on Edge routers.
    phone.set_offline(True)
    expect(page.get_by_test_id("connection")).to_have_text("Offline")
    qualification.get_by_test_id("deal-card").filter(has_text="Edge routers").click()
    expect(page.get_by_test_id("deal-title")).to_have_text("Edge routers")
    bant = page.get_by_test_id("bant")
    expect(bant).to_have_attribute("data-highlighted", "")
    expect(page.get_by_test_id("lead-score")).to_have_text("0 / 100")
    expect(page.get_by_test_id("probability")).to_have_text("10% (stage default)")
    expect(page.get_by_test_id("weighted-value")).to_have_text("Weighted value: $800")
    expect(page.get_by_test_id("clear-probability")).to_be_hidden()

    page.get_by_test_id("bant-budget").check()
    expect(page.get_by_test_id("lead-score")).to_have_text("25 / 100")
    page.get_by_test_id("bant-need").check()
    expect(page.get_by_test_id("lead-score")).to_have_text("50 / 100")
    expect(page.get_by_test_id("bant-authority")).not_to_be_checked()

    # An out-of-range probability is caught on the phone, with nothing queued.
    page.get_by_test_id("probability-input").fill("150")
    page.get_by_test_id("save-probability").click()
    expect(page.get_by_test_id("probability-error")).to_have_text(
        "Enter a whole percent from 0 to 100, for example 40."
    )
    expect(page.get_by_test_id("pending-count")).to_have_text("2 changes waiting to sync")

    page.get_by_test_id("probability-input").fill("35")
    page.get_by_test_id("save-probability").click()
    expect(page.get_by_test_id("probability-error")).to_be_hidden()
    expect(page.get_by_test_id("probability")).to_have_text("35% (your estimate)")
    expect(page.get_by_test_id("weighted-value")).to_have_text("Weighted value: $2,800")
    expect(page.get_by_test_id("clear-probability")).to_be_visible()
    expect(page.get_by_test_id("pending-count")).to_have_text("3 changes waiting to sync")

    # One field per mutation, so two reps' ticks merge item by item.
    queued = [mutation["fields"] for mutation in pending_mutations(page)]
    assert queued == [{"bant_budget": True}, {"bant_need": True}, {"probability": 35}]

    # Still offline, the board shows the new score and sorts by it.
    page.get_by_test_id("tab-board").click()
    expect(qualification.get_by_test_id("card-score")).to_have_text(
        ["Lead score 25", "Lead score 50"]
    )
    page.get_by_test_id("board-sort").select_option("lead_score")
    expect(qualification.get_by_test_id("card-title")).to_have_text(
        ["Edge routers", "Core switches"]
    )
    page.get_by_test_id("board-min-score").select_option("50")
    expect(qualification.get_by_test_id("card-title")).to_have_text(["Edge routers"])
    expect(column(page, "proposal").get_by_test_id("stage-count")).to_have_text("0 deals")
    page.get_by_test_id("board-min-score").select_option("0")
    expect(column(page, "proposal").get_by_test_id("stage-count")).to_have_text("2 deals")

    # The chosen order survives a reload served by the service worker.
    page.reload()
    expect(page.get_by_test_id("board-sort")).to_have_value("lead_score")
    expect(qualification.get_by_test_id("card-title")).to_have_text(
        ["Edge routers", "Core switches"]
    )

    # Back online: the server's deal row has the ticks and the override.
    phone.set_offline(False)
    expect(page.get_by_test_id("pending-count")).to_have_text("All changes synced")
    deal = server_deal(live_server, deal_id)
    assert deal.bant_budget is True
    assert deal.bant_need is True
    assert deal.bant_authority is False
    assert deal.bant_timing is False
    assert deal.probability == 35
    assert lead_score({name: getattr(deal, name) for name in BANT_FIELDS}) == 50

    # Moving the deal on keeps the override; the stage default changes.
    page.goto(f"/#/deal/{deal_id}")
    page.get_by_test_id("next-stage").click()
    expect(page.get_by_test_id("deal-stage")).to_have_text("Initial contact")
    expect(page.get_by_test_id("probability")).to_have_text("35% (your estimate)")
    expect(page.get_by_test_id("bant")).not_to_have_attribute("data-highlighted", "")
    expect(page.get_by_test_id("lead-score")).to_have_text("50 / 100")
    wait_for_server_deal(page, live_server, deal_id, stage="initial_contact")
    assert server_deal(live_server, deal_id).probability == 35

    # Clearing the override goes back to the stage default, as null.
    page.get_by_test_id("clear-probability").click()
    expect(page.get_by_test_id("probability")).to_have_text("20% (stage default)")
    expect(page.get_by_test_id("weighted-value")).to_have_text("Weighted value: $1,600")
    expect(page.get_by_test_id("probability-input")).to_have_value("")
    wait_for_server_deal(page, live_server, deal_id, probability=None)

    # The description is edited in place and saved like any other field.
    page.get_by_test_id("description-input").fill("Two sites, 24 routers each.")
    page.get_by_test_id("save-description").click()
    wait_for_server_deal(
        page, live_server, deal_id, description="Two sites, 24 routers each."
    )
    expect(page.get_by_test_id("description-input")).to_have_value(
        "Two sites, 24 routers each."
    )


def test_tab_bar_fits_phone(new_phone, book, seeded):
    _, page = open_app(new_phone, book.members["ana"])
    for language in LANGUAGES:
        page.evaluate("tag => localStorage.setItem('dealbook.language', tag)", language)
        page.reload()
        expect(page.get_by_test_id("board")).to_be_visible()
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect_tabs_fit(page)
