"""Printing the states and steps of the posture x breaker product, for counterexamples."""

from __future__ import annotations

import attrs
import z3

from trust.model import LifecycleSpec
from trust.proofs._induction import Vars
from trust.proofs._product_meaning import FREE_BREAKER_GUARDS, NONE, PENDING

SET_POSTURE, EXPIRE, RESTORE, FINISH = "set_posture", "window_expiry", "restore", "restore_finish"


@attrs.frozen
class Printer:
    """Shows a model's parameters, states and steps in the words of the two specs."""

    posture: LifecycleSpec
    breaker: LifecycleSpec

    def show_params(self, m: z3.ModelRef, p: Vars) -> str:
        return (
            f"failure_threshold={_val(m, p['threshold'])} (weight units), "
            f"half_open_max_calls={_val(m, p['max_probes'])}, "
            f"downgrade_on_open={_val(m, p['downgrade_on_open'])}, "
            f"restore_on_close={_val(m, p['restore_on_close'])}"
        )

    def show_state(self, m: z3.ModelRef, s: Vars) -> str:
        text = (
            f"posture={_val(m, s['posture'])} (version {_val(m, s['version'])}), "
            f"breaker={_val(m, s['breaker'])} weighted_failures={_val(m, s['window'])} "
            f"probes admitted={_val(m, s['probes_admitted'])} "
            f"succeeded={_val(m, s['probes_succeeded'])}"
        )
        if z3.is_true(m.eval(s["forced"], model_completion=True)):
            text += " forced"
        if z3.is_true(m.eval(s["holds"], model_completion=True)):
            text += (
                f"; holds {_val(m, s['hold_displaced'])}->{_val(m, s['hold_held'])} "
                f"at version {_val(m, s['hold_version'])}"
            )
        rp = m.eval(s["restore_phase"], model_completion=True).as_long()
        if rp != NONE:
            phase = "pending" if rp == PENDING else "committed"
            text += (
                f"; restore {phase} "
                f"{_val(m, s['restore_held'])}->{_val(m, s['restore_displaced'])} "
                f"at version {_val(m, s['restore_version'])}"
            )
        k = m.eval(s["restores"], model_completion=True).as_long()
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


__all__ = ["EXPIRE", "FINISH", "RESTORE", "SET_POSTURE", "Printer"]
