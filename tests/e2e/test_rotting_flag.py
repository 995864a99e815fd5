"""Rotting deals on a 390 x 844 phone. A deal whose stamps are 30 days old
gets the badge and counts in its column header, but a fresh deal does not.
Both still show so after an offline reload served by the service worker."""

from __future__ import annotations

import time
from decimal import Decimal

from playwright.sync_api import Page, expect

from tests.e2e.phones import open_app

DAY_MS = 24 * 60 * 60 * 1000

# Proposal deals rot after 10 days without activity (server/pipelines.py).
STAGE = "proposal"

ENGLISH_LABEL = "Rotting: 30 days without activity"


def write_deal(live_server, member, title: str, now_ms: int) -> str:
    """Write an open Proposal deal on the server as if at `now_ms`.

    Returns the deal's id.
    """
    from server.models import Team, db
    from server.records import ServerWriter

    with live_server.app.app_context():
        writer = ServerWriter(db.session.get(Team, member.team_id), now_ms=now_ms)
        deal = writer.create(
            "deal",
            {
                "title": title,
                "stage": STAGE,
                "value": Decimal(4000),
                "currency": "USD",
                "owner_id": member.id,
                "status": "open",
            },
        )
        writer.finish()
        db.session.commit()
        return deal.id


def card(page: Page, deal_id: str):
    return page.locator(f'[data-testid="deal-card"][data-deal-id="{deal_id}"]')


def expect_flags(
    page: Page, old_id: str, fresh_id: str, badge: str, label: str, count: str
) -> None:
    """Expect the badge on the old deal only and one rotting deal in its column."""
    column = page.locator(f'[data-testid="stage-column"][data-stage="{STAGE}"]')
    expect(column.get_by_test_id("deal-card")).to_have_count(2)
    expect(card(page, old_id).get_by_test_id("card-rotting")).to_be_visible()
    expect(card(page, old_id).get_by_test_id("card-rotting")).to_contain_text(badge)
    expect(card(page, old_id).get_by_test_id("card-rotting-label")).to_have_text(label)
    expect(card(page, fresh_id).get_by_test_id("card-rotting")).to_have_count(0)
    expect(column.get_by_test_id("stage-rotting")).to_have_text(count)
    expect(page.get_by_test_id("stage-rotting")).to_have_count(1)


def test_rotting_flag_on_board(new_phone, live_server, book):
    ana = book.members["ana"]
    now_ms = int(time.time() * 1000)
    old_id = write_deal(live_server, ana, "Old storage bid", now_ms - 30 * DAY_MS)
    fresh_id = write_deal(live_server, ana, "New storage bid", now_ms)

    phone, page = open_app(new_phone, ana)
    expect_flags(page, old_id, fresh_id, "Rotting", ENGLISH_LABEL, "1 rotting")
    # The card's link name carries the days, for screen readers.
    expect(page.get_by_role("link", name="Old storage bid")).to_contain_text(
        "30 days without activity"
    )

    # Offline, the board is served by the service worker and computes the
    # flags from the phone's own copy.
    phone.set_offline(True)
    response = page.reload()
    assert response is not None and response.from_service_worker
    expect(page.get_by_test_id("connection")).to_have_text("Offline")
    expect_flags(page, old_id, fresh_id, "Rotting", ENGLISH_LABEL, "1 rotting")

    page.evaluate("localStorage.setItem('dealbook.language', 'zh-TW')")
    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "zh-TW")
    expect_flags(page, old_id, fresh_id, "停滯", "停滯：已 30 天沒有進展", "1 筆停滯")
