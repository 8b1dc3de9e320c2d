"""The policy-wide part of ``care-trust diff``: the posture machine's defaults, the
dimension settings and the custom dimensions (see `trust.proofs.policy._diff`)."""

from __future__ import annotations

from typing import Any, Protocol

from trust.constraints import Comparison, InteractionMode
from trust.policy._schema import KeyPath
from trust.proofs.policy._analysis import Analysis
from trust.proofs.policy._fields import Verdict, posture


class _Diff(Protocol):
    """What this part needs of the diff in progress (`trust.proofs.policy._diff`), named
    here so that the two modules do not import each other."""

    old: Analysis
    new: Analysis

    def add(
        self, verdict: str, in_new: bool, path: KeyPath, message: str, witness: Any = None
    ) -> None: ...

    def report(self, verdict: Verdict, path: KeyPath, what: str) -> None: ...


_INTERNAL = ("dimensions", "communication", "internal_domains")


def _defaults(diff: _Diff) -> dict[str, str]:
    old, new = diff.old.spec, diff.new.spec
    verdict = posture(new.default_posture, old.default_posture)
    if verdict is not Comparison.EQUIVALENT:
        diff.add(
            verdict.value,
            True,
            ("defaults", "posture"),
            f"the default posture is {new.default_posture.value} (was "
            f"{old.default_posture.value}): agents the policy gives none start there",
        )
    approval = Comparison.EQUIVALENT
    if new.require_upgrade_approval != old.require_upgrade_approval:
        approval = Comparison.TIGHTER if new.require_upgrade_approval else Comparison.LOOSER
        state = "required" if new.require_upgrade_approval else "no longer required"
        diff.add(
            approval.value,
            True,
            ("defaults", "require_upgrade_approval"),
            f"upgrade approval is {state}",
        )
    return {"posture": verdict.value, "require_upgrade_approval": approval.value}


def _internal_domains(diff: _Diff) -> str:
    old, new = diff.old, diff.new
    if old.spec.internal_domains == new.spec.internal_domains:
        return "equivalent"
    name, chosen = "communication", {"communication": "internal_only"}
    before = old.parse(name, "internal_only")
    after = new.parse(name, "internal_only")
    dim = new.dimension(name)
    new_in_old = dim.validate_tightening(before, after) is True
    comparison = Comparison.from_inclusions(new_in_old, dim.validate_tightening(after, before))
    verdict = Verdict(comparison)
    if not new_in_old:
        # Each side read by its own registry: the runtime's own example host, confirmed.
        host = after.parsed.target_outside(before.parsed)
        context = {"communication_target": host}
        mode = InteractionMode.CONJUNCTIVE
        allows = new.evaluator.evaluate(chosen, context, mode).satisfied
        refuses = not old.evaluator.evaluate(chosen, context, mode).satisfied
        verdict = (
            Verdict(comparison, context)
            if host is not None and allows and refuses
            else Verdict(None, note=f"the runtime's example {host!r} was not confirmed")
        )
    shown = list(new.spec.internal_domains or ["the defaults"])
    was = list(old.spec.internal_domains or ["the defaults"])
    diff.report(verdict, _INTERNAL, f"internal_domains = {shown} (was {was}): internal_only")
    return verdict.name


def _custom(diff: _Diff) -> dict[str, str]:
    old, new = diff.old.spec.custom, diff.new.spec.custom
    verdicts = {}
    for name in dict.fromkeys([*old, *new]):
        path = ("dimensions", name)
        if name not in old or name not in new:
            verdict = "added" if name not in old else "removed"
            diff.add(verdict, name not in old, path, f"custom dimension {name!r} {verdict}")
        elif (old[name].reviewed_by is None) != (new[name].reviewed_by is None):
            # Unreviewed, a dimension fails every evaluation: approving it lets actions pass.
            verdict = "looser" if old[name].reviewed_by is None else "tighter"
            state = "approved" if verdict == "looser" else "no longer approved"
            diff.add(
                verdict,
                True,
                path,
                f"custom dimension {name!r} is {state}: evaluations using it "
                f"{'can pass now' if verdict == 'looser' else 'fail from now on'}",
            )
        else:
            verdict = "equivalent"
        verdicts[name] = verdict
    return verdicts


def policy_wide(diff: _Diff) -> dict[str, Any]:
    """Findings and summary entries for what is not an agent, a role or a delegation."""
    return {
        "old": diff.old.spec.file,
        "new": diff.new.spec.file,
        "defaults": _defaults(diff),
        "dimensions": {"internal_domains": _internal_domains(diff), "custom": _custom(diff)},
    }


__all__ = ["policy_wide"]
