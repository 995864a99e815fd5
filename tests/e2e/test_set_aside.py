"""Changes the server will not apply as sent: an edit of a deal a teammate
deleted, and invalid values queued ahead of valid ones."""

from __future__ import annotations

import time
from decimal import Decimal

from playwright.sync_api import Page, expect

from tests.e2e.phones import open_app, pending_mutations, read_store
from tests.server.helpers import Phone

# Queues a mutation straight into the app's outbox through its store module,
# as a change the deal page's own checks would never let through.
QUEUE_MUTATION_SCRIPT = """async ([entity, recordId, fields]) => {
  const { openStore, META_KEYS } = await import('/js/store.js');
  const store = await openStore();
  const deviceId = await store.getMeta(META_KEYS.deviceId);
  const hlc = `${String(Date.now()).padStart(16, '0')}-0000-${deviceId}`;
  const mutation = await store.enqueueMutation({ deviceId, entity, recordId, fields, hlc });
  store.close();
  return mutation;
}"""


def queue_mutation(page: Page, entity: str, record_id: str, **fields) -> dict:
    return page.evaluate(QUEUE_MUTATION_SCRIPT, [entity, record_id, fields])


def delete_deal_online(client, member, deal_id: str) -> None:
    """Delete a deal through the sync API, as a teammate's phone that is online."""
    phone = Phone(client, member, device="ben-online", clock_ms=int(time.time() * 1000))
    phone.sync()
    phone.edit("deal", deal_id, deleted=True)
    [result] = phone.sync()["all_results"]
    assert result["status"] == "applied", result


def test_edit_of_deleted_deal_restores(new_phone, live_server, client, book, seeded):
    from server.models import Deal, FieldHistory, db

    deal_id = seeded.deal_ids["Rack refresh"]
    phone, page = open_app(new_phone, book.members["ana"], f"/#/deal/{deal_id}")
    phone.set_offline(True)
    delete_deal_online(client, book.members["ben"], deal_id)

    page.get_by_test_id("value-input").fill("21000")
    page.get_by_test_id("save-value").click()
    expect(page.get_by_test_id("pending-count")).to_have_text("1 change waiting to sync")

    # Back online: the app shows that the deal was deleted, and keeps her edit.
    phone.set_offline(False)
    expect(page.get_by_test_id("pending-count")).to_have_text("All changes synced")
    expect(page.get_by_test_id("deal-notice")).to_have_text("This deal was deleted.")
    expect(page.get_by_test_id("banner-set-aside")).to_contain_text("1 change was set aside")
    with live_server.app.app_context():
        assert db.session.get(Deal, deal_id).deleted is True
        kept = FieldHistory.query.filter_by(record_id=deal_id, reason="edit_on_deleted")
        assert [(h.field, h.value) for h in kept] == [("value", 21000)]

    page.get_by_test_id("banner-set-aside-action").click()
    change = page.get_by_test_id("set-aside-change")
    expect(change).to_have_attribute("data-kind", "deleted")
    expect(change).to_contain_text("This deal was deleted by a teammate; your edit is kept.")
    expect(change).to_contain_text("21000")

    # Restore brings the deal back with her edit, on the server too.
    change.get_by_test_id("restore").click()
    expect(page.get_by_test_id("set-aside-change")).to_have_count(0)
    expect(page.get_by_test_id("pending-count")).to_have_text("All changes synced")
    expect(page.get_by_test_id("banner-set-aside")).to_have_count(0)
    with live_server.app.app_context():
        deal = db.session.get(Deal, deal_id)
        assert deal.deleted is False
        assert deal.value == Decimal("21000")

    page.goto(f"/#/deal/{deal_id}")
    expect(page.get_by_test_id("deal-title")).to_have_text("Rack refresh")
    expect(page.get_by_test_id("deal-notice")).to_be_hidden()
    expect(page.get_by_test_id("deal-value")).to_have_text("$21,000")


def test_invalid_change_set_aside_not_stuck(new_phone, live_server, book, seeded):
    from server.models import Deal, Note, db

    rack = seeded.deal_ids["Rack refresh"]
    routers = seeded.deal_ids["Edge routers"]
    phone, page = open_app(new_phone, book.members["ana"], f"/#/deal/{rack}")

    # Offline: two invalid changes first, then two valid ones behind them.
    phone.set_offline(True)
    bad_value = queue_mutation(page, "deal", rack, value="12,000 dollars")
    bad_stage = queue_mutation(page, "deal", routers, stage="lost_in_transit")
    page.get_by_test_id("next-stage").click()
    page.get_by_test_id("note-body").fill("Mere confirmed the budget.")
    page.get_by_test_id("log-note").click()
    expect(page.get_by_test_id("pending-count")).to_have_text("4 changes waiting to sync")
    queued = [m["id"] for m in pending_mutations(page)]
    assert queued[:2] == [bad_value["id"], bad_stage["id"]]

    phone.set_offline(False)
    expect(page.get_by_test_id("pending-count")).to_have_text("All changes synced")
    expect(page.get_by_test_id("banner-set-aside")).to_contain_text("2 changes were set aside")
    with live_server.app.app_context():
        assert db.session.get(Deal, rack).stage == "qualification"
        assert db.session.get(Deal, rack).value == Decimal("12000")
        assert db.session.get(Deal, routers).stage == "qualification"
        assert Note.query.filter_by(body="Mere confirmed the budget.").count() == 1

    # Each set-aside change names its field and the server's reason.
    page.get_by_test_id("tab-set-aside").click()
    changes = page.get_by_test_id("set-aside-change")
    expect(changes).to_have_count(2)
    value_change = changes.filter(has=page.locator('[data-field="value"]'))
    stage_change = changes.filter(has=page.locator('[data-field="stage"]'))
    expect(value_change.get_by_test_id("set-aside-error")).to_contain_text(
        "value: '12,000 dollars' is not a valid value"
    )
    expect(stage_change.get_by_test_id("set-aside-error")).to_contain_text(
        "stage: 'lost_in_transit' is not a valid stage"
    )

    # Fix the value and send it again; discard the stage.
    value_change.get_by_test_id("fix").click()
    value_change.get_by_test_id("fix-value").fill("12500")
    value_change.get_by_test_id("resend").click()
    expect(changes).to_have_count(1)
    stage_change.get_by_test_id("discard").click()
    expect(changes).to_have_count(0)
    expect(page.get_by_test_id("set-aside")).to_contain_text("No changes are set aside.")
    expect(page.get_by_test_id("pending-count")).to_have_text("All changes synced")
    expect(page.get_by_test_id("banner-set-aside")).to_have_count(0)
    assert read_store(page, "set_aside") == []
    with live_server.app.app_context():
        assert db.session.get(Deal, rack).value == Decimal("12500")
        assert db.session.get(Deal, routers).stage == "qualification"

