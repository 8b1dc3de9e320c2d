"""Proofs of what the durable store promises, on its twin, and the store held to the twin.

The twin is the store's write relation on one agent's row, ``(posture level, version)``:

- ``cas(row, expected, target)``: the target at ``version + 1`` if the version is still
  ``expected``, else the row unchanged (`trust.store.TrustStore.transition`);
- ``emergency(row)``: BLOCKED at ``version + 1``, unconditionally
  (`trust.store.TrustStore.emergency`).

Two properties the engines above rely on are proved of it for every row and request, and
a conformance check runs the real store (``memory://``, the SQL every engine runs) on
every case up to a bound and requires the twin's answer, so the proofs are about the code
that runs.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import z3

from trust.postures import POSTURE_LEVEL_MAP, TrustPosture
from trust.proofs._property import Property, Settings
from trust.proofs._solver import prove
from trust.proofs._verdict import Proved, Refuted, Verdict

BLOCKED = POSTURE_LEVEL_MAP[TrustPosture.BLOCKED]
LEVELS = sorted(POSTURE_LEVEL_MAP.values())
_POSTURE_AT = {level: posture for posture, level in POSTURE_LEVEL_MAP.items()}
MAX_VERSION = 3  # the conformance bound: rows up to version 3, requests up to 4

Row = tuple[z3.ArithRef, z3.ArithRef]


def cas(row: Row, expected: z3.ArithRef, target: z3.ArithRef) -> Row:
    """The twin of a compare-and-set transition."""
    posture, version = row
    fresh = version == expected
    return z3.If(fresh, target, posture), z3.If(fresh, version + 1, version)


def emergency(row: Row) -> Row:
    """The twin of an emergency write."""
    return z3.IntVal(BLOCKED), row[1] + 1


def _row() -> tuple[Row, z3.BoolRef]:
    posture, version = z3.Ints("posture version")
    domain = z3.And(z3.Or(*[posture == level for level in LEVELS]), version >= 0)
    return (posture, version), domain


def _cas_never_overwrites_newer(settings: Settings) -> Verdict:
    row, domain = _row()
    expected, target = z3.Ints("expected target")
    after = cas(row, expected, target)
    claim = z3.Implies(
        z3.And(domain, expected >= 0, z3.Or(*[target == level for level in LEVELS])),
        z3.And(
            # Against any other version (a newer one above all) the row stays as it is.
            z3.Implies(row[1] != expected, z3.And(after[0] == row[0], after[1] == row[1])),
            # A committed change is at the next version: versions only grow.
            z3.Implies(row[1] == expected, after[1] == row[1] + 1),
        ),
    )
    return prove(claim, timeout_ms=settings.timeout_ms)


def _emergency_commutes(settings: Settings) -> Verdict:
    row, domain = _row()
    expected, target = z3.Ints("expected target")
    emergency_first = cas(emergency(row), expected, target)
    transition_first = emergency(cas(row, expected, target))
    claim = z3.Implies(
        z3.And(domain, expected >= 0, target >= LEVELS[0], target <= BLOCKED),
        z3.And(emergency_first[0] == transition_first[0], transition_first[0] == BLOCKED),
    )
    return prove(claim, timeout_ms=settings.timeout_ms)


def _transition_decided_before_never_lifts(settings: Settings) -> Verdict:
    row, domain = _row()
    expected, target = z3.Ints("expected target")
    # The transition was decided against the row before the emergency (expected <= v).
    after = cas(emergency(row), expected, target)
    claim = z3.Implies(
        z3.And(domain, expected >= 0, expected <= row[1], z3.Or(*[target == lv for lv in LEVELS])),
        after[0] == BLOCKED,
    )
    return prove(claim, timeout_ms=settings.timeout_ms)


_START = TrustPosture.SUPERVISED
_ORDERS = ("emergency first", "transition first")


def _runtime(version: int, expected: int, target: int, order: str) -> tuple[int, int]:
    """What the real store holds after the case: (posture level, version)."""
    from trust.store import HistoryEntry, open_store

    def entry(to: TrustPosture, op_id: str | None = None) -> HistoryEntry:
        at = datetime(2025, 1, 1, tzinfo=UTC)
        return HistoryEntry(
            agent_id="a", from_posture=_START, to_posture=to, kind="k", at=at, op_id=op_id
        )

    store = open_store("memory://")
    try:
        for v in range(version):  # reach the version with real writes
            store.transition(entry(_START), expected_version=v)
        steps: list[Callable[[], object]] = [
            lambda: store.emergency(entry(TrustPosture.BLOCKED, op_id="e")),
            lambda: store.transition(entry(_POSTURE_AT[target]), expected_version=expected),
        ]
        for step in steps if order == _ORDERS[0] else reversed(steps):
            step()
        row = store.read_posture("a")
    finally:
        store.close()
    return (
        (POSTURE_LEVEL_MAP[_START], 0)
        if row is None
        else (
            POSTURE_LEVEL_MAP[row.posture],
            row.version,
        )
    )


def _twin(version: int, expected: int, target: int, order: str) -> tuple[int, int]:
    """The same case on the twin, evaluated by z3."""
    row: Row = (z3.IntVal(POSTURE_LEVEL_MAP[_START]), z3.IntVal(version))
    e, t = z3.IntVal(expected), z3.IntVal(target)
    after = cas(emergency(row), e, t) if order == _ORDERS[0] else emergency(cas(row, e, t))
    posture, stored = (z3.simplify(term) for term in after)
    assert isinstance(posture, z3.IntNumRef)
    assert isinstance(stored, z3.IntNumRef)
    return posture.as_long(), stored.as_long()


def _store_conforms(settings: Settings) -> Verdict:
    top = MAX_VERSION + (2 if settings.deep else 0)
    cases = 0
    for version in range(top + 1):
        for expected in range(top + 2):
            for target in LEVELS:
                for order in _ORDERS:
                    got = _runtime(version, expected, target, order)
                    want = _twin(version, expected, target, order)
                    cases += 1
                    if got != want:
                        return Refuted(
                            {
                                "version": str(version),
                                "expected": str(expected),
                                "target": _POSTURE_AT[target].value,
                                "order": order,
                                "runtime": f"{_POSTURE_AT[got[0]].value} v{got[1]}",
                                "twin": f"{_POSTURE_AT[want[0]].value} v{want[1]}",
                            }
                        )
    return Proved(note=f"runtime ≡ twin on {cases:,} cases")


def store_properties() -> list[Property]:
    """What the durable store promises the engines, proved on its twin and held to it."""
    subject = "durable store"
    return [
        Property(
            name="a compare-and-set transition never overwrites a newer version",
            subject=subject,
            method="z3",
            check=_cas_never_overwrites_newer,
        ),
        Property(
            name="an emergency write commutes with a concurrent transition into blocked",
            subject=subject,
            method="z3",
            check=_emergency_commutes,
        ),
        Property(
            name="a transition decided before an emergency never lifts it",
            subject=subject,
            method="z3",
            check=_transition_decided_before_never_lifts,
        ),
        Property(
            name="the store (its SQL) conforms to the twin, both orders",
            subject=subject,
            method="exact comparison",
            check=_store_conforms,
            bound=f"rows up to version {MAX_VERSION} (5 with --deep); every target",
        ),
    ]


__all__ = ["cas", "emergency", "store_properties"]
