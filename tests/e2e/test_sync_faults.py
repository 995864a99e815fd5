"""The sync loop in the browser against a lost response, a slow request, a
503 and the signal coming back, checked on the server's database."""

from __future__ import annotations

from decimal import Decimal

from playwright.sync_api import Page, expect

from tests.e2e.phones import SyncRoute, open_app, pending_mutations, wait_until

# How soon the outbox must drain once the signal returns, in ms: the online
# event starts a sync at once, and a loopback round trip takes well under 1 s.
SIGNAL_RETURN_SYNC_MS = 5_000


def wait_for_held(page: Page, sync: SyncRoute) -> None:
    wait_until(page, lambda: len(sync.held) == 1, "no sync response is held")


def log_note(page: Page, body: str) -> None:
    page.get_by_test_id("note-body").fill(body)
    page.get_by_test_id("log-note").click()


def notes_with_body(app, body: str) -> int:
    from server.models import Note

    with app.app_context():
        return Note.query.filter_by(body=body).count()


def deal_value(app, deal_id: str) -> Decimal:
    from server.models import Deal, db

    with app.app_context():
        return db.session.get(Deal, deal_id).value


def test_lost_response_applies_once(new_phone, live_server, book, seeded):
    deal_id = seeded.deal_ids["Rack refresh"]
    phone, page = open_app(new_phone, book.members["ana"], f"/#/deal/{deal_id}")
    sync = SyncRoute(page, plan=["drop"])

    phone.set_offline(True)
    log_note(page, "Mere asked for a second quote.")
    expect(page.get_by_test_id("pending-count")).to_have_text("1 change waiting to sync")
    [note_mutation] = pending_mutations(page)

    # The server commits the first push but the phone never hears back; the
    # retry after backoff is answered as a duplicate.
    phone.set_offline(False)
    expect(page.get_by_test_id("pending-count")).to_have_text("All changes synced")
    sent = sync.mutation_requests()
    assert len(sent) == 2
    assert [m["id"] for m in sent[0]["mutations"]] == [note_mutation["id"]]
    assert [m["id"] for m in sent[1]["mutations"]] == [note_mutation["id"]]
    [result] = [r for r in sync.responses[-1]["results"] if r["id"] == note_mutation["id"]]
    assert result["status"] == "duplicate"
    assert result["first_status"] == "applied"

    assert notes_with_body(live_server.app, "Mere asked for a second quote.") == 1
    expect(page.get_by_test_id("note")).to_have_count(2)


def test_edit_during_slow_sync_goes_next(new_phone, live_server, book, seeded):
    deal_id = seeded.deal_ids["Rack refresh"]
    _, page = open_app(new_phone, book.members["ana"], f"/#/deal/{deal_id}")
    sync = SyncRoute(page, plan=["hold", "hold"])

    page.get_by_test_id("value-input").fill("13000")
    page.get_by_test_id("save-value").click()
    wait_for_held(page, sync)

    # While the first push is in flight the rep edits the value again.
    page.get_by_test_id("value-input").fill("14500")
    page.get_by_test_id("save-value").click()
    expect(page.get_by_test_id("pending-count")).to_have_text("2 changes waiting to sync")

    # The slow answer settles the first edit only; the second stays waiting
    # and shows over the server's copy, then goes out in the next request.
    sync.release()
    wait_for_held(page, sync)
    expect(page.get_by_test_id("pending-count")).to_have_text("1 change waiting to sync")
    expect(page.get_by_test_id("deal-value")).to_have_text("$14,500")
    [waiting] = pending_mutations(page)
    assert waiting["fields"] == {"value": 14500}
    second = sync.mutation_requests()[1]
    assert [m["id"] for m in second["mutations"]] == [waiting["id"]]

    sync.release()
    expect(page.get_by_test_id("pending-count")).to_have_text("All changes synced")
    expect(page.get_by_test_id("deal-value")).to_have_text("$14,500")
    assert deal_value(live_server.app, deal_id) == Decimal("14500")


def test_unavailable_server_drains_after_backoff(new_phone, live_server, book, seeded):
    deal_id = seeded.deal_ids["Rack refresh"]
    _, page = open_app(new_phone, book.members["ana"], f"/#/deal/{deal_id}")
    sync = SyncRoute(page, plan=[503])

    log_note(page, "Mere wants the racks before March.")
    expect(page.get_by_test_id("note")).to_have_count(2)

    # No further edit: the retry after backoff alone sends the note.
    wait_until(
        page,
        lambda: len(sync.mutation_requests()) >= 2,
        "the note was not sent again after the 503",
    )
    expect(page.get_by_test_id("pending-count")).to_have_text("All changes synced")
    sent = sync.mutation_requests()
    assert len(sent) == 2
    assert sent[0]["mutations"] == sent[1]["mutations"]
    [result] = [r for response in sync.responses for r in response["results"]]
    assert result["status"] == "applied"
    assert notes_with_body(live_server.app, "Mere wants the racks before March.") == 1


def test_signal_return_syncs_without_reload(new_phone, live_server, book, seeded):
    deal_id = seeded.deal_ids["Rack refresh"]
    phone, page = open_app(new_phone, book.members["ana"], f"/#/deal/{deal_id}")
    page.evaluate("window.sameDocument = true")

    phone.set_offline(True)
    page.get_by_test_id("value-input").fill("16000")
    page.get_by_test_id("save-value").click()
    expect(page.get_by_test_id("pending-count")).to_have_text("1 change waiting to sync")

    phone.set_offline(False)
    expect(page.get_by_test_id("pending-count")).to_have_text(
        "All changes synced", timeout=SIGNAL_RETURN_SYNC_MS
    )
    expect(page.get_by_test_id("connection")).to_have_text("Online")
    assert page.evaluate("window.sameDocument") is True
    assert deal_value(live_server.app, deal_id) == Decimal("16000")
