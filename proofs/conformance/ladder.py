"""Conformance of the autonomy ladder: how the runtime orders and classifies postures.

The posture spec declares its states from the least autonomy up, and that order *is* the
ladder; each pair of postures has one requestable kind of move (proved in
`proofs.lifecycles`). Here the runtime's own readings of them are compared with the spec
on every pair: `TrustPosture`'s comparisons, ``autonomy_level``, ``can_upgrade_to`` and
``can_downgrade_to``, `POSTURE_LEVEL_MAP`, a `PostureTransitionRequest`'s
``transition_type``, ``is_upgrade`` and ``is_downgrade``, and whether a `TransitionGuard`
for upgrades applies (`TransitionGuard.check`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from trust.model import POSTURE_SPEC
from trust.postures import (
    POSTURE_LEVEL_MAP,
    PostureTransition,
    PostureTransitionRequest,
    TransitionGuard,
    TrustPosture,
)
from trust.proofs._property import Property, Settings
from trust.proofs._verdict import Proved, Refuted, Verdict
from trust.proofs.conformance.posture import AGENT, LEVEL, requested_kind

_REFUSES_UPGRADES = TransitionGuard(
    name="refuses_upgrades", check_fn=lambda request: False, applies_to={PostureTransition.UPGRADE}
)

Reading = Callable[[TrustPosture, TrustPosture, PostureTransitionRequest], object]

READINGS: Mapping[str, Reading] = {
    "a < b": lambda a, b, r: a < b,
    "a <= b": lambda a, b, r: a <= b,
    "a > b": lambda a, b, r: a > b,
    "a >= b": lambda a, b, r: a >= b,
    "a.autonomy_level": lambda a, b, r: a.autonomy_level,
    "POSTURE_LEVEL_MAP[a]": lambda a, b, r: POSTURE_LEVEL_MAP[a],
    "a.can_upgrade_to(b)": lambda a, b, r: a.can_upgrade_to(b),
    "a.can_downgrade_to(b)": lambda a, b, r: a.can_downgrade_to(b),
    "request(a -> b).transition_type": lambda a, b, r: r.transition_type.value,
    "request(a -> b).is_upgrade": lambda a, b, r: r.is_upgrade,
    "request(a -> b).is_downgrade": lambda a, b, r: r.is_downgrade,
    "upgrade guard refusing everything .check(request(a -> b))": (
        lambda a, b, r: _REFUSES_UPGRADES.check(r)
    ),
}


def _spec(a: str, b: str) -> dict[str, object]:
    """What the spec says of each reading, for postures ``a`` and ``b``."""
    la, lb, kind = LEVEL[a], LEVEL[b], requested_kind(a, b).event
    return {
        "a < b": la < lb,
        "a <= b": la <= lb,
        "a > b": la > lb,
        "a >= b": la >= lb,
        "a.autonomy_level": la,
        "POSTURE_LEVEL_MAP[a]": la,
        "a.can_upgrade_to(b)": la < lb,
        "a.can_downgrade_to(b)": la > lb,
        "request(a -> b).transition_type": kind,
        "request(a -> b).is_upgrade": kind == "upgrade",
        "request(a -> b).is_downgrade": kind == "downgrade",
        "upgrade guard refusing everything .check(request(a -> b))": kind != "upgrade",
    }


def check(settings: Settings) -> Verdict:
    """Every reading of every pair of postures, against the spec's order and kinds."""
    pairs = [(a, b) for a in POSTURE_SPEC.states for b in POSTURE_SPEC.states]
    for a, b in pairs:
        pa, pb = TrustPosture(a), TrustPosture(b)
        request = PostureTransitionRequest(agent_id=AGENT, from_posture=pa, to_posture=pb)
        expectations = _spec(a, b)
        for name, read in READINGS.items():
            actual, expected = read(pa, pb, request), expectations[name]
            if actual != expected:
                return Refuted(
                    {
                        "1 postures": f"a={a}, b={b}",
                        "2 reading": name,
                        "3 runtime": repr(actual),
                        "4 spec": f"{expected!r} (the ladder, lowest first: "
                        f"{', '.join(POSTURE_SPEC.states)})",
                    }
                )
    return Proved(note=f"runtime ≡ spec on {len(pairs)} pairs x {len(READINGS)} readings")


def properties() -> list[Property]:
    return [
        Property(
            name="the runtime TrustPosture ladder conforms to the declared state order, and "
            "request kinds to the transition relation",
            subject="posture lifecycle",
            method="exhaustive conformance",
            check=check,
        )
    ]


__all__ = ["READINGS", "properties"]
