"""The posture and breaker lifecycles together, as one symbolic transition system.

The product is a symbolic transition system built from the two `LifecycleSpec`s (which
moves exist and which guards they need are read from them, never restated) and from how
``trust.circuit_breaker`` couples a breaker to a `PostureStateMachine`:

- posture: the agent's posture and its version, which every committed change bumps;
- breaker: its state, the weighted failures in the window ``w``, the probes admitted ``a``
  and succeeded ``s`` in this half-open episode, and whether an operator forced it open;
- coupling: the hold an open circuit keeps (the posture it displaced, the one it set, and
  the version right after), and the restores in flight ``k`` once a circuit closed (the
  newest one's displaced and held postures, version and phase);
- configuration, symbolic: the threshold ``T >= 1`` (in weight units), ``N >= 1`` probes,
  ``downgrade_on_open`` (any posture) and ``restore_on_close``.

Steps: each breaker event (its guards read the counters: ``w + weight >= T``, ``a < N``,
``s + 1 >= N``, ...; the clock and fencing guards are free), failures leaving the window,
every posture event by anyone else with its guards free, an administrative ``set_posture``
to any posture, and a restore in two steps as the engine runs it (the fenced upgrade after
the lock is released, which commits only if the version is unchanged and the circuit is
still closed, then the bookkeeping when it finishes), interleaved with everything else.
A circuit that opens from closed and displaces nothing may take over the hold of a restore
still in flight whose version is current (the engine does when one is): that restore can
no longer commit into the open circuit, and the new episode restores the same posture when
it closes. Counters are unbounded integers; nothing bounds the depth.

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

from trust.model import BREAKER_SPEC, POSTURE_SPEC, LifecycleSpec
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


def breaker_event(name: str) -> str:
    return f"breaker.{name}"


def posture_event(name: str) -> str:
    return f"posture.{name}"


@attrs.frozen(eq=False)
class Product:
    """The posture x breaker system of two specs, and its inductive invariant."""

    posture: LifecycleSpec
    breaker: LifecycleSpec
    pos: Encoding
    brk: Encoding
    event_sort: z3.SortRef
    event: Mapping[str, z3.ExprRef]
    system: System

    @classmethod
    @functools.cache
    def of(
        cls, posture: LifecycleSpec = POSTURE_SPEC, breaker: LifecycleSpec = BREAKER_SPEC
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
        builder = _Builder(posture, breaker, pos, brk, event)
        return cls(posture, breaker, pos, brk, sort, event, builder.system(sort))

    def level(self, posture: z3.ExprRef) -> z3.ArithRef:
        return self.pos.level(posture)

    def is_event(self, inputs: Vars, name: str) -> z3.BoolRef:
        return inputs["event"] == self.event[name]

    def invariant(self, p: Vars, s: Vars) -> z3.BoolRef:
        """What holds in every reachable state (proved by `prove_inductive`)."""
        brk, lvl = self.brk.state, self.level
        closed, half_open = brk["closed"], brk["half_open"]
        live_hold = z3.And(s["hold"], s["hv"] == s["v"])
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
            # The hold: only while not closed; live only if nothing changed the posture.
            z3.Implies(s["hold"], z3.And(s["b"] != closed, s["hv"] <= s["v"])),
            z3.Implies(
                live_hold,
                z3.And(
                    s["p"] == s["hH"],
                    lvl(s["hD"]) <= lvl(s["ceiling"]),
                    s["last_other"] < s["hv"],
                ),
            ),
            # Restores in flight: the newest is the only one that may still commit, and a
            # take-over finds its hold (the newest's) current only through it.
            s["k"] >= 0,
            z3.Or(s["rp"] == NONE, s["rp"] == PENDING, s["rp"] == COMMITTED),
            z3.Implies(s["rp"] != NONE, s["k"] >= 1),
            z3.Implies(s["k"] >= 1, s["rv"] <= s["v"]),
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
        pos: Encoding,
        brk: Encoding,
        event: Mapping[str, z3.ExprRef],
    ) -> None:
        self.posture, self.breaker, self.pos, self.brk, self.event = (
            posture,
            breaker,
            pos,
            brk,
            event,
        )
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
        moves += [self._others(s, i, n, e) for e in self.posture.events]
        moves += [self._set_posture(s, i, n), self._restore(s, i, n), self._finish(p, s, i, n)]
        return z3.Or(*moves)

    def _posture_guards(self, i: Vars) -> dict[str, z3.BoolRef]:
        return {g: i[f"pg.{g}"] for g in self.posture.guards}

    def _others(self, s: Vars, i: Vars, n: Vars, event: str) -> z3.BoolRef:
        """Anyone else moves the posture along the posture lifecycle, guards as they fall."""
        target = i["target"]
        fires = self.pos.moves(
            s["p"], self.pos.event[event], target, guards=self._posture_guards(i)
        )
        return z3.And(
            i["event"] == self.event[posture_event(event)],
            fires,
            _same(s, n, exclude=("p", "v", "ceiling", "last_other")),
            n["p"] == target,
            n["ceiling"] == target,
            n["v"] == s["v"] + 1,
            n["last_other"] == s["v"] + 1,
        )

    def _set_posture(self, s: Vars, i: Vars, n: Vars) -> z3.BoolRef:
        """The administrative escape hatch: any posture, no guard, recorded as a change."""
        return z3.And(
            i["event"] == self.event[SET_POSTURE],
            _same(s, n, exclude=("p", "v", "ceiling", "last_other")),
            n["p"] == i["target"],
            n["ceiling"] == i["target"],
            n["v"] == s["v"] + 1,
            n["last_other"] == s["v"] + 1,
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
        opened = target == "open"
        closed = target == "closed" and _CLOSES[event]
        if closed:
            counters["w"] = z3.IntVal(0)  # the engine clears the window on every close
        changed = {"b", "w", "a", "s", "forced"}
        parts = [n["b"] == state[target]]
        parts += [n[name] == counters.get(name, s[name]) for name in ("w", "a", "s", "forced")]
        if opened:
            first = source == "closed"
            parts.append(self._protect(p, s, n, may_hold=z3.BoolVal(first), i=i))
            changed |= {"p", "v", "hold", "hD", "hH", "hv"}
        elif closed:
            restore = z3.And(s["hold"], p["restore_on_close"])
            parts += [
                z3.Not(n["hold"]),
                n["k"] == z3.If(restore, s["k"] + 1, s["k"]),
                n["rp"] == z3.If(restore, PENDING, s["rp"]),
                n["rD"] == z3.If(restore, s["hD"], s["rD"]),
                n["rH"] == z3.If(restore, s["hH"], s["rH"]),
                n["rv"] == z3.If(restore, s["hv"], s["rv"]),
                n["hD"] == s["hD"],
                n["hH"] == s["hH"],
                n["hv"] == s["hv"],
            ]
            changed |= {"hold", "k", "rp", "rD", "rH", "rv", "hD", "hH", "hv"}
        parts.append(_same(s, n, exclude=tuple(changed)))
        return z3.And(*parts)

    def _protect(self, p: Vars, s: Vars, n: Vars, *, may_hold: z3.BoolRef, i: Vars) -> z3.BoolRef:
        """``protective_downgrade`` to ``downgrade_on_open``, if the spec has that move.

        A new hold is taken only when ``may_hold``, none is held, and something was
        displaced. Otherwise, when ``may_hold`` and none is held, the hold of a restore in
        flight whose version is current may be taken over (``takeover``: the engine looks
        through every restore in flight, and only the newest is tracked here).
        """
        lowers = self.pos.moves(s["p"], self.pos.event[PROTECT], p["down"], guards_hold=True)
        takes = z3.And(lowers, may_hold, z3.Not(s["hold"]))
        takes_over = z3.And(
            z3.Not(lowers),
            may_hold,
            z3.Not(s["hold"]),
            s["k"] >= 1,
            s["rv"] == s["v"],
            i["takeover"],
        )
        return z3.And(
            n["p"] == z3.If(lowers, p["down"], s["p"]),
            n["v"] == z3.If(lowers, s["v"] + 1, s["v"]),
            n["hold"] == z3.Or(s["hold"], takes, takes_over),
            n["hD"] == z3.If(takes, s["p"], z3.If(takes_over, s["rD"], s["hD"])),
            n["hH"] == z3.If(takes, p["down"], z3.If(takes_over, s["rH"], s["hH"])),
            n["hv"] == z3.If(takes, s["v"] + 1, z3.If(takes_over, s["rv"], s["hv"])),
        )

    def _restore(self, s: Vars, i: Vars, n: Vars) -> z3.BoolRef:
        """The newest restore's fenced upgrade, run after the breaker's lock is released.

        It is an ordinary transition request (from the held to the displaced posture) with
        ``expected_version``: it commits only if the version and posture are unchanged, the
        lifecycle's guards pass and, at the commit, the circuit is still closed (the
        breaker's fence); otherwise it is refused and changes nothing.
        """
        guards = self._posture_guards(i)
        allowed = z3.Or(
            *[
                self.pos.moves(s["rH"], self.pos.event[e], s["rD"], guards=guards)
                for e in self.posture.events
                if e in REQUESTABLE
            ]
        )
        closed = s["b"] == self.brk.state["closed"]
        commits = z3.And(s["v"] == s["rv"], s["p"] == s["rH"], allowed, closed)
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
# Which events, reaching closed, are the engine's Closed effect (window cleared, restore).
_CLOSES: Mapping[str, bool] = {
    "failure": False,
    "recovery_timeout": True,
    "probe_admitted": True,
    "probe_success": True,
    "probe_timeout": True,
    "force_open": True,
    "reset": True,
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
