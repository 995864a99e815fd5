"""Helpers the browser tests share: a signed-in phone, reads of the phone's
IndexedDB, and a route that passes the page's sync requests to the live
server and then delivers, drops, holds or replaces each response.
"""

from __future__ import annotations

from typing import Any, Callable

from playwright.sync_api import APIResponse, BrowserContext, Page, Route

from tests.conftest import PASSWORD
from tests.e2e.conftest import SYNC_TIMEOUT_MS, sign_in, wait_for_service_worker

# Reads every row of one IndexedDB store of the app's database, through a
# second connection so the app's own connection is left alone.
READ_STORE_SCRIPT = """(name) => new Promise((resolve, reject) => {
  const open = indexedDB.open('dealbook');
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const db = open.result;
    const request = db.transaction(name).objectStore(name).getAll();
    request.onsuccess = () => { db.close(); resolve(request.result); };
    request.onerror = () => { db.close(); reject(request.error); };
  };
})"""


def open_app(new_phone, member, path: str = "/") -> tuple[BrowserContext, Page]:
    """Start a phone, sign the member in, wait for the service worker, open path."""
    phone = new_phone()
    page = phone.new_page()
    sign_in(page, member, PASSWORD)
    wait_for_service_worker(page)
    if path != "/":
        page.goto(path)
    return phone, page


def read_store(page: Page, name: str) -> list[dict[str, Any]]:
    """Return every row of one of the app's IndexedDB stores."""
    return page.evaluate(READ_STORE_SCRIPT, name)


def pending_mutations(page: Page) -> list[dict[str, Any]]:
    """Return the phone's outbox, oldest first, as it is stored."""
    rows = sorted(read_store(page, "outbox"), key=lambda row: row["seq"])
    return [row["mutation"] for row in rows]


def wait_until(page: Page, condition: Callable[[], bool], message: str) -> None:
    """Let Playwright dispatch events, such as route handlers, until condition is true.

    Raises AssertionError with message after SYNC_TIMEOUT_MS.
    """
    for _ in range(SYNC_TIMEOUT_MS // 100):
        if condition():
            return
        page.wait_for_timeout(100)
    raise AssertionError(message)


class SyncRoute:
    """Routes the page's `POST /api/sync` requests through the test.

    Each request that carries mutations takes the next action from `plan`:

    - "drop": the server handles the request and commits, then the
      connection is reset, so the response never reaches the page;
    - "hold": the server handles the request, and the response waits in
      `held` until `release()`, as on a slow network;
    - an int status: the page gets that status and the server never sees
      the request.

    Requests with no mutations, and any once the plan is used up, pass
    through. `requests` records every request body, and `responses` every
    response body the page received.
    """

    def __init__(self, page: Page, plan: list[str | int] | None = None) -> None:
        self.plan: list[str | int] = list(plan or [])
        self.requests: list[dict[str, Any]] = []
        self.responses: list[dict[str, Any]] = []
        self.held: list[tuple[Route, APIResponse]] = []
        page.route("**/api/sync", self.handle)

    def handle(self, route: Route) -> None:
        body = route.request.post_data_json
        self.requests.append(body)
        action = self.plan.pop(0) if body.get("mutations") and self.plan else "pass"
        if isinstance(action, int):
            route.fulfill(
                status=action,
                json={"error": "unavailable", "message": "Try again shortly."},
            )
            return

        response = route.fetch()
        if action == "drop":
            route.abort("connectionreset")
        elif action == "hold":
            self.held.append((route, response))
        else:
            self.deliver(route, response)

    def deliver(self, route: Route, response: APIResponse) -> None:
        self.responses.append(response.json())
        route.fulfill(response=response)

    def release(self) -> None:
        """Deliver every held response, oldest first."""
        held, self.held = self.held, []
        for route, response in held:
            self.deliver(route, response)

    def mutation_requests(self) -> list[dict[str, Any]]:
        return [body for body in self.requests if body.get("mutations")]
