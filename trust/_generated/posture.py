# Generated from trust/model/posture.py by `python -m trust.model.codegen`. Do not edit.
"""The posture lifecycle, as plain data for the runtime.

Generated from trust/model/posture.py, do not edit: change the model and regenerate.
"""

from typing import Final

NAME: Final = "posture"
STATES: Final = ("blocked", "human_decides", "supervised", "assisted", "full_autonomy")
INITIAL: Final = "supervised"
EVENTS: Final = ("upgrade", "downgrade", "maintain", "emergency_downgrade", "protective_downgrade")
GUARDS: Final = ("requester_present", "guards_pass")

# (source, event, target, guards): the transition fires only if every guard holds.
TRANSITIONS: Final[tuple[tuple[str, str, str, tuple[str, ...]], ...]] = (
    ("blocked", "upgrade", "human_decides", ("requester_present", "guards_pass")),
    ("blocked", "upgrade", "supervised", ("requester_present", "guards_pass")),
    ("blocked", "upgrade", "assisted", ("requester_present", "guards_pass")),
    ("blocked", "upgrade", "full_autonomy", ("requester_present", "guards_pass")),
    ("human_decides", "upgrade", "supervised", ("requester_present", "guards_pass")),
    ("human_decides", "upgrade", "assisted", ("requester_present", "guards_pass")),
    ("human_decides", "upgrade", "full_autonomy", ("requester_present", "guards_pass")),
    ("supervised", "upgrade", "assisted", ("requester_present", "guards_pass")),
    ("supervised", "upgrade", "full_autonomy", ("requester_present", "guards_pass")),
    ("assisted", "upgrade", "full_autonomy", ("requester_present", "guards_pass")),
    ("human_decides", "downgrade", "blocked", ("guards_pass",)),
    ("supervised", "downgrade", "blocked", ("guards_pass",)),
    ("supervised", "downgrade", "human_decides", ("guards_pass",)),
    ("assisted", "downgrade", "blocked", ("guards_pass",)),
    ("assisted", "downgrade", "human_decides", ("guards_pass",)),
    ("assisted", "downgrade", "supervised", ("guards_pass",)),
    ("full_autonomy", "downgrade", "blocked", ("guards_pass",)),
    ("full_autonomy", "downgrade", "human_decides", ("guards_pass",)),
    ("full_autonomy", "downgrade", "supervised", ("guards_pass",)),
    ("full_autonomy", "downgrade", "assisted", ("guards_pass",)),
    ("blocked", "maintain", "blocked", ("guards_pass",)),
    ("human_decides", "maintain", "human_decides", ("guards_pass",)),
    ("supervised", "maintain", "supervised", ("guards_pass",)),
    ("assisted", "maintain", "assisted", ("guards_pass",)),
    ("full_autonomy", "maintain", "full_autonomy", ("guards_pass",)),
    ("blocked", "emergency_downgrade", "blocked", ()),
    ("human_decides", "emergency_downgrade", "blocked", ()),
    ("supervised", "emergency_downgrade", "blocked", ()),
    ("assisted", "emergency_downgrade", "blocked", ()),
    ("full_autonomy", "emergency_downgrade", "blocked", ()),
    ("human_decides", "protective_downgrade", "blocked", ()),
    ("supervised", "protective_downgrade", "blocked", ()),
    ("supervised", "protective_downgrade", "human_decides", ()),
    ("assisted", "protective_downgrade", "blocked", ()),
    ("assisted", "protective_downgrade", "human_decides", ()),
    ("assisted", "protective_downgrade", "supervised", ()),
    ("full_autonomy", "protective_downgrade", "blocked", ()),
    ("full_autonomy", "protective_downgrade", "human_decides", ()),
    ("full_autonomy", "protective_downgrade", "supervised", ()),
    ("full_autonomy", "protective_downgrade", "assisted", ()),
)
