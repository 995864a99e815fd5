"""Errors sent to clients: one JSON body, a stable code and a message.

ApiError
 ├── BadRequest        (400) the request body or a parameter is malformed
 ├── Unauthorized      (401) no token, or a token that is unknown or expired
 ├── Forbidden         (403) the record or action is outside the user's team or role
 ├── NotFound          (404)
 ├── ProtocolUnsupported (409) the phone speaks a sync protocol the server does not
 └── Unavailable       (503) the server cannot serve the request now; retry later
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

log = logging.getLogger(__name__)

# Messages a client sees, keyed by a stable code. Format fields come from the
# raise site, so each message names the value at fault.
MESSAGES: dict[str, str] = {
    "invalid_json": "The request body is not valid JSON; send a JSON object.",
    "invalid_request": "The request is invalid: {detail}",
    "invalid_login": "Email or password is wrong; check both and try again.",
    "missing_token": "Send the token from /api/auth/login as 'Authorization: Bearer TOKEN'.",
    "invalid_token": "The token is unknown or expired; log in again.",
    "forbidden": "{detail}",
    "not_found": "{detail}",
    "protocol_unsupported": (
        "This server speaks sync protocol {supported}, but the app sent {sent}; "
        "update the app. Changes waiting on the phone are kept."
    ),
    "batch_too_large": (
        "A sync request carries at most {limit} mutations, but this one has {count}; "
        "split the outbox into several requests."
    ),
    "unavailable": "{detail}",
    "device_taken": (
        "Device id {device!r} already belongs to another user's sign-in; "
        "sign in again so the app makes a new device id. Changes on the phone are kept."
    ),
}


class ApiError(Exception):
    """Raised to send a JSON error body with a stable code."""

    status = 400

    def __init__(self, code: str, status: int | None = None, **details: Any) -> None:
        self.code = code
        if status is not None:
            self.status = status
        self.details = details
        super().__init__(MESSAGES[code].format(**details))

    @property
    def message(self) -> str:
        return str(self)


class BadRequest(ApiError):
    status = 400


class Unauthorized(ApiError):
    status = 401


class Forbidden(ApiError):
    status = 403


class NotFound(ApiError):
    status = 404


class ProtocolUnsupported(ApiError):
    status = 409


class Unavailable(ApiError):
    status = 503


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": code, "message": message, **extra}


def init_app(app: Flask) -> None:
    """Register handlers that return every error, Flask's own too, as the JSON error body."""

    @app.errorhandler(ApiError)
    def handle_api_error(exc: ApiError):
        extra = {k: v for k, v in exc.details.items() if k in ("fields", "supported")}
        return jsonify(error_body(exc.code, exc.message, **extra)), exc.status

    @app.errorhandler(RequestEntityTooLarge)
    def handle_too_large(exc: RequestEntityTooLarge):
        limit = request.max_content_length or app.config["MAX_CONTENT_LENGTH"]
        message = (
            f"The request body is larger than {limit / 1024 / 1024:g} MiB; "
            "send fewer changes per request."
        )
        return jsonify(error_body("request_entity_too_large", message)), 413

    @app.errorhandler(HTTPException)
    def handle_http_error(exc: HTTPException):
        code = (exc.name or "error").lower().replace(" ", "_")
        return jsonify(error_body(code, exc.description or exc.name)), exc.code
