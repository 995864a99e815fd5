"""Pipelines: the ordered stages a deal moves through, with win probabilities.

Every team has the `default` pipeline of the eight stages in `entities.STAGES`.
A team stores its own probabilities and rotting limits, and extra pipelines,
in `Team.settings["pipelines"]`, a JSON list shaped as `GET /api/pipelines`
returns it:

    [{"key": "default", "name": "Sales",
      "stages": [{"key": "prospecting", "probability": 5, "rotting_days": 14},
                 ...]},
     {"key": "renewals", "name": "Renewals", "stages": [...]}]

`probability` is a whole percent from 0 to 100. `rotting_days` is how many days
an open deal may stay in the stage before it counts as stale, or null for
never.
"""

from __future__ import annotations

import re
from typing import Any

from .entities import STAGES
from .models import Team

DEFAULT_PIPELINE = "default"

# Percent chance that an open deal in the stage is won.
DEFAULT_PROBABILITIES: dict[str, int] = {
    "prospecting": 5,
    "qualification": 10,
    "initial_contact": 20,
    "nurturing": 30,
    "proposal": 50,
    "negotiation": 70,
    "closing": 90,
    "post_sales": 100,
}

# Days an open deal may sit in the stage before it is stale; None never rots.
DEFAULT_ROTTING_DAYS: dict[str, int | None] = {
    "prospecting": 14,
    "qualification": 10,
    "initial_contact": 7,
    "nurturing": 21,
    "proposal": 10,
    "negotiation": 14,
    "closing": 7,
    "post_sales": 30,
}

MAX_ROTTING_DAYS = 3650
MAX_PIPELINES = 20
KEY_PATTERN = re.compile(r"^[a-z0-9_-]{1,32}$")


class PipelineError(ValueError):
    """Raised when a pipeline definition is invalid; the message names the value."""


def default_pipelines() -> list[dict[str, Any]]:
    """Return the built-in pipeline list: the eight stages and their defaults."""
    stages = [
        {
            "key": key,
            "probability": DEFAULT_PROBABILITIES[key],
            "rotting_days": DEFAULT_ROTTING_DAYS[key],
        }
        for key in STAGES
    ]
    return [{"key": DEFAULT_PIPELINE, "name": "Sales", "stages": stages}]


def team_pipelines(team: Team) -> list[dict[str, Any]]:
    """Return the team's pipelines, the default one first."""
    return pipelines_of_settings(team.settings)


def pipelines_of_settings(settings: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Return the pipelines stored in a team's settings, or the built-in ones."""
    stored = (settings or {}).get("pipelines")
    if not stored:
        return default_pipelines()

    return validate_pipelines(stored)


def default_stages(team: Team) -> list[dict[str, Any]]:
    """Return the stages of the team's default pipeline, in order."""
    return team_pipelines(team)[0]["stages"]


def stage_probabilities(team: Team) -> dict[str, int]:
    """Return the win probability in percent of each stage of the default pipeline."""
    return {stage["key"]: stage["probability"] for stage in default_stages(team)}


def rotting_limits(team: Team) -> dict[str, int | None]:
    """Return the rotting limit in days of each stage of the default pipeline."""
    return {stage["key"]: stage["rotting_days"] for stage in default_stages(team)}


def store_pipelines(team: Team, pipelines: Any) -> list[dict[str, Any]]:
    """Validate pipelines and store them in the team's settings; return them."""
    checked = validate_pipelines(pipelines)
    # A new dict, so SQLAlchemy detects the JSON column change.
    team.settings = {**(team.settings or {}), "pipelines": checked}
    return checked


def validate_pipelines(pipelines: Any) -> list[dict[str, Any]]:
    """Return the pipelines with defaults filled in, or raise `PipelineError`.

    The `default` pipeline must be first and list all eight stages in order,
    because every deal is in it. Other pipelines list one or more distinct
    stages in the same relative order.
    """
    if not isinstance(pipelines, list) or not pipelines:
        raise PipelineError(
            f"pipelines must be a non-empty list, not {pipelines!r}."
        )
    if len(pipelines) > MAX_PIPELINES:
        raise PipelineError(
            f"A team has at most {MAX_PIPELINES} pipelines, but {len(pipelines)} "
            "were sent."
        )

    checked = [validate_pipeline(item, f"pipelines[{i}]") for i, item in enumerate(pipelines)]
    keys = [pipeline["key"] for pipeline in checked]
    if keys[0] != DEFAULT_PIPELINE:
        raise PipelineError(
            f"pipelines[0].key is {keys[0]!r}; the first pipeline must be "
            f"{DEFAULT_PIPELINE!r}."
        )
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        raise PipelineError(f"Pipeline keys must be unique; repeated: {duplicates}.")

    default_keys = [stage["key"] for stage in checked[0]["stages"]]
    if default_keys != list(STAGES):
        raise PipelineError(
            f"pipelines[0].stages are {default_keys}; the default pipeline lists "
            f"every stage in order: {list(STAGES)}."
        )

    return checked


def validate_pipeline(item: Any, where: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise PipelineError(f"{where} must be an object, not {item!r}.")
    unknown = sorted(set(item) - {"key", "name", "stages"})
    if unknown:
        raise PipelineError(
            f"{where} has unknown fields {unknown}; fields are key, name, stages."
        )

    key = item.get("key")
    if not isinstance(key, str) or not KEY_PATTERN.match(key):
        raise PipelineError(
            f"{where}.key {key!r} is invalid; use 1 to 32 lowercase letters, "
            "digits, '_' or '-'."
        )
    name = item.get("name", "Sales" if key == DEFAULT_PIPELINE else key)
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 100:
        raise PipelineError(f"{where}.name {name!r} must be 1 to 100 characters.")

    stages = item.get("stages")
    if not isinstance(stages, list) or not stages:
        raise PipelineError(f"{where}.stages must be a non-empty list, not {stages!r}.")
    checked = [
        validate_stage(stage, f"{where}.stages[{i}]") for i, stage in enumerate(stages)
    ]
    order = [STAGES.index(stage["key"]) for stage in checked]
    if order != sorted(set(order)):
        keys = [stage["key"] for stage in checked]
        raise PipelineError(
            f"{where}.stages {keys} must be distinct and in the order {list(STAGES)}."
        )

    return {"key": key, "name": name.strip(), "stages": checked}


def validate_stage(item: Any, where: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise PipelineError(f"{where} must be an object, not {item!r}.")
    unknown = sorted(set(item) - {"key", "probability", "rotting_days"})
    if unknown:
        raise PipelineError(
            f"{where} has unknown fields {unknown}; fields are key, probability, "
            "rotting_days."
        )

    key = item.get("key")
    if key not in STAGES:
        raise PipelineError(
            f"{where}.key {key!r} is not a stage; stages are {list(STAGES)}."
        )
    probability = item.get("probability", DEFAULT_PROBABILITIES[key])
    if not is_whole_number(probability) or not 0 <= probability <= 100:
        raise PipelineError(
            f"{where}.probability {probability!r} is invalid; use a whole percent "
            "from 0 to 100."
        )
    rotting_days = item.get("rotting_days", DEFAULT_ROTTING_DAYS[key])
    if rotting_days is not None and (
        not is_whole_number(rotting_days) or not 1 <= rotting_days <= MAX_ROTTING_DAYS
    ):
        raise PipelineError(
            f"{where}.rotting_days {rotting_days!r} is invalid; use whole days from "
            f"1 to {MAX_ROTTING_DAYS}, or null for a stage where deals never rot."
        )

    return {"key": key, "probability": probability, "rotting_days": rotting_days}


def is_whole_number(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
