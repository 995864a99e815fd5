"""`POST /api/sync`: push the outbox and pull the changes in one round trip."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, g, jsonify
from marshmallow import Schema, ValidationError, fields, validate

from .. import syncing
from ..auth import describe_errors, login_required, read_json_object
from ..errors import BadRequest, ProtocolUnsupported
from ..models import db

log = logging.getLogger(__name__)
bp = Blueprint("sync", __name__, url_prefix="/api")


class SyncRequestSchema(Schema):
    protocol = fields.Integer(required=True, strict=True)
    device_id = fields.String(
        required=True,
        validate=validate.Regexp(
            r"^[A-Za-z0-9_.-]{1,64}\Z",
            error="Device ids are 1 to 64 letters, digits, '.', '_' or '-'.",
        ),
    )
    cursor = fields.String(load_default=None, allow_none=True)
    mutations = fields.List(fields.Raw(), load_default=list)
    limit = fields.Integer(
        load_default=syncing.DEFAULT_PAGE_SIZE,
        strict=True,
        validate=validate.Range(min=1, max=syncing.MAX_PAGE_SIZE),
    )


@bp.post("/sync")
@login_required
def sync_round_trip():
    body = read_json_object(check_nul=False)  # mutations are checked one by one
    protocol = body.get("protocol")
    if protocol != syncing.PROTOCOL_VERSION:
        raise ProtocolUnsupported(
            "protocol_unsupported",
            supported=syncing.PROTOCOL_VERSION,
            sent=repr(protocol),
        )
    try:
        data = SyncRequestSchema().load(body)
    except ValidationError as exc:
        raise BadRequest(
            "invalid_request", detail=describe_errors(exc.messages), fields=exc.messages
        )
    count = len(data["mutations"])
    if count > syncing.MAX_PUSH_MUTATIONS:
        raise BadRequest(
            "batch_too_large", limit=syncing.MAX_PUSH_MUTATIONS, count=count
        )

    clock = current_app.config.get("DEALBOOK_CLOCK_MS", syncing.wall_clock_ms)
    now_ms = clock()
    results = syncing.push(g.user, data["device_id"], data["mutations"], now_ms)
    db.session.commit()
    if count:
        applied = sum(r["status"] == "applied" for r in results)
        log.info(
            "device %s pushed %d mutations, %d applied", data["device_id"], count, applied
        )

    page = syncing.pull(g.user.team_id, data["cursor"], data["limit"])
    db.session.commit()
    return jsonify(
        {
            "protocol": syncing.PROTOCOL_VERSION,
            "results": results,
            "changes": page.changes,
            "cursor": page.cursor,
            "has_more": page.has_more,
            "reset": page.reset,
            "server_time": now_ms,
            "max_push": syncing.MAX_PUSH_MUTATIONS,
        }
    )
