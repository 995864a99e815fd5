"""Send one encrypted Web Push message to one subscription, with retries.

One delivery moves through these states::

    send ── 2xx ─────────────────────────────▶ delivered
      │──── 404, 410 ────────────────────────▶ gone (caller deletes the subscription)
      │──── other 4xx ───────────────────────▶ failed
      └──── 429, 5xx, connection error ──┬──▶ wait, then send again
                                         └──▶ failed after max_attempts sends

The wait is ``Retry-After`` when the push service sends one, else exponential
backoff from ``BASE_RETRY_DELAY_SECONDS``; both are capped at
``MAX_RETRY_DELAY_SECONDS``. The transport, the sleep and the clock are parameters,
so tests can record the waits instead of sleeping through them.
"""

import base64
import binascii
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timezone
from email.utils import parsedate_to_datetime
from typing import Any, Literal
from urllib.parse import urlsplit

import pywebpush
import requests
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid

from server.push import PushError

logger = logging.getLogger(__name__)

# Largest JSON payload accepted, in bytes of UTF-8. RFC 8291 section 4 lets a push
# service reject a body over 4,096 bytes, and encryption adds an 86-byte header, a
# 16-byte tag and a 1-byte padding delimiter. That leaves at most 3,993 bytes of
# plaintext, and this limit keeps some headroom below it.
MAX_PAYLOAD_BYTES = 3800

# First backoff delay in seconds. It doubles after each failed attempt.
BASE_RETRY_DELAY_SECONDS = 1.0

# Longest wait between attempts in seconds, whatever Retry-After requests.
MAX_RETRY_DELAY_SECONDS = 60.0

# Connect and read timeout of one request to the push service, in seconds.
REQUEST_TIMEOUT_SECONDS = 10.0

# Sends per message before giving up, the first one included.
DEFAULT_MAX_ATTEMPTS = 4

# Values of the Urgency header defined by RFC 8030.
URGENCIES = ("very-low", "low", "normal", "high")

# Statuses that mean the subscription no longer exists.
GONE_STATUSES = frozenset({404, 410})

DeliveryStatus = Literal["delivered", "gone", "failed"]

# A function with the signature of pywebpush.webpush: it returns the response for a
# 2xx status, raises WebPushException with the response for any other status, and
# raises requests.ConnectionError or requests.Timeout when the network fails.
SendFunction = Callable[..., Any]


class DeliveryError(PushError):
    """Raised when a push message cannot be sent at all, before any retry."""


class InvalidSubscriptionError(DeliveryError, ValueError):
    """Raised when a subscription lacks its endpoint or has malformed keys."""


class PayloadTooLargeError(DeliveryError, ValueError):
    """Raised when the JSON payload is larger than MAX_PAYLOAD_BYTES."""


@dataclass(frozen=True)
class DeliveryResult:
    """Outcome of one delivery: its status, the last HTTP status and the sends."""

    status: DeliveryStatus
    http_status: int | None
    attempts: int


def deliver(
    subscription: Mapping[str, Any],
    payload: Mapping[str, Any],
    *,
    vapid_private_key: ec.EllipticCurvePrivateKey,
    subject: str,
    ttl: int,
    urgency: str = "normal",
    send: SendFunction = pywebpush.webpush,
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], float] = time.time,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> DeliveryResult:
    """Encrypt ``payload`` for ``subscription``, send it and retry transient errors.

    ``subject`` is the VAPID ``sub`` claim, a ``mailto:`` or ``https:`` URL. ``ttl``
    is how many seconds the push service keeps the message for an offline device.
    ``now`` is used only to turn a Retry-After HTTP-date into seconds.
    """
    check_delivery_options(ttl, urgency, max_attempts)
    host = check_subscription(subscription)
    data = encode_payload(payload)
    signer = Vapid(vapid_private_key)

    http_status: int | None = None
    for attempt in range(1, max_attempts + 1):
        retry_after: str | None = None
        try:
            response = send(
                subscription_info=subscription,
                data=data,
                vapid_private_key=signer,
                # pywebpush writes aud and exp into this dict, so each call needs
                # its own. A reused dict would carry another endpoint's aud.
                vapid_claims={"sub": subject},
                ttl=ttl,
                headers={"Urgency": urgency},
                timeout=REQUEST_TIMEOUT_SECONDS,
            )
            http_status = response.status_code
        except pywebpush.WebPushException as error:
            if error.response is None:
                raise DeliveryError(
                    f"Push to {host} could not be sent: {error.message}"
                ) from error
            http_status = error.status_code
            retry_after = error.retry_after
        except (requests.ConnectionError, requests.Timeout) as error:
            http_status = None
            logger.info(
                "Push to %s failed with %s (attempt %s of %s)",
                host,
                type(error).__name__,
                attempt,
                max_attempts,
            )
        else:
            logger.info("Push sent to %s: status %s", host, http_status)
            return DeliveryResult("delivered", http_status, attempt)

        if http_status is not None:
            logger.info(
                "Push sent to %s: status %s (attempt %s of %s)",
                host,
                http_status,
                attempt,
                max_attempts,
            )

        if http_status in GONE_STATUSES:
            return DeliveryResult("gone", http_status, attempt)

        if not is_retryable(http_status):
            logger.warning(
                "Push to %s rejected with status %s, which is not retried",
                host,
                http_status,
            )
            return DeliveryResult("failed", http_status, attempt)

        if attempt < max_attempts:
            delay = compute_retry_delay(attempt, retry_after, now())
            logger.info(
                "Retrying push to %s in %.1f s (attempt %s of %s)",
                host,
                delay,
                attempt + 1,
                max_attempts,
            )
            sleep(delay)

    logger.warning(
        "Push to %s failed after %s attempts, last status %s",
        host,
        max_attempts,
        http_status,
    )
    return DeliveryResult("failed", http_status, max_attempts)


def check_delivery_options(ttl: int, urgency: str, max_attempts: int) -> None:
    """Raise ValueError for a TTL, urgency or attempt count out of range."""
    if ttl < 0:
        raise ValueError(f"TTL must be 0 or more seconds, not {ttl}.")

    if urgency not in URGENCIES:
        raise ValueError(
            f"Urgency {urgency!r} is invalid. Use one of {', '.join(URGENCIES)}."
        )

    if max_attempts < 1:
        raise ValueError(f"max_attempts must be at least 1, not {max_attempts}.")


def check_subscription(subscription: Mapping[str, Any]) -> str:
    """Validate a browser's PushSubscription JSON and return the endpoint host.

    Checking here gives a clear error instead of one from deep inside the
    encryption code. Key values are never put into messages.
    """
    endpoint = subscription.get("endpoint")
    parts = urlsplit(endpoint) if isinstance(endpoint, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidSubscriptionError(
            f"Subscription endpoint {endpoint!r} is not an http(s) URL."
        )

    keys = subscription.get("keys")
    if not isinstance(keys, Mapping):
        raise InvalidSubscriptionError(
            f"Subscription for {parts.hostname} has no 'keys' object."
        )

    p256dh = decode_base64url(keys.get("p256dh"))
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), p256dh or b"")
    except ValueError:
        raise InvalidSubscriptionError(
            f"Subscription for {parts.hostname} has a missing or invalid 'p256dh'"
            " key; expected base64url of an uncompressed P-256 point."
        ) from None

    auth = decode_base64url(keys.get("auth"))
    if auth is None or len(auth) != 16:
        raise InvalidSubscriptionError(
            f"Subscription for {parts.hostname} has a missing or invalid 'auth'"
            " secret; expected base64url of 16 bytes."
        )

    return parts.hostname


def decode_base64url(value: object) -> bytes | None:
    """Decode unpadded base64url, returning None for anything else."""
    if not isinstance(value, str):
        return None

    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return None


def encode_payload(payload: Mapping[str, Any]) -> bytes:
    """Serialize ``payload`` as compact UTF-8 JSON and enforce MAX_PAYLOAD_BYTES."""
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    if len(data) > MAX_PAYLOAD_BYTES:
        raise PayloadTooLargeError(
            f"Push payload is {len(data):,} bytes of JSON but the limit is"
            f" {MAX_PAYLOAD_BYTES:,} bytes, because push services may reject a body"
            " over 4,096 bytes once encryption adds its overhead. Send ids and let"
            " the app fetch the rest."
        )

    return data


def is_retryable(http_status: int | None) -> bool:
    """Return whether a status (None for a network error) is worth retrying."""
    return http_status is None or http_status == 429 or http_status >= 500


def compute_retry_delay(attempt: int, retry_after: str | None, now: float) -> float:
    """Return the seconds to wait after failed ``attempt`` (counted from 1)."""
    delay = parse_retry_after(retry_after, now)
    if delay is None:
        delay = BASE_RETRY_DELAY_SECONDS * 2 ** (attempt - 1)

    return min(delay, MAX_RETRY_DELAY_SECONDS)


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Convert a Retry-After value in seconds or as an HTTP-date to seconds.

    Returns None when the header is absent or malformed, and 0 for a date in the
    past.
    """
    if value is None:
        return None

    value = value.strip()
    if value.isdigit():
        return float(value)

    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None

    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)

    return max(0.0, moment.timestamp() - now)
