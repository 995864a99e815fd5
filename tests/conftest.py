"""Shared fixtures: an app on SQLite and on PostgreSQL, users and tokens.

Every test that asks for `app` (or `client`, `book`) runs once per database.
PostgreSQL is reached at DEALBOOK_TEST_POSTGRES_URL (default: the local server
on 127.0.0.1:5432); each test session makes its own database and drops it at
the end. An unreachable PostgreSQL fails the suite; set
DEALBOOK_TEST_SKIP_POSTGRES=1 to run on SQLite alone on a laptop without one.
"""

from __future__ import annotations

import os
import secrets
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import text

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(
    os.environ.get("DEALBOOK_SHARED_DATA", REPO.parent / "shared" / "data")
).resolve()
POSTGRES_URL = os.environ.get(
    "DEALBOOK_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
BACKENDS = ["sqlite", "postgresql"]
PASSWORD = "correct horse battery"


def pytest_collection_modifyitems(config, items):
    if os.environ.get("DEALBOOK_TEST_SKIP_POSTGRES") != "1":
        return
    skip = pytest.mark.skip(reason="DEALBOOK_TEST_SKIP_POSTGRES=1")
    for item in items:
        if "[postgresql" in item.nodeid:
            item.add_marker(skip)


def create_postgres_database() -> tuple[str, callable]:
    """Create a database of this test session's own and return its URL and a dropper."""
    import psycopg

    name = f"dealbook_test_{os.getpid()}_{secrets.token_hex(3)}"
    admin_url = POSTGRES_URL
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL at {admin_url} is unreachable ({exc}). Start it, point "
            "DEALBOOK_TEST_POSTGRES_URL at one, or set DEALBOOK_TEST_SKIP_POSTGRES=1.",
            pytrace=False,
        )
    base, _, _ = admin_url.rpartition("/")

    def drop() -> None:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"{base}/{name}", drop


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory):
    """Migrate one database per backend once; tests empty it between them."""
    from flask_migrate import upgrade

    from server import create_app

    urls: dict[str, str] = {}
    droppers = []

    def prepare(backend: str) -> str:
        if backend in urls:
            return urls[backend]
        if backend == "sqlite":
            url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'dealbook.sqlite3'}"
        else:
            url, drop = create_postgres_database()
            droppers.append(drop)
        app = create_app({"SQLALCHEMY_DATABASE_URI": normalise(url), "TESTING": True})
        with app.app_context():
            upgrade()
            from server.models import db

            db.engine.dispose()
        urls[backend] = url
        return url

    yield prepare
    for drop in droppers:
        drop()


def normalise(url: str) -> str:
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def empty_database(db) -> None:
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if db.engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
        else:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def app(backend, database_urls, tmp_path):
    from server import create_app
    from server.models import db

    url = database_urls(backend)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": normalise(url),
            "TESTING": True,
            "CORS_ORIGINS": ["http://127.0.0.1:8765"],
        }
    )
    app.instance_path = str(tmp_path / "instance")
    os.makedirs(app.instance_path, exist_ok=True)
    with app.app_context():
        empty_database(db)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@dataclass
class Member:
    id: str
    email: str
    name: str
    role: str
    team_id: str
    token: str = ""

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Book:
    """Teams and members made for a test, with a token per member."""

    app: object
    members: dict[str, Member] = field(default_factory=dict)
    teams: dict[str, str] = field(default_factory=dict)

    def add_team(self, name: str) -> str:
        from server.models import Team, db

        with self.app.app_context():
            team = Team(name=name)
            db.session.add(team)
            db.session.commit()
            self.teams[name] = team.id
        return self.teams[name]

    def add_member(
        self, key: str, team: str, role: str = "rep", password: bool = True
    ) -> Member:
        from server.auth import hash_password, issue_token
        from server.models import User, db

        team_id = self.teams.get(team) or self.add_team(team)
        with self.app.app_context():
            user = User(
                team_id=team_id,
                email=f"{key}.{uuid.uuid4().hex[:6]}@example.com",
                name=key.title(),
                role=role,
                password_hash=hash_password(PASSWORD) if password else None,
            )
            db.session.add(user)
            db.session.flush()
            token = issue_token(user)
            db.session.commit()
            member = Member(user.id, user.email, user.name, role, team_id, token)
        self.members[key] = member
        return member


@pytest.fixture
def book(app) -> Book:
    """Team North with reps ana and ben and manager max; team South with rep sia."""
    book = Book(app)
    book.add_member("ana", "North")
    book.add_member("ben", "North")
    book.add_member("max", "North", role="manager")
    book.add_member("sia", "South")
    return book


class LiveServer:
    """The app served on 127.0.0.1 by a werkzeug server in a daemon thread."""

    def __init__(self, app) -> None:
        from werkzeug.serving import make_server

        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> "LiveServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)


@pytest.fixture
def live_server(app):
    server = LiveServer(app).start()
    yield server
    server.stop()
