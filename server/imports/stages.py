"""Map stage labels from other CRMs to Dealbook stage keys and statuses.

Labels are compared after dropping case, spaces and punctuation, so
"Proposal/Price Quote", "proposal price quote" and "proposalpricequote" are one
label. A label that names an outcome ("Closed Won") sets the status too.

A won deal is at ``closing``. A lost deal is at the furthest stage its source
shows it reached. A label like "Closed Lost" shows none, so such a deal is at
``prospecting``, which keeps it out of later stages in funnel counts.
"""

from __future__ import annotations

import re

from .rows import STAGES, Status

WON_STAGE = "closing"
LOST_STAGE_UNKNOWN = "prospecting"

# Normalised label -> stage key. Our own keys are accepted as labels too.
STAGE_LABELS: dict[str, str] = {
    **{key.replace("_", ""): key for key in STAGES},
    # Pipedrive default pipeline and common custom names.
    "leadin": "prospecting",
    "lead": "prospecting",
    "new": "prospecting",
    "qualified": "qualification",
    "contactmade": "initial_contact",
    "firstcontact": "initial_contact",
    "engaging": "initial_contact",
    "demoscheduled": "nurturing",
    "needsdefined": "nurturing",
    "proposalmade": "proposal",
    "negotiationsstarted": "negotiation",
    # HubSpot default sales pipeline, internal names and labels.
    "appointmentscheduled": "initial_contact",
    "qualifiedtobuy": "qualification",
    "presentationscheduled": "nurturing",
    "decisionmakerboughtin": "negotiation",
    "contractsent": "closing",
    # Salesforce standard StageName values.
    "needsanalysis": "nurturing",
    "valueproposition": "nurturing",
    "iddecisionmakers": "nurturing",
    "perceptionanalysis": "nurturing",
    "proposalpricequote": "proposal",
    "negotiationreview": "negotiation",
}

# Normalised label -> status, for labels that record an outcome.
OUTCOME_LABELS: dict[str, Status] = {
    "closedwon": "won",
    "won": "won",
    "closedlost": "lost",
    "lost": "lost",
}

ACCEPTED_LABELS = (
    "Dealbook keys (" + ", ".join(STAGES) + "); Pipedrive: Lead In, Qualified, "
    "Contact Made, Demo Scheduled, Needs Defined, Proposal Made, Negotiations "
    "Started; HubSpot: appointmentscheduled, qualifiedtobuy, "
    "presentationscheduled, decisionmakerboughtin, contractsent, closedwon, "
    "closedlost; Salesforce: Prospecting, Qualification, Needs Analysis, Value "
    "Proposition, Id. Decision Makers, Perception Analysis, Proposal/Price "
    "Quote, Negotiation/Review, Closed Won, Closed Lost"
)


def normalise_label(label: str) -> str:
    """Return ``label`` lower-cased with everything but letters and digits removed."""
    return re.sub(r"[\W_]+", "", label.casefold())


def map_stage(label: str) -> tuple[str, Status | None] | None:
    """Return the stage key and, for outcome labels, the status; None if unknown."""
    key = normalise_label(label)
    if key in OUTCOME_LABELS:
        status = OUTCOME_LABELS[key]
        return (WON_STAGE if status == "won" else LOST_STAGE_UNKNOWN), status
    if key in STAGE_LABELS:
        return STAGE_LABELS[key], None

    return None


def place_deal(stage: str, status: Status) -> str:
    """Return the stage a deal is imported at, given its mapped stage and status.

    A won deal has passed through every stage, so it sits at ``closing``; open
    and lost deals keep the stage the source gives.
    """
    return WON_STAGE if status == "won" else stage
