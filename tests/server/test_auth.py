"""Log-in, tokens and cross-origin access."""

from __future__ import annotations

from datetime import timedelta

from server.models import Token, User, db, utcnow
from tests.conftest import PASSWORD


def login(client, email, password):
    return client.post("/api/auth/login", json={"email": email, "password": password})


def test_login_returns_token_that_opens_the_api(client, book):
    ana = book.members["ana"]

    response = login(client, ana.email.upper(), PASSWORD)
    token = response.get_json()["token"]
    me = client.get("/api/me", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 200
    assert me.get_json()["user"]["id"] == ana.id
    assert response.get_json()["user"]["team_name"] == "North"


def test_wrong_password_and_unknown_email_look_alike(client, book):
    wrong = login(client, book.members["ana"].email, "not it")
    unknown = login(client, "nobody@example.com", "not it")

    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json() == unknown.get_json()


def test_password_stored_as_kdf_hash(app, book):
    with app.app_context():
        user = db.session.get(User, book.members["ana"].id)

    assert PASSWORD not in user.password_hash
    assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))


def test_malformed_login_names_the_field(client, book):
    response = client.post("/api/auth/login", json={"email": "not-an-email"})

    body = response.get_json()
    assert response.status_code == 400
    assert "email" in body["message"]
    assert "password" in body["message"]


def test_expired_token_is_rejected(app, client, book):
    ana = book.members["ana"]
    with app.app_context():
        db.session.execute(db.update(Token).values(expires_at=utcnow() - timedelta(days=1)))
        db.session.commit()

    response = client.get("/api/me", headers=ana.headers)

    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_token"


def test_logout_revokes_token(client, book):
    ana = book.members["ana"]

    client.post("/api/auth/logout", headers=ana.headers)

    assert client.get("/api/me", headers=ana.headers).status_code == 401


def test_cors_admits_only_configured_origins(client, book):
    allowed = client.options(
        "/api/sync",
        headers={"Origin": "http://127.0.0.1:8765", "Access-Control-Request-Method": "POST"},
    )
    other = client.options(
        "/api/sync",
        headers={"Origin": "http://127.0.0.1:9999", "Access-Control-Request-Method": "POST"},
    )

    assert allowed.headers.get("Access-Control-Allow-Origin") == "http://127.0.0.1:8765"
    assert "Access-Control-Allow-Origin" not in other.headers
