"""A phone near its storage quota: the app asks to persist its data, warns
the rep, keeps unsynced changes and shows a failed write."""

from __future__ import annotations

from decimal import Decimal

from playwright.sync_api import expect

from tests.e2e.phones import open_app, pending_mutations

# Runs before the app's scripts: counts navigator.storage.persist() calls,
# reports 95% of the quota in use, and makes the next put into the outbox
# store throw QuotaExceededError once `window.failNextOutboxPut` is set.
STORAGE_PRESSURE_SCRIPT = """
(() => {
  window.persistCalls = 0;
  const persist = StorageManager.prototype.persist;
  StorageManager.prototype.persist = function () {
    window.persistCalls += 1;
    return persist.call(this);
  };
  StorageManager.prototype.estimate = async () => ({ usage: 95_000_000, quota: 100_000_000 });

  window.failNextOutboxPut = false;
  const put = IDBObjectStore.prototype.put;
  IDBObjectStore.prototype.put = function (...args) {
    if (window.failNextOutboxPut && this.name === 'outbox') {
      window.failNextOutboxPut = false;
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    }
    return put.apply(this, args);
  };
})();
"""


def test_storage_pressure_warns_and_keeps(new_phone, live_server, book, seeded):
    from server.models import Deal, db

    deal_id = seeded.deal_ids["Rack refresh"]
    phone = new_phone()
    phone.add_init_script(STORAGE_PRESSURE_SCRIPT)
    phone, page = open_app(lambda: phone, book.members["ana"], f"/#/deal/{deal_id}")

    assert page.evaluate("window.persistCalls") >= 1
    expect(page.get_by_test_id("banner-storage-low")).to_contain_text(
        "This phone is low on storage for Dealbook."
    )

    # One unsynced change, then a write that fails for lack of space.
    phone.set_offline(True)
    page.get_by_test_id("value-input").fill("17000")
    page.get_by_test_id("save-value").click()
    expect(page.get_by_test_id("pending-count")).to_have_text("1 change waiting to sync")
    page.evaluate("window.failNextOutboxPut = true")
    page.get_by_test_id("value-input").fill("18000")
    page.get_by_test_id("save-value").click()

    expect(page.get_by_test_id("banner-action")).to_contain_text(
        "Could not save on this phone: storage is full."
    )
    expect(page.get_by_test_id("pending-count")).to_have_text("1 change waiting to sync")
    expect(page.get_by_test_id("deal-value")).to_have_text("$17,000")
    [kept] = pending_mutations(page)
    assert kept["fields"] == {"value": 17000}

    # The change made before the failure still syncs.
    phone.set_offline(False)
    expect(page.get_by_test_id("pending-count")).to_have_text("All changes synced")
    with live_server.app.app_context():
        assert db.session.get(Deal, deal_id).value == Decimal("17000")
