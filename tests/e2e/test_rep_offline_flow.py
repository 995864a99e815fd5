"""A rep's day offline: sign in, lose signal, keep working, get it back."""

from __future__ import annotations

import json
from decimal import Decimal

from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import SYNC_TIMEOUT_MS, sign_in, wait_for_service_worker

STAGE_NAMES = [
    "Prospecting",
    "Lead qualification",
    "Initial contact",
    "Nurturing",
    "Proposal",
    "Negotiation",
    "Closing",
    "Post-sales",
]


def column(page: Page, stage: str):
    return page.locator(f'[data-testid="stage-column"][data-stage="{stage}"]')


def expect_seeded_board(page: Page) -> None:
    expect(page.get_by_test_id("stage-name")).to_have_text(STAGE_NAMES)
    expect(column(page, "prospecting").get_by_test_id("stage-count")).to_have_text("1 deal")
    expect(column(page, "proposal").get_by_test_id("stage-count")).to_have_text("2 deals")
    expect(column(page, "proposal").get_by_test_id("stage-total")).to_have_text("$40,000")
    expect(column(page, "nurturing").get_by_test_id("stage-count")).to_have_text("0 deals")
    expect(column(page, "proposal").get_by_test_id("card-title")).to_have_text(
        ["Backup appliance", "Campus Wi-Fi"]
    )


def test_rep_offline_flow(new_phone, live_server, book, seeded):
    from server.models import Deal, FollowUp, Note, db

    ana = book.members["ana"]
    deal_id = seeded.deal_ids["Rack refresh"]
    phone = new_phone()
    page = phone.new_page()

    # Online: sign in and see the board.
    sign_in(page, ana, PASSWORD)
    expect_seeded_board(page)
    columns_scroll = page.get_by_test_id("board").evaluate(
        "board => board.scrollWidth > board.clientWidth"
    )
    assert columns_scroll, "the stage columns should scroll sideways on a phone"

    # Installable, with the manifest's fields.
    wait_for_service_worker(page)
    cdp = phone.new_cdp_session(page)
    installability = cdp.send("Page.getInstallabilityErrors")
    assert installability["installabilityErrors"] == []
    manifest = json.loads(cdp.send("Page.getAppManifest")["data"])
    assert manifest["name"] == "Dealbook"
    assert manifest["display"] == "standalone"
    assert manifest["start_url"] == "/"
    sizes = {(icon["sizes"], icon.get("purpose", "any")) for icon in manifest["icons"]}
    assert ("512x512", "maskable") in sizes
    assert ("192x192", "any") in sizes

    # Really offline: the reload is served by the service worker and the
    # book comes from IndexedDB.
    phone.set_offline(True)
    response = page.reload()
    assert response is not None and response.from_service_worker
    expect(page.get_by_test_id("connection")).to_have_text("Offline")
    expect_seeded_board(page)
    page.get_by_test_id("tab-accounts").click()
    expect(page.get_by_test_id("account-name")).to_have_text(["Northwind Traders"])
    expect(page.get_by_test_id("contact")).to_contain_text(["Mere Tane"])

    page.get_by_test_id("tab-board").click()
    column(page, "prospecting").get_by_test_id("deal-card").click()
    expect(page.get_by_test_id("deal-title")).to_have_text("Rack refresh")
    expect(page.get_by_test_id("note")).to_contain_text(["Walked the server room"])
    expect(page.get_by_test_id("followup")).to_have_count(1)

    # Offline edits: a note, the next stage, a new value and a follow-up.
    page.get_by_test_id("note-met-at").fill("2026-12-02")
    page.get_by_test_id("note-body").fill("Mere wants a quote for 40 racks.")
    page.get_by_test_id("log-note").click()
    expect(page.get_by_test_id("note")).to_have_count(2)
    page.get_by_test_id("next-stage").click()
    expect(page.get_by_test_id("deal-stage")).to_have_text("Lead qualification")
    page.get_by_test_id("value-input").fill("13500")
    page.get_by_test_id("save-value").click()
    expect(page.get_by_test_id("deal-value")).to_have_text("$13,500")
    page.get_by_test_id("followup-due-at").fill("2026-12-20T09:30")
    page.get_by_test_id("schedule-followup").click()
    expect(page.get_by_test_id("followup")).to_have_count(2)
    expect(page.get_by_test_id("pending-count")).to_have_text("4 changes waiting to sync")

    # Close the app and open it again, still offline: nothing is lost.
    page.close()
    page = phone.new_page()
    page.goto(f"/#/deal/{deal_id}")
    expect(page.get_by_test_id("pending-count")).to_have_text("4 changes waiting to sync")
    expect(page.get_by_test_id("deal-stage")).to_have_text("Lead qualification")
    expect(page.get_by_test_id("deal-value")).to_have_text("$13,500")
    expect(page.get_by_test_id("note")).to_have_count(2)
    expect(page.get_by_test_id("followup")).to_have_count(2)

    # Signal returns: the outbox drains by itself, without a reload.
    phone.set_offline(False)
    expect(page.get_by_test_id("pending-count")).to_have_text(
        "All changes synced", timeout=SYNC_TIMEOUT_MS
    )
    expect(page.get_by_test_id("connection")).to_have_text("Online")

    with live_server.app.app_context():
        deal = db.session.get(Deal, deal_id)
        assert deal.stage == "qualification"
        assert deal.value == Decimal("13500")
        bodies = {note.body for note in Note.query.filter_by(deal_id=deal_id)}
        assert "Mere wants a quote for 40 racks." in bodies
        assert len(bodies) == 2
        assert FollowUp.query.filter_by(deal_id=deal_id).count() == 2

    # A teammate's phone sees the changes after its own sync.
    teammate = new_phone()
    ben_page = teammate.new_page()
    sign_in(ben_page, book.members["ben"], PASSWORD)
    expect(column(ben_page, "qualification").get_by_test_id("card-title")).to_have_text(
        ["Edge routers", "Rack refresh"]
    )
    ben_page.goto(f"/#/deal/{deal_id}")
    expect(ben_page.get_by_test_id("deal-value")).to_have_text("$13,500")
    expect(ben_page.get_by_test_id("note")).to_contain_text(
        ["Mere wants a quote for 40 racks.", "Walked the server room"]
    )
    expect(ben_page.get_by_test_id("followup")).to_have_count(2)
