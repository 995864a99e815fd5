"""A Web Push service on 127.0.0.1 for tests.

It checks a push request the way a real push service does and records what it
received, so tests can run real pywebpush end to end without the internet:

- ``Authorization: vapid t=<JWT>,k=<key>`` (RFC 8292): ES256 signature by ``k``,
  ``aud`` equal to this server's origin, ``exp`` in the future and at most 24 hours
  ahead, ``sub`` a ``mailto:`` or ``https:`` URL. A bad header gets 401. A key other
  than the one the subscription was made with gets 403.
- ``TTL`` present (400 if not), ``Urgency`` one of the RFC 8030 values if present.
- A body of at most 4,096 bytes (413 if larger, as RFC 8291 allows), encrypted
  with ``aes128gcm`` to the subscription's keys, which the receiver decrypts.

Each subscription has a queue of scripted replies (status and optional Retry-After).
A request that passes the checks takes the next reply, or 201 when the queue is
empty. Every request is recorded with its status and, when rejected, the reason.
"""

import base64
import binascii
import json
import os
import secrets
import struct
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

# Largest body a push service is required to accept (RFC 8291 section 4).
MAX_BODY_BYTES = 4096

# Latest `exp` a VAPID token may carry, in seconds from now (RFC 8292).
MAX_TOKEN_LIFETIME_SECONDS = 24 * 60 * 60

URGENCIES = ("very-low", "low", "normal", "high")


@dataclass(frozen=True)
class Reply:
    """Scripted reply: the HTTP status and an optional Retry-After value."""

    status: int
    retry_after: str | None = None


@dataclass
class ReceivedPush:
    """One request as the receiver saw it."""

    subscription_id: str
    status: int
    reason: str | None = None
    ttl: int | None = None
    urgency: str | None = None
    vapid_key: str | None = None
    claims: dict[str, Any] | None = None
    plaintext: bytes | None = None

    @property
    def payload(self) -> Any:
        """Decrypted body parsed as JSON, or None when nothing was decrypted."""
        if self.plaintext is None:
            return None

        return json.loads(self.plaintext)


@dataclass
class Subscriber:
    """The browser side of one subscription: its keys and scripted replies."""

    private_key: ec.EllipticCurvePrivateKey
    auth_secret: bytes
    application_server_key: str | None
    replies: deque[Reply] = field(default_factory=deque)


class Rejection(Exception):
    """Raised inside the handler to reply with an error status and reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class PushReceiver:
    """A threaded HTTP push service on 127.0.0.1 and an ephemeral port.

    Use it as a context manager, which stops the server when the block ends.
    """

    def __init__(self) -> None:
        self.received: list[ReceivedPush] = []
        self._subscribers: dict[str, Subscriber] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> "PushReceiver":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> "PushReceiver":
        """Bind to 127.0.0.1 on a free port and serve in a daemon thread."""
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="push-receiver",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is None:
            return

        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        self._server = None

    @property
    def origin(self) -> str:
        """Scheme, host and port, the value a VAPID `aud` claim must have."""
        if self._server is None:
            raise RuntimeError("The push receiver is not running. Call start() first.")

        return f"http://127.0.0.1:{self._server.server_port}"

    def new_subscription(self, application_server_key: str | None = None) -> dict:
        """Create subscription keys and return the JSON a browser would send.

        With ``application_server_key`` the subscription accepts only pushes signed
        by that VAPID key, as if the browser had subscribed with it.
        """
        subscription_id = secrets.token_urlsafe(12)
        private_key = ec.generate_private_key(ec.SECP256R1())
        auth_secret = os.urandom(16)
        with self._lock:
            self._subscribers[subscription_id] = Subscriber(
                private_key, auth_secret, application_server_key
            )

        public_point = private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": f"{self.origin}/push/{subscription_id}",
            "keys": {
                "p256dh": encode_base64url(public_point),
                "auth": encode_base64url(auth_secret),
            },
        }

    def script(self, subscription: dict, *replies: int | Reply) -> None:
        """Queue replies for the next valid requests to ``subscription``."""
        subscriber = self._subscribers[subscription_id_of(subscription)]
        with self._lock:
            for reply in replies:
                if isinstance(reply, int):
                    reply = Reply(reply)
                subscriber.replies.append(reply)

    def requests_for(self, subscription: dict) -> list[ReceivedPush]:
        """Return the requests recorded for ``subscription``, oldest first."""
        subscription_id = subscription_id_of(subscription)
        with self._lock:
            return [r for r in self.received if r.subscription_id == subscription_id]

    def handle_push(
        self, subscription_id: str, headers: Any, body: bytes
    ) -> tuple[Reply, str | None]:
        """Check one request, record it and return the reply and rejection reason."""
        record = ReceivedPush(subscription_id, status=0)
        try:
            reply = self._check_push(record, headers, body)
        except Rejection as rejection:
            record.status = rejection.status
            record.reason = rejection.reason
            reply = Reply(rejection.status)
        else:
            record.status = reply.status

        with self._lock:
            self.received.append(record)

        return reply, record.reason

    def _check_push(self, record: ReceivedPush, headers: Any, body: bytes) -> Reply:
        subscriber = self._subscribers.get(record.subscription_id)
        if subscriber is None:
            raise Rejection(404, f"No subscription {record.subscription_id}.")

        if len(body) > MAX_BODY_BYTES:
            raise Rejection(413, f"Body is {len(body)} bytes, over {MAX_BODY_BYTES}.")

        record.claims, record.vapid_key = verify_vapid(
            headers.get("Authorization"), self.origin, time.time()
        )
        expected_key = subscriber.application_server_key
        if expected_key is not None and record.vapid_key != expected_key:
            raise Rejection(
                403, "VAPID key differs from the subscription's applicationServerKey."
            )

        record.ttl = parse_ttl(headers.get("TTL"))
        record.urgency = parse_urgency(headers.get("Urgency"))
        record.plaintext = decrypt_body(subscriber, headers, body)

        with self._lock:
            if subscriber.replies:
                return subscriber.replies.popleft()

        return Reply(201)


def make_handler(receiver: PushReceiver) -> type[BaseHTTPRequestHandler]:
    """Build a request handler class bound to ``receiver``."""

    class PushHandler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            prefix, _, subscription_id = self.path.partition("/push/")
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            if prefix or not subscription_id:
                self.send_reply(Reply(404), f"No push resource at {self.path}.")
                return

            reply, reason = receiver.handle_push(subscription_id, self.headers, body)
            self.send_reply(reply, reason)

        def send_reply(self, reply: Reply, reason: str | None) -> None:
            content = json.dumps({"reason": reason}).encode() if reason else b""
            self.send_response(reply.status)
            if reply.retry_after is not None:
                self.send_header("Retry-After", reply.retry_after)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output quiet; the receiver records requests instead."""

    return PushHandler


def verify_vapid(
    authorization: str | None, origin: str, now: float
) -> tuple[dict[str, Any], str]:
    """Verify a ``vapid t=<JWT>,k=<key>`` header and return its claims and key.

    Raises Rejection with status 401 and the reason when any check fails.
    """
    if not authorization:
        raise Rejection(401, "Missing Authorization header.")

    scheme, _, parameters = authorization.partition(" ")
    if scheme.lower() != "vapid":
        raise Rejection(401, f"Authorization scheme is {scheme!r}, not 'vapid'.")

    fields = {}
    for part in parameters.split(","):
        name, _, value = part.strip().partition("=")
        fields[name] = value
    token = fields.get("t")
    key = fields.get("k")
    if not token or not key:
        raise Rejection(401, "Authorization lacks the t= token or the k= key.")

    claims = verify_es256_token(token, key)

    if claims.get("aud") != origin:
        raise Rejection(401, f"Token aud {claims.get('aud')!r} is not {origin!r}.")

    expiry = claims.get("exp")
    if not isinstance(expiry, int) or expiry <= now:
        raise Rejection(401, f"Token exp {expiry!r} is missing or in the past.")
    if expiry > now + MAX_TOKEN_LIFETIME_SECONDS:
        raise Rejection(401, f"Token exp {expiry} is more than 24 hours ahead.")

    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject.startswith(("mailto:", "https:")):
        raise Rejection(401, f"Token sub {subject!r} is not a mailto: or https: URL.")

    return claims, key


def verify_es256_token(token: str, key: str) -> dict[str, Any]:
    """Check a JWT's ES256 signature against the base64url P-256 point ``key``."""
    try:
        header_part, claims_part, signature_part = token.split(".")
        header = json.loads(decode_base64url(header_part))
        claims = json.loads(decode_base64url(claims_part))
        signature = decode_base64url(signature_part)
        public_key = ec.EllipticCurvePublicKey.from_encoded_point(
            ec.SECP256R1(), decode_base64url(key)
        )
    except (ValueError, binascii.Error) as error:
        raise Rejection(401, f"Malformed VAPID token or key: {error}") from None

    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise Rejection(401, "VAPID token header and claims must be JSON objects.")

    if header.get("alg") != "ES256":
        raise Rejection(401, f"Token alg {header.get('alg')!r} is not ES256.")

    # JWS carries the ECDSA signature as raw r || s (32 bytes each), but
    # cryptography verifies DER, so convert it.
    if len(signature) != 64:
        raise Rejection(401, f"ES256 signature is {len(signature)} bytes, not 64.")
    der_signature = encode_dss_signature(
        int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    )

    signed_part = f"{header_part}.{claims_part}".encode("ascii")
    try:
        public_key.verify(der_signature, signed_part, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise Rejection(401, "VAPID token signature does not match key k.") from None

    return claims


def parse_ttl(value: str | None) -> int:
    """Return the TTL header as seconds, rejecting a missing or invalid value."""
    if value is None:
        raise Rejection(400, "Missing TTL header.")

    if not value.isdigit():
        raise Rejection(400, f"TTL {value!r} is not a non-negative integer.")

    return int(value)


def parse_urgency(value: str | None) -> str | None:
    """Return the Urgency header, rejecting a value outside RFC 8030's list."""
    if value is not None and value not in URGENCIES:
        raise Rejection(400, f"Urgency {value!r} is not one of {URGENCIES}.")

    return value


def decrypt_body(subscriber: Subscriber, headers: Any, body: bytes) -> bytes:
    """Decrypt an aes128gcm body with the subscription's private key and auth."""
    encoding = headers.get("Content-Encoding")
    if encoding != "aes128gcm":
        raise Rejection(400, f"Content-Encoding {encoding!r} is not aes128gcm.")

    try:
        return http_ece.decrypt(
            body,
            private_key=subscriber.private_key,
            auth_secret=subscriber.auth_secret,
            version="aes128gcm",
        )
    except (http_ece.ECEException, InvalidTag, ValueError, struct.error) as error:
        raise Rejection(400, f"Body does not decrypt: {error!r}") from None


def subscription_id_of(subscription: dict) -> str:
    """Return the id at the end of a subscription's endpoint."""
    return subscription["endpoint"].rsplit("/push/", 1)[1]


def encode_base64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def decode_base64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
