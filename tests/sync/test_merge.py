import copy
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sync import MAX_CLOCK_AHEAD_MS, apply_mutation, format_stamp

NOW_MS = 1_733_312_400_000
TEXT_FIELDS = frozenset({"description"})


def make_mutation(
    device: str, number: int, fields: dict[str, Any], wall_ms: int
) -> dict[str, Any]:
    return {
        "id": f"{device}:{number}",
        "entity": "deal",
        "record_id": "9d1c",
        "fields": fields,
        "base": {name: 0 for name in fields},
        "hlc": format_stamp(wall_ms, 0, device),
    }


def test_inputs_are_not_modified() -> None:
    record = apply_mutation(
        None,
        make_mutation("dev-a", 1, {"title": "Rack"}, NOW_MS),
        device="dev-a",
        seq=1,
        now_ms=NOW_MS,
        text_fields=TEXT_FIELDS,
    )["record"]
    mutation = make_mutation("dev-b", 1, {"title": "Racks"}, NOW_MS + 1)
    record_before, mutation_before = copy.deepcopy(record), copy.deepcopy(mutation)

    outcome = apply_mutation(
        record,
        mutation,
        device="dev-b",
        seq=2,
        now_ms=NOW_MS,
        text_fields=TEXT_FIELDS,
    )

    assert record == record_before
    assert mutation == mutation_before
    assert outcome["record"] is not record
    assert outcome["record"]["fields"]["title"] == "Racks"


def test_returned_values_not_shared() -> None:
    mutation = make_mutation("dev-a", 1, {"title": ["a", "b"]}, NOW_MS)

    outcome = apply_mutation(
        None, mutation, device="dev-a", seq=1, now_ms=NOW_MS, text_fields=TEXT_FIELDS
    )
    outcome["record"]["fields"]["title"].append("c")

    assert mutation["fields"]["title"] == ["a", "b"]


def test_clock_bound_is_one_minute() -> None:
    assert MAX_CLOCK_AHEAD_MS == 60_000


DEVICES = ["dev-a", "dev-b", "dev-c", "dev-fast"]
FIELDS = ["title", "stage", "description"]

edit_strategy = st.tuples(
    st.sampled_from(DEVICES),
    st.dictionaries(
        st.sampled_from(FIELDS), st.sampled_from(["x", "y", "z"]), min_size=1
    ),
    st.integers(min_value=0, max_value=5),
)


def build_mutations(edits: list[tuple[str, dict[str, str], int]]) -> list[dict]:
    """Give each device's edits rising stamps, as its own clock would."""
    mutations = []
    clock_of = {device: NOW_MS - 50_000 for device in DEVICES}
    clock_of["dev-fast"] = NOW_MS + 5 * MAX_CLOCK_AHEAD_MS
    for number, (device, fields, step_ms) in enumerate(edits):
        clock_of[device] += step_ms + 1
        values = {name: f"{value}-{device}-{number}" for name, value in fields.items()}
        mutations.append(make_mutation(device, number, values, clock_of[device]))

    return mutations


def apply_in_order(mutations: list[dict]) -> tuple[dict, list[dict]]:
    record = None
    outcomes = []
    seen_ids: set[str] = set()
    for seq, mutation in enumerate(mutations, start=1):
        if mutation["id"] in seen_ids:
            continue
        seen_ids.add(mutation["id"])
        device = mutation["id"].split(":")[0]
        outcome = apply_mutation(
            record,
            mutation,
            device=device,
            seq=seq,
            now_ms=NOW_MS,
            text_fields=TEXT_FIELDS,
        )
        record = outcome["record"]
        outcomes.append(outcome)

    assert record is not None
    return record, outcomes


@settings(max_examples=300)
@given(
    edits=st.lists(edit_strategy, min_size=1, max_size=8),
    data=st.data(),
)
def test_concurrent_edits_converge_without_loss(
    edits: list[tuple[str, dict[str, str], int]], data: st.DataObject
) -> None:
    # Deletes are left out: an edit on a deleted record depends on whether
    # the delete arrived first, which rule 2 makes order dependent.
    mutations = build_mutations(edits)
    first_order = data.draw(st.permutations(mutations), label="first order")
    duplicated = mutations + data.draw(
        st.lists(st.sampled_from(mutations), max_size=4), label="duplicates"
    )
    second_order = data.draw(st.permutations(duplicated), label="second order")

    first_record, _ = apply_in_order(first_order)
    second_record, outcomes = apply_in_order(second_order)

    assert first_record["fields"] == second_record["fields"]
    kept = {json.dumps(value) for value in second_record["fields"].values()}
    for outcome in outcomes:
        kept.update(json.dumps(entry["value"]) for entry in outcome["history"])
        for conflict in outcome["conflicts"]:
            kept.update({json.dumps(conflict["kept"]), json.dumps(conflict["other"])})
    for mutation in mutations:
        for value in mutation["fields"].values():
            assert json.dumps(value) in kept, f"{value!r} was lost"
