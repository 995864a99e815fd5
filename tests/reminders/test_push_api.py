"""`/api/push`: public key, subscriptions and reminder settings."""

from __future__ import annotations

from server.models import PushSubscription, User, db


def test_public_key_created_once(client, book, app):
    ana = book.members["ana"]

    first = client.get("/api/push/public-key", headers=ana.headers)
    second = client.get("/api/push/public-key", headers=ana.headers)

    assert first.status_code == 200
    assert len(first.get_json()["public_key"]) == 87
    assert second.get_json() == first.get_json()


def test_public_key_needs_token(client, book):
    assert client.get("/api/push/public-key").status_code == 401


def test_subscribe_then_refresh(client, book, app, receiver):
    ana = book.members["ana"]
    subscription = receiver.new_subscription()

    created = client.post("/api/push/subscriptions", json=subscription, headers=ana.headers)
    refreshed = client.post(
        "/api/push/subscriptions",
        json={**subscription, "user_agent": "Chrome on Android"},
        headers=ana.headers,
    )

    assert created.status_code == 201
    assert refreshed.status_code == 200
    with app.app_context():
        rows = db.session.scalars(db.select(PushSubscription)).all()
        assert len(rows) == 1
        assert rows[0].user_id == ana.id
        assert rows[0].user_agent == "Chrome on Android"


def test_subscription_moves_to_new_user(client, book, app, receiver):
    subscription = receiver.new_subscription()
    client.post("/api/push/subscriptions", json=subscription, headers=book.members["ana"].headers)

    client.post("/api/push/subscriptions", json=subscription, headers=book.members["ben"].headers)

    with app.app_context():
        owners = db.session.scalars(db.select(PushSubscription.user_id)).all()
        assert owners == [book.members["ben"].id]


def test_subscription_errors_name_value(client, book, receiver):
    ana = book.members["ana"]
    good = receiver.new_subscription()
    cases = {
        "endpoint": ({**good, "endpoint": "http://push.example.com/x"}, "http://push.example.com/x"),
        "keys.p256dh": ({**good, "keys": {**good["keys"], "p256dh": "AAAA"}}, "'AAAA'"),
        "keys.auth": ({**good, "keys": {**good["keys"], "auth": "c2hvcnQ"}}, "'c2hvcnQ'"),
    }

    for field, (body, value) in cases.items():
        response = client.post("/api/push/subscriptions", json=body, headers=ana.headers)
        error = response.get_json()
        assert response.status_code == 400, field
        assert field in error["fields"], error
        assert value in error["message"], error


def test_http_endpoint_rejected_outside_testing(client, book, app, receiver):
    app.testing = False
    subscription = receiver.new_subscription()

    response = client.post(
        "/api/push/subscriptions", json=subscription, headers=book.members["ana"].headers
    )

    assert response.status_code == 400
    assert subscription["endpoint"] in response.get_json()["message"]


def test_delete_only_own_subscription(client, book, app, receiver):
    subscription = receiver.new_subscription()
    client.post("/api/push/subscriptions", json=subscription, headers=book.members["ana"].headers)
    body = {"endpoint": subscription["endpoint"]}

    by_ben = client.delete("/api/push/subscriptions", json=body, headers=book.members["ben"].headers)
    by_ana = client.delete("/api/push/subscriptions", json=body, headers=book.members["ana"].headers)

    assert by_ben.status_code == 404
    assert subscription["endpoint"] in by_ben.get_json()["message"]
    assert by_ana.status_code == 204
    with app.app_context():
        assert db.session.scalars(db.select(PushSubscription)).all() == []


def test_settings_defaults_and_update(client, book, app):
    ana = book.members["ana"]

    before = client.get("/api/push/settings", headers=ana.headers).get_json()
    after = client.put(
        "/api/push/settings",
        json={"quiet_hours_start": "21:30", "digest_time": "09:15", "time_zone": "Asia/Taipei"},
        headers=ana.headers,
    )

    assert before == {
        "quiet_hours_start": "22:00",
        "quiet_hours_end": "07:00",
        "digest_time": "08:00",
        "time_zone": "UTC",
    }
    assert after.status_code == 200
    assert after.get_json()["quiet_hours_start"] == "21:30"
    with app.app_context():
        user = db.session.get(User, ana.id)
        assert user.time_zone == "Asia/Taipei"
        assert user.settings["digest_time"] == "09:15"


def test_settings_errors_name_value(client, book):
    ana = book.members["ana"]
    cases = {
        "time_zone": "Mars/Olympus",
        "quiet_hours_end": "25:00",
        "digest_time": None,
    }

    for field, value in cases.items():
        response = client.put("/api/push/settings", json={field: value}, headers=ana.headers)
        error = response.get_json()
        assert response.status_code == 400, field
        assert field in error["fields"], error
        assert repr(value) in error["message"], error


def test_settings_quiet_hours_need_both_ends(client, book):
    response = client.put(
        "/api/push/settings",
        json={"quiet_hours_start": None},
        headers=book.members["ana"].headers,
    )

    assert response.status_code == 400
    assert "both a start and an end" in response.get_json()["message"]


def test_vapid_keys_command_refuses_overwrite(app):
    runner = app.test_cli_runner()

    first = runner.invoke(args=["vapid-keys"])
    second = runner.invoke(args=["vapid-keys"])

    assert first.exit_code == 0, first.output
    assert "Public key" in first.output
    assert second.exit_code != 0
    assert "already exists" in second.output
