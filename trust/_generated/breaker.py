# Generated from trust/model/breaker.py by `python -m trust.model.codegen`. Do not edit.
"""The breaker lifecycle, as plain data for the runtime.

Generated from trust/model/breaker.py, do not edit: change the model and regenerate.
"""

from typing import Final

NAME: Final = "breaker"
STATES: Final = ("closed", "open", "half_open")
INITIAL: Final = "closed"
EVENTS: Final = (
    "failure",
    "recovery_timeout",
    "probe_admitted",
    "probe_success",
    "probe_timeout",
    "force_open",
    "reset",
)
GUARDS: Final = (
    "outcome_current",
    "below_threshold",
    "at_threshold",
    "not_forced",
    "recovery_elapsed",
    "probe_slot_free",
    "probe_outstanding",
    "probes_complete",
    "probes_incomplete",
    "probe_wait_elapsed",
)

# (source, event, target, guards): the transition fires only if every guard holds.
TRANSITIONS: Final[tuple[tuple[str, str, str, tuple[str, ...]], ...]] = (
    ("closed", "failure", "closed", ("outcome_current", "below_threshold")),
    ("closed", "failure", "open", ("outcome_current", "at_threshold")),
    ("half_open", "failure", "open", ("outcome_current",)),
    ("open", "recovery_timeout", "half_open", ("not_forced", "recovery_elapsed")),
    ("half_open", "probe_admitted", "half_open", ("probe_slot_free",)),
    (
        "half_open",
        "probe_success",
        "closed",
        ("outcome_current", "probe_outstanding", "probes_complete"),
    ),
    (
        "half_open",
        "probe_success",
        "half_open",
        ("outcome_current", "probe_outstanding", "probes_incomplete"),
    ),
    ("half_open", "probe_timeout", "open", ("probe_outstanding", "probe_wait_elapsed")),
    ("closed", "force_open", "open", ()),
    ("open", "force_open", "open", ()),
    ("half_open", "force_open", "open", ()),
    ("closed", "reset", "closed", ()),
    ("open", "reset", "closed", ()),
    ("half_open", "reset", "closed", ()),
)
