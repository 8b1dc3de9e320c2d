"""``care-trust check POLICY``: is every delegation of a policy file a tightening, and what
in it deserves a second look?

`check_policy` reads the file (a file error raises `trust.policy.PolicyError`), then:

- proves every delegation hop with the runtime's mode-aware ``validate_tightening``;
  for a hop it rejects, the twins search for a context the child allows and the parent
  refuses, and the runtime evaluator confirms it (`trust.proofs._witness`). Findings:
  ``delegation.widens`` (error, with that witness), ``delegation.refused`` (error: the
  runtime refuses the hop though no context widens it, as for a CONJUNCTIVE child that
  drops a dimension allowing everything; the runtime would still refuse it),
  ``delegation.unverified`` (error: the search found no confirmed witness, or a custom
  dimension check has no code for differs), ``delegation.mode`` (error: parent and child
  are evaluated under different modes, which no tightening check compares);
- lints (warnings, `trust.proofs.policy._lints`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from trust.constraints import InteractionMode
from trust.policy import DelegationSpec, Finding, Level, Report, read_policy
from trust.proofs._witness import BOUND, Search
from trust.proofs.policy._analysis import Analysis, witness
from trust.proofs.policy._lints import (
    constraint_lints,
    custom_lints,
    lookalike_lints,
    role_lints,
    set_lints,
)

HOP_OUTCOMES = ("valid", "widens", "refused", "unverified", "mode")
"""How a hop can end (the summary counts each)."""


def _error(
    rule: str,
    analysis: Analysis,
    hop: DelegationSpec,
    message: str,
    witness: Mapping[str, Any] | None = None,
) -> Finding:
    return Finding(
        rule=f"delegation.{rule}",
        level=Level.ERROR,
        message=message,
        location=analysis.spec.location(hop.path),
        witness=witness,
    )


def _hop(analysis: Analysis, hop: DelegationSpec) -> tuple[str, Finding | None]:
    spec = analysis.spec
    parent, child = spec.subject(hop.parent), spec.subject(hop.child)
    assert parent is not None  # the file was checked
    assert child is not None
    label = f"{spec.kind(hop.parent)} {hop.parent!r} -> {spec.kind(hop.child)} {hop.child!r}"
    if parent.mode is not child.mode:
        return "mode", _error(
            "mode",
            analysis,
            hop,
            f"{label}: the parent's set is {parent.mode.value}, the child's "
            f"{child.mode.value}; a child is a tightening only under its parent's mode: give "
            "both the same mode",
        )
    mode = parent.mode
    violations = analysis.evaluator.validate_tightening(parent.constraints, child.constraints, mode)
    if not violations:
        return "valid", None
    shown = "; ".join(violations)
    mine, theirs = dict(child.constraints), dict(parent.constraints)
    custom = [n for n in dict.fromkeys([*theirs, *mine]) if analysis.is_custom(n)]
    if custom:
        differing = [
            n
            for n in custom
            if n not in theirs
            or n not in mine
            or analysis.parse(n, theirs[n]).parsed != analysis.parse(n, mine[n]).parsed
        ]
        if differing or mode is not InteractionMode.CONJUNCTIVE:
            why = (
                f"the custom dimensions {differing} differ between the sets"
                if differing
                else f"under {mode.value} mode the custom dimensions {custom} may decide"
            )
            return "unverified", _error(
                "unverified",
                analysis,
                hop,
                f"{label}: {shown}. And {why}, which check has no code for: verify this hop "
                "with trust.proofs.verify_delegation and the dimensions' registry",
            )
        # Equal custom values under CONJUNCTIVE: a witness of the rest is one of the whole.
        for name in custom:
            del mine[name], theirs[name]
    found = witness(analysis.side(theirs, mode), analysis.side(mine, mode))
    if found.search is Search.CONFIRMED:
        aside = f" (the equal custom dimensions {custom} left aside)" if custom else ""
        return "widens", _error(
            "widens",
            analysis,
            hop,
            f"{label} widens: {shown}. The witness is a context the child allows and the "
            f"parent refuses, confirmed by the runtime{aside}",
            witness=found.context,
        )
    if found.search is Search.NONE:
        return "refused", _error(
            "refused",
            analysis,
            hop,
            f"{label}: the runtime refuses this delegation ({shown}), though no context "
            f"widens it ({found.note}): its rule is stricter than needed here, and it will "
            "still refuse the hop; write the child so that it accepts it",
        )
    return "unverified", _error(
        "unverified",
        analysis,
        hop,
        f"{label}: the runtime refuses it ({shown}), and the witness search ended "
        f"{found.search.value}: {found.note} ({BOUND})",
    )


def check_policy(path: str | Path) -> Report:
    """Check a policy file: validate it, prove every delegation hop, lint it.

    Args:
        path: The policy file.

    Returns:
        A `Report` (command ``"check"``): one finding per failing hop (errors, with a
        runtime-confirmed witness where there is one) and per lint (warnings); its
        summary counts the agents, roles, delegations, hop outcomes and findings.

    Raises:
        PolicyError: The file is missing, unreadable, not TOML, or breaks the format;
            ``problems`` holds every problem, with its line.
    """
    spec = read_policy(path)
    analysis = Analysis(spec)
    findings: list[Finding] = []
    outcomes = dict.fromkeys(HOP_OUTCOMES, 0)
    for hop in spec.delegations:
        outcome, finding = _hop(analysis, hop)
        outcomes[outcome] += 1
        if finding is not None:
            findings.append(finding)
    findings += custom_lints(analysis)
    findings += lookalike_lints(analysis)
    for role in spec.roles.values():
        findings += constraint_lints(analysis, role.constraints)
        findings += set_lints(analysis, role.constraints, f"role {role.id!r}")
    for agent in spec.agents.values():
        findings += constraint_lints(analysis, agent.written)
        findings += role_lints(analysis, agent)
        if agent.role is None or agent.written.constraints:
            findings += set_lints(analysis, agent.constraints, f"agent {agent.id!r}")
    counts = {level.value: sum(1 for f in findings if f.level is level) for level in Level}
    return Report(
        command="check",
        findings=tuple(findings),
        summary={
            "file": spec.file,
            "agents": len(spec.agents),
            "roles": len(spec.roles),
            "delegations": len(spec.delegations),
            "hops": outcomes,
            "findings": counts,
        },
    )


__all__ = ["HOP_OUTCOMES", "check_policy"]
