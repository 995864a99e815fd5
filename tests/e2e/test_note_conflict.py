"""Two reps rewrite one meeting note offline, and the deal page shows the
conflict. The rep's choice is what the server and the other phone end with."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.phones import open_app

ANA_TEXT = "Mere wants 40 racks, delivery in March."
BEN_TEXT = "Mere wants 38 racks; budget signed off."

# Ben resolves on his phone, so "mine" is his text and "theirs" is ana's.
CHOICES = {
    "keep-mine": BEN_TEXT,
    "keep-theirs": ANA_TEXT,
    "keep-both": f"{BEN_TEXT}\n\n{ANA_TEXT}",
}


def rewrite_note(page: Page, text: str) -> None:
    note = page.get_by_test_id("note")
    note.get_by_test_id("note-edit").click()
    note.get_by_test_id("note-edit-body").fill(text)
    note.get_by_test_id("note-save").click()
    expect(note.get_by_test_id("note-text")).to_have_text(text)
    expect(page.get_by_test_id("pending-count")).to_have_text("1 change waiting to sync")


@pytest.mark.parametrize("choice", list(CHOICES))
def test_note_conflict_resolved_everywhere(new_phone, live_server, book, seeded, choice):
    from server.models import Conflict, Note, db

    deal_id = seeded.deal_ids["Rack refresh"]
    [note_id] = seeded.note_ids
    path = f"/#/deal/{deal_id}"
    ana_phone, ana = open_app(new_phone, book.members["ana"], path)
    ben_phone, ben = open_app(new_phone, book.members["ben"], path)

    ana_phone.set_offline(True)
    ben_phone.set_offline(True)
    rewrite_note(ana, ANA_TEXT)
    rewrite_note(ben, BEN_TEXT)

    ana_phone.set_offline(False)
    expect(ana.get_by_test_id("pending-count")).to_have_text("All changes synced")
    ben_phone.set_offline(False)
    expect(ben.get_by_test_id("pending-count")).to_have_text("All changes synced")

    # Ben's push met ana's: both texts are kept and shown to him.
    conflict = ben.get_by_test_id("conflict")
    expect(conflict).to_have_count(1)
    expect(conflict.get_by_test_id("conflict-mine")).to_have_text(BEN_TEXT)
    expect(conflict.get_by_test_id("conflict-theirs")).to_have_text(ANA_TEXT)
    with live_server.app.app_context():
        [stored] = Conflict.query.filter_by(record_id=note_id).all()
        assert stored.field == "body"
        assert {stored.kept, stored.other} == {ANA_TEXT, BEN_TEXT}
        assert stored.resolved is False

    # Ana's phone shows the same conflict after its next sync.
    ana.reload()
    expect(ana.get_by_test_id("conflict")).to_have_count(1)
    expect(ana.get_by_test_id("conflict-mine")).to_have_text(ANA_TEXT)

    conflict.get_by_test_id(choice).click()
    expect(ben.get_by_test_id("conflict")).to_have_count(0)
    expect(ben.get_by_test_id("pending-count")).to_have_text("All changes synced")
    chosen = CHOICES[choice]
    with live_server.app.app_context():
        assert db.session.get(Note, note_id).body == chosen
        assert db.session.get(Conflict, stored.id).resolved is True

    ana.reload()
    expect(ana.get_by_test_id("pending-count")).to_have_text("All changes synced")
    expect(ana.get_by_test_id("conflict")).to_have_count(0)
    ana_body = ana.get_by_test_id("note-text").text_content()
    assert ana_body == chosen
    ben_body = ben.get_by_test_id("note-text").text_content()
    assert ben_body == chosen
