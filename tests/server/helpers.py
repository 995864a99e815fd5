"""Helpers that build sync requests the way the PWA does."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

from sync.clock import format_stamp

_counter = itertools.count(1)


def new_id() -> str:
    return str(uuid.uuid4())


class Phone:
    """A device's view of the sync protocol: an outbox, a cursor, server copies."""

    def __init__(self, client, member, device: str, clock_ms: int = 1_700_000_000_000):
        self.client = client
        self.member = member
        self.device = device
        self.clock_ms = clock_ms
        self.counter = 0
        self.cursor: str | None = None
        self.records: dict[tuple[str, str], dict[str, Any]] = {}
        self.outbox: list[dict[str, Any]] = []

    def stamp(self) -> str:
        self.clock_ms += 1
        return format_stamp(self.clock_ms, 0, self.device)

    def edit(self, entity: str, record_id: str, **fields: Any) -> dict[str, Any]:
        """Queue a mutation whose base is the field versions this phone has seen."""
        self.counter += 1
        meta = self.records.get((entity, record_id), {}).get("meta", {})
        mutation = {
            "id": f"{self.device}:{self.counter}",
            "entity": entity,
            "record_id": record_id,
            "fields": fields,
            "base": {name: meta.get(name, {}).get("ver", 0) for name in fields},
            "hlc": self.stamp(),
        }
        self.outbox.append(mutation)
        return mutation

    def sync(self, limit: int | None = None) -> dict[str, Any]:
        """Push the outbox and pull every page; return the last response body."""
        body: dict[str, Any] = {}
        sending = list(self.outbox)
        results: list[dict[str, Any]] = []
        while True:
            request = {
                "protocol": 1,
                "device_id": self.device,
                "cursor": self.cursor,
                "mutations": sending,
            }
            if limit:
                request["limit"] = limit
            response = self.client.post(
                "/api/sync", json=request, headers=self.member.headers
            )
            assert response.status_code == 200, response.get_json()
            body = response.get_json()
            results.extend(body["results"])
            sent_ids = {m["id"] for m in sending}
            self.outbox = [m for m in self.outbox if m["id"] not in sent_ids]
            sending = []
            if body["reset"]:
                self.records.clear()
            for record in body["changes"]:
                self.records[(record["entity"], record["id"])] = record
            self.cursor = body["cursor"]
            if not body["has_more"]:
                break
        body["all_results"] = results
        return body

    def fields(self, entity: str, record_id: str) -> dict[str, Any]:
        return self.records[(entity, record_id)]["fields"]
