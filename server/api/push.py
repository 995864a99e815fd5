"""`/api/push`: the VAPID public key, the user's push subscriptions and settings.

    GET    /api/push/public-key      the applicationServerKey for pushManager.subscribe()
    POST   /api/push/subscriptions   store or refresh this browser's subscription
    DELETE /api/push/subscriptions   forget it (by endpoint, the user's own only)
    GET    /api/push/settings        quiet hours, digest time and time zone
    PUT    /api/push/settings        change any of them

A subscription belongs to one user: posting an endpoint that another user had
subscribed moves it to the user who posted it, as happens when a second rep
logs in on a shared phone.
"""

from __future__ import annotations

import logging
import os
from typing import Any
from urllib.parse import urlsplit

import click
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Blueprint, Flask, current_app, g, jsonify
from flask.cli import with_appcontext
from sqlalchemy import select

from .. import reminders
from ..auth import login_required, read_json_object
from ..errors import BadRequest, NotFound
from ..models import PushSubscription, User, db, utcnow
from ..push.delivery import decode_base64url
from ..push.vapid import (
    VapidKeyError,
    application_server_key,
    create_vapid_key,
    load_vapid_key,
    private_key_path,
)

log = logging.getLogger(__name__)
bp = Blueprint("push", __name__, url_prefix="/api/push")

# Hosts an http:// endpoint may name when the app runs with TESTING, for the
# push service that tests start; real push services are always https.
TEST_ENDPOINT_HOSTS = ("127.0.0.1", "localhost")

MAX_ENDPOINT_LENGTH = 1024
MAX_USER_AGENT_LENGTH = 300
# Decoded sizes of the browser's keys (RFC 8291): an uncompressed P-256 point
# and a 16-byte auth secret.
P256DH_BYTES = 65
AUTH_BYTES = 16


def load_or_create_vapid_key(folder: str | os.PathLike[str]) -> ec.EllipticCurvePrivateKey:
    """Load the VAPID key from `folder`, creating it first if there is none."""
    if not private_key_path(folder).exists():
        try:
            create_vapid_key(folder)
            log.info("created a VAPID key in %s", folder)
        except VapidKeyError:
            pass  # Another process created it first; load that one.
    return load_vapid_key(folder)


@bp.get("/public-key")
@login_required
def public_key():
    key = load_or_create_vapid_key(current_app.instance_path)
    return jsonify({"public_key": application_server_key(key)})


def invalid(field: str, message: str) -> BadRequest:
    return BadRequest(
        "invalid_request", detail=f"{field}: {message}", fields={field: [message]}
    )


def check_endpoint(endpoint: Any) -> str:
    """Return the endpoint URL, or raise a 400 that names the value."""
    if not isinstance(endpoint, str) or not endpoint:
        raise invalid("endpoint", f"{endpoint!r} is not a push endpoint URL.")
    if len(endpoint) > MAX_ENDPOINT_LENGTH:
        raise invalid(
            "endpoint",
            f"The endpoint is {len(endpoint)} characters long; "
            f"the maximum is {MAX_ENDPOINT_LENGTH}.",
        )

    parts = urlsplit(endpoint)
    testing_host = (
        current_app.testing
        and parts.scheme == "http"
        and parts.hostname in TEST_ENDPOINT_HOSTS
    )
    if not parts.hostname or (parts.scheme != "https" and not testing_host):
        raise invalid(
            "endpoint",
            f"{endpoint!r} is not an https:// URL; send the endpoint of the "
            "browser's PushSubscription.",
        )
    return endpoint


def check_key(keys: Any, name: str, size: int) -> str:
    """Return a base64url key of `size` bytes from `keys`, or raise a 400."""
    value = keys.get(name) if isinstance(keys, dict) else None
    decoded = decode_base64url(value) if isinstance(value, str) and len(value) < 200 else None
    if decoded is None or len(decoded) != size or "=" in value:
        raise invalid(
            f"keys.{name}",
            f"{value!r} is not unpadded base64url of {size} bytes.",
        )
    if name == "p256dh" and decoded[0] != 0x04:
        raise invalid(
            "keys.p256dh", f"{value!r} is not an uncompressed P-256 point (0x04 ...)."
        )
    return value


@bp.post("/subscriptions")
@login_required
def subscribe():
    data = read_json_object()
    endpoint = check_endpoint(data.get("endpoint"))
    keys = data.get("keys")
    p256dh = check_key(keys, "p256dh", P256DH_BYTES)
    auth = check_key(keys, "auth", AUTH_BYTES)
    user_agent = data.get("user_agent")
    if user_agent is not None and not isinstance(user_agent, str):
        raise invalid("user_agent", f"{user_agent!r} is not a string.")

    subscription = db.session.scalar(
        select(PushSubscription).where(PushSubscription.endpoint == endpoint)
    )
    created = subscription is None
    if created:
        subscription = PushSubscription(endpoint=endpoint)
        db.session.add(subscription)
    elif subscription.user_id != g.user.id:
        log.info(
            "push subscription %s moves from user %s to user %s",
            subscription.id, subscription.user_id, g.user.id,
        )
    subscription.user_id = g.user.id
    subscription.p256dh = p256dh
    subscription.auth = auth
    subscription.user_agent = (user_agent or "")[:MAX_USER_AGENT_LENGTH] or None
    db.session.commit()
    log.info("user %s %s push subscription %s", g.user.id,
             "added" if created else "refreshed", subscription.id)
    return jsonify(subscription_json(subscription)), 201 if created else 200


@bp.delete("/subscriptions")
@login_required
def unsubscribe():
    data = read_json_object()
    endpoint = data.get("endpoint")
    if not isinstance(endpoint, str) or not endpoint:
        raise invalid("endpoint", f"{endpoint!r} is not a push endpoint URL.")

    deleted = db.session.execute(
        db.delete(PushSubscription).where(
            PushSubscription.endpoint == endpoint,
            PushSubscription.user_id == g.user.id,
        )
    ).rowcount
    db.session.commit()
    if not deleted:
        raise NotFound(
            "not_found",
            detail=f"You have no push subscription with endpoint {endpoint!r}.",
        )
    log.info("user %s removed a push subscription", g.user.id)
    return "", 204


def subscription_json(subscription: PushSubscription) -> dict[str, Any]:
    return {
        "id": subscription.id,
        "endpoint": subscription.endpoint,
        "user_agent": subscription.user_agent,
        "created_at": subscription.created_at.isoformat() + "Z",
    }


def settings_json(user: User) -> dict[str, Any]:
    return {**reminders.user_settings(user), "time_zone": user.time_zone}


@bp.get("/settings")
@login_required
def get_settings():
    return jsonify(settings_json(g.user))


@bp.put("/settings")
@login_required
def put_settings():
    data = read_json_object()
    known = (*reminders.DEFAULT_USER_SETTINGS, "time_zone")
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise invalid(
            unknown[0],
            f"{unknown[0]!r} is not a setting; settings are: {', '.join(known)}.",
        )

    changes: dict[str, str | None] = {}
    for name in reminders.DEFAULT_USER_SETTINGS:
        if name not in data:
            continue
        value = data[name]
        if value is not None or name == reminders.DIGEST_TIME:
            try:
                reminders.parse_clock_time(value)
            except ValueError as error:
                raise invalid(name, str(error)) from None
        changes[name] = value
    quiet = {**reminders.user_settings(g.user), **changes}
    start, end = quiet[reminders.QUIET_HOURS_START], quiet[reminders.QUIET_HOURS_END]
    if (start is None) != (end is None):
        raise invalid(
            reminders.QUIET_HOURS_START,
            f"Quiet hours need both a start and an end, not {start!r} and {end!r}; "
            "set both to null to turn them off.",
        )

    if "time_zone" in data:
        try:
            reminders.parse_time_zone(data["time_zone"])
        except ValueError as error:
            raise invalid("time_zone", str(error)) from None
        g.user.time_zone = data["time_zone"]
    g.user.settings = {**(g.user.settings or {}), **changes}
    db.session.commit()
    return jsonify(settings_json(g.user))


@click.command("vapid-keys")
@with_appcontext
def vapid_keys_command() -> None:
    """Create the VAPID key pair in the instance folder and print the public key."""
    folder = current_app.instance_path
    try:
        path = create_vapid_key(folder)
    except VapidKeyError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Created the VAPID private key at {path}.")
    click.echo(f"Public key (applicationServerKey): {application_server_key(load_vapid_key(folder))}")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.cli.add_command(vapid_keys_command)
