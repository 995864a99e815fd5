"""Several stateless API processes on one database apply every push once."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid

import pytest

from server.models import AppliedMutation, Deal, Team, db
from sync.clock import format_stamp
from tests.conftest import REPO

WORKERS = 2
# Requests go straight to the local processes, whatever proxy the environment sets.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
PUSHES_PER_PHONE = 15


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def post_sync(url: str, token: str, body: dict) -> dict:
    request = urllib.request.Request(
        f"{url}/api/sync",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with OPENER.open(request, timeout=30) as response:
        return json.loads(response.read())


@pytest.fixture
def api_processes(app):
    """Start WORKERS gunicorn processes on the test database; yield their URLs."""
    env = {
        **os.environ,
        "DEALBOOK_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "DEALBOOK_LOG_LEVEL": "WARNING",
    }
    processes, urls = [], []
    for _ in range(WORKERS):
        port = free_port()
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}",
                 "--workers", "1", "--threads", "4", "server:create_app()"],
                cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            )
        )
        urls.append(f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 30
    for url, process in zip(urls, processes):
        while True:
            try:
                OPENER.open(f"{url}/manifest.webmanifest", timeout=2).close()
                break
            except OSError:
                assert process.poll() is None, process.stderr.read().decode()
                assert time.monotonic() < deadline, f"{url} did not start"
                time.sleep(0.2)
    yield urls
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(timeout=15)


def test_concurrent_pushes_through_two_processes_apply_once(app, book, api_processes):
    members = [book.members["ana"], book.members["ben"], book.members["max"]]
    deal_id = str(uuid.uuid4())
    post_sync(api_processes[0], members[0].token, {
        "protocol": 1, "device_id": "seed", "mutations": [{
            "id": "seed:1", "entity": "deal", "record_id": deal_id,
            "fields": {"title": "Shared deal", "stage": "prospecting"},
            "base": {}, "hlc": format_stamp(1_760_000_000_000, 0, "seed")}],
    })
    errors: list[BaseException] = []

    def phone(index: int) -> None:
        device = f"phone-{index}"
        try:
            for n in range(PUSHES_PER_PHONE):
                mutations = [
                    {"id": f"{device}:{n}", "entity": "note", "record_id": str(uuid.uuid4()),
                     "fields": {"deal_id": deal_id, "body": f"note {n} from {device}"},
                     "base": {}, "hlc": format_stamp(1_760_000_000_000 + n, 0, device)},
                    {"id": f"{device}:v{n}", "entity": "deal", "record_id": deal_id,
                     "fields": {"value": index * 1000 + n}, "base": {"value": 0},
                     "hlc": format_stamp(1_760_000_000_000 + n, 1, device)},
                ]
                body = {"protocol": 1, "device_id": device, "mutations": mutations}
                url = api_processes[n % WORKERS]
                post_sync(url, members[index].token, body)
                # Every other push is re-sent through the other process.
                if n % 2:
                    again = post_sync(api_processes[(n + 1) % WORKERS], members[index].token, body)
                    assert {r["status"] for r in again["results"]} == {"duplicate"}
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=phone, args=(i,)) for i in range(len(members))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    pulls = [
        post_sync(url, members[0].token, {"protocol": 1, "device_id": f"audit{i}", "limit": 1000})
        for i, url in enumerate(api_processes)
    ]
    assert pulls[0]["changes"] == pulls[1]["changes"]
    notes = [c for c in pulls[0]["changes"] if c["entity"] == "note"]
    assert len(notes) == len(members) * PUSHES_PER_PHONE
    with app.app_context():
        team = db.session.get(Team, book.teams["North"])
        applied = db.session.scalar(
            db.select(db.func.count()).select_from(AppliedMutation)
        )
        assert applied == 1 + 2 * len(members) * PUSHES_PER_PHONE
        seqs = db.session.scalars(db.select(Deal.seq)).all()
        assert team.change_seq >= max(seqs)
