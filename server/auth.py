"""Log in with email and password, then authenticate requests by bearer token."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta
from functools import wraps
from typing import Any, Callable

from flask import Blueprint, current_app, g, jsonify, request
from marshmallow import Schema, ValidationError, fields, validate
from werkzeug.security import check_password_hash, generate_password_hash

from .errors import BadRequest, Unauthorized
from .models import Team, Token, User, db, utcnow

log = logging.getLogger(__name__)
bp = Blueprint("auth", __name__, url_prefix="/api/auth")

# Checked against when the email is unknown, so both failures take as long.
_DUMMY_HASH = generate_password_hash("not-a-password")


class LoginSchema(Schema):
    email = fields.Email(required=True)
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))


def hash_password(password: str) -> str:
    """Hash a password with scrypt, the KDF werkzeug uses by default."""
    return generate_password_hash(password)


def digest_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User) -> str:
    """Create a bearer token for the user and store its digest."""
    token = secrets.token_urlsafe(32)
    ttl = timedelta(days=current_app.config["TOKEN_TTL_DAYS"])
    db.session.add(
        Token(digest=digest_token(token), user_id=user.id, expires_at=utcnow() + ttl)
    )
    return token


def read_json_object(check_nul: bool = True) -> dict:
    """Return the request's JSON object, or raise a 400 that names what is wrong.

    With `check_nul`, a string containing a NUL character is rejected: PostgreSQL
    text cannot store one. The sync endpoint checks each mutation instead, so
    one bad mutation does not reject the rest of its batch.
    """
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadRequest("invalid_json")
    if check_nul:
        path = find_nul(data)
        if path is not None:
            raise BadRequest(
                "invalid_request",
                detail=f"{path} contains a NUL character (\\u0000); remove it.",
                fields={path: ["Contains a NUL character."]},
            )
    return data


def find_nul(value: Any, path: str = "body") -> str | None:
    """Return the path of the first string or key in a JSON value that contains NUL."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        children = [(f"{path}.{key}", key, item) for key, item in value.items()]
    elif isinstance(value, list):
        children = [(f"{path}[{i}]", "", item) for i, item in enumerate(value)]
    else:
        return None
    for child_path, key, item in children:
        found = child_path if "\x00" in key else find_nul(item, child_path)
        if found is not None:
            return found.replace("\x00", "\\u0000")
    return None


def describe_errors(errors: dict) -> str:
    return "; ".join(
        f"{name}: {' '.join(m) if isinstance(m, list) else m}"
        for name, m in errors.items()
    )


def user_json(user: User, team: Team) -> dict:
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "role": user.role,
        "team_id": team.id,
        "team_name": team.name,
        "time_zone": user.time_zone,
    }


@bp.post("/login")
def login():
    try:
        data = LoginSchema().load(read_json_object())
    except ValidationError as exc:
        detail = describe_errors(exc.messages)
        raise BadRequest("invalid_request", detail=detail, fields=exc.messages)

    user = db.session.scalar(
        db.select(User).where(User.email == data["email"].strip().lower())
    )
    if user is None or not user.password_hash:
        check_password_hash(_DUMMY_HASH, data["password"])
        raise Unauthorized("invalid_login")
    if not check_password_hash(user.password_hash, data["password"]):
        raise Unauthorized("invalid_login")

    token = issue_token(user)
    team = db.session.get(Team, user.team_id)
    db.session.commit()
    log.info("user %s logged in", user.id)
    return jsonify({"token": token, "user": user_json(user, team)})


@bp.post("/logout")
def logout():
    user = authenticate()
    db.session.execute(db.delete(Token).where(Token.digest == g.token_digest))
    db.session.commit()
    log.info("user %s logged out", user.id)
    return "", 204


def authenticate() -> User:
    """Return the user of the request's bearer token, or raise 401."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("missing_token")

    digest = digest_token(token.strip())
    row = db.session.execute(
        db.select(Token, User)
        .join(User, User.id == Token.user_id)
        .where(Token.digest == digest)
    ).first()
    if row is None or row.Token.expires_at < utcnow():
        raise Unauthorized("invalid_token")

    g.user = row.User
    g.token_digest = digest
    return row.User


def login_required(view: Callable) -> Callable:
    @wraps(view)
    def wrapped(*args, **kwargs):
        authenticate()
        return view(*args, **kwargs)

    return wrapped
