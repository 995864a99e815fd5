"""A change committed after a later one was pulled still reaches every phone."""

from __future__ import annotations

import threading

from server.models import Team, db
from server.records import ServerWriter
from tests.server.helpers import Phone, new_id


def test_late_commit_is_not_skipped_by_cursor(app, client, book):
    ana = Phone(client, book.members["ana"], "ana-phone")
    ana.edit("deal", new_id(), title="Early deal", stage="prospecting")
    ana.sync()
    written = threading.Event()
    release = threading.Event()
    late_id = new_id()

    def slow_import() -> None:
        with app.app_context():
            team = db.session.get(Team, book.teams["North"])
            writer = ServerWriter(team)
            writer.create("deal", {"title": "Late deal", "stage": "proposal"}, late_id)
            writer.finish()
            db.session.flush()
            written.set()
            release.wait(timeout=30)
            db.session.commit()

    worker = threading.Thread(target=slow_import)
    worker.start()
    assert written.wait(timeout=30)

    ben = Phone(app.test_client(), book.members["ben"], "ben-phone")
    ben_deal = new_id()
    ben.edit("deal", ben_deal, title="Pushed meanwhile", stage="nurturing")
    pusher = threading.Thread(target=ben.sync)
    pusher.start()

    before = ana.sync()
    release.set()
    worker.join(timeout=30)
    pusher.join(timeout=30)
    ana.sync()

    seen_before = {c["id"] for c in before["changes"]}
    assert late_id not in seen_before
    assert ben_deal not in seen_before
    assert ana.fields("deal", late_id)["title"] == "Late deal"
    assert ana.fields("deal", ben_deal)["title"] == "Pushed meanwhile"
