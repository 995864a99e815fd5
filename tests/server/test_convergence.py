"""Random histories of offline phones against the real server converge and lose nothing.

Each history runs three devices of one team through offline edits, creates,
deletes and restores, syncs whose responses are dropped, re-sent batches,
clock skew of up to a day and server restarts. Afterwards every device syncs
twice, and then every device and the server hold the same records, and every
value any device wrote is still in a field, in the field history or in a
conflict. Set DEALBOOK_CONVERGENCE_EXAMPLES for a longer run.
"""

from __future__ import annotations

import os
import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server import create_app
from server.models import Conflict, FieldHistory, db
from tests.server.helpers import Phone

DAY_MS = 24 * 3600 * 1000
EXAMPLES = int(os.environ.get("DEALBOOK_CONVERGENCE_EXAMPLES", "25"))
DEVICES = ("ana-phone", "ben-phone", "ana-tablet")

TITLES = st.sampled_from(["Rack refresh", "Edge gateways", "Support renewal", "Laptops"])
STAGES = st.sampled_from(["prospecting", "qualification", "proposal", "closing"])
TEXTS = st.text(alphabet="abcdefgh ", min_size=1, max_size=12)

device_index = st.integers(0, len(DEVICES) - 1)
deal_index = st.integers(0, 1)
operations = st.one_of(
    st.tuples(st.just("edit"), device_index, deal_index, st.just("title"), TITLES),
    st.tuples(st.just("edit"), device_index, deal_index, st.just("stage"), STAGES),
    st.tuples(st.just("edit"), device_index, deal_index, st.just("value"), st.integers(0, 10**6)),
    st.tuples(st.just("edit"), device_index, deal_index, st.just("description"), TEXTS),
    st.tuples(st.just("note"), device_index, deal_index, st.just("body"), TEXTS),
    st.tuples(st.just("delete"), device_index, deal_index),
    st.tuples(st.just("restore"), device_index, deal_index),
    st.tuples(st.just("sync"), device_index),
    st.tuples(st.just("drop"), device_index),
    st.tuples(st.just("resend"), device_index),
    st.tuples(st.just("reverse"), device_index),
    st.tuples(st.just("restart"),),
    st.tuples(st.just("tick"), st.integers(1, 120_000)),
)


class World:
    """A team's server and three devices, with a controllable real time."""

    def __init__(self, app, book, skews: list[int]) -> None:
        self.config = dict(app.config)
        self.now_ms = 1_760_000_000_000
        self.app = self.start_app()
        team = f"team-{uuid.uuid4().hex[:8]}"
        members = [
            book.add_member(f"{d.split('-')[0]}{uuid.uuid4().hex[:4]}", team, password=False)
            for d in DEVICES
        ]
        client = self.app.test_client()
        self.phones = [
            Phone(client, member, f"{device}-{uuid.uuid4().hex}")
            for member, device in zip(members, DEVICES)
        ]
        self.skews = skews
        self.written: list[tuple[str, str, str, object, str]] = []
        self.results: dict[str, list[dict]] = {}
        self.sent: dict[int, list[dict]] = {i: [] for i in range(len(DEVICES))}
        self.deals = [str(uuid.uuid4()) for _ in range(2)]

    def start_app(self):
        app = create_app({k: v for k, v in self.config.items() if k.isupper()})
        app.config["DEALBOOK_CLOCK_MS"] = lambda: self.now_ms
        return app

    def close(self) -> None:
        """Close the app's database connections, so histories do not pile them up."""
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()

    def restart(self) -> None:
        self.close()
        self.app = self.start_app()
        client = self.app.test_client()
        for phone in self.phones:
            phone.client = client

    def edit(self, index: int, entity: str, record_id: str, **fields) -> None:
        phone = self.phones[index]
        phone.clock_ms = max(phone.clock_ms, self.now_ms + self.skews[index])
        mutation = phone.edit(entity, record_id, **fields)
        for name, value in fields.items():
            if name != "deleted":
                self.written.append((entity, record_id, name, value, mutation["id"]))

    def sync(self, index: int) -> None:
        phone = self.phones[index]
        self.sent[index] = list(phone.outbox)
        body = phone.sync(limit=7)
        for result in body["all_results"]:
            self.results.setdefault(result["id"], []).append(result)
        rejected = [r for r in body["all_results"] if r["status"] == "rejected"]
        assert rejected == [], f"valid mutations were rejected: {rejected}"

    def drop(self, index: int) -> None:
        """Send the outbox; the server commits, but the phone never hears back."""
        phone = self.phones[index]
        self.sent[index] = list(phone.outbox)
        phone.client.post(
            "/api/sync",
            json={"protocol": 1, "device_id": phone.device, "mutations": phone.outbox},
            headers=phone.member.headers,
        )

    def run(self, operation: tuple) -> None:
        kind = operation[0]
        if kind == "edit":
            _, who, deal, name, value = operation
            self.edit(who, "deal", self.deals[deal], **{name: value})
        elif kind == "note":
            _, who, deal, _, body = operation
            self.edit(who, "note", str(uuid.uuid4()), deal_id=self.deals[deal], body=body)
        elif kind == "delete":
            self.edit(operation[1], "deal", self.deals[operation[2]], deleted=True)
        elif kind == "restore":
            self.edit(operation[1], "deal", self.deals[operation[2]], deleted=False)
        elif kind == "sync":
            self.sync(operation[1])
        elif kind == "drop":
            self.drop(operation[1])
        elif kind == "resend":
            phone = self.phones[operation[1]]
            phone.outbox = self.sent[operation[1]] + phone.outbox
        elif kind == "reverse":
            phone = self.phones[operation[1]]
            phone.outbox.reverse()
        elif kind == "restart":
            self.restart()
        elif kind == "tick":
            self.now_ms += operation[1]

    def server_records(self) -> dict:
        fresh = Phone(self.app.test_client(), self.phones[0].member, "audit-device")
        fresh.sync()
        return fresh.records

    def kept_values(self) -> set[tuple[str, str, str, str]]:
        with self.app.app_context():
            kept = {
                (h.entity, h.record_id, h.field, repr(h.value))
                for h in db.session.scalars(db.select(FieldHistory))
            }
            for c in db.session.scalars(db.select(Conflict)):
                kept.add((c.entity, c.record_id, c.field, repr(c.kept)))
                kept.add((c.entity, c.record_id, c.field, repr(c.other)))
        return kept


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    history=st.lists(operations, min_size=1, max_size=30),
    skews=st.lists(st.integers(-DAY_MS, DAY_MS), min_size=3, max_size=3),
)
def test_random_histories_converge_without_loss(app, book, history, skews):
    world = World(app, book, skews)
    try:
        check_history(world, history)
    finally:
        world.close()


def check_history(world: World, history: list[tuple]) -> None:
    creator = world.phones[0]
    for deal_id in world.deals:
        world.edit(0, "deal", deal_id, title="Rack refresh", stage="prospecting")
    creator.sync()

    for operation in history:
        world.run(operation)
    for _ in range(2):
        for index in range(len(world.phones)):
            world.sync(index)

    server = world.server_records()
    for phone in world.phones:
        assert phone.outbox == []
        assert {k: v["fields"] for k, v in phone.records.items()} == {
            k: v["fields"] for k, v in server.items()
        }

    kept = world.kept_values()
    for entity, record_id, name, value, mutation_id in world.written:
        in_field = server.get((entity, record_id), {}).get("fields", {}).get(name)
        if in_field == value or (name == "value" and in_field == float(value)):
            continue
        as_text = {repr(value), repr(float(value)) if name == "value" else None}
        assert any((entity, record_id, name, v) in kept for v in as_text if v), (
            f"{entity} {record_id} {name}={value!r} was lost; results of "
            f"{mutation_id}: {world.results.get(mutation_id)}; "
            f"server has {server.get((entity, record_id))}"
        )
