"""The posture and breaker lifecycles together, as one symbolic transition system.

The product is a symbolic transition system built from the two `LifecycleSpec`s and the
declared coupling (`model.COUPLING_SPEC`): which moves exist, which guards they need, which
coupling event each breaker move sends, which coupling transition fires on it and which
actions (protect, hold, take_over, restore, forfeit) it takes, and which fences a restore
must pass when it commits are all read from them, never restated. What each of those names
means over the variables below is `proofs._product_meaning`. The variables:

- posture: ``posture`` and its ``version``, which every committed change bumps;
- breaker: its state ``breaker``, the weighted failures in the window ``window``, the
  probes admitted ``probes_admitted`` and succeeded ``probes_succeeded`` in this half-open
  episode, and whether an operator ``forced`` it open;
- coupling: whether an open circuit ``holds`` a posture (``hold_displaced``, the posture
  it displaced; ``hold_held``, the one it set; ``hold_version``, the version right after);
  with ``breaker`` it is the coupling state (``<state>_held`` or ``<state>_free``); and the
  ``restores`` in flight once a circuit closed (the newest one's ``restore_displaced``,
  ``restore_held``, ``restore_version`` and ``restore_phase``);
- configuration, symbolic: ``threshold >= 1`` (in weight units), ``max_probes >= 1``,
  ``downgrade_on_open`` (any posture) and ``restore_on_close``.

Steps: each breaker event (its guards read the counters; the clock and fencing guards are
free), failures leaving the window, every posture event by anyone else with its guards
free and an administrative ``set_posture`` to any posture (each then sends the coupling's
``posture_changed``), and a restore in two steps as the engine runs it (the upgrade after
the lock is released, which commits only if the coupling's fences hold, then the
bookkeeping when it finishes), interleaved with everything else. The coupling's
``restore_pending`` guard (a restore in flight whose version is current) is left to a free
input, ``takeover``, when the newest is current, since only the newest is tracked. Counters
are unbounded integers; nothing bounds the depth.

Only the newest restore in flight is tracked. An older one either holds an older version,
so its fenced upgrade can never commit again, or holds the same version, and then the
same hold (a version is stamped by one protective downgrade, and a take-over copies the
hold): committing it is committing the newest. The invariant keeps
``restore_version <= hold_version``.

Two ghost variables state what the claims are about: ``ceiling``, the posture anyone other
than the breaker last set, and ``last_other``, the version of that change.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

import attrs
import z3

from trust.model import BREAKER_SPEC, COUPLING_SPEC, POSTURE_SPEC, CouplingSpec, LifecycleSpec
from trust.model.coupling_lifecycle import HELD, POSTURE_CHANGED, split
from trust.postures._transition import REQUESTABLE
from trust.proofs._induction import System, Vars
from trust.proofs._product_invariant import invariant
from trust.proofs._product_meaning import (
    ACTIONS,
    BOOKKEEPING,
    COMMITTED,
    COUNTER_GUARDS,
    COUPLED,
    COUPLING_GUARDS,
    FENCES,
    FREE_BREAKER_GUARDS,
    NONE,
    PENDING,
    check_interpretable,
)
from trust.proofs._product_show import EXPIRE, FINISH, RESTORE, SET_POSTURE, Printer
from trust.proofs.lifecycles import Encoding

PROTECT = "protective_downgrade"
EMERGENCY = "emergency_downgrade"
UPGRADE = "upgrade"


def breaker_event(name: str) -> str:
    return f"breaker.{name}"


def posture_event(name: str) -> str:
    return f"posture.{name}"


@attrs.frozen(eq=False)
class Product:
    """The posture x breaker system of two specs, and its inductive invariant."""

    posture: LifecycleSpec
    breaker: LifecycleSpec
    coupling: CouplingSpec
    pos: Encoding
    brk: Encoding
    event_sort: z3.SortRef
    event: Mapping[str, z3.ExprRef]
    system: System

    @classmethod
    def of(
        cls,
        posture: LifecycleSpec = POSTURE_SPEC,
        breaker: LifecycleSpec = BREAKER_SPEC,
        coupling: CouplingSpec = COUPLING_SPEC,
    ) -> Product:
        """The product of the specs; built once, as z3 declares each enumeration once."""
        return _product(posture, breaker, coupling)

    @classmethod
    def _build(
        cls, posture: LifecycleSpec, breaker: LifecycleSpec, coupling: CouplingSpec
    ) -> Product:
        pos, brk = Encoding.of(posture), Encoding.of(breaker)
        names = [
            *(breaker_event(e) for e in breaker.events),
            EXPIRE,
            *(posture_event(e) for e in posture.events),
            SET_POSTURE,
            RESTORE,
            FINISH,
        ]
        # z3 declares an enumeration once per name: one name per combination of specs.
        tag = f"{posture.name}_{breaker.name}" + (
            "" if coupling.name == COUPLING_SPEC.name else f"_{coupling.name}"
        )
        sort, values = z3.EnumSort(f"product_{tag}_event", names)
        event = dict(zip(names, values, strict=True))
        builder = _Builder(posture, breaker, coupling, pos, brk, event)
        return cls(posture, breaker, coupling, pos, brk, sort, event, builder.system(sort))

    def level(self, posture: z3.ExprRef) -> z3.ArithRef:
        return self.pos.level(posture)

    def is_event(self, inputs: Vars, name: str) -> z3.BoolRef:
        return inputs["event"] == self.event[name]

    def invariant(self, p: Vars, s: Vars) -> z3.BoolRef:
        """What holds in every reachable state (proved by `prove_inductive`)."""
        return invariant(self.level, self.brk.state, p, s)


@functools.cache
def _product(posture: LifecycleSpec, breaker: LifecycleSpec, coupling: CouplingSpec) -> Product:
    # Cached on every argument, however `Product.of` was called.
    return Product._build(posture, breaker, coupling)


class _Builder:
    """Builds the transition relation of the product from the two specs."""

    def __init__(
        self,
        posture: LifecycleSpec,
        breaker: LifecycleSpec,
        coupling: CouplingSpec,
        pos: Encoding,
        brk: Encoding,
        event: Mapping[str, z3.ExprRef],
    ) -> None:
        self.posture, self.breaker, self.coupling = posture, breaker, coupling
        self.pos, self.brk, self.event = pos, brk, event
        check_interpretable(breaker, coupling)

    def system(self, event_sort: z3.SortRef) -> System:
        ps, bs = self.pos.state_sort, self.brk.state_sort
        integer, boolean = z3.IntSort(), z3.BoolSort()
        state = {
            "posture": ps,
            "version": integer,
            "ceiling": ps,
            "last_other": integer,
            "breaker": bs,
            "window": integer,
            "probes_admitted": integer,
            "probes_succeeded": integer,
            "forced": boolean,
            "holds": boolean,
            "hold_displaced": ps,
            "hold_held": ps,
            "hold_version": integer,
            "restores": integer,
            "restore_phase": integer,
            "restore_displaced": ps,
            "restore_held": ps,
            "restore_version": integer,
        }
        inputs: dict[str, z3.SortRef] = {
            "event": event_sort,
            "target": ps,
            "weight": integer,
            "left": integer,
            "newest": boolean,
            "takeover": boolean,
        }
        inputs |= {f"g.{g}": boolean for g in FREE_BREAKER_GUARDS}
        inputs |= {f"pg.{g}": boolean for g in self.posture.guards}
        params = {
            "threshold": integer,
            "max_probes": integer,
            "downgrade_on_open": ps,
            "restore_on_close": boolean,
        }
        printer = Printer(self.posture, self.breaker)
        return System(
            state=state,
            inputs=inputs,
            params=params,
            assume=lambda p: z3.And(p["threshold"] >= 1, p["max_probes"] >= 1),
            init=self.init,
            step=self.step,
            show_params=printer.show_params,
            show_state=printer.show_state,
            show_step=printer.show_step,
        )

    # The initial states: any posture (the machine's default is configurable), nothing held.

    def init(self, p: Vars, s: Vars) -> z3.BoolRef:
        return z3.And(
            s["ceiling"] == s["posture"],
            s["version"] == 0,
            s["last_other"] == 0,
            s["breaker"] == self.brk.state[self.breaker.initial],
            s["window"] == 0,
            s["probes_admitted"] == 0,
            s["probes_succeeded"] == 0,
            z3.Not(s["forced"]),
            z3.Not(s["holds"]),
            s["hold_version"] == 0,
            s["hold_displaced"] == s["posture"],
            s["hold_held"] == s["posture"],
            s["restores"] == 0,
            s["restore_phase"] == NONE,
            s["restore_version"] == 0,
            s["restore_displaced"] == s["posture"],
            s["restore_held"] == s["posture"],
        )

    # The transition relation.

    def step(self, p: Vars, s: Vars, i: Vars, n: Vars) -> z3.BoolRef:
        moves = [self._breaker_step(p, s, i, n, e) for e in self.breaker.events]
        moves.append(self._expire(s, i, n))
        moves += [self._others(p, s, i, n, e) for e in self.posture.events]
        moves += [self._set_posture(p, s, i, n), self._restore(s, i, n), self._finish(p, s, i, n)]
        return z3.Or(*moves)

    def _posture_guards(self, i: Vars) -> dict[str, z3.BoolRef]:
        return {g: i[f"pg.{g}"] for g in self.posture.guards}

    def _others(self, p: Vars, s: Vars, i: Vars, n: Vars, event: str) -> z3.BoolRef:
        """Anyone else moves the posture along the posture lifecycle, guards as they fall."""
        target = i["target"]
        fires = self.pos.moves(
            s["posture"], self.pos.event[event], target, guards=self._posture_guards(i)
        )
        return z3.And(
            i["event"] == self.event[posture_event(event)], fires, self._changed(p, s, i, n)
        )

    def _set_posture(self, p: Vars, s: Vars, i: Vars, n: Vars) -> z3.BoolRef:
        """The administrative escape hatch: any posture, no guard, recorded as a change."""
        return z3.And(i["event"] == self.event[SET_POSTURE], self._changed(p, s, i, n))

    def _changed(self, p: Vars, s: Vars, i: Vars, n: Vars) -> z3.BoolRef:
        """Anyone else set the posture to ``target``, and the coupling hears of it."""
        start = {x: s[x] for x in COUPLED} | {"posture": i["target"], "version": s["version"] + 1}
        return z3.And(
            _same(s, n, exclude=(*COUPLED, "ceiling", "last_other")),
            n["ceiling"] == i["target"],
            n["last_other"] == s["version"] + 1,
            self._couple(p, s, i, n, POSTURE_CHANGED, start, None),
        )

    def _expire(self, s: Vars, i: Vars, n: Vars) -> z3.BoolRef:
        """Failures leave the window with time: the weighted sum drops, to ``left``."""
        return z3.And(
            i["event"] == self.event[EXPIRE],
            i["left"] >= 0,
            i["left"] <= s["window"],
            _same(s, n, exclude=("window",)),
            n["window"] == i["left"],
        )

    def _guard(self, name: str, p: Vars, s: Vars, i: Vars) -> z3.BoolRef:
        if name in FREE_BREAKER_GUARDS:
            return i[f"g.{name}"]
        return COUNTER_GUARDS[name](p, s, i)

    def _breaker_step(self, p: Vars, s: Vars, i: Vars, n: Vars, event: str) -> z3.BoolRef:
        """One breaker event: the first transition whose guards hold fires (as ``_fire``)."""
        state = self.brk.state
        options = []
        earlier: list[z3.BoolRef] = []
        for t in self.breaker.of_event(event):
            enabled = z3.And(
                s["breaker"] == state[t.source], *[self._guard(g, p, s, i) for g in t.guards]
            )
            fires = z3.And(enabled, *[z3.Not(e) for e in earlier])
            earlier.append(enabled)
            options.append(z3.And(fires, self._effects(p, s, i, n, t.source, event, t.target)))
        # No transition accepts the event: it changes nothing.
        options.append(z3.And(*[z3.Not(e) for e in earlier], _same(s, n)))
        return z3.And(
            i["event"] == self.event[breaker_event(event)], i["weight"] >= 1, z3.Or(*options)
        )

    def _effects(
        self, p: Vars, s: Vars, i: Vars, n: Vars, source: str, event: str, target: str
    ) -> z3.BoolRef:
        state = self.brk.state
        counters = BOOKKEEPING[event](s, i, source, target)
        sends = self.coupling.sends(source, event, target)
        if sends == "close":
            counters["window"] = z3.IntVal(0)  # the engine clears the window on every close
        parts = [n["breaker"] == state[target]]
        parts += [
            n[name] == counters.get(name, s[name])
            for name in ("window", "probes_admitted", "probes_succeeded", "forced")
        ]
        parts.append(_same(s, n, only=("ceiling", "last_other")))
        if sends is None:
            parts.append(_same(s, n, only=COUPLED))
        else:
            parts.append(self._couple(p, s, i, n, sends, {x: s[x] for x in COUPLED}, source))
        return z3.And(*parts)

    def _couple(
        self,
        p: Vars,
        s: Vars,
        i: Vars,
        n: Vars,
        event: str,
        start: Mapping[str, z3.ExprRef],
        breaker_state: str | None,
    ) -> z3.BoolRef:
        """The coupling ``event``, from the coupling state of ``s`` (in ``breaker_state``).

        ``start`` holds the coupled variables as the event finds them. As in the runtime's
        core, the first transition of the event whose guards hold fires; none: nothing more
        changes. Guards read ``start`` (``lowered``: what ``protect`` will do to it).
        """
        lowers = functools.partial(self._lowers, p)
        options = []
        for cs in self.coupling.lifecycle.states:
            part, hold = split(cs)
            if breaker_state is not None and part != breaker_state:
                continue
            here = z3.And(s["breaker"] == self.brk.state[part], s["holds"] == (hold == HELD))
            earlier: list[z3.BoolRef] = []
            for t in self.coupling.lifecycle.of_event(event):
                if t.source != cs:
                    continue
                enabled = z3.And(*[COUPLING_GUARDS[g](p, start, i, lowers) for g in t.guards])
                fires = z3.And(enabled, *[z3.Not(e) for e in earlier])
                earlier.append(enabled)
                terms = self._carry_out(t.actions, split(t.target)[1] == HELD, p, start)
                options.append(z3.And(here, fires, *[n[x] == terms[x] for x in COUPLED]))
            unmoved = [n[x] == start[x] for x in COUPLED]
            options.append(z3.And(here, *[z3.Not(e) for e in earlier], *unmoved))
        return z3.Or(*options)

    def _lowers(self, p: Vars, posture: z3.ExprRef) -> z3.BoolRef:
        """Whether ``protective_downgrade`` to ``downgrade_on_open`` lowers ``posture``."""
        return self.pos.moves(
            posture, self.pos.event[PROTECT], p["downgrade_on_open"], guards_hold=True
        )

    def _carry_out(
        self, actions: tuple[str, ...], held: bool, p: Vars, start: Mapping[str, z3.ExprRef]
    ) -> dict[str, z3.ExprRef]:
        """The coupled variables after ``actions``, in order, from ``start``."""
        terms = dict(start)
        before = terms["posture"]
        for action in actions:
            ACTIONS[action](p, terms, before, functools.partial(self._lowers, p))
        terms["holds"] = z3.BoolVal(held)
        return terms

    def _restore(self, s: Vars, i: Vars, n: Vars) -> z3.BoolRef:
        """The newest restore's upgrade, run after the breaker's lock is released.

        It is an ordinary transition request (from the held to the displaced posture): it
        commits only if the posture is the held one, the lifecycle's guards pass and every
        fence of the coupling holds at the commit; otherwise it is refused and changes
        nothing.
        """
        guards = self._posture_guards(i)
        allowed = z3.Or(
            *[
                self.pos.moves(
                    s["restore_held"], self.pos.event[e], s["restore_displaced"], guards=guards
                )
                for e in self.posture.events
                if e in REQUESTABLE
            ]
        )
        closed = self.brk.state["closed"]
        fences = [FENCES[f](s, closed) for f in self.coupling.restore_fences]
        # The request is from the held posture: the machine refuses it from any other.
        commits = z3.And(s["posture"] == s["restore_held"], allowed, *fences)
        return z3.And(
            i["event"] == self.event[RESTORE],
            s["restore_phase"] == PENDING,
            n["restore_phase"] == COMMITTED,
            n["posture"] == z3.If(commits, s["restore_displaced"], s["posture"]),
            n["version"] == z3.If(commits, s["version"] + 1, s["version"]),
            _same(s, n, exclude=("restore_phase", "posture", "version")),
        )

    def _finish(self, p: Vars, s: Vars, i: Vars, n: Vars) -> z3.BoolRef:
        """A restore in flight finishes: it is no longer listed; the posture is untouched."""
        newest = z3.And(i["newest"], s["restore_phase"] == COMMITTED)
        older = z3.And(
            z3.Not(i["newest"]), s["restores"] >= z3.If(s["restore_phase"] == NONE, 1, 2)
        )
        return z3.And(
            i["event"] == self.event[FINISH],
            z3.Or(newest, older),
            n["restores"] == s["restores"] - 1,
            n["restore_phase"] == z3.If(newest, NONE, s["restore_phase"]),
            _same(s, n, exclude=("restores", "restore_phase")),
        )


def _same(
    s: Vars, n: Vars, *, exclude: tuple[str, ...] = (), only: tuple[str, ...] | None = None
) -> z3.BoolRef:
    names = only if only is not None else [x for x in s if x not in exclude]
    return z3.And(*[n[x] == s[x] for x in names])


__all__ = [
    "EMERGENCY",
    "UPGRADE",
    "Product",
    "breaker_event",
    "posture_event",
]
