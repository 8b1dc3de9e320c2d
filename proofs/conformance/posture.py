"""Conformance of the posture machine: the real `PostureStateMachine` against the posture spec.

Every sequence of events up to a depth, from every posture, is run on a fresh machine with
a fake clock. Each step is compared with `model.POSTURE_SPEC`'s transition relation, for
the event and the guard values it was given: a transition request to each posture with the
requester present or absent and a real `TransitionGuard` that approves, refuses or raises;
``emergency_downgrade``; the administrative ``set_posture`` to each posture; and the
breaker's ``protective_downgrade`` to each posture. Guard values are the model's own
(`model.PostureLifecycle.requester_present` and ``guards_pass``); a guard that raises is
a guard that does not pass. The runtime must do exactly what the one enabled transition
says (its target, the kind it records, one version more), or refuse, recorded and naming
the guard, when none is enabled. After every step the lifecycle invariants are checked on
the real state, through public reads: the history explains the posture, versions count
the changes (as `PostureStateMachine.version` counts them: a MAINTAIN of a posture that
never changed is not one), and autonomy rose only by an approved upgrade or an
administrative set.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import assert_never

import attrs

from trust.model import POSTURE_SPEC, PostureLifecycle, Transition
from trust.postures import (
    UPGRADE_APPROVAL_GUARD,
    PostureStateMachine,
    PostureTransition,
    PostureTransitionRequest,
    TransitionGuard,
    TransitionResult,
    TrustPosture,
)
from trust.proofs._property import Property, Settings
from trust.proofs._verdict import Verdict
from trust.proofs.conformance._clock import FakeClock
from trust.proofs.conformance._explore import Exhaustive, Mismatch
from trust.proofs.conformance._posture_events import (
    Emergency,
    Event,
    Protect,
    Request,
    SetPosture,
    alphabet,
)

AGENT = "agent-1"
OPERATOR = "operator"
GUARD = "conformance"
EMERGENCY, PROTECT = "emergency_downgrade", "protective_downgrade"
REQUESTED = tuple(e for e in POSTURE_SPEC.events if e not in (EMERGENCY, PROTECT))
"""The events a transition request asks for: every event that has no call of its own."""

LEVEL = {state: level for level, state in enumerate(POSTURE_SPEC.states, start=1)}
REQUESTERS = {"present": OPERATOR, "absent": None, "self": AGENT}


@attrs.frozen
class Start:
    """Where a sequence starts: the machine's default posture and its approval rule."""

    posture: str
    require_approval: bool

    def __str__(self) -> str:
        return f"default_posture={self.posture}, require_upgrade_approval={self.require_approval}"


@attrs.frozen
class Expected:
    """What the spec allows for one step: the outcome, and the transition that says so."""

    posture: str
    success: bool | None  # None: nothing is recorded
    kind: str | None = None
    administrative: bool = False
    protective: bool = False
    blocked_by: str | None = None
    why: str = ""


def starts(deep: bool) -> list[Start]:
    approvals = (True, False) if deep else (True,)
    return [Start(p, a) for a in approvals for p in POSTURE_SPEC.states]


def _shown(t: Transition, values: dict[str, bool]) -> str:
    guards = ", ".join(f"{g}={values[g]}" for g in t.guards)
    return f"{t.source} --{t.event}[{guards}]--> {t.target}"


def _one(transitions: Sequence[Transition], what: str) -> Transition:
    if len(transitions) != 1:
        raise Mismatch({"spec": f"{what}: the spec has {len(transitions)} transitions, not 1"})
    return transitions[0]


def requested_kind(source: str, target: str) -> Transition:
    """The spec's one requestable transition from ``source`` to ``target``."""
    edges = [t for t in POSTURE_SPEC.from_state(source) if t.target == target]
    return _one([t for t in edges if t.event in REQUESTED], f"{source} -> {target}")


class PostureHarness:
    """One fresh machine and its guard; what the spec expects comes from ``expect``."""

    def __init__(self, start: Start, expect: _Expectations) -> None:
        self.start = start
        self.expect = expect
        self.machine = PostureStateMachine(
            TrustPosture(start.posture), start.require_approval, clock=FakeClock()
        )
        self.verdict = "passes"
        kinds = {PostureTransition(e) for e in REQUESTED}
        self.machine.add_guard(TransitionGuard(name=GUARD, check_fn=self._guard, applies_to=kinds))
        self.posture, self.version, self.length = start.posture, 0, 0
        self.changed = False  # whether the posture has ever changed: the machine keeps a record
        self._invariants(self.machine.get_transition_history(AGENT), start.posture, 0)

    def _guard(self, request: PostureTransitionRequest) -> bool:
        if self.verdict == "raises":
            raise RuntimeError("the conformance guard raises")
        return self.verdict == "passes"

    def step(self, event: Event) -> None:
        before, version, length = self.posture, self.version, self.length
        expected = self.expect(self.start.require_approval, before, event)
        result = self._perform(before, event)
        machine = self.machine
        after, now_version = machine.get_posture(AGENT).value, machine.version(AGENT)
        history = machine.get_transition_history(AGENT)
        entry = history[-1] if len(history) > length else None
        bump = bool(expected.success) and new_version(
            expected.posture != before, self.changed, expected.administrative, expected.kind
        )
        problem = _compare(
            expected, before, version + bump, result, history, length, after, now_version
        )
        approved = isinstance(event, SetPosture) or (
            expected.kind == "upgrade" and expected.success
        )
        if not problem and LEVEL[after] > LEVEL[before] and not approved:
            problem = "autonomy rose, and only an approved upgrade or set_posture may raise it"
        if problem:
            raise Mismatch(
                {
                    "check": f"the step matches {POSTURE_SPEC.declared_in}: {problem}",
                    "runtime": f"posture={after} version={now_version}; "
                    f"returned {_entry(result)}; recorded {_entry(entry)}",
                    "spec": f"{expected.why}; so posture={expected.posture}"
                    + (f", recorded {expected.kind}" if expected.kind else ", nothing recorded"),
                }
            )
        self.changed = self.changed or after != before
        self._invariants(history, after, now_version)
        self.posture, self.version, self.length = after, now_version, len(history)

    def _perform(self, source: str, event: Event) -> TransitionResult | None:
        machine = self.machine
        match event:
            case Request(target, requester, guard):
                self.verdict = guard
                request = PostureTransitionRequest(
                    agent_id=AGENT,
                    from_posture=source,
                    to_posture=target,
                    reason="conformance",
                    requester_id=REQUESTERS[requester],
                )
                return machine.transition(request)
            case Emergency():
                return machine.emergency_downgrade(AGENT, reason="conformance")
            case SetPosture(target):
                return machine.set_posture(AGENT, TrustPosture(target), requester_id=OPERATOR)
            case Protect(target):
                return machine.protective_downgrade(
                    AGENT, TrustPosture(target), reason="conformance", requester_id="breaker"
                )
            case _:
                assert_never(event)

    def _invariants(self, history: Sequence[TransitionResult], posture: str, version: int) -> None:
        """The history explains the posture, and the version counts the changes in it."""
        held, versions, changed = self.start.posture, 0, False
        for index, entry in enumerate(history, start=1):
            if entry.from_posture.value != held:
                problem = (
                    f"entry {index} is from {entry.from_posture.value}, the posture was {held}"
                )
                break
            if entry.success:
                moved = entry.to_posture is not entry.from_posture
                kind = entry.transition_type.value
                versions += new_version(moved, changed, entry.administrative, kind)
                changed = changed or moved
                held = entry.to_posture.value
            if entry.version != versions:
                problem = (
                    f"entry {index} has version {entry.version}, the history counts {versions}"
                )
                break
        else:
            records = self.machine.tracked_agents()
            if held == posture and version == versions and records == int(changed):
                return
            problem = (
                f"the history ends at {held}, version {versions}, posture changed={changed}; "
                f"the machine says {posture}, version {version}, {records} record(s)"
            )
        raise Mismatch(
            {
                "check": "the history explains the posture and the version counts its changes",
                "runtime": problem,
                "history": " | ".join(_entry(e) for e in history),
            }
        )


def new_version(moved: bool, changed: bool, administrative: bool, kind: str | None) -> bool:
    """Whether a successful change counts as a new version of the agent's posture.

    Every change of posture does, and once the posture has changed (the machine keeps a
    record) every success does. Before that, the agent reads the machine-wide version
    (`PostureStateMachine.version`): an administrative or emergency request that keeps
    its posture is a new one, a MAINTAIN is not.
    """
    return moved or changed or administrative or kind == EMERGENCY


class _Expectations:
    """What the spec allows for each (approval rule, posture, event); worked out once each."""

    def __init__(self) -> None:
        self.oracles = {a: PostureLifecycle(require_upgrade_approval=a) for a in (True, False)}
        self.known: dict[tuple[bool, str, Event], Expected] = {}

    def __call__(self, require_approval: bool, source: str, event: Event) -> Expected:
        key = (require_approval, source, event)
        found = self.known.get(key)
        if found is None:
            found = self.known[key] = self._expect(self.oracles[require_approval], source, event)
        return found

    @staticmethod
    def _expect(oracle: PostureLifecycle, source: str, event: Event) -> Expected:
        match event:
            case Request():
                return _expect_request(oracle, source, event)
            case Emergency():
                t = _one(
                    [t for t in POSTURE_SPEC.of_event(EMERGENCY) if t.source == source],
                    f"{EMERGENCY} from {source}",
                )
                return Expected(t.target, True, EMERGENCY, why=_shown(t, {}))
            case SetPosture(target):
                kind = requested_kind(source, target).event
                return Expected(
                    target, True, kind, administrative=True, why="set_posture bypasses guards"
                )
            case Protect(target):
                moves = [t for t in POSTURE_SPEC.of_event(PROTECT) if t.source == source]
                chosen = [t for t in moves if t.target == target]
                if not chosen:
                    return Expected(source, None, why=f"no {PROTECT} from {source} to {target}")
                kind = requested_kind(source, target).event
                return Expected(target, True, kind, protective=True, why=_shown(chosen[0], {}))
            case _:
                assert_never(event)


def _expect_request(oracle: PostureLifecycle, source: str, event: Request) -> Expected:
    values = {
        "requester_present": bool(oracle.requester_present(AGENT, REQUESTERS[event.requester])),
        "guards_pass": bool(oracle.guards_pass(event.guard == "passes")),
    }
    t = requested_kind(source, event.target)
    if all(values[g] for g in t.guards):
        return Expected(event.target, True, t.event, why=_shown(t, values))
    first = next(g for g in t.guards if not values[g])
    blocker = UPGRADE_APPROVAL_GUARD if first == "requester_present" else GUARD
    return Expected(
        source, False, t.event, blocked_by=blocker, why=f"{_shown(t, values)} is not enabled"
    )


def _entry(entry: TransitionResult | None) -> str:
    if entry is None:
        return "nothing"
    outcome = "ok" if entry.success else f"refused (blocked_by={entry.blocked_by})"
    flags = "".join(f" {flag}" for flag in ("administrative", "protective") if getattr(entry, flag))
    return (
        f"{outcome} {entry.transition_type.value} {entry.from_posture.value}->"
        f"{entry.to_posture.value} v{entry.version}{flags}"
    )


def _compare(
    expected: Expected,
    before: str,
    version: int,  # the version the step should leave
    result: TransitionResult | None,
    history: Sequence[TransitionResult],
    length: int,
    after: str,
    now_version: int,
) -> str:
    """What differs between the runtime's step and the spec's, or "" when nothing does."""
    if after != expected.posture:
        return f"posture {after}, the spec says {expected.posture}"
    if expected.success is None:
        if result is not None or len(history) != length or now_version != version:
            return "the spec moves nothing, the runtime recorded a change"
        return ""
    if len(history) != length + 1:
        return "exactly one history entry per event"
    entry = history[-1]
    if result != entry:
        return "the returned result must be the new history entry"
    if entry.success is not expected.success:
        return f"success={entry.success}, the spec says {expected.success}"
    if now_version != version or entry.version != now_version:
        return f"version {now_version} (entry {entry.version}), should be {version}"
    if entry.transition_type.value != expected.kind:
        return f"recorded kind {entry.transition_type.value}, the spec's is {expected.kind}"
    if entry.from_posture.value != before:
        return f"recorded from {entry.from_posture.value}, the posture was {before}"
    if (entry.administrative, entry.protective) != (expected.administrative, expected.protective):
        return f"administrative={entry.administrative} protective={entry.protective}"
    if entry.blocked_by != expected.blocked_by:
        return f"blocked_by={entry.blocked_by}, the first failing guard is {expected.blocked_by}"
    return ""


def check(settings: Settings) -> Verdict:
    """The posture machine against the posture spec, every sequence up to the bound."""
    expect = _Expectations()
    return Exhaustive(
        worlds=starts(settings.deep),
        alphabet=alphabet(settings.deep),
        depth=depth(settings.deep),
        start=lambda s: PostureHarness(s, expect),
        show_world=str,
    ).run()


def depth(deep: bool) -> int:
    return 3 if deep else 2


def properties() -> list[Property]:
    return [
        Property(
            name="the runtime PostureStateMachine conforms to the transition relation, "
            "and keeps the lifecycle invariants",
            subject="posture lifecycle",
            method="exhaustive conformance",
            check=check,
            bound=(
                "every sequence of 2 events (--deep: 3) from each of the 5 postures as default "
                "(require_upgrade_approval=True; --deep: also False); events: a request to "
                "each posture x requester present/absent (--deep: also the agent itself) x "
                "a guard that passes/refuses/raises, emergency_downgrade, set_posture and "
                "protective_downgrade to each posture; one agent, histories shorter than "
                "history_limit"
            ),
        )
    ]


__all__ = ["PostureHarness", "Start", "properties"]
