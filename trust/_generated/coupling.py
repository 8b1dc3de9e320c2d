# Generated from trust/model/coupling_lifecycle.py by `python -m trust.model.codegen`. Do not edit.
"""The breaker-posture coupling, as plain data for the runtime.

Generated from trust/model/coupling_lifecycle.py, do not edit: change the model and regenerate.
"""

from typing import Final

NAME: Final = "coupling"
STATES: Final = ("closed_free", "open_free", "open_held", "half_open_free", "half_open_held")
INITIAL: Final = "closed_free"
EVENTS: Final = ("trip", "reopen", "recover", "close", "posture_changed")
GUARDS: Final = (
    "lowered_nothing",
    "no_restore_pending",
    "lowered",
    "restore_pending",
    "restore_on_close",
    "keep_on_close",
)
ACTIONS: Final = ("protect", "hold", "take_over", "restore", "forfeit")
RESTORE_FENCES: Final = ("posture_unchanged", "circuit_closed")

# (source, event, target, guards, actions): the first transition of (source, event)
# whose guards all hold fires, and its actions are carried out in order.
TRANSITIONS: Final[tuple[tuple[str, str, str, tuple[str, ...], tuple[str, ...]], ...]] = (
    ("closed_free", "trip", "open_free", ("lowered_nothing", "no_restore_pending"), ("protect",)),
    ("closed_free", "trip", "open_held", ("lowered",), ("protect", "hold")),
    (
        "closed_free",
        "trip",
        "open_held",
        ("lowered_nothing", "restore_pending"),
        ("protect", "take_over"),
    ),
    ("open_free", "reopen", "open_free", (), ("protect",)),
    ("open_held", "reopen", "open_held", (), ("protect",)),
    ("half_open_free", "reopen", "open_free", (), ("protect",)),
    ("half_open_held", "reopen", "open_held", (), ("protect",)),
    ("open_free", "recover", "half_open_free", (), ()),
    ("open_held", "recover", "half_open_held", (), ()),
    ("closed_free", "close", "closed_free", (), ()),
    ("open_free", "close", "closed_free", (), ()),
    ("open_held", "close", "closed_free", ("restore_on_close",), ("restore",)),
    ("open_held", "close", "closed_free", ("keep_on_close",), ("forfeit",)),
    ("half_open_free", "close", "closed_free", (), ()),
    ("half_open_held", "close", "closed_free", ("restore_on_close",), ("restore",)),
    ("half_open_held", "close", "closed_free", ("keep_on_close",), ("forfeit",)),
    ("open_held", "posture_changed", "open_free", (), ("forfeit",)),
    ("half_open_held", "posture_changed", "half_open_free", (), ("forfeit",)),
)

# (breaker source, breaker event, breaker target, coupling event): what each breaker
# transition sends; a breaker transition not listed sends nothing.
TRIGGERS: Final[tuple[tuple[str, str, str, str], ...]] = (
    ("closed", "failure", "open", "trip"),
    ("half_open", "failure", "open", "reopen"),
    ("open", "recovery_timeout", "half_open", "recover"),
    ("half_open", "probe_success", "closed", "close"),
    ("half_open", "probe_timeout", "open", "reopen"),
    ("closed", "force_open", "open", "trip"),
    ("open", "force_open", "open", "reopen"),
    ("half_open", "force_open", "open", "reopen"),
    ("closed", "reset", "closed", "close"),
    ("open", "reset", "closed", "close"),
    ("half_open", "reset", "closed", "close"),
)
