"""A second app version deployed while changes wait: the new service worker
installs beside the old one, the page keeps running the old version whole
until the rep accepts the update, and then runs the new version whole.

The app is served from a copy of pwa/, so the test can deploy a new version
by rewriting files in the copy, as a real deploy rewrites the served folder.
The new version also speaks a newer sync protocol, as the server does after
the deploy, so the waiting changes can sync only once the page runs the new
version's sync client.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Page, Response, expect

from tests.e2e.phones import open_app, pending_mutations, wait_until
from tests.e2e.test_app_update import READ_CACHES_SCRIPT

PWA = Path(__file__).resolve().parents[2] / "pwa"

OLD_BOARD_TAB = "Pipeline"
NEW_BOARD_TAB = "Pipeline (new)"
NEW_CSS_RULE = ':root { --shell-build: "new"; }\n'

# Fetches each path from the page, so the service worker that controls the
# page serves it, as it serves the page's own loads.
FETCH_FILES_SCRIPT = """async (paths) => {
  const result = {};
  for (const path of paths) {
    const body = await (await fetch(path)).arrayBuffer();
    result[path] = Array.from(new Uint8Array(body));
  }
  return result;
}"""

WORKER_STATES_SCRIPT = """async () => {
  const registration = await navigator.serviceWorker.getRegistration();
  return {
    active: registration.active?.state ?? null,
    waiting: registration.waiting?.state ?? null,
    installing: registration.installing?.state ?? null,
  };
}"""


def read_shell(folder: Path) -> tuple[str, dict[str, bytes]]:
    """Return the cache name that folder/sw.js declares and each shell file's bytes."""
    source = (folder / "sw.js").read_text()
    version = re.search(r"const SHELL_VERSION = '([^']+)'", source).group(1)
    listing = re.search(r"const SHELL_FILES = \[(.*?)\];", source, re.S).group(1)
    files = {}
    for path in re.findall(r"'([^']+)'", listing):
        on_disk = folder / ("index.html" if path == "/" else path.lstrip("/"))
        files[path] = on_disk.read_bytes()
    return f"dealbook-shell-{version}", files


def replace_once(path: Path, old: str, new: str) -> None:
    """Replace the one occurrence of old in the file at path with new."""
    text = path.read_text()
    assert text.count(old) == 1, f"{path.name} should contain {old!r} once"
    path.write_text(text.replace(old, new))


def deploy_new_version(site: Path, protocol: int) -> None:
    """Rewrite the served copy as the next app version: a new shell version,
    a new board tab label, a new CSS rule and the given sync protocol."""
    source = (site / "sw.js").read_text()
    version = re.search(r"const SHELL_VERSION = '([^']+)'", source).group(1)
    replace_once(
        site / "sw.js",
        f"const SHELL_VERSION = '{version}';",
        f"const SHELL_VERSION = '{version}-next';",
    )
    replace_once(
        site / "js" / "i18n" / "en.js",
        f"'nav.board': '{OLD_BOARD_TAB}',",
        f"'nav.board': '{NEW_BOARD_TAB}',",
    )
    with (site / "css" / "app.css").open("a") as css:
        css.write(NEW_CSS_RULE)
    replace_once(
        site / "js" / "sync-client.js",
        f"export const PROTOCOL_VERSION = {protocol - 1};",
        f"export const PROTOCOL_VERSION = {protocol};",
    )


def shell_build(page: Page) -> str:
    """Return the --shell-build custom property: "new" under the new CSS, else ""."""
    root_style = "getComputedStyle(document.documentElement)"
    return page.evaluate(f"{root_style}.getPropertyValue('--shell-build')").strip()


def assert_files_equal(
    actual: dict[str, list[int]], expected: dict[str, bytes], source: str
) -> None:
    """Assert that actual holds exactly the expected paths with the expected bytes."""
    assert sorted(actual) == sorted(expected), f"{source}: not the shell's paths"
    for path, body in expected.items():
        assert bytes(actual[path]) == body, f"{source}: {path} differs"


@pytest.fixture
def site(app, tmp_path) -> Path:
    """Serve the app from a copy of pwa/ that the test may rewrite."""
    folder = tmp_path / "site"
    shutil.copytree(PWA, folder)
    app.config["PWA_DIR"] = str(folder)
    return folder


def test_waiting_version_switches_whole(
    new_phone, live_server, book, seeded, site, monkeypatch
):
    from server import syncing
    from server.models import Note

    deal_id = seeded.deal_ids["Rack refresh"]
    old_cache, old_files = read_shell(site)
    phone, page = open_app(new_phone, book.members["ana"], f"/#/deal/{deal_id}")
    expect(page.get_by_test_id("tab-board")).to_have_text(OLD_BOARD_TAB)

    # Two notes wait offline.
    phone.set_offline(True)
    bodies = ["Mere asked for a second quote.", "Site survey booked for Tuesday."]
    for body in bodies:
        page.get_by_test_id("note-body").fill(body)
        page.get_by_test_id("log-note").click()
    pending = page.get_by_test_id("pending-count")
    expect(pending).to_have_text("2 changes waiting to sync")

    # Deploy: new app files and a server that speaks only the new protocol.
    new_protocol = syncing.PROTOCOL_VERSION + 1
    deploy_new_version(site, new_protocol)
    monkeypatch.setattr(syncing, "PROTOCOL_VERSION", new_protocol)
    new_cache, new_files = read_shell(site)
    assert new_cache != old_cache

    # Online again: the old app cannot sync, so it keeps its queue. The
    # check for a new version installs the new worker, which waits.
    phone.set_offline(False)
    expect(page.get_by_test_id("banner-update-required")).to_be_visible()
    page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.update())")
    wait_until(
        page,
        lambda: page.evaluate(WORKER_STATES_SCRIPT)["waiting"] == "installed",
        "the new service worker should install and wait",
    )
    assert page.evaluate(WORKER_STATES_SCRIPT) == {
        "active": "activated",
        "waiting": "installed",
        "installing": None,
    }
    expect(page.get_by_test_id("banner-update-action")).to_have_text(
        "Update available — reload"
    )

    caches = page.evaluate(READ_CACHES_SCRIPT)
    assert sorted(caches) == sorted([old_cache, new_cache])
    assert_files_equal(caches[old_cache], old_files, "old cache")
    assert_files_equal(caches[new_cache], new_files, "new cache before the switch")

    # Until the rep accepts, a reload and every fetch get the old version.
    loaded: list[Response] = []

    def record(response: Response) -> None:
        loaded.append(response)

    page.on("response", record)
    page.reload()
    expect(page.get_by_test_id("tab-board")).to_have_text(OLD_BOARD_TAB)
    assert shell_build(page) == ""
    page.remove_listener("response", record)
    shell_loads = [
        response
        for response in loaded
        if response.url.startswith(live_server.url)
        and not response.url.startswith(f"{live_server.url}/api/")
    ]
    assert shell_loads, "the reload should load shell files"
    for response in shell_loads:
        path = response.url[len(live_server.url) :].split("#")[0]
        assert response.from_service_worker, f"{path} skipped the service worker"
        assert response.body() == old_files[path], f"{path} is not the old version"
    fetched = page.evaluate(FETCH_FILES_SCRIPT, list(old_files))
    assert_files_equal(fetched, old_files, "fetched while the new version waits")

    expect(page.get_by_test_id("banner-update-required")).to_be_visible()
    expect(pending).to_have_text("2 changes waiting to sync")
    assert [m["fields"]["body"] for m in pending_mutations(page)] == bodies
    with live_server.app.app_context():
        assert Note.query.filter_by(deal_id=deal_id).count() == 1

    # The rep accepts: the new worker takes over and the page reloads.
    with page.expect_navigation():
        page.get_by_test_id("banner-update-action").click()
    expect(page.get_by_test_id("tab-board")).to_have_text(NEW_BOARD_TAB)
    assert shell_build(page) == '"new"'
    assert page.evaluate(WORKER_STATES_SCRIPT) == {
        "active": "activated",
        "waiting": None,
        "installing": None,
    }

    caches = page.evaluate(READ_CACHES_SCRIPT)
    assert list(caches) == [new_cache]
    assert_files_equal(caches[new_cache], new_files, "new cache after the switch")
    fetched = page.evaluate(FETCH_FILES_SCRIPT, list(new_files))
    assert_files_equal(fetched, new_files, "fetched after the switch")

    # The new sync client speaks the server's protocol: the queue syncs.
    expect(pending).to_have_text("All changes synced")
    expect(page.get_by_test_id("banner-update-required")).to_have_count(0)
    assert pending_mutations(page) == []
    with live_server.app.app_context():
        stored = [note.body for note in Note.query.filter_by(deal_id=deal_id)]
    assert len(stored) == 3
    assert set(bodies) <= set(stored)
