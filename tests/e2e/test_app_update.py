"""A server that no longer speaks the app's sync protocol: the app keeps its
queue and offers the update. The service worker serves one version's shell."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.phones import open_app, pending_mutations

PWA = Path(__file__).resolve().parents[2] / "pwa"

# Reads the paths and bodies of every cached file, by cache name.
READ_CACHES_SCRIPT = """async () => {
  const result = {};
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    result[name] = {};
    for (const request of await cache.keys()) {
      const body = await (await cache.match(request)).arrayBuffer();
      result[name][new URL(request.url).pathname] = Array.from(new Uint8Array(body));
    }
  }
  return result;
}"""


def shell_files() -> tuple[str, list[str]]:
    """Return the cache name and shell file list that pwa/sw.js declares."""
    source = (PWA / "sw.js").read_text()
    version = re.search(r"const SHELL_VERSION = '([^']+)'", source).group(1)
    listing = re.search(r"const SHELL_FILES = \[(.*?)\];", source, re.S).group(1)
    return f"dealbook-shell-{version}", re.findall(r"'([^']+)'", listing)


def test_old_protocol_keeps_queue_until_update(new_phone, live_server, book, seeded, monkeypatch):
    from server import syncing
    from server.models import Note

    deal_id = seeded.deal_ids["Rack refresh"]
    phone, page = open_app(new_phone, book.members["ana"], f"/#/deal/{deal_id}")

    phone.set_offline(True)
    bodies = [f"Visit {number}: Mere reviewed the quote." for number in range(1, 11)]
    for body in bodies:
        page.get_by_test_id("note-body").fill(body)
        page.get_by_test_id("log-note").click()
    expect(page.get_by_test_id("pending-count")).to_have_text("10 changes waiting to sync")

    # The server moves to a newer protocol while the ten changes wait.
    monkeypatch.setattr(syncing, "PROTOCOL_VERSION", syncing.PROTOCOL_VERSION + 1)
    phone.set_offline(False)
    banner = page.get_by_test_id("banner-update-required")
    expect(banner).to_contain_text("Update the app")
    expect(page.get_by_test_id("banner-update-required-action")).to_have_text("Update the app")
    expect(page.get_by_test_id("pending-count")).to_have_text("10 changes waiting to sync")
    queued = pending_mutations(page)
    assert [m["fields"]["body"] for m in queued] == bodies
    with live_server.app.app_context():
        assert Note.query.filter_by(deal_id=deal_id).count() == 1

    # The update: server and app speak one protocol again, and the page reloads.
    monkeypatch.undo()
    page.get_by_test_id("banner-update-required-action").click()
    expect(page.get_by_test_id("pending-count")).to_have_text("All changes synced")
    expect(page.get_by_test_id("banner-update-required")).to_have_count(0)
    with live_server.app.app_context():
        stored = {note.body for note in Note.query.filter_by(deal_id=deal_id)}
        assert set(bodies) <= stored
        assert len(stored) == 11


def test_service_worker_caches_one_version(new_phone, live_server, book, seeded):
    _, page = open_app(new_phone, book.members["ana"])
    cache_name, files = shell_files()

    caches = page.evaluate(READ_CACHES_SCRIPT)

    assert list(caches) == [cache_name]
    cached = caches[cache_name]
    assert sorted(cached) == sorted(files)
    for path in files:
        on_disk = PWA / ("index.html" if path == "/" else path.lstrip("/"))
        assert bytes(cached[path]) == on_disk.read_bytes(), f"{path} differs from pwa/"
