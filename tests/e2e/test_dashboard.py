"""The dashboard on an imported book, in English and Traditional Chinese, and
an axe-core accessibility check of the board, the deal page and the dashboard.

The book is the public CRM data set imported into the live server's
database. Imported users have no password, so the test sets one for a rep.
Screenshots go to test-artifacts/screenshots/, which git ignores.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD, SHARED_DATA
from tests.e2e.conftest import sign_in, wait_for_service_worker

REPO = Path(__file__).resolve().parents[2]
AXE_SCRIPT = REPO / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
DATASET = SHARED_DATA / "crm-sales-opportunities"

# The data set's deals were engaged and closed in 2016 and 2017.
PERIOD = ("2016-01-01", "2018-01-01")

# Runs axe-core and returns the serious and critical violations.
AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations
    .filter((violation) => ['serious', 'critical'].includes(violation.impact))
    .map((violation) => ({
      id: violation.id,
      impact: violation.impact,
      nodes: violation.nodes.slice(0, 5).map((node) => node.target.join(' ')),
    }));
}"""


@pytest.fixture
def imported_rep(app):
    """Import the CRM data set and return a rep of one team, with a password."""
    from sqlalchemy import func, select

    from server.auth import hash_password
    from server.importing import import_crm_dataset
    from server.models import Deal, User, db

    if not (DATASET / "sales_pipeline.csv").exists():
        pytest.skip(f"The CRM data set is not at {DATASET}.")
    with app.app_context():
        import_crm_dataset(str(DATASET))
        db.session.commit()
        # The rep who owns the most deals, so every chart has data.
        owner_id, _ = db.session.execute(
            select(Deal.owner_id, func.count())
            .where(Deal.owner_id.is_not(None))
            .group_by(Deal.owner_id)
            .order_by(func.count().desc())
            .limit(1)
        ).one()
        user = db.session.get(User, owner_id)
        user.password_hash = hash_password(PASSWORD)
        db.session.commit()
        return user.email, user.id


class Rep:
    def __init__(self, email: str) -> None:
        self.email = email


def show_period(page: Page) -> None:
    page.get_by_test_id("period-from").fill(PERIOD[0])
    page.get_by_test_id("period-to").fill(PERIOD[1])
    page.get_by_test_id("period-show").click()


def check_axe(page: Page, name: str) -> None:
    page.add_script_tag(path=str(AXE_SCRIPT))
    violations = page.evaluate(AXE_RUN)
    assert violations == [], f"axe found serious or critical violations on {name}: {violations}"


def expect_dashboard(page: Page) -> None:
    expect(page.get_by_test_id("funnel-bar")).to_have_count(8)
    expect(page.get_by_test_id("funnel-table").locator("tbody tr")).to_have_count(8)
    expect(page.get_by_test_id("kpi-win-rate").get_by_test_id("kpi-value")).not_to_have_text("—")
    expect(page.get_by_test_id("kpi-pipeline-value").get_by_test_id("kpi-value")).not_to_have_text("—")
    funnel_label = page.get_by_test_id("funnel-chart").get_attribute("aria-labelledby")
    assert funnel_label, "the funnel chart should be labelled by its <title>"


def test_dashboard_in_english_and_chinese(new_phone, imported_rep):
    email, _ = imported_rep
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    phone = new_phone()
    page = phone.new_page()
    sign_in(page, Rep(email), PASSWORD)
    wait_for_service_worker(page)

    page.get_by_test_id("tab-dashboard").click()
    show_period(page)
    expect(page.get_by_test_id("kpi-source")).to_contain_text("Figures from the server")
    expect_dashboard(page)
    expect(page.get_by_test_id("funnel-table").locator("tbody th")).to_contain_text(
        ["Prospecting", "Lead qualification"]
    )
    page.screenshot(path=str(SCREENSHOTS / "dashboard-en.png"), full_page=True)

    # The language switch in settings redraws at once and survives a reload.
    page.get_by_test_id("tab-settings").click()
    page.get_by_test_id("language-picker").select_option("zh-TW")
    expect(page.get_by_test_id("tab-dashboard")).to_have_text("儀表板")
    page.reload()
    expect(page.get_by_test_id("tab-settings")).to_have_text("設定")
    assert page.evaluate("document.documentElement.lang") == "zh-TW"

    page.get_by_test_id("tab-dashboard").click()
    show_period(page)
    expect(page.get_by_test_id("kpi-source")).to_contain_text("伺服器數據")
    expect_dashboard(page)
    expect(page.get_by_test_id("funnel-table").locator("tbody th").first).to_have_text("開發潛在客戶")
    page.screenshot(path=str(SCREENSHOTS / "dashboard-zh-TW.png"), full_page=True)

    # Offline, the phone computes what it can and names the rest.
    phone.set_offline(True)
    page.get_by_test_id("period-show").click()
    expect(page.get_by_test_id("kpi-source")).to_contain_text("離線")
    expect(page.get_by_test_id("server-only")).to_be_visible()
    expect_dashboard(page)
    page.screenshot(path=str(SCREENSHOTS / "dashboard-zh-TW-offline.png"), full_page=True)


def test_accessibility_of_main_views(new_phone, book, seeded):
    ana = book.members["ana"]
    phone = new_phone()
    page = phone.new_page()
    sign_in(page, ana, PASSWORD)

    check_axe(page, "the board")

    page.get_by_test_id("deal-card").first.click()
    expect(page.get_by_test_id("deal-title")).not_to_be_empty()
    check_axe(page, "the deal page")

    page.get_by_test_id("tab-dashboard").click()
    expect(page.get_by_test_id("kpi-source")).to_contain_text("Figures from the server")
    expect(page.get_by_test_id("funnel-bar")).to_have_count(8)
    check_axe(page, "the dashboard")
    page.screenshot(path=str(SCREENSHOTS / "dashboard-seeded.png"), full_page=True)
