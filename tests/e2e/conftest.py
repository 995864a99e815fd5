"""Browser fixtures: headless Chromium kept on loopback, phone-sized contexts,
and a seeded team book served by the live server from tests/conftest.py.

Chromium is the Debian package at /usr/bin/chromium. The proxy and
host-resolver flags make any request to a host other than 127.0.0.1 or
localhost fail, so a test can never reach the network by accident.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from playwright.sync_api import BrowserContext, Page, Playwright, expect, sync_playwright

from tests.server.helpers import Phone

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--proxy-server=http://127.0.0.1:9",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]

# The phone the app is laid out for: 390 x 844 CSS pixels at 3x, with touch.
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
    "service_workers": "allow",
}

# Waits for sync and service-worker steps, in ms. A sync round trip takes
# well under a second on loopback; the margin covers a slow CI machine.
SYNC_TIMEOUT_MS = 15_000

pytestmark = pytest.mark.browser

expect.set_options(timeout=SYNC_TIMEOUT_MS)


@pytest.fixture
def backend() -> str:
    """Run browser tests on SQLite only; the server tests cover PostgreSQL."""
    return "sqlite"


@pytest.fixture(scope="session")
def playwright():
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture
def new_phone(playwright: Playwright, live_server, tmp_path):
    """Return a factory of phone-sized browser profiles on the live server.

    Each phone is its own persistent profile, as an installed app has: an
    incognito context (browser.new_context) is never installable, and
    Chromium reports it as the "in-incognito" installability error.
    """
    contexts: list[BrowserContext] = []

    def make() -> BrowserContext:
        profile = tmp_path / f"phone-{len(contexts)}"
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            base_url=live_server.url,
            **PHONE,
        )
        context.set_default_timeout(SYNC_TIMEOUT_MS)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@dataclass
class SeededBook:
    """Ids of the records seeded for team North."""

    account_id: str
    contact_id: str
    deal_ids: dict[str, str]  # title -> id
    note_ids: list[str]
    followup_ids: list[str]


# Seeded deals: title, stage, value. Two in Proposal to check totals.
SEED_DEALS = [
    ("Rack refresh", "prospecting", 12000),
    ("Edge routers", "qualification", 8000),
    ("Backup appliance", "proposal", 15000),
    ("Campus Wi-Fi", "proposal", 25000),
    ("Support renewal", "post_sales", 5000),
]


@pytest.fixture
def seeded(client, book) -> SeededBook:
    """Seed team North's book through the sync API, as rep ana's phone."""
    ana = book.members["ana"]
    phone = Phone(client, ana, device="seed")
    account_id, contact_id = str(uuid.uuid4()), str(uuid.uuid4())
    phone.edit("account", account_id, name="Northwind Traders", sector="Retail", country="NZ")
    phone.edit(
        "contact",
        contact_id,
        account_id=account_id,
        name="Mere Tane",
        email="mere@example.com",
    )

    deal_ids = {}
    for title, stage, value in SEED_DEALS:
        deal_id = str(uuid.uuid4())
        deal_ids[title] = deal_id
        phone.edit(
            "deal",
            deal_id,
            title=title,
            account_id=account_id,
            contact_id=contact_id,
            stage=stage,
            value=value,
            currency="USD",
            expected_close="2027-03-31",
            owner_id=ana.id,
            status="open",
        )

    first_deal = deal_ids["Rack refresh"]
    note_id, followup_id = str(uuid.uuid4()), str(uuid.uuid4())
    phone.edit(
        "note",
        note_id,
        deal_id=first_deal,
        author_id=ana.id,
        met_at="2026-11-20T10:00:00Z",
        body="Walked the server room with Mere.",
    )
    phone.edit(
        "followup",
        followup_id,
        deal_id=first_deal,
        assignee_id=ana.id,
        due_at="2026-12-15T09:00:00Z",
        done=False,
    )
    body = phone.sync()
    statuses = {result["status"] for result in body["all_results"]}
    assert statuses == {"applied"}, body["all_results"]
    return SeededBook(account_id, contact_id, deal_ids, [note_id], [followup_id])


def sign_in(page: Page, member, password: str) -> None:
    """Sign in on a fresh page and wait for the first sync to finish."""
    page.goto("/")
    page.get_by_test_id("login-email").fill(member.email)
    page.get_by_test_id("login-password").fill(password)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("board")).to_be_visible()
    expect(page.get_by_test_id("pending-count")).to_have_text("All changes synced")
    expect(page.get_by_test_id("connection")).to_have_text("Online")


def wait_for_service_worker(page: Page) -> None:
    """Wait until a service worker controls the page and the shell is cached."""
    page.wait_for_function(
        "navigator.serviceWorker.controller !== null", timeout=SYNC_TIMEOUT_MS
    )
