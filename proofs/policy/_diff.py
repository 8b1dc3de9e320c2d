"""``care-trust diff OLD NEW``: does the new policy grant more than the old?

Each verdict says how the new policy relates to the old (as AWS Zelkova and Cedar's
analysis present it): ``equivalent``, ``tighter`` (it allows less), ``looser`` (more) or
``incomparable`` (each allows something the other refuses). Verdicts are given:

- per agent and role, per dimension of its constraint set (an absent dimension allows
  everything on it), by the runtime dimension's ``validate_tightening`` both ways;
- per agent and role, for the whole set under its mode, by the runtime evaluator's
  mode-aware ``validate_tightening`` both ways (under two different modes, which no
  tightening check compares, by the twins' witness search both ways);
- for initial postures, breaker configs (field by field, `trust.proofs.policy._fields`),
  the posture machine's defaults, dimension settings and custom dimensions;
- agents added (looser: the old policy refused every action of an agent it does not
  name) or removed (tighter); delegations added (looser: a new path of authority) or
  removed (tighter); roles added or removed (noted: a role acts through its agents).

Both files' sets are compared as the new policy's registry reads them; a change of
``dimensions.communication.internal_domains`` is its own verdict, with each side read by
its own registry. Every looser or incomparable verdict about constraints comes with a
witness: a context the new policy allows and the old refuses, found on the twins and
confirmed by the runtime. If the twins show that none exists, the runtime's rule was
stricter than needed and the verdict says so; if the search cannot conclude, the
finding is ``diff.unverified`` (an error). Postures, breakers and delegations have no
context to show: their messages say what changed.

Findings: ``diff.looser`` and ``diff.incomparable`` are warnings (``--fail-on looser``
fails on them), ``diff.tighter``, ``diff.equivalent``, ``diff.added`` and
``diff.removed`` notes; a value written differently but equivalent is noted, an
unchanged one is only counted in the summary.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs

from trust.constraints import Comparison, InteractionMode
from trust.constraints._cache import cache_key
from trust.constraints._modes import show
from trust.policy import AgentSpec, ConstraintSet, Finding, Level, Report, RoleSpec, read_policy
from trust.policy._schema import KeyPath
from trust.proofs._witness import BOUND, Search, Side
from trust.proofs.policy._analysis import Analysis, allowed, witness
from trust.proofs.policy._diff_policy import policy_wide
from trust.proofs.policy._fields import WHY, Verdict, breaker_fields, join, posture
from trust.proofs.policy._lints import broadest

_MISSING: Any = object()
_LEVELS = {"looser": Level.WARNING, "incomparable": Level.WARNING, "unverified": Level.ERROR}


class _Diff:
    def __init__(self, old: Analysis, new: Analysis) -> None:
        self.old, self.new = old, new
        self.findings: list[Finding] = []
        self.verdicts: dict[tuple[str, bytes | None, bytes | None], Verdict] = {}

    def add(
        self, verdict: str, in_new: bool, path: KeyPath, message: str, witness: Any = None
    ) -> None:
        spec = self.new.spec if in_new else self.old.spec
        self.findings.append(
            Finding(
                rule=f"diff.{verdict}",
                level=_LEVELS.get(verdict, Level.NOTE),
                message=message,
                location=spec.location(path),
                witness=witness,
            )
        )

    def report(self, verdict: Verdict, path: KeyPath, what: str) -> None:
        """A finding for a changed part: ``what`` says which and how it changed."""
        shown = {
            "looser": "is looser: the new policy allows more",
            "incomparable": "is incomparable: each policy allows something the other refuses",
            "tighter": "is tighter: the new policy allows less",
            "equivalent": "is written differently but equivalent",
            "unverified": "cannot be compared",
        }[verdict.name]
        tail = f" ({verdict.note})" if verdict.note else ""
        has_witness = verdict.witness is not None
        example = (
            " The witness is a context the new policy allows and the old refuses."
            if has_witness
            else ""
        )
        self.add(verdict.name, True, path, f"{what} {shown}{tail}.{example}", verdict.witness)

    # -- constraints ---------------------------------------------------------------

    def _top(self, name: str, raw: Any) -> bool:
        if raw is _MISSING:
            return True
        wide = broadest(self.new, name, raw)
        return wide is not None and wide[1]

    def _search(self, old: Side, new: Side, new_in_old: bool, old_in_new: bool) -> Verdict:
        """The verdict, with a witness for looser and incomparable ones."""
        if new_in_old:
            return Verdict(Comparison.from_inclusions(True, old_in_new))
        found = witness(old, new)
        if found.search is Search.CONFIRMED:
            return Verdict(Comparison.from_inclusions(False, old_in_new), found.context)
        if found.search is Search.NONE:
            return Verdict(
                Comparison.from_inclusions(True, old_in_new),
                note="the runtime's tightening rule would refuse the new as a tightening of the "
                "old, but no context within the twins' bounds widens it",
            )
        return Verdict(None, note=f"witness search {found.search.value}: {found.note} ({BOUND})")

    def dimension(self, name: str, old: Any, new: Any) -> Verdict:
        """The verdict of one dimension's values, remembered: agents share values."""
        key = (name, cache_key(old), cache_key(new))
        known = self.verdicts.get(key) if None not in key else None
        if known is None:
            known = self._dimension(name, old, new)
            if None not in key:
                self.verdicts[key] = known
        return known

    def _dimension(self, name: str, old: Any, new: Any) -> Verdict:
        if self.new.is_custom(name) or self.old.is_custom(name):
            return Verdict(
                Comparison.INCOMPARABLE,
                note=f"{name!r} is a custom dimension: diff has no code for it, so any change "
                "counts as incomparable",
            )
        dim = self.new.dimension(name)
        parsed = {
            k: self.new.parse(name, v) for k, v in (("old", old), ("new", new)) if v is not _MISSING
        }
        new_in_old = self._top(name, old) or (
            new is not _MISSING and dim.validate_tightening(parsed["old"], parsed["new"]) is True
        )
        old_in_new = self._top(name, new) or (
            old is not _MISSING and dim.validate_tightening(parsed["new"], parsed["old"]) is True
        )
        mode = InteractionMode.CONJUNCTIVE
        sides = [self.new.side({} if v is _MISSING else {name: v}, mode) for v in (old, new)]
        return self._search(sides[0], sides[1], new_in_old, old_in_new)

    def whole_set(self, old: ConstraintSet, new: ConstraintSet) -> Verdict:
        evaluator = self.new.evaluator
        old_side, new_side = self.new.set_side(old), self.new.set_side(new)
        if old.mode is new.mode:
            mode = new.mode
            new_in_old = not evaluator.validate_tightening(old.constraints, new.constraints, mode)
            old_in_new = not evaluator.validate_tightening(new.constraints, old.constraints, mode)
            return self._search(old_side, new_side, new_in_old, old_in_new)
        back = witness(new_side, old_side)
        if back.search not in (Search.CONFIRMED, Search.NONE):
            return Verdict(None, note=f"witness search {back.search.value}: {back.note}")
        verdict = self._search(old_side, new_side, False, back.search is Search.NONE)
        note = f"the mode changed from {old.mode.value} to {new.mode.value}: decided on the twins"
        return attrs.evolve(verdict, note="; ".join(n for n in (note, verdict.note) if n))

    def constraints(self, label: str, old: ConstraintSet, new: ConstraintSet) -> dict[str, Any]:
        dimensions: dict[str, str] = {}
        for name in dict.fromkeys([*old.constraints, *new.constraints]):
            before = old.constraints.get(name, _MISSING)
            after = new.constraints.get(name, _MISSING)
            if before is not _MISSING and after is not _MISSING and before == after:
                dimensions[name] = "equivalent"
                continue
            verdict = self.dimension(name, before, after)
            dimensions[name] = verdict.name
            what = (
                f"{label}: {name} added ({show(after)})"
                if before is _MISSING
                else f"{label}: {name} removed (was {show(before)})"
                if after is _MISSING
                else f"{label}: {name} = {show(after)} (was {show(before)})"
            )
            self.report(verdict, (*new.path, name), what)
        same = old.mode is new.mode and list(old.constraints.items()) == list(
            new.constraints.items()
        )
        if same:
            whole = "equivalent"
        else:
            verdict = self.whole_set(old, new)
            whole = verdict.name
            self.report(verdict, new.path, f"{label}: the whole set under {new.mode.value} mode")
        return {"set": whole, "dimensions": dimensions}

    # -- agents and roles --------------------------------------------------------------

    def initial_posture(self, label: str, old: Any, new: Any, path: KeyPath) -> str:
        before = old.posture or self.old.spec.default_posture
        after = new.posture or self.new.spec.default_posture
        verdict = posture(after, before)
        if verdict is not Comparison.EQUIVALENT:
            self.add(
                verdict.value,
                True,
                path,
                f"{label}: the initial posture is {after.value} (was {before.value}): "
                f"{'more' if verdict is Comparison.LOOSER else 'less'} autonomy",
            )
        return verdict.value

    def breaker(self, label: str, old: Any, new: Any, path: KeyPath) -> dict[str, Any]:
        before, after = old.breaker, new.breaker
        if before is None or after is None:
            verdict = (
                Comparison.EQUIVALENT
                if before is after
                else Comparison.LOOSER
                if after is None
                else Comparison.TIGHTER
            )
            if verdict is not Comparison.EQUIVALENT:
                has = "no circuit breaker any more" if after is None else "a circuit breaker now"
                self.add(verdict.value, after is not None, path, f"{label} has {has}")
            return {"verdict": verdict.value, "fields": {}}
        fields = breaker_fields(after, before)
        for field, verdict in fields.items():
            if verdict is Comparison.EQUIVALENT:
                continue
            why = WHY[field] if verdict is not Comparison.TIGHTER else "the reverse of looser"
            self.add(
                verdict.value,
                True,
                (*path, field),
                f"{label}: breaker {field} = {show(getattr(after, field))} (was "
                f"{show(getattr(before, field))}) is {verdict.value}: {why}",
            )
        return {
            "verdict": join(list(fields.values())).value,
            "fields": {f: v.value for f, v in fields.items()},
        }

    def subject(self, section: str, ident: str) -> dict[str, Any]:
        old: AgentSpec | RoleSpec | None = getattr(self.old.spec, section).get(ident)
        new: AgentSpec | RoleSpec | None = getattr(self.new.spec, section).get(ident)
        kind = section[:-1]
        label = f"{kind} {ident!r}"
        if old is None or new is None:
            return self.presence(section, ident, old, new)
        entry: dict[str, Any] = self.constraints(label, old.constraints, new.constraints)
        entry["posture"] = self.initial_posture(label, old, new, (section, ident))
        entry["breaker"] = self.breaker(label, old, new, (section, ident, "breaker"))
        parts = [
            entry["set"],
            entry["posture"],
            entry["breaker"]["verdict"],
            *entry["dimensions"].values(),
        ]
        entry["status"] = "unchanged" if set(parts) <= {"equivalent"} else "changed"
        return entry

    def presence(self, section: str, ident: str, old: Any, new: Any) -> dict[str, Any]:
        kind = section[:-1]
        if section == "roles":
            verdict = "added" if old is None else "removed"
            self.add(verdict, old is None, (section, ident), f"role {ident!r} {verdict}")
            return {"status": verdict}
        if new is None:
            self.add("tighter", False, (section, ident), f"agent {ident!r} removed")
            return {"status": "removed", "set": "tighter"}
        context = allowed(self.new.set_side(new.constraints))
        note = (
            "the witness is a context its set allows; the old policy refuses every action of "
            "an agent it does not name"
            if context is not None
            else "no context its set allows was confirmed"
        )
        self.add("looser", True, (section, ident), f"{kind} {ident!r} added: {note}", context)
        return {"status": "added", "set": "looser"}


def diff_policies(old: str | Path, new: str | Path) -> Report:
    """Compare two versions of a policy file (see the module docstring).

    Returns:
        A `Report` (command ``"diff"``) with one finding per verdict that is not an
        unchanged ``equivalent``, and a summary: the overall verdict, per agent and role
        the set's, each dimension's, the posture's and the breaker's verdicts, and the
        delegations added and removed (all plain JSON values).

    Raises:
        PolicyError: Either file cannot be used (every problem, with its line).
    """
    diff = _Diff(Analysis(read_policy(old)), Analysis(read_policy(new)))
    summary: dict[str, Any] = policy_wide(diff)
    for section in ("roles", "agents"):
        ids = dict.fromkeys([*getattr(diff.old.spec, section), *getattr(diff.new.spec, section)])
        summary[section] = {ident: diff.subject(section, ident) for ident in ids}
    summary["delegations"] = _delegations(diff)
    verdicts = [f.rule.removeprefix("diff.") for f in diff.findings]
    summary["counts"] = {v: verdicts.count(v) for v in dict.fromkeys(verdicts)}
    named = [Comparison(v) for v in verdicts if v in Comparison.__members__.values()]
    overall = join(named).value
    summary["verdict"] = "unverified" if "unverified" in verdicts else overall
    return Report(command="diff", findings=tuple(diff.findings), summary=summary)


def _delegations(diff: _Diff) -> dict[str, Any]:
    before = {(d.parent, d.child): d for d in diff.old.spec.delegations}
    after = {(d.parent, d.child): d for d in diff.new.spec.delegations}
    for pair, spec in after.items():
        if pair not in before:
            diff.add(
                "looser",
                True,
                spec.path,
                f"delegation {pair[0]!r} -> {pair[1]!r} added: a new path of authority",
            )
    for pair, spec in before.items():
        if pair not in after:
            diff.add("tighter", False, spec.path, f"delegation {pair[0]!r} -> {pair[1]!r} removed")
    return {
        "added": [list(p) for p in after if p not in before],
        "removed": [list(p) for p in before if p not in after],
    }


__all__ = ["diff_policies"]
