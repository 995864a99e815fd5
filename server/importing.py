"""Write parsed CSV rows into a team's book, idempotently.

`server.imports` turns a file into `ImportedDeal` rows and line issues; this
module matches them against what the team already has and creates or updates
records through `ServerWriter`, so phones pull imported deals like any other
change. A re-run recognises a deal by its source and external id and adds
nothing twice. A dry run does the same work and rolls it back.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any, Iterable

from .imports import ImportedDeal, LineIssue, load_crm_dataset, open_import
from .models import Account, Contact, Deal, StageEvent, Team, User, db
from .records import ServerWriter

log = logging.getLogger(__name__)

# Rows flushed to the database at a time. The session then expunges them, so
# memory stays flat however long the file is.
FLUSH_EVERY = 500
IMPORTED_EMAIL_DOMAIN = "imported.dealbook.invalid"


@dataclass
class ImportReport:
    """The outcome of an import: records created, updated and skipped, by line."""

    format: str
    dry_run: bool
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    restored: Counter = field(default_factory=Counter)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)

    def add_issue(self, issue: LineIssue) -> None:
        entry = {
            "line": issue.line,
            "field": issue.field,
            "value": issue.value,
            "reason": issue.reason,
            "code": issue.code,
        }
        (self.skipped if issue.severity == "error" else self.warnings).append(entry)

    def skip(self, line: int, field_name: str | None, value: Any, reason: str) -> None:
        self.skipped.append(
            {"line": line, "field": field_name, "value": value, "reason": reason,
             "code": "invalid"}
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "dry_run": self.dry_run,
            "created": dict(self.created),
            "updated": dict(self.updated),
            "unchanged": dict(self.unchanged),
            "restored": dict(self.restored),
            "skipped": self.skipped,
            "warnings": self.warnings,
        }


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", ".", text.lower()).strip(".")


def at_noon(day) -> datetime | None:
    return datetime.combine(day, time(12)) if day else None


class TeamBook:
    """One team's accounts, contacts, deals and users, looked up by name or id."""

    def __init__(self, team: Team, source: str) -> None:
        self.team = team
        self.writer = ServerWriter(team)
        self.source = source
        self.users = {
            key: user
            for user in db.session.scalars(db.select(User).where(User.team_id == team.id))
            for key in (user.name.lower(), user.email.lower())
        }
        self.accounts = {
            a.name.lower(): a.id
            for a in db.session.execute(
                db.select(Account.id, Account.name).where(
                    Account.team_id == team.id, Account.deleted.is_(False)
                )
            )
        }
        self.contacts = {
            (c.account_id, c.name.lower()): c.id
            for c in db.session.execute(
                db.select(Contact.id, Contact.account_id, Contact.name).where(
                    Contact.team_id == team.id, Contact.deleted.is_(False)
                )
            )
        }
        # Changes numbered above this were made by this run.
        self.start_seq = self.writer.seq
        self.pending: list[tuple[ImportedDeal, dict[str, Any]]] = []

    def account_id(self, name: str | None, report: ImportReport, **extra: Any) -> str | None:
        if not name:
            return None
        key = name.lower()
        if key not in self.accounts:
            row = self.writer.create("account", {"name": name, **extra})
            row.external_id = name
            self.accounts[key] = row.id
            report.created["account"] += 1
        return self.accounts[key]

    def contact_id(self, account_id: str | None, name: str | None, report: ImportReport) -> str | None:
        if not name:
            return None
        key = (account_id, name.lower())
        if key not in self.contacts:
            row = self.writer.create("contact", {"name": name, "account_id": account_id})
            self.contacts[key] = row.id
            report.created["contact"] += 1
        return self.contacts[key]

    def owner_id(self, owner: str | None) -> str | None:
        if not owner:
            return None
        user = self.users.get(owner.lower())
        return user.id if user else None

    def add_deal(self, deal: ImportedDeal, report: ImportReport, **account_extra) -> None:
        """Queue a deal; every FLUSH_EVERY deals are written together."""
        self.pending.append((deal, account_extra))
        if len(self.pending) >= FLUSH_EVERY:
            self.write_pending(report)

    def write_pending(self, report: ImportReport) -> None:
        """Create or update the queued deals, finding earlier imports with one query.

        An id met twice in the file is found without keeping every id: a deal
        that this run already wrote has a change number above `start_seq`.

        NOTE: a re-import whose first row of an id changed nothing leaves the
        deal's change number as it was, so a second row with that id in a
        later batch updates the deal instead of being reported.
        """
        if not self.pending:
            return
        ids = {deal.external_id for deal, _ in self.pending if deal.external_id}
        existing = {
            row.external_id: row
            for row in db.session.scalars(
                db.select(Deal).where(
                    Deal.team_id == self.team.id,
                    Deal.source == self.source,
                    Deal.external_id.in_(ids),
                )
            )
        } if ids else {}
        first_lines: dict[str, int] = {}
        for deal, extra in self.pending:
            key = deal.external_id
            row = existing.get(key) if key else None
            if key in first_lines or (row is not None and row.seq > self.start_seq):
                where = f"line {first_lines[key]}" if key in first_lines else "an earlier line"
                report.skip(deal.line, "id", key,
                            f"Id {key!r} already appears on {where}; this row is skipped.")
                continue
            if key:
                first_lines[key] = deal.line
            values = self.deal_values(deal, report, extra)
            if row is None:
                self.create_deal(deal, values, report)
            else:
                self.update_deal(row, values, report)
        self.pending = []
        db.session.flush()
        expunge_synced_rows()

    def deal_values(
        self, deal: ImportedDeal, report: ImportReport, account_extra: dict[str, Any]
    ) -> dict[str, Any]:
        owner_id = self.owner_id(deal.owner)
        if deal.owner and owner_id is None:
            report.warnings.append(
                {"line": deal.line, "field": "owner", "value": deal.owner,
                 "reason": f"{deal.owner!r} is not a member of team {self.team.name}; "
                 "the deal is imported without an owner.", "code": "unknown_owner"}
            )
        account_id = self.account_id(deal.account_name, report, **account_extra)
        return {
            "title": deal.title,
            "account_id": account_id,
            "contact_id": self.contact_id(account_id, deal.contact_name, report),
            "stage": deal.stage,
            "value": deal.value,
            "currency": deal.currency,
            "expected_close": deal.expected_close,
            "owner_id": owner_id,
            "status": deal.status,
            "engaged_at": deal.engaged_at,
            "closed_at": deal.closed_at,
            "product": deal.product,
        }

    def create_deal(
        self, deal: ImportedDeal, values: dict[str, Any], report: ImportReport
    ) -> None:
        row = self.writer.create("deal", values)
        row.source = self.source
        row.external_id = deal.external_id
        if deal.created_at:
            row.created_at = at_noon(deal.created_at)
        add_stage_events(self.team.id, row.id, deal)
        report.created["deal"] += 1

    def update_deal(self, row: Deal, values: dict[str, Any], report: ImportReport) -> None:
        if row.deleted:
            # The same record comes back, so no deleted twin lingers on phones.
            values = {**values, "deleted": False}
            report.restored["deal"] += 1
        if self.writer.update("deal", row, values, reason="import"):
            report.updated["deal"] += 1
        else:
            report.unchanged["deal"] += 1


def add_stage_events(team_id: str, deal_id: str, deal: ImportedDeal) -> None:
    """Record the stage entries an export's dates tell of."""
    entered = deal.engaged_at or deal.created_at
    if entered:
        db.session.add(
            StageEvent(team_id=team_id, deal_id=deal_id, stage=deal.stage,
                       entered_at=at_noon(entered))
        )


def finish(books: Iterable[TeamBook], report: ImportReport) -> ImportReport:
    for book in books:
        book.write_pending(report)
        book.writer.finish()
    if report.dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    log.info(
        "import %s: created %s, updated %s, skipped %d lines",
        report.format, dict(report.created), dict(report.updated), len(report.skipped),
    )
    return report


def import_crm_dataset(folder: str, *, dry_run: bool = False) -> ImportReport:
    """Import the public CRM data set: managers become teams, agents reps."""
    dataset = load_crm_dataset(folder)
    report = ImportReport(format="crm_dataset", dry_run=dry_run)
    for issue in dataset.issues:
        report.add_issue(issue)

    books: dict[str, TeamBook] = {}
    agent_team: dict[str, str] = {}
    for manager, imported in dataset.teams.items():
        name = f"{imported.office} ({manager})"
        team = db.session.scalar(db.select(Team).where(Team.name == name))
        if team is None:
            team = Team(name=name, office=imported.office)
            db.session.add(team)
            db.session.flush()
            report.created["team"] += 1
        ensure_user(team, manager, "manager", report)
        for agent in imported.agents:
            ensure_user(team, agent, "rep", report)
            agent_team[agent.lower()] = manager
        books[manager] = TeamBook(team, "crm_dataset")

    for item in dataset.iter_deals(track_duplicates=False):
        if isinstance(item, LineIssue):
            report.add_issue(item)
            continue
        manager = agent_team.get((item.owner or "").lower())
        if manager is None:
            report.skip(item.line, "sales_agent", item.owner,
                        f"{item.owner!r} is not in sales_teams.csv, so the deal has no team.")
            continue
        account = dataset.accounts.get(item.account_name or "")
        extra = {"sector": account.sector, "country": account.country} if account else {}
        books[manager].add_deal(item, report, **extra)
    return finish(books.values(), report)


def import_deals_file(path_or_file: Any, team: Team, *, dry_run: bool = False,
                      format: str | None = None) -> ImportReport:
    """Import a CRM export (Pipedrive, HubSpot, Salesforce, generic) into a team."""
    with open_import(path_or_file, format=format, track_duplicates=False) as stream:
        report = ImportReport(format=stream.format, dry_run=dry_run)
        book = TeamBook(team, stream.format)
        rows = 0
        for item in stream:
            rows += 1
            if isinstance(item, LineIssue):
                report.add_issue(item)
            else:
                book.add_deal(item, report)
        if rows == 0:
            report.warnings.append(
                {"line": 1, "field": None, "value": None, "code": "no_rows",
                 "reason": "The file has a header but no rows; nothing was imported."}
            )
        return finish([book], report)


def expunge_synced_rows() -> None:
    """Forget flushed deal, account and contact rows to keep memory flat."""
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, (Deal, Account, Contact, StageEvent)):
            db.session.expunge(obj)


def ensure_user(team: Team, name: str, role: str, report: ImportReport) -> User:
    user = db.session.scalar(
        db.select(User).where(User.team_id == team.id, User.name == name)
    )
    if user is None:
        user = User(
            team_id=team.id,
            name=name,
            role=role,
            email=f"{slug(name)}@{IMPORTED_EMAIL_DOMAIN}",
            password_hash=None,
        )
        db.session.add(user)
        db.session.flush()
        report.created["user"] += 1
    return user
