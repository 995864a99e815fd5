"""Upload a CRM export into the user's team, and download the team's book as CSV.

`POST /api/imports` takes a multipart form with the file in field `file`.
`GET /api/exports/{deals,notes,followups}.csv` stream the team's records; the
deals file uses the columns of the generic import template (docs/import.md),
so an export imports again.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request, stream_with_context
from sqlalchemy.orm import aliased
from werkzeug.exceptions import RequestEntityTooLarge

from ..auth import login_required
from ..errors import BadRequest, error_body
from ..importing import import_deals_file
from ..imports import FORMATS, ImportFileError
from ..models import Account, Contact, Deal, FollowUp, Note, Team, User, db
from ..pipelines import stage_probabilities

log = logging.getLogger(__name__)
bp = Blueprint("imports", __name__, url_prefix="/api")

# Maximum upload size in bytes, unless the app config sets DEALBOOK_IMPORT_MAX_BYTES.
DEFAULT_MAX_UPLOAD_BYTES = 20 * 1024 * 1024
# Rows fetched from the database at a time while streaming an export.
EXPORT_BATCH = 500
BOM = "\ufeff"
DEAL_COLUMNS = (
    "external_id", "title", "account", "contact", "owner", "stage", "status",
    "value", "currency", "expected_close", "created_at", "closed_at",
    "probability", "product",
)
NOTE_COLUMNS = ("id", "deal_id", "deal_title", "author", "met_at", "body")
FOLLOWUP_COLUMNS = ("id", "deal_id", "deal_title", "assignee", "due_at", "done")
# A cell starting with one of these runs as a formula in spreadsheet apps.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
FLAGS = {"1": True, "true": True, "0": False, "false": False}


def max_upload_bytes() -> int:
    return current_app.config.get("DEALBOOK_IMPORT_MAX_BYTES", DEFAULT_MAX_UPLOAD_BYTES)


@bp.post("/imports")
@login_required
def upload_import():
    dry_run = read_flag("dry_run")
    format = request.args.get("format") or None
    if format is not None and format not in FORMATS:
        raise BadRequest(
            "invalid_request",
            detail=f"format {format!r} is not known; use one of {', '.join(FORMATS)} "
            "or leave it out to detect the format.",
        )
    request.max_content_length = max_upload_bytes()
    upload = request.files.get("file")
    if upload is None:
        raise BadRequest(
            "invalid_request",
            detail="Send the CSV file as multipart/form-data in a field named 'file'; "
            f"fields received: {sorted(request.files) or 'none'}.",
        )

    team = db.session.get(Team, g.user.team_id)
    try:
        report = import_deals_file(upload.stream, team, dry_run=dry_run, format=format)
    except ImportFileError as exc:
        db.session.rollback()
        log.info("user %s: import into team %s rejected: %s", g.user.id, team.id, exc)
        raise BadRequest(
            "invalid_request", detail=f"{upload.filename or 'The file'}: {exc}"
        )

    log.info(
        "user %s imported %s into team %s (dry run: %s)",
        g.user.id, report.format, team.id, dry_run,
    )
    return jsonify(report.as_json())


@bp.errorhandler(RequestEntityTooLarge)
def upload_too_large(exc: RequestEntityTooLarge):
    limit_mib = max_upload_bytes() / (1024 * 1024)
    log.info("upload of %s bytes rejected, over the limit", request.content_length)
    message = (
        f"The upload is larger than the {limit_mib:g} MiB limit; split the file "
        "into several imports."
    )
    return jsonify(error_body("file_too_large", message)), 413


@bp.get("/exports/deals.csv")
@login_required
def export_deals():
    team = db.session.get(Team, g.user.team_id)
    probabilities = stage_probabilities(team)
    owner = aliased(User)
    query = (
        db.select(Deal, Account.name, Contact.name, owner.email)
        .outerjoin(Account, Account.id == Deal.account_id)
        .outerjoin(Contact, Contact.id == Deal.contact_id)
        .outerjoin(owner, owner.id == Deal.owner_id)
        .where(Deal.team_id == team.id, Deal.deleted.is_(False))
        .order_by(Deal.created_at, Deal.id)
    )

    def rows() -> Iterator[list[Any]]:
        for deal, account, contact, email in stream_rows(query):
            yield [
                deal.external_id or deal.id, deal.title, account, contact, email,
                deal.stage, deal.status, deal.value, deal.currency,
                deal.expected_close, deal.created_at, deal.closed_at,
                probabilities.get(deal.stage), deal.product,
            ]

    return csv_response("deals.csv", DEAL_COLUMNS, rows())


@bp.get("/exports/notes.csv")
@login_required
def export_notes():
    author = aliased(User)
    query = (
        db.select(Note, Deal.title, author.email)
        .join(Deal, Deal.id == Note.deal_id)
        .outerjoin(author, author.id == Note.author_id)
        .where(Note.team_id == g.user.team_id, Note.deleted.is_(False))
        .order_by(Note.created_at, Note.id)
    )

    def rows() -> Iterator[list[Any]]:
        for note, title, email in stream_rows(query):
            yield [note.id, note.deal_id, title, email, note.met_at, note.body]

    return csv_response("notes.csv", NOTE_COLUMNS, rows())


@bp.get("/exports/followups.csv")
@login_required
def export_followups():
    assignee = aliased(User)
    query = (
        db.select(FollowUp, Deal.title, assignee.email)
        .join(Deal, Deal.id == FollowUp.deal_id)
        .outerjoin(assignee, assignee.id == FollowUp.assignee_id)
        .where(FollowUp.team_id == g.user.team_id, FollowUp.deleted.is_(False))
        .order_by(FollowUp.due_at, FollowUp.id)
    )

    def rows() -> Iterator[list[Any]]:
        for followup, title, email in stream_rows(query):
            yield [
                followup.id, followup.deal_id, title, email, followup.due_at,
                "true" if followup.done else "false",
            ]

    return csv_response("followups.csv", FOLLOWUP_COLUMNS, rows())


def read_flag(name: str) -> bool:
    raw = request.args.get(name, "0").strip().lower()
    if raw not in FLAGS:
        raise BadRequest(
            "invalid_request",
            detail=f"{name} {raw!r} is not a flag; use 1 or 0 (true or false).",
        )
    return FLAGS[raw]


def stream_rows(query) -> Iterator[Any]:
    """Yield result rows, fetched from the database in batches."""
    result = db.session.execute(query.execution_options(yield_per=EXPORT_BATCH))
    for row in result:
        yield row
        # Keep the session from holding every exported row.
        db.session.expunge(row[0])


def csv_response(filename: str, columns: tuple[str, ...], rows: Iterator[list]) -> Response:
    """Stream a UTF-8 CSV with BOM, one line per chunk, so memory stays flat."""

    def generate() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(columns)
        yield BOM + take(buffer)
        for row in rows:
            writer.writerow([csv_cell(value) for value in row])
            yield take(buffer)

    response = Response(
        stream_with_context(generate()), mimetype="text/csv", content_type="text/csv; charset=utf-8"
    )
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def take(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def csv_cell(value: Any) -> str:
    """Format a value as the import reads it: ISO dates, plain decimals."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (int, float)):
        return str(value)
    text = str(value)
    # NOTE: the apostrophe stops spreadsheet formulas, and a re-import keeps it.
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text
