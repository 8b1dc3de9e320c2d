"""The proved posture x breaker relation, asked about concrete states of a real run.

`proofs.product` proves claims of `Product` (``proofs._product_system``) for every reachable
state: its step relation ``T(params, state, inputs, next)`` and its invariant. Here the same
z3 terms are asked about the states a real run went through, abstracted into the product's
state variables, so that the runtime is held to the relation the claims are proved of.

A run is observed at points between public calls (and inside a restore's guards); between
two observations the runtime may take a few product steps (a close, its restore, the end of
the restore). A *segment* says which: a `Pattern` is a sequence of `Step`s, each an event
(or a set of alternatives) and the inputs the harness knows for it (a failure's weight, a
request's target and guard values, ...). A segment fits when some path of the pattern, from
the state before, ends in a state whose observed variables are the ones observed. The
variables no public call shows (the ghosts ``ceiling`` and ``last_other``, the phase of
the newest restore in flight, a hold's or a finished restore's stale fields) are left to
the relation and carried from one segment to the next.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs
import z3

from trust.model import BREAKER_SPEC, POSTURE_SPEC
from trust.proofs._induction import Vars
from trust.proofs._product_meaning import NONE
from trust.proofs._product_system import Product

Value = str | int | bool
State = tuple[tuple[str, Value], ...]
"""A concrete product state: every variable and its value, in the system's order."""


class Undecided(Exception):
    """The solver did not answer within its timeout."""


@attrs.frozen(cache_hash=True)
class Step:
    """One product step: its event (any of ``events``) and the inputs fixed for it."""

    events: tuple[str, ...]
    inputs: tuple[tuple[str, Value], ...] = ()

    def __str__(self) -> str:
        fixed = ", ".join(f"{k}={v}" for k, v in self.inputs if k != "weight" or v != 1)
        name = "|".join(self.events)
        return f"{name}({fixed})" if fixed else name


Pattern = tuple[Step, ...]
Signature = tuple[tuple[str, ...], ...]
"""The events a pattern's steps may be, position by position."""


def _signature(pattern: Pattern) -> Signature:
    return tuple(step.events for step in pattern)


@attrs.frozen(cache_hash=True)
class Observed:
    """What a public read shows of the runtime's state, in the product's variables.

    ``hold`` is the kept hold's (displaced, held, version), or None; ``newest`` is the
    newest restore in flight's (displaced, held, version), or None when none is.
    """

    values: tuple[tuple[str, Value], ...]
    hold: tuple[str, str, int] | None
    newest: tuple[str, str, int] | None


class Relation:
    """The product's step relation and invariant, with its parameters fixed."""

    def __init__(self, params: Mapping[str, Value], timeout_ms: int) -> None:
        # The very product the proofs are about: called as `proofs.product` calls it, so
        # that the cache returns it (z3 declares each of its enumerations only once).
        self.prod = Product.of(POSTURE_SPEC, BREAKER_SPEC)
        self.system = self.prod.system
        self.names = tuple(self.system.state)
        self.timeout_ms = timeout_ms
        self.params = self.system.parameters()
        self.param_terms = {k: self._term(self.system.params[k], v) for k, v in params.items()}
        self.fixed = [self.params[k] == term for k, term in self.param_terms.items()]
        assumed = z3.substitute(
            self.system.assume(self.params),
            *[(self.params[k], term) for k, term in self.param_terms.items()],
        )
        if not z3.is_true(z3.simplify(assumed)):
            raise ValueError(f"params must satisfy the product's assumptions, got {dict(params)}")
        system = self.system
        now, inputs = system.fresh(system.state, "now"), system.fresh(system.inputs, "now")
        after = system.fresh(system.state, "next")
        fixed = [(self.params[k], term) for k, term in self.param_terms.items()]
        step = z3.substitute(system.step(self.params, now, inputs, after), *fixed)
        self._one = (now, inputs, after, step)
        self._by_event: dict[str, z3.BoolRef] = {}
        self._equalities: dict[tuple[int, Value], z3.BoolRef] = {}
        self._invariant_term = z3.substitute(
            self.prod.invariant(self.params, now),
            *[(self.params[k], term) for k, term in self.param_terms.items()],
        )
        self._solvers: dict[Signature, tuple[z3.Solver, list[Vars], list[Vars]]] = {}
        self._fits: dict[tuple[State, tuple[Pattern, ...], Observed], State | None] = {}
        self._invariant: dict[State, bool] = {}
        self._initial: dict[Observed, State | None] = {}

    def _term(self, sort: z3.SortRef, value: Value) -> z3.ExprRef:
        if sort == self.prod.pos.state_sort:
            return self.prod.pos.state[str(value)]
        if sort == self.prod.brk.state_sort:
            return self.prod.brk.state[str(value)]
        if isinstance(value, bool):
            return z3.BoolVal(value)
        return z3.IntVal(int(value))

    def _read(self, model: z3.ModelRef, term: z3.ExprRef) -> Value:
        value = model.eval(term, model_completion=True)
        if z3.is_int_value(value):
            return int(value.as_long())
        if z3.is_true(value) or z3.is_false(value):
            return bool(z3.is_true(value))
        return str(value)

    def _event_step(self, event: str) -> z3.BoolRef:
        """The relation restricted to ``event``: the other moves simplified away."""
        found = self._by_event.get(event)
        if found is None:
            _, inputs, _, step = self._one
            chosen = z3.substitute(step, (inputs["event"], self.prod.event[event]))
            found = self._by_event[event] = z3.simplify(chosen)
        return found

    def _path(self, signature: Signature) -> tuple[z3.Solver, list[Vars], list[Vars]]:
        """A solver holding one step of the relation per position of ``signature``, each
        restricted to that position's events, over fresh states and inputs."""
        found = self._solvers.get(signature)
        if found is None:
            system, length = self.system, len(signature)
            states: list[Vars] = [system.fresh(system.state, f"c{j}") for j in range(length + 1)]
            inputs: list[Vars] = [system.fresh(system.inputs, f"c{j}") for j in range(length)]
            solver = z3.Solver()
            solver.set("timeout", self.timeout_ms)
            now, one_inputs, after, _ = self._one
            for j, events in enumerate(signature):
                # Each step is the relation built once, renamed: far cheaper than rebuilding.
                renamed = [(now[k], states[j][k]) for k in self.names]
                renamed += [(one_inputs[k], inputs[j][k]) for k in system.inputs]
                renamed += [(after[k], states[j + 1][k]) for k in self.names]
                steps = [
                    z3.And(inputs[j]["event"] == self.prod.event[e], self._event_step(e))
                    for e in events
                ]
                solver.add(z3.substitute(z3.Or(*steps), *renamed))
            found = self._solvers[signature] = (solver, states, inputs)
        return found

    def _equals(self, var: z3.ExprRef, value: Value) -> z3.BoolRef:
        # Built once per (variable, value): z3 terms are costly to make, and few recur.
        key = (var.get_id(), value)
        found = self._equalities.get(key)
        if found is None:
            found = self._equalities[key] = var == self._term(var.sort(), value)
        return found

    def _pin(self, state: Vars, values: Sequence[tuple[str, Value]]) -> list[z3.BoolRef]:
        return [self._equals(state[k], v) for k, v in values]

    def _steps(self, inputs: list[Vars], pattern: Pattern) -> list[z3.BoolRef]:
        # The events are the solver's already (see _path); the known inputs are pinned.
        return [
            self._equals(i[k], v)
            for i, step in zip(inputs, pattern, strict=True)
            for k, v in step.inputs
        ]

    def _observe(self, state: Vars, observed: Observed) -> list[z3.BoolRef]:
        pinned = self._pin(state, observed.values)
        if observed.hold is not None:
            pinned += self._pin(
                state,
                list(
                    zip(("hold_displaced", "hold_held", "hold_version"), observed.hold, strict=True)
                ),
            )
        if observed.newest is not None:
            newest = self._pin(
                state,
                list(
                    zip(
                        ("restore_displaced", "restore_held", "restore_version"),
                        observed.newest,
                        strict=True,
                    )
                ),
            )
            pinned.append(z3.Implies(state["restore_phase"] != NONE, z3.And(*newest)))
        return pinned

    def _solve(self, signature: Signature, constraints: list[z3.BoolRef]) -> z3.ModelRef | None:
        solver = self._path(signature)[0]
        solver.push()
        try:
            solver.add(*constraints)
            answer = solver.check()
            if answer == z3.unknown:
                raise Undecided(solver.reason_unknown() or "solver returned unknown")
            return solver.model() if answer == z3.sat else None
        finally:
            solver.pop()

    def fit(self, before: State, patterns: Sequence[Pattern], observed: Observed) -> State | None:
        """The state after the first pattern that leads from ``before`` to ``observed``."""
        key = (before, tuple(patterns), observed)
        if key in self._fits:
            return self._fits[key]
        found: State | None = None
        for pattern in patterns:
            if not pattern:  # no step: nothing may have changed
                if _shows(before, observed):
                    found = before
                    break
                continue
            _, states, inputs = self._path(_signature(pattern))
            after = states[-1]
            model = self._solve(
                _signature(pattern),
                self._pin(states[0], before)
                + self._steps(inputs, pattern)
                + self._observe(after, observed),
            )
            if model is not None:
                # What a read shows is as read; the rest is as the relation left it.
                shown = dict(observed.values)
                found = tuple(
                    (k, shown[k] if k in shown else self._read(model, after[k])) for k in self.names
                )
                break
        self._fits[key] = found
        return found

    def initial(self, observed: Observed) -> State | None:
        """The product's initial state that ``observed`` describes, if there is one."""
        if observed not in self._initial:
            _, (state,), _ = self._path(())
            init = self.system.init(self.params, state)
            model = self._solve((), [init, *self._observe(state, observed), *self.fixed])
            self._initial[observed] = (
                None
                if model is None
                else tuple((k, self._read(model, state[k])) for k in self.names)
            )
        return self._initial[observed]

    def allows(self, before: State, pattern: Pattern) -> list[State]:
        """One state each path of ``pattern`` may reach from ``before`` (for explanations)."""
        _, states, inputs = self._path(_signature(pattern))
        model = self._solve(
            _signature(pattern), self._pin(states[0], before) + self._steps(inputs, pattern)
        )
        if model is None:
            return []
        return [tuple((k, self._read(model, states[-1][k])) for k in self.names)]

    def enabled(self, before: State, step: Step) -> bool:
        """Whether the relation has any step ``step`` from ``before``."""
        return bool(self.allows(before, (step,)))

    def invariant(self, state: State) -> bool:
        """Whether the product's inductive invariant holds of ``state``."""
        known = self._invariant.get(state)
        if known is None:
            now = self._one[0]
            values = [(now[k], self._term(self.system.state[k], v)) for k, v in state]
            holds = z3.simplify(z3.substitute(self._invariant_term, *values))
            known = self._invariant[state] = bool(z3.is_true(holds))
        return known


def _shows(state: State, observed: Observed) -> bool:
    """Whether ``state`` is one that ``observed`` describes."""
    s = dict(state)
    if any(s[k] != v for k, v in observed.values):
        return False
    if (
        observed.hold is not None
        and (s["hold_displaced"], s["hold_held"], s["hold_version"]) != observed.hold
    ):
        return False
    newest = (s["restore_displaced"], s["restore_held"], s["restore_version"])
    return observed.newest is None or s["restore_phase"] == NONE or newest == observed.newest


def show(state: State) -> str:
    """A product state, as `proofs.product` prints its counterexamples."""
    s = dict(state)
    text = (
        f"posture={s['posture']} (version {s['version']}), breaker={s['breaker']} "
        f"weighted_failures={s['window']} "
        f"probes admitted={s['probes_admitted']} succeeded={s['probes_succeeded']}"
    )
    if s["forced"]:
        text += " forced"
    if s["holds"]:
        text += f"; holds {s['hold_displaced']}->{s['hold_held']} at version {s['hold_version']}"
    if s["restore_phase"] != NONE:
        phase = "pending" if s["restore_phase"] == 1 else "committed"
        text += (
            f"; restore {phase} {s['restore_held']}->{s['restore_displaced']} "
            f"at version {s['restore_version']}"
        )
    if s["restores"]:
        text += f"; restores in flight={s['restores']}"
    return text + f"; ghosts: ceiling={s['ceiling']} last_other={s['last_other']}"


__all__ = ["Observed", "Pattern", "Relation", "State", "Step", "Undecided", "show"]
