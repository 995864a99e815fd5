"""Changes the server makes itself (demo book, imports, rules).

They go through the same team change sequence as phones' mutations, stamped
by the server's clock with device `server`, so phones pull them like any other
change.
"""

from __future__ import annotations

import time
from typing import Any

from sync.clock import format_stamp

from .entities import ENTITIES, to_json_value
from .models import FieldHistory, Team, db, new_id
from .syncing import lock_team

SERVER_DEVICE = "server"


class ServerWriter:
    """Write records for one team in the current transaction.

    Call `finish()` before committing: it stores the team's new high-water mark.
    """

    def __init__(self, team: Team, now_ms: int | None = None) -> None:
        self.team = lock_team(team.id)
        self.seq = self.team.change_seq
        self.now_ms = now_ms if now_ms is not None else int(time.time() * 1000)
        self.counter = 0

    def stamp(self) -> str:
        self.counter += 1
        return format_stamp(self.now_ms, self.counter % 0x10000, SERVER_DEVICE)

    def create(self, entity: str, values: dict[str, Any], row_id: str | None = None) -> Any:
        """Add a new record with column values and return its row."""
        spec = ENTITIES[entity]
        self.seq += 1
        row = spec.model(id=row_id or new_id(), team_id=self.team.id, **values)
        stamp = self.stamp()
        row.meta = {
            name: {"ver": self.seq, "hlc": stamp, "dev": SERVER_DEVICE}
            for name in spec.field_names
        }
        row.deleted = values.get("deleted", False)
        row.seq = self.seq
        db.session.add(row)
        return row

    def update(
        self, entity: str, row: Any, values: dict[str, Any], reason: str = "server"
    ) -> list[str]:
        """Overwrite fields of an existing row and return the names that changed.

        The replaced values of synced fields go to the field history with
        `reason`, so an import never erases what a rep typed.
        """
        spec = ENTITIES[entity]
        changed = [
            name
            for name, value in values.items()
            if to_json_value(getattr(row, name)) != to_json_value(value)
        ]
        if not changed:
            return []
        self.seq += 1
        stamp = self.stamp()
        meta = dict(row.meta or {})
        for name in changed:
            if name in spec.field_names:
                old = meta.get(name, {})
                db.session.add(
                    FieldHistory(
                        team_id=self.team.id,
                        entity=entity,
                        record_id=row.id,
                        field=name,
                        value=to_json_value(getattr(row, name)),
                        hlc=old.get("hlc"),
                        device=old.get("dev"),
                        reason=reason,
                        seq=self.seq,
                    )
                )
                meta[name] = {"ver": self.seq, "hlc": stamp, "dev": SERVER_DEVICE}
            setattr(row, name, values[name])
        row.meta = meta
        row.seq = self.seq
        return changed

    def finish(self) -> None:
        self.team.change_seq = self.seq
