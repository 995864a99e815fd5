"""Reminders in the browser: the service worker's push handler, its "Done"
action with no signal, and the settings page's permission prompt.

`pushManager.subscribe()` needs the browser vendor's push service, so no test
calls it. A push message is delivered through the DevTools protocol
(`ServiceWorker.deliverPushMessage`), as the push service would deliver it.

A notification's buttons cannot be clicked in headless Chromium. So the test
dispatches a `notificationclick` event inside the service worker, through
Playwright's handle on the worker, built as a `NotificationEvent` for the
shown notification with action "done". The event gets its own `waitUntil`
that keeps the promise, because `waitUntil` throws on an event that a script
created. The worker's real listener then runs unchanged.
"""

from __future__ import annotations

import json
import time

from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import SYNC_TIMEOUT_MS, sign_in, wait_for_service_worker

# Reads every row of one IndexedDB store of the app's database.
READ_STORE = """(name) => new Promise((resolve, reject) => {
  const open = indexedDB.open('dealbook');
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const db = open.result;
    const request = db.transaction(name).objectStore(name).getAll();
    request.onsuccess = () => { db.close(); resolve(request.result); };
    request.onerror = () => { db.close(); reject(request.error); };
  };
})"""

READ_META = """(key) => new Promise((resolve, reject) => {
  const open = indexedDB.open('dealbook');
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const db = open.result;
    const request = db.transaction('meta').objectStore('meta').get(key);
    request.onsuccess = () => { db.close(); resolve(request.result); };
    request.onerror = () => { db.close(); reject(request.error); };
  };
})"""

GET_NOTIFICATIONS = """async () => {
  const registration = await navigator.serviceWorker.ready;
  const shown = await registration.getNotifications();
  return shown.map((n) => ({
    title: n.title, body: n.body, tag: n.tag, data: n.data,
    actions: n.actions.map((a) => a.action),
  }));
}"""

# Runs in the service worker: tap "Done" on the first shown notification.
CLICK_DONE = """async () => {
  const [notification] = await self.registration.getNotifications();
  const event = new NotificationEvent('notificationclick', { notification, action: 'done' });
  const pending = [];
  Object.defineProperty(event, 'waitUntil', { value: (promise) => pending.push(promise) });
  self.dispatchEvent(event);
  await Promise.all(pending);
  return pending.length;
}"""


def push_registration_id(page, cdp) -> str:
    """Return the service worker registration id from the DevTools protocol.

    The sync API delivers protocol events only while Playwright waits, so the
    loop waits with page.wait_for_timeout and not time.sleep.
    """
    registrations: list[str] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda event: registrations.extend(r["registrationId"] for r in event["registrations"]),
    )
    cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + SYNC_TIMEOUT_MS / 1000
    while not registrations and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert registrations, "no service worker registration was reported"
    return registrations[0]


def wait_for_notifications(page, count: int) -> list[dict]:
    deadline = time.monotonic() + SYNC_TIMEOUT_MS / 1000
    shown = page.evaluate(GET_NOTIFICATIONS)
    while len(shown) < count and time.monotonic() < deadline:
        page.wait_for_timeout(100)
        shown = page.evaluate(GET_NOTIFICATIONS)
    return shown


def test_push_done_offline_syncs(new_phone, live_server, book, seeded):
    from server.models import FollowUp, db

    ana = book.members["ana"]
    deal_id = seeded.deal_ids["Rack refresh"]
    followup_id = seeded.followup_ids[0]
    phone = new_phone()
    phone.grant_permissions(["notifications"], origin=live_server.url)
    page = phone.new_page()
    sign_in(page, ana, PASSWORD)
    wait_for_service_worker(page)

    # The server's push payload for a follow-up reminder.
    payload = {
        "type": "reminder",
        "kind": "followup_due",
        "title": "Follow-up due",
        "body": "Rack refresh · Northwind Traders",
        "deal_id": deal_id,
        "followup_id": followup_id,
        "url": f"/#/deal/{deal_id}",
    }
    cdp = phone.new_cdp_session(page)
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {
            "origin": live_server.url,
            "registrationId": push_registration_id(page, cdp),
            "data": json.dumps(payload),
        },
    )

    [notification] = wait_for_notifications(page, 1)
    assert notification["title"] == "Follow-up due"
    assert notification["body"] == "Rack refresh · Northwind Traders"
    assert notification["actions"] == ["done", "snooze-1d"]
    assert notification["data"]["deal_id"] == deal_id
    assert notification["data"]["followup_id"] == followup_id
    assert notification["data"]["url"] == f"/#/deals/{deal_id}"

    # No signal: "Done" goes to the outbox from the service worker.
    phone.set_offline(True)
    counter_before = page.evaluate(READ_META, "mutation_counter") or 0
    [worker] = phone.service_workers
    assert worker.evaluate(CLICK_DONE) == 1

    outbox = page.evaluate(READ_STORE, "outbox")
    assert len(outbox) == 1
    mutation = outbox[0]["mutation"]
    device_id = page.evaluate(READ_META, "device_id")
    assert mutation["id"] == f"{device_id}:{counter_before + 1}"
    assert mutation["entity"] == "followup"
    assert mutation["record_id"] == followup_id
    assert mutation["fields"] == {"done": True}
    assert mutation["base"]["done"] >= 1
    assert mutation["hlc"].endswith(device_id)
    assert page.evaluate(READ_META, "clock_stamp") == mutation["hlc"]
    assert wait_for_notifications(page, 0) == []
    expect(page.get_by_test_id("pending-count")).to_have_text("1 change waiting to sync")

    # Back online, the page's sync loop sends it.
    phone.set_offline(False)
    expect(page.get_by_test_id("pending-count")).to_have_text("All changes synced")
    with live_server.app.app_context():
        followup = db.session.get(FollowUp, followup_id)
        assert followup.done is True


def test_notification_tap_opens_deal(new_phone, live_server, book, seeded):
    ana = book.members["ana"]
    deal_id = seeded.deal_ids["Rack refresh"]
    phone = new_phone()
    phone.grant_permissions(["notifications"], origin=live_server.url)
    page = phone.new_page()
    sign_in(page, ana, PASSWORD)
    wait_for_service_worker(page)

    [worker] = phone.service_workers
    worker.evaluate(
        """async (dealId) => {
          await self.registration.showNotification('Deal', {
            data: { deal_id: dealId, followup_id: null, url: `/#/deals/${dealId}` },
          });
          const [notification] = await self.registration.getNotifications();
          const event = new NotificationEvent('notificationclick', { notification });
          const pending = [];
          Object.defineProperty(event, 'waitUntil', { value: (promise) => pending.push(promise) });
          self.dispatchEvent(event);
          await Promise.all(pending);
        }""",
        deal_id,
    )
    expect(page.get_by_test_id("deal-title")).to_have_text("Rack refresh")
    assert page.evaluate("location.hash") == f"#/deals/{deal_id}"


def test_settings_asks_permission_only_on_tap(new_phone, book, seeded):
    ana = book.members["ana"]
    phone = new_phone()
    phone.add_init_script(
        """window.permissionRequests = 0;
        if (window.Notification) {
          const request = Notification.requestPermission.bind(Notification);
          Notification.requestPermission = (...args) => {
            window.permissionRequests += 1;
            return request(...args);
          };
        }"""
    )
    page = phone.new_page()
    sign_in(page, ana, PASSWORD)
    page.get_by_test_id("tab-settings").click()

    button = page.get_by_test_id("reminders-button")
    expect(button).to_have_text("Turn on reminders")
    expect(page.get_by_test_id("reminders-status")).to_have_text("Reminders are off for this phone.")
    expect(page.get_by_test_id("reminders")).to_contain_text("even while the app is closed")
    assert page.evaluate("window.permissionRequests") == 0
    assert page.evaluate("Notification.permission") == "default"
    expect(page.get_by_test_id("schedule")).to_contain_text(
        page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone")
    )
