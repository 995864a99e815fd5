"""Run the shared vectors in sync/vectors against the Python engine."""

import itertools
import json
from pathlib import Path
from typing import Any

import pytest

import sync
from sync import HybridClock, apply_mutation, format_stamp, parse_stamp

VECTORS = Path(__file__).parents[2] / "sync" / "vectors"


def load_cases(filename: str) -> list[Any]:
    cases = json.loads((VECTORS / filename).read_text(encoding="utf-8"))
    return [pytest.param(case, id=case["name"]) for case in cases]


def run_merge(record: Any, mutation: Any, context: dict[str, Any]) -> Any:
    return apply_mutation(
        record,
        mutation,
        device=context["device"],
        seq=context["seq"],
        now_ms=context["now_ms"],
        text_fields=frozenset(context["text_fields"]),
    )


@pytest.mark.parametrize("case", load_cases("merge.json"))
def test_merge_vector(case: dict[str, Any]) -> None:
    before = json.dumps([case["record"], case["mutation"]])
    outcome = run_merge(case["record"], case["mutation"], case["context"])

    assert outcome == case["expected"]
    assert json.dumps([case["record"], case["mutation"]]) == before


@pytest.mark.parametrize("case", load_cases("errors.json"))
def test_merge_error_vector(case: dict[str, Any]) -> None:
    error = getattr(sync, case["expected"]["error"])

    with pytest.raises(error):
        run_merge(case["record"], case["mutation"], case["context"])


@pytest.mark.parametrize("case", load_cases("sequences.json"))
def test_sequence_vector_every_order(case: dict[str, Any]) -> None:
    context = case["context"]
    expected = case["expected"]
    for order in itertools.permutations(case["mutations"]):
        record = case["record"]
        conflict_count = 0
        for offset, item in enumerate(order):
            outcome = apply_mutation(
                record,
                item["mutation"],
                device=item["device"],
                seq=context["first_seq"] + offset,
                now_ms=context["now_ms"],
                text_fields=frozenset(context["text_fields"]),
            )
            record = outcome["record"]
            conflict_count += len(outcome["conflicts"])

        order_ids = [item["mutation"]["id"] for item in order]
        assert record["fields"] == expected["fields"], order_ids
        assert conflict_count == expected["conflict_count"], order_ids


def run_clock_step(clock: HybridClock | None, step: dict[str, Any]) -> Any:
    op = step["op"]
    if op == "parse":
        return parse_stamp(step["stamp"])._asdict()
    if op == "format":
        return format_stamp(step["wall_ms"], step["counter"], step["device"])
    assert clock is not None, "now and observe steps need a device"
    if op == "now":
        return clock.now(step["wall_ms"])
    clock.observe(step["stamp"], step["wall_ms"])

    return clock.last


@pytest.mark.parametrize("case", load_cases("clock.json"))
def test_clock_vector(case: dict[str, Any]) -> None:
    clock = HybridClock(case["device"], case["last"]) if case["device"] else None
    for number, step in enumerate(case["steps"]):
        expected = step["expected"]
        if isinstance(expected, dict) and "error" in expected:
            with pytest.raises(getattr(sync, expected["error"])):
                run_clock_step(clock, step)
        else:
            assert run_clock_step(clock, step) == expected, f"step {number}"
