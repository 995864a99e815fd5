"""Measure a phone's first sync of a large book and a full push, on SQLite and PostgreSQL.

Usage: .venv/bin/python bench/bench_sync.py [--deals 10000] [--postgres URL]

Each database gets one team with `--deals` deals (plus an account each ten
deals and a note each deal), written by the server as an import would. A
phone then pulls the whole book in pages of 500, pushes 500 mutations in
one request, and re-sends them (all answered as duplicates). Figures are
printed per database and as ratios PostgreSQL / SQLite from the same run.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


def build_book(app, deals: int) -> tuple[str, str]:
    """Create a team with a rep and `deals` deals; return the rep's token and team id."""
    from server.auth import issue_token
    from server.models import Team, User, db
    from server.records import ServerWriter

    with app.app_context():
        team = Team(name=f"Bench {uuid.uuid4().hex[:6]}")
        db.session.add(team)
        db.session.flush()
        user = User(team_id=team.id, email=f"{uuid.uuid4().hex[:8]}@bench.invalid",
                    name="Bench Rep", role="rep")
        db.session.add(user)
        db.session.flush()
        writer = ServerWriter(team)
        account_id = None
        for n in range(deals):
            if n % 10 == 0:
                account_id = writer.create("account", {"name": f"Account {n}"}).id
            deal = writer.create("deal", {
                "title": f"Deal {n}", "account_id": account_id, "stage": "proposal",
                "value": n * 10, "owner_id": user.id,
            })
            writer.create("note", {"deal_id": deal.id, "author_id": user.id,
                                   "body": f"Met about deal {n}"})
            if n % 500 == 0:
                db.session.flush()
        writer.finish()
        token = issue_token(user)
        db.session.commit()
        return token, team.id


def measure(url: str, deals: int) -> dict[str, float]:
    from flask_migrate import upgrade

    from server import create_app
    from server.models import db
    from sync.clock import format_stamp

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
    token, _ = build_book(app, deals)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}

    started = time.perf_counter()
    cursor, records, pages = None, 0, 0
    while True:
        body = client.post("/api/sync", headers=headers, json={
            "protocol": 1, "device_id": "bench-phone", "cursor": cursor, "limit": 500,
        }).get_json()
        records += len(body["changes"])
        pages += 1
        cursor = body["cursor"]
        if not body["has_more"]:
            break
    pull_s = time.perf_counter() - started

    deal_ids = [str(uuid.uuid4()) for _ in range(500)]
    mutations = [
        {"id": f"bench-phone:{n}", "entity": "deal", "record_id": deal_ids[n],
         "fields": {"title": f"New {n}", "stage": "prospecting", "value": n},
         "base": {}, "hlc": format_stamp(1_760_000_000_000 + n, 0, "bench-phone")}
        for n in range(500)
    ]
    request = {"protocol": 1, "device_id": "bench-phone", "cursor": cursor,
               "mutations": mutations}
    started = time.perf_counter()
    first = client.post("/api/sync", headers=headers, json=request).get_json()
    push_s = time.perf_counter() - started
    started = time.perf_counter()
    again = client.post("/api/sync", headers=headers, json=request).get_json()
    resend_s = time.perf_counter() - started
    assert {r["status"] for r in first["results"]} == {"applied"}
    assert {r["status"] for r in again["results"]} == {"duplicate"}
    with app.app_context():
        db.engine.dispose()
    return {
        "records": records, "pages": pages, "pull_s": pull_s,
        "records_per_s": records / pull_s, "push_s": push_s,
        "mutations_per_s": 500 / push_s, "resend_s": resend_s,
    }


def create_postgres_database(admin_url: str) -> tuple[str, callable]:
    import psycopg

    name = f"dealbook_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    base = admin_url.rpartition("/")[0].replace("postgresql://", "postgresql+psycopg://")
    return f"{base}/{name}", drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=10_000)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    args = parser.parse_args()
    logging.disable(logging.INFO)

    results = {}
    with tempfile.TemporaryDirectory() as folder:
        results["sqlite"] = measure(f"sqlite:///{folder}/bench.sqlite3", args.deals)
    url, drop = create_postgres_database(args.postgres)
    try:
        results["postgresql"] = measure(url, args.deals)
    finally:
        drop()

    for name, r in results.items():
        print(
            f"{name}: first sync of {r['records']:,} records in {r['pages']} pages, "
            f"{r['pull_s']:.1f} s, {r['records_per_s']:,.0f} records/s; "
            f"push of 500 mutations {r['push_s'] * 1000:.0f} ms "
            f"({r['mutations_per_s']:,.0f}/s); re-sent {r['resend_s'] * 1000:.0f} ms"
        )
    sqlite, postgres = results["sqlite"], results["postgresql"]
    print(f"ratio PostgreSQL/SQLite, pull records/s: "
          f"{postgres['records_per_s'] / sqlite['records_per_s']:.2f}")
    print(f"ratio PostgreSQL/SQLite, push mutations/s: "
          f"{postgres['mutations_per_s'] / sqlite['mutations_per_s']:.2f}")
    print(f"ratio re-send/push time (duplicates are answered from stored results): "
          f"{sqlite['resend_s'] / sqlite['push_s']:.2f} SQLite, "
          f"{postgres['resend_s'] / postgres['push_s']:.2f} PostgreSQL")


if __name__ == "__main__":
    main()
