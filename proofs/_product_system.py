"""The posture and breaker lifecycles together, as one symbolic transition system.

The product is a symbolic transition system built from the two `LifecycleSpec`s and the
declared coupling (`model.COUPLING_SPEC`): which moves exist, which guards they need, which
coupling event each breaker move sends, which coupling transition fires on it and which
actions (protect, hold, take over, restore, forfeit) it takes, and which fences a restore
must pass when it commits are all read from them, never restated. Its variables:

- posture: the agent's posture and its version, which every committed change bumps;
- breaker: its state, the weighted failures in the window ``w``, the probes admitted ``a``
  and succeeded ``s`` in this half-open episode, and whether an operator forced it open;
- coupling: the hold an open circuit keeps (the posture it displaced, the one it set, and
  the version right after); with the breaker's state it is the coupling state
  (``<state>_held`` or ``<state>_free``); and the restores in flight ``k`` once a circuit
  closed (the newest one's displaced and held postures, version and phase);
- configuration, symbolic: the threshold ``T >= 1`` (in weight units), ``N >= 1`` probes,
  ``downgrade_on_open`` (any posture) and ``restore_on_close``.

Steps: each breaker event (its guards read the counters: ``w + weight >= T``, ``a < N``,
``s + 1 >= N``, ...; the clock and fencing guards are free), failures leaving the window,
every posture event by anyone else with its guards free, an administrative ``set_posture``
to any posture (each then sends the coupling's ``posture_changed``), and a restore in two
steps as the engine runs it (the upgrade after the lock is released, which commits only if
the coupling's fences hold, then the bookkeeping when it finishes), interleaved with
everything else. The coupling's ``restore_pending`` guard (a restore in flight whose
version is current) is left to a free input, ``takeover``, since only the newest restore
in flight is tracked. Counters are unbounded integers; nothing bounds the depth.

Only the newest restore in flight is tracked. An older one either holds an older version,
so its fenced upgrade can never commit again, or holds the same version, and then the
same hold (a version is stamped by one protective downgrade, and a take-over copies the
hold): committing it is committing the newest. The invariant keeps ``rv <= hv``.

Two ghost variables state what the claims are about: ``ceiling``, the posture anyone other
than the breaker last set, and ``last_other``, the version of that change.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping

import attrs
import z3

from trust.model import BREAKER_SPEC, COUPLING_SPEC, POSTURE_SPEC, CouplingSpec, LifecycleSpec
from trust.model.coupling_lifecycle import HELD, POSTURE_CHANGED, split
from trust.postures._transition import REQUESTABLE
from trust.proofs._induction import System, Vars
from trust.proofs.lifecycles import Encoding

PROTECT = "protective_downgrade"
EMERGENCY = "emergency_downgrade"
UPGRADE = "upgrade"
SET_POSTURE, EXPIRE, RESTORE, FINISH = "set_posture", "window_expiry", "restore", "restore_finish"
FREE_BREAKER_GUARDS = ("outcome_current", "recovery_elapsed", "probe_wait_elapsed")
"""Breaker guards that depend on the clock or on fencing tokens: free at every step."""

# Restore phases of the newest restore in flight.
NONE, PENDING, COMMITTED = 0, 1, 2

COUPLED = ("p", "v", "hold", "hD", "hH", "hv", "k", "rp", "rD", "rH", "rv")
"""The variables a coupling transition may change: the posture, the hold, the restores."""


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
    @functools.cache
    def of(
        cls,
        posture: LifecycleSpec = POSTURE_SPEC,
        breaker: LifecycleSpec = BREAKER_SPEC,
        coupling: CouplingSpec = COUPLING_SPEC,
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
        sort, values = z3.EnumSort(f"product_{posture.name}_{breaker.name}_event", names)
        event = dict(zip(names, values, strict=True))
        builder = _Builder(posture, breaker, coupling, pos, brk, event)
        return cls(posture, breaker, coupling, pos, brk, sort, event, builder.system(sort))

    def level(self, posture: z3.ExprRef) -> z3.ArithRef:
        return self.pos.level(posture)

    def is_event(self, inputs: Vars, name: str) -> z3.BoolRef:
        return inputs["event"] == self.event[name]

    def invariant(self, p: Vars, s: Vars) -> z3.BoolRef:
        """What holds in every reachable state (proved by `prove_inductive`)."""
        brk, lvl = self.brk.state, self.level
        closed, half_open = brk["closed"], brk["half_open"]
        live_restore = z3.And(s["k"] >= 1, s["rv"] == s["v"])
        return z3.And(
            # Breaker counters.
            s["w"] >= 0,
            z3.Implies(s["b"] == closed, s["w"] < p["T"]),
            s["s"] >= 0,
            s["s"] <= s["a"],
            s["a"] <= p["N"],
            z3.Implies(s["b"] != half_open, z3.And(s["a"] == 0, s["s"] == 0)),
            z3.Implies(s["forced"], s["b"] == brk["open"]),
            # Posture versions and the ceiling others set.
            lvl(s["p"]) <= lvl(s["ceiling"]),
            s["last_other"] >= 0,
            s["last_other"] <= s["v"],
            # The hold: only while not closed, and forfeited by any change of the posture.
            z3.Implies(
                s["hold"],
                z3.And(
                    s["b"] != closed,
                    s["hv"] == s["v"],
                    s["p"] == s["hH"],
                    s["hH"] == p["down"],
                    lvl(s["hD"]) <= lvl(s["ceiling"]),
                    s["last_other"] < s["hv"],
                ),
            ),
            # Restores in flight: the newest is the only one that may still commit, and a
            # take-over finds its hold (the newest's) current only through it.
            s["k"] >= 0,
            z3.Or(s["rp"] == NONE, s["rp"] == PENDING, s["rp"] == COMMITTED),
            z3.Implies(s["rp"] != NONE, s["k"] >= 1),
            z3.Implies(s["k"] >= 1, z3.And(s["rv"] <= s["v"], s["rH"] == p["down"])),
            z3.Implies(z3.And(s["hold"], s["rp"] != NONE), s["rv"] <= s["hv"]),
            z3.Implies(
                live_restore,
                z3.And(
                    s["p"] == s["rH"],
                    lvl(s["rD"]) <= lvl(s["ceiling"]),
                    s["last_other"] < s["rv"],
                ),
            ),
        )


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
        unknown = set(breaker.guards) - set(FREE_BREAKER_GUARDS) - set(_COUNTER_GUARDS)
        if unknown:
            # Fail closed: a guard the proof cannot read must not be read as true.
            raise ValueError(
                f"the breaker spec uses guards the product cannot interpret: {sorted(unknown)}"
            )
        unhandled = set(breaker.events) - set(_BOOKKEEPING)
        if unhandled:
            raise ValueError(
                f"the breaker spec has events the product cannot interpret: {sorted(unhandled)}"
            )
        lifecycle = coupling.lifecycle
        unknown = (set(lifecycle.guards) - set(_COUPLING_GUARDS)) | (
            set(lifecycle.actions) - set(_ACTIONS)
        )
        unknown |= set(coupling.restore_fences) - set(_FENCES)
        if unknown:
            raise ValueError(
                f"the coupling spec uses guards, actions or fences the product cannot "
                f"interpret: {sorted(unknown)}"
            )

    def system(self, event_sort: z3.SortRef) -> System:
        ps, bs = self.pos.state_sort, self.brk.state_sort
        integer, boolean = z3.IntSort(), z3.BoolSort()
        state = {
            "p": ps, "v": integer, "ceiling": ps, "last_other": integer,
            "b": bs, "w": integer, "a": integer, "s": integer, "forced": boolean,
            "hold": boolean, "hD": ps, "hH": ps, "hv": integer,
            "k": integer, "rp": integer, "rD": ps, "rH": ps, "rv": integer,
        }  # fmt: skip
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
        params = {"T": integer, "N": integer, "down": ps, "restore_on_close": boolean}
        return System(
            state=state,
            inputs=inputs,
            params=params,
            assume=lambda p: z3.And(p["T"] >= 1, p["N"] >= 1),
            init=self.init,
            step=self.step,
            show_params=self.show_params,
            show_state=self.show_state,
            show_step=self.show_step,
        )

    # The initial states: any posture (the machine's default is configurable), nothing held.

    def init(self, p: Vars, s: Vars) -> z3.BoolRef:
        return z3.And(
            s["ceiling"] == s["p"], s["v"] == 0, s["last_other"] == 0,
            s["b"] == self.brk.state[self.breaker.initial], s["w"] == 0, s["a"] == 0,
            s["s"] == 0, z3.Not(s["forced"]), z3.Not(s["hold"]), s["hv"] == 0,
            s["hD"] == s["p"], s["hH"] == s["p"], s["k"] == 0, s["rp"] == NONE,
            s["rv"] == 0, s["rD"] == s["p"], s["rH"] == s["p"],
        )  # fmt: skip

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
            s["p"], self.pos.event[event], target, guards=self._posture_guards(i)
        )
        return z3.And(
            i["event"] == self.event[posture_event(event)], fires, self._changed(p, s, i, n)
        )

    def _set_posture(self, p: Vars, s: Vars, i: Vars, n: Vars) -> z3.BoolRef:
        """The administrative escape hatch: any posture, no guard, recorded as a change."""
        return z3.And(i["event"] == self.event[SET_POSTURE], self._changed(p, s, i, n))

    def _changed(self, p: Vars, s: Vars, i: Vars, n: Vars) -> z3.BoolRef:
        """Anyone else set the posture to ``target``, and the coupling hears of it."""
        start = {x: s[x] for x in COUPLED} | {"p": i["target"], "v": s["v"] + 1}
        return z3.And(
            _same(s, n, exclude=(*COUPLED, "ceiling", "last_other")),
            n["ceiling"] == i["target"],
            n["last_other"] == s["v"] + 1,
            self._couple(p, s, i, n, POSTURE_CHANGED, start, None),
        )

    def _expire(self, s: Vars, i: Vars, n: Vars) -> z3.BoolRef:
        """Failures leave the window with time: the weighted sum drops, to ``left``."""
        return z3.And(
            i["event"] == self.event[EXPIRE],
            i["left"] >= 0,
            i["left"] <= s["w"],
            _same(s, n, exclude=("w",)),
            n["w"] == i["left"],
        )

    def _guard(self, name: str, p: Vars, s: Vars, i: Vars) -> z3.BoolRef:
        if name in FREE_BREAKER_GUARDS:
            return i[f"g.{name}"]
        return _COUNTER_GUARDS[name](p, s, i)

    def _breaker_step(self, p: Vars, s: Vars, i: Vars, n: Vars, event: str) -> z3.BoolRef:
        """One breaker event: the first transition whose guards hold fires (as ``_fire``)."""
        state = self.brk.state
        options = []
        earlier: list[z3.BoolRef] = []
        for t in self.breaker.of_event(event):
            enabled = z3.And(
                s["b"] == state[t.source], *[self._guard(g, p, s, i) for g in t.guards]
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
        counters = _BOOKKEEPING[event](s, i, source, target)
        sends = self.coupling.sends(source, event, target)
        if sends == "close":
            counters["w"] = z3.IntVal(0)  # the engine clears the window on every close
        parts = [n["b"] == state[target]]
        parts += [n[name] == counters.get(name, s[name]) for name in ("w", "a", "s", "forced")]
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
        options = []
        for cs in self.coupling.lifecycle.states:
            part, hold = split(cs)
            if breaker_state is not None and part != breaker_state:
                continue
            here = z3.And(s["b"] == self.brk.state[part], s["hold"] == (hold == HELD))
            earlier: list[z3.BoolRef] = []
            for t in self.coupling.lifecycle.of_event(event):
                if t.source != cs:
                    continue
                enabled = z3.And(*[_COUPLING_GUARDS[g](self, p, start, i) for g in t.guards])
                fires = z3.And(enabled, *[z3.Not(e) for e in earlier])
                earlier.append(enabled)
                terms = self._carry_out(t.actions, split(t.target)[1] == HELD, p, start)
                options.append(z3.And(here, fires, *[n[x] == terms[x] for x in COUPLED]))
            unmoved = [n[x] == start[x] for x in COUPLED]
            options.append(z3.And(here, *[z3.Not(e) for e in earlier], *unmoved))
        return z3.Or(*options)

    def _lowers(self, p: Vars, posture: z3.ExprRef) -> z3.BoolRef:
        """Whether ``protective_downgrade`` to ``downgrade_on_open`` lowers ``posture``."""
        return self.pos.moves(posture, self.pos.event[PROTECT], p["down"], guards_hold=True)

    def _carry_out(
        self, actions: tuple[str, ...], held: bool, p: Vars, start: Mapping[str, z3.ExprRef]
    ) -> dict[str, z3.ExprRef]:
        """The coupled variables after ``actions``, in order, from ``start``."""
        terms = dict(start)
        before = terms["p"]
        for action in actions:
            _ACTIONS[action](self, p, terms, before)
        terms["hold"] = z3.BoolVal(held)
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
                self.pos.moves(s["rH"], self.pos.event[e], s["rD"], guards=guards)
                for e in self.posture.events
                if e in REQUESTABLE
            ]
        )
        fences = [_FENCES[f](self, s) for f in self.coupling.restore_fences]
        # The request is from the held posture: the machine refuses it from any other.
        commits = z3.And(s["p"] == s["rH"], allowed, *fences)
        return z3.And(
            i["event"] == self.event[RESTORE],
            s["rp"] == PENDING,
            n["rp"] == COMMITTED,
            n["p"] == z3.If(commits, s["rD"], s["p"]),
            n["v"] == z3.If(commits, s["v"] + 1, s["v"]),
            _same(s, n, exclude=("rp", "p", "v")),
        )

    def _finish(self, p: Vars, s: Vars, i: Vars, n: Vars) -> z3.BoolRef:
        """A restore in flight finishes: it is no longer listed; the posture is untouched."""
        newest = z3.And(i["newest"], s["rp"] == COMMITTED)
        older = z3.And(z3.Not(i["newest"]), s["k"] >= z3.If(s["rp"] == NONE, 1, 2))
        return z3.And(
            i["event"] == self.event[FINISH],
            z3.Or(newest, older),
            n["k"] == s["k"] - 1,
            n["rp"] == z3.If(newest, NONE, s["rp"]),
            _same(s, n, exclude=("k", "rp")),
        )

    # Printing a counterexample.

    def show_params(self, m: z3.ModelRef, p: Vars) -> str:
        return (
            f"failure_threshold={_val(m, p['T'])} (weight units), "
            f"half_open_max_calls={_val(m, p['N'])}, downgrade_on_open={_val(m, p['down'])}, "
            f"restore_on_close={_val(m, p['restore_on_close'])}"
        )

    def show_state(self, m: z3.ModelRef, s: Vars) -> str:
        text = (
            f"posture={_val(m, s['p'])} (version {_val(m, s['v'])}), "
            f"breaker={_val(m, s['b'])} weighted_failures={_val(m, s['w'])} "
            f"probes admitted={_val(m, s['a'])} succeeded={_val(m, s['s'])}"
        )
        if z3.is_true(m.eval(s["forced"], model_completion=True)):
            text += " forced"
        if z3.is_true(m.eval(s["hold"], model_completion=True)):
            text += f"; holds {_val(m, s['hD'])}->{_val(m, s['hH'])} at version {_val(m, s['hv'])}"
        rp = m.eval(s["rp"], model_completion=True).as_long()
        if rp != NONE:
            phase = "pending" if rp == PENDING else "committed"
            text += (
                f"; restore {phase} {_val(m, s['rH'])}->{_val(m, s['rD'])} "
                f"at version {_val(m, s['rv'])}"
            )
        k = m.eval(s["k"], model_completion=True).as_long()
        if k:
            text += f"; restores in flight={k}"
        return text

    def show_step(self, m: z3.ModelRef, p: Vars, s: Vars, i: Vars) -> str:
        name = str(m.eval(i["event"], model_completion=True))
        if name.startswith("breaker."):
            event = name.removeprefix("breaker.")
            used = {g for t in self.breaker.of_event(event) for g in t.guards}
            shown = [f"{g}={_val(m, i[f'g.{g}'])}" for g in FREE_BREAKER_GUARDS if g in used]
            if event == "failure":
                shown.insert(0, f"weight={_val(m, i['weight'])}")
            return f"{name}({', '.join(shown)})"
        if name == EXPIRE:
            return f"{name}(weighted failures left={_val(m, i['left'])})"
        if name == SET_POSTURE:
            return f"{name}(to={_val(m, i['target'])})"
        if name.startswith("posture."):
            event = name.removeprefix("posture.")
            used = {g for t in self.posture.of_event(event) for g in t.guards}
            return f"{name}(to={_val(m, i['target'])}{_posture_guards(m, i, used)})"
        if name == RESTORE:
            return f"{name}(upgrade{_posture_guards(m, i, set(self.posture.guards))})"
        return f"{name}(newest={_val(m, i['newest'])})"


def _val(m: z3.ModelRef, term: z3.ExprRef) -> str:
    return str(m.eval(term, model_completion=True))


def _posture_guards(m: z3.ModelRef, i: Vars, used: set[str]) -> str:
    return "".join(f", {g}={_val(m, i[f'pg.{g}'])}" for g in sorted(used))


def _same(
    s: Vars, n: Vars, *, exclude: tuple[str, ...] = (), only: tuple[str, ...] | None = None
) -> z3.BoolRef:
    names = only if only is not None else [x for x in s if x not in exclude]
    return z3.And(*[n[x] == s[x] for x in names])


# How each counter guard of the breaker model reads the state: `trust.circuit_breaker._core`
# GUARDS, with the window's weighted sum (``w``, before this failure) plus its ``weight``.
_COUNTER_GUARDS: Mapping[str, Callable[[Vars, Vars, Vars], z3.BoolRef]] = {
    "below_threshold": lambda p, s, i: s["w"] + i["weight"] < p["T"],
    "at_threshold": lambda p, s, i: s["w"] + i["weight"] >= p["T"],
    "not_forced": lambda p, s, i: z3.Not(s["forced"]),
    "probe_slot_free": lambda p, s, i: s["a"] < p["N"],
    "probe_outstanding": lambda p, s, i: s["s"] < s["a"],
    "probes_incomplete": lambda p, s, i: s["s"] + 1 < p["N"],
    "probes_complete": lambda p, s, i: s["s"] + 1 >= p["N"],
}

_Counters = dict[str, z3.ExprRef]


def _fresh_circuit(forced: bool) -> Callable[[Vars, Vars, str, str], _Counters]:
    return lambda s, i, source, target: {
        "a": z3.IntVal(0),
        "s": z3.IntVal(0),
        "forced": z3.BoolVal(forced),
    }


def _failure(s: Vars, i: Vars, source: str, target: str) -> _Counters:
    # A failure counts (joins the window) only while closed; a weight is at least one unit.
    counted: _Counters = {"w": s["w"] + i["weight"]} if source == "closed" else {}
    if target == "closed":
        return counted
    return counted | _fresh_circuit(False)(s, i, source, target)


def _probe_success(s: Vars, i: Vars, source: str, target: str) -> _Counters:
    if target == "half_open":
        return {"s": s["s"] + 1}
    return _fresh_circuit(False)(s, i, source, target)


# The bookkeeping of each breaker event (`trust.circuit_breaker._core` _ENTRIES): the
# counters it sets; a state entered afresh starts with no probes and unforced.
_BOOKKEEPING: Mapping[str, Callable[[Vars, Vars, str, str], _Counters]] = {
    "failure": _failure,
    "recovery_timeout": _fresh_circuit(False),
    "probe_admitted": lambda s, i, source, target: {"a": s["a"] + 1},
    "probe_success": _probe_success,
    "probe_timeout": _fresh_circuit(False),
    "force_open": _fresh_circuit(True),
    "reset": _fresh_circuit(False),
}


def _protect(b: _Builder, p: Vars, terms: dict[str, z3.ExprRef], before: z3.ExprRef) -> None:
    lowers = b._lowers(p, terms["p"])
    terms["p"] = z3.If(lowers, p["down"], terms["p"])
    terms["v"] = z3.If(lowers, terms["v"] + 1, terms["v"])


def _hold(b: _Builder, p: Vars, terms: dict[str, z3.ExprRef], before: z3.ExprRef) -> None:
    # What the protect displaced, what it set, and the version right after.
    terms["hD"], terms["hH"], terms["hv"] = before, terms["p"], terms["v"]


def _take_over(b: _Builder, p: Vars, terms: dict[str, z3.ExprRef], before: z3.ExprRef) -> None:
    terms["hD"], terms["hH"], terms["hv"] = terms["rD"], terms["rH"], terms["rv"]


def _restore(b: _Builder, p: Vars, terms: dict[str, z3.ExprRef], before: z3.ExprRef) -> None:
    # A restore in flight: the newest, pending; it commits later (`_Builder._restore`).
    terms["k"] = terms["k"] + 1
    terms["rp"] = z3.IntVal(PENDING)
    terms["rD"], terms["rH"], terms["rv"] = terms["hD"], terms["hH"], terms["hv"]


def _forfeit(b: _Builder, p: Vars, terms: dict[str, z3.ExprRef], before: z3.ExprRef) -> None:
    pass  # the hold is dropped: the target state is free


# What each action of the coupling model does to the coupled variables (`trust.circuit_breaker.
# _coupling.PostureCoupling` carries out the same actions on the real engines).
_ACTIONS: Mapping[str, Callable[[_Builder, Vars, dict[str, z3.ExprRef], z3.ExprRef], None]] = {
    "protect": _protect,
    "hold": _hold,
    "take_over": _take_over,
    "restore": _restore,
    "forfeit": _forfeit,
}


def _restore_pending(b: _Builder, p: Vars, s: Mapping[str, z3.ExprRef], i: Vars) -> z3.BoolRef:
    # The engine takes over the hold of any live restore in flight; only the newest is
    # tracked, so whether one is found is left free, when the newest is live.
    return z3.And(s["k"] >= 1, s["rv"] == s["v"], i["takeover"])


# How each guard of the coupling model reads the state (`trust.circuit_breaker.
# _coupling_core` GUARDS reads the same facts from the engine).
_COUPLING_GUARDS: Mapping[
    str, Callable[[_Builder, Vars, Mapping[str, z3.ExprRef], Vars], z3.BoolRef]
] = {
    "lowered": lambda b, p, s, i: b._lowers(p, s["p"]),
    "lowered_nothing": lambda b, p, s, i: z3.Not(b._lowers(p, s["p"])),
    "restore_pending": _restore_pending,
    "no_restore_pending": lambda b, p, s, i: z3.Not(_restore_pending(b, p, s, i)),
    "restore_on_close": lambda b, p, s, i: p["restore_on_close"],
    "keep_on_close": lambda b, p, s, i: z3.Not(p["restore_on_close"]),
}

# What each fence of a restore reads at its commit.
_FENCES: Mapping[str, Callable[[_Builder, Vars], z3.BoolRef]] = {
    "posture_unchanged": lambda b, s: s["v"] == s["rv"],
    "circuit_closed": lambda b, s: s["b"] == b.brk.state["closed"],
}


__all__ = [
    "COMMITTED",
    "EMERGENCY",
    "NONE",
    "PENDING",
    "RESTORE",
    "SET_POSTURE",
    "UPGRADE",
    "Product",
    "breaker_event",
    "posture_event",
]
