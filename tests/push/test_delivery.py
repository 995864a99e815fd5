"""Delivery through real pywebpush to the test push service on 127.0.0.1."""

import logging
import time
from email.utils import formatdate

import pytest
import pywebpush
import requests
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid.jwt import sign as sign_jwt

from server.push.delivery import (
    BASE_RETRY_DELAY_SECONDS,
    MAX_PAYLOAD_BYTES,
    MAX_RETRY_DELAY_SECONDS,
    InvalidSubscriptionError,
    PayloadTooLargeError,
    deliver,
    parse_retry_after,
)
from server.push.vapid import application_server_key
from tests.push_receiver import PushReceiver, Reply

SUBJECT = "mailto:ops@dealbook.example"


@pytest.fixture
def receiver():
    with PushReceiver() as running:
        yield running


@pytest.fixture
def vapid_key():
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def sleeps():
    """Delays that deliver() requested, recorded instead of slept."""
    return []


@pytest.fixture
def send_push(vapid_key, sleeps):
    def send_push(subscription, payload=None, **options):
        arguments = {
            "vapid_private_key": vapid_key,
            "subject": SUBJECT,
            "ttl": 3600,
            "urgency": "normal",
            "sleep": sleeps.append,
        }
        arguments.update(options)
        return deliver(subscription, payload or {"type": "ping"}, **arguments)

    return send_push


def test_payload_arrives_decrypted_unchanged(receiver, send_push):
    subscription = receiver.new_subscription()
    payload = {"type": "reminder", "dealId": "3f2a", "title": "Angebot für Müller ✓"}

    result = send_push(subscription, payload)

    assert result.status == "delivered"
    assert result.http_status == 201
    assert result.attempts == 1
    [received] = receiver.requests_for(subscription)
    assert received.payload == payload


def test_push_carries_valid_vapid(receiver, send_push, vapid_key):
    subscription = receiver.new_subscription()

    send_push(subscription)

    [received] = receiver.requests_for(subscription)
    assert received.status == 201
    assert received.vapid_key == application_server_key(vapid_key)
    assert received.claims["aud"] == receiver.origin
    assert received.claims["sub"] == SUBJECT
    assert time.time() < received.claims["exp"] <= time.time() + 24 * 60 * 60


def test_ttl_and_urgency_received(receiver, send_push):
    subscription = receiver.new_subscription()

    send_push(subscription, ttl=600, urgency="high")

    [received] = receiver.requests_for(subscription)
    assert received.ttl == 600
    assert received.urgency == "high"


def test_each_push_gets_own_audience(send_push):
    with PushReceiver() as first, PushReceiver() as second:
        first_subscription = first.new_subscription()
        second_subscription = second.new_subscription()

        first_result = send_push(first_subscription)
        second_result = send_push(second_subscription)

        assert first_result.status == "delivered"
        assert second_result.status == "delivered"
        [second_received] = second.requests_for(second_subscription)
        assert second_received.claims["aud"] == second.origin


def test_foreign_vapid_key_rejected(receiver, send_push, vapid_key):
    bound_key = application_server_key(ec.generate_private_key(ec.SECP256R1()))
    subscription = receiver.new_subscription(application_server_key=bound_key)

    result = send_push(subscription)

    assert result.status == "failed"
    assert result.http_status == 403
    assert result.attempts == 1
    [received] = receiver.requests_for(subscription)
    assert "applicationServerKey" in received.reason
    assert received.plaintext is None


def vapid_header(private_key, claims, key=None):
    """Build a vapid Authorization header for any claims and any key k."""
    token = sign_jwt(claims, private_key)
    return f"vapid t={token},k={key or application_server_key(private_key)}"


def valid_claims(receiver):
    return {"aud": receiver.origin, "exp": int(time.time()) + 3600, "sub": SUBJECT}


def tamper_signature(header):
    token_start = header.index("t=") + 2
    token_end = header.index(",k=")
    token = header[token_start:token_end]
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    return header[:token_start] + flipped + header[token_end:]


TAMPERED_AUTHORIZATIONS = {
    "signature changed": lambda key, claims: tamper_signature(
        vapid_header(key, claims)
    ),
    "key k from another signer": lambda key, claims: vapid_header(
        key, claims, key=application_server_key(ec.generate_private_key(ec.SECP256R1()))
    ),
    "aud other port": lambda key, claims: vapid_header(
        key, {**claims, "aud": "http://127.0.0.1:1"}
    ),
    "exp in past": lambda key, claims: vapid_header(
        key, {**claims, "exp": int(time.time()) - 60}
    ),
    "exp beyond 24 hours": lambda key, claims: vapid_header(
        key, {**claims, "exp": int(time.time()) + 25 * 60 * 60}
    ),
    "sub not URL": lambda key, claims: vapid_header(
        key, {**claims, "sub": "ops@dealbook.example"}
    ),
    "scheme WebPush": lambda key, claims: "WebPush "
    + vapid_header(key, claims).removeprefix("vapid "),
    "missing header": lambda key, claims: None,
}


@pytest.mark.parametrize("case", TAMPERED_AUTHORIZATIONS)
def test_receiver_rejects_bad_vapid(receiver, vapid_key, case):
    subscription = receiver.new_subscription()
    authorization = TAMPERED_AUTHORIZATIONS[case](vapid_key, valid_claims(receiver))
    headers = {"TTL": "60", "Content-Encoding": "aes128gcm"}
    if authorization is not None:
        headers["Authorization"] = authorization

    response = requests.post(
        subscription["endpoint"], data=b"x", headers=headers, timeout=5
    )

    assert response.status_code == 401
    assert response.json()["reason"]
    [received] = receiver.requests_for(subscription)
    assert received.status == 401


def test_receiver_accepts_valid_header(receiver, vapid_key):
    subscription = receiver.new_subscription()
    headers = {
        "Authorization": vapid_header(vapid_key, valid_claims(receiver)),
        "Content-Encoding": "aes128gcm",
    }

    response = requests.post(
        subscription["endpoint"], data=b"x", headers=headers, timeout=5
    )

    # The VAPID check passes, so the request fails at the next check, for TTL.
    assert response.status_code == 400
    assert "TTL" in response.json()["reason"]


@pytest.mark.parametrize("status", [404, 410])
def test_gone_after_one_attempt(receiver, send_push, sleeps, status):
    subscription = receiver.new_subscription()
    receiver.script(subscription, status)

    result = send_push(subscription)

    assert result.status == "gone"
    assert result.http_status == status
    assert result.attempts == 1
    assert sleeps == []
    assert len(receiver.requests_for(subscription)) == 1


def test_429_honours_retry_after_seconds(receiver, send_push, sleeps):
    subscription = receiver.new_subscription()
    receiver.script(subscription, Reply(429, retry_after="2"))

    result = send_push(subscription, {"type": "ping"})

    assert result.status == "delivered"
    assert result.attempts == 2
    assert sleeps == [2]
    statuses = [r.status for r in receiver.requests_for(subscription)]
    assert statuses == [429, 201]


def test_429_honours_retry_after_date(receiver, send_push, sleeps):
    subscription = receiver.new_subscription()
    fixed_now = 1_900_000_000.0
    retry_at = formatdate(fixed_now + 5, usegmt=True)
    receiver.script(subscription, Reply(429, retry_after=retry_at))

    result = send_push(subscription, now=lambda: fixed_now)

    assert result.status == "delivered"
    assert sleeps == [5]


def test_retry_after_capped_at_maximum(receiver, send_push, sleeps):
    subscription = receiver.new_subscription()
    receiver.script(subscription, Reply(503, retry_after="86400"))

    result = send_push(subscription)

    assert result.status == "delivered"
    assert sleeps == [MAX_RETRY_DELAY_SECONDS]


def test_500_twice_then_delivered(receiver, send_push, sleeps):
    subscription = receiver.new_subscription()
    receiver.script(subscription, 500, 500)

    result = send_push(subscription)

    assert result.status == "delivered"
    assert result.http_status == 201
    assert result.attempts == 3
    assert sleeps == [BASE_RETRY_DELAY_SECONDS, 2 * BASE_RETRY_DELAY_SECONDS]


def test_always_500_fails_after_max(receiver, send_push, sleeps):
    subscription = receiver.new_subscription()
    receiver.script(subscription, *[500] * 10)

    result = send_push(subscription, max_attempts=4)

    assert result.status == "failed"
    assert result.http_status == 500
    assert result.attempts == 4
    assert sleeps == [BASE_RETRY_DELAY_SECONDS * factor for factor in (1, 2, 4)]
    assert len(receiver.requests_for(subscription)) == 4


def test_other_4xx_fails_without_retry(receiver, send_push, sleeps):
    subscription = receiver.new_subscription()
    receiver.script(subscription, 413)

    result = send_push(subscription)

    assert result.status == "failed"
    assert result.http_status == 413
    assert result.attempts == 1
    assert sleeps == []


def test_connection_error_retried_then_delivered(receiver, send_push, sleeps):
    subscription = receiver.new_subscription()
    calls = []

    def flaky_send(**arguments):
        calls.append(arguments["vapid_claims"])
        if len(calls) == 1:
            raise requests.ConnectionError("connection refused")
        return pywebpush.webpush(**arguments)

    result = send_push(subscription, send=flaky_send)

    assert result.status == "delivered"
    assert result.attempts == 2
    assert sleeps == [BASE_RETRY_DELAY_SECONDS]
    assert calls[0] is not calls[1]


def test_unreachable_service_fails(send_push, sleeps):
    with PushReceiver() as stopped:
        subscription = stopped.new_subscription()

    result = send_push(subscription, max_attempts=2)

    assert result.status == "failed"
    assert result.http_status is None
    assert result.attempts == 2
    assert sleeps == [BASE_RETRY_DELAY_SECONDS]


def test_oversized_payload_rejected_before_sending(receiver, send_push):
    subscription = receiver.new_subscription()
    payload = {"note": "x" * MAX_PAYLOAD_BYTES}
    size = MAX_PAYLOAD_BYTES + len('{"note":""}')

    with pytest.raises(PayloadTooLargeError) as raised:
        send_push(subscription, payload)

    message = str(raised.value)
    assert f"{size:,} bytes" in message
    assert f"{MAX_PAYLOAD_BYTES:,} bytes" in message
    assert "4,096" in message
    assert receiver.requests_for(subscription) == []


def test_payload_at_limit_delivered(receiver, send_push):
    subscription = receiver.new_subscription()
    payload = {"note": "x" * (MAX_PAYLOAD_BYTES - len('{"note":""}'))}

    result = send_push(subscription, payload)

    assert result.status == "delivered"
    [received] = receiver.requests_for(subscription)
    assert received.payload == payload


INVALID_SUBSCRIPTIONS = {
    "no endpoint": lambda s: {"keys": s["keys"]},
    "ftp endpoint": lambda s: {**s, "endpoint": "ftp://127.0.0.1/push/x"},
    "no keys": lambda s: {"endpoint": s["endpoint"]},
    "p256dh not a point": lambda s: {**s, "keys": {**s["keys"], "p256dh": "AAAA"}},
    "auth too short": lambda s: {**s, "keys": {**s["keys"], "auth": "AAAA"}},
}


@pytest.mark.parametrize("case", INVALID_SUBSCRIPTIONS)
def test_invalid_subscription_rejected(receiver, send_push, case):
    subscription = INVALID_SUBSCRIPTIONS[case](receiver.new_subscription())

    with pytest.raises(InvalidSubscriptionError):
        send_push(subscription)

    assert receiver.received == []


def test_invalid_urgency_rejected(receiver, send_push):
    subscription = receiver.new_subscription()

    with pytest.raises(ValueError, match="Urgency 'urgent' is invalid"):
        send_push(subscription, urgency="urgent")


def test_logs_host_status_without_secrets(receiver, send_push, caplog):
    subscription = receiver.new_subscription()
    receiver.script(subscription, 500)
    caplog.set_level(logging.INFO, logger="server.push.delivery")

    send_push(subscription, {"note": "confidential discount"})

    log_text = caplog.text
    assert "127.0.0.1" in log_text
    assert "status 500" in log_text
    assert "status 201" in log_text
    assert "Retrying push" in log_text
    assert "confidential" not in log_text
    assert subscription["keys"]["p256dh"] not in log_text
    assert subscription["keys"]["auth"] not in log_text
    assert subscription["endpoint"] not in log_text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("2", 2.0),
        (" 30 ", 30.0),
        (formatdate(1_900_000_010, usegmt=True), 10.0),
        (formatdate(1_899_999_000, usegmt=True), 0.0),
        ("soon", None),
        ("-5", None),
    ],
)
def test_parse_retry_after(value, expected):
    assert parse_retry_after(value, now=1_900_000_000.0) == expected
