"""Two reps edit different fields of one deal offline; both edits survive."""

from __future__ import annotations

from datetime import date

from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import sign_in, wait_for_service_worker


def open_deal_offline(phone, member, deal_id: str) -> Page:
    page = phone.new_page()
    sign_in(page, member, PASSWORD)
    wait_for_service_worker(page)
    phone.set_offline(True)
    page.goto(f"/#/deal/{deal_id}")
    expect(page.get_by_test_id("deal-title")).to_have_text("Rack refresh")
    return page


def test_two_reps_edit_different_fields(new_phone, live_server, book, seeded):
    from server.models import Conflict, Deal, db

    deal_id = seeded.deal_ids["Rack refresh"]
    ana_phone, ben_phone = new_phone(), new_phone()
    ana = open_deal_offline(ana_phone, book.members["ana"], deal_id)
    ben = open_deal_offline(ben_phone, book.members["ben"], deal_id)

    # Offline, ana moves the stage while ben changes the close date.
    ana.get_by_test_id("stage-picker").select_option("proposal")
    expect(ana.get_by_test_id("pending-count")).to_have_text("1 change waiting to sync")
    ben.get_by_test_id("close-input").fill("2027-06-30")
    ben.get_by_test_id("save-close").click()
    expect(ben.get_by_test_id("pending-count")).to_have_text("1 change waiting to sync")

    ana_phone.set_offline(False)
    expect(ana.get_by_test_id("pending-count")).to_have_text("All changes synced")
    ben_phone.set_offline(False)
    expect(ben.get_by_test_id("pending-count")).to_have_text("All changes synced")

    # Ben's sync pulled ana's stage; ana's next sync pulls ben's date.
    expect(ben.get_by_test_id("deal-stage")).to_have_text("Proposal")
    expect(ben.get_by_test_id("deal-expected-close")).to_have_text("Jun 30, 2027")
    ana.reload()
    expect(ana.get_by_test_id("deal-stage")).to_have_text("Proposal")
    expect(ana.get_by_test_id("deal-expected-close")).to_have_text("Jun 30, 2027")
    expect(ana.get_by_test_id("conflict")).to_have_count(0)
    expect(ben.get_by_test_id("conflict")).to_have_count(0)

    with live_server.app.app_context():
        deal = db.session.get(Deal, deal_id)
        assert deal.stage == "proposal"
        assert deal.expected_close == date(2027, 6, 30)
        assert Conflict.query.count() == 0
