"""The stage keys of the default pipeline, in order, shared by every module."""

STAGES: tuple[str, ...] = (
    "prospecting",
    "qualification",
    "initial_contact",
    "nurturing",
    "proposal",
    "negotiation",
    "closing",
    "post_sales",
)
