"""Bugs planted in a copy of the built-in dimensions make ``python -m trust.proofs`` fail.

Each test plants one realistic bug (issue 13's three, and others on paths that were
outside every twin before: composed values, IPv6, ``internal_only``) and runs the proof
run on the copy, restricted to the dimension: it must exit non-zero with a counterexample
that names the values, the context, what the runtime said and what the twin says.
"""

from __future__ import annotations

import re
from pathlib import Path

import attrs
import pytest

from tests.planted import Plant, run_proofs_with

GLOB = "trust/constraints/builtin/_glob_inclusion.py"
SHAPES = "trust/constraints/builtin/_glob_shapes.py"
DATA = "trust/constraints/builtin/_data_access.py"
RATE = "trust/constraints/builtin/_rate.py"
COST = "trust/constraints/builtin/_cost.py"
HOSTS = "trust/constraints/builtin/_communication.py"
TIME = "trust/constraints/builtin/_time.py"


@attrs.frozen
class Case:
    plants: tuple[Plant, ...]
    only: str
    facts: tuple[str, ...]
    """Patterns (regular expressions) the output must hold, in this order."""


CASES = {
    # The normalised-path automaton forgets that a segment may be followed by "/": the
    # inclusion search never looks past one segment, so "**" looks within "*".
    "glob inclusion ignores multi-segment paths": Case(
        (Plant(GLOB, "_V_SLASH = {0: 1, 4: 1}", "_V_SLASH = {0: 1}"),),
        "resources dimension",
        (
            r"COUNTEREXAMPLE for resources dimension: runtime check, validate_tightening",
            r"4 runtime=allows",
            r"5 twin=refuses",
            # The common shapes no longer ask the automata: the proof run holds the two
            # equal, so the planted automata disagree with the fast path.
            r"COUNTEREXAMPLE for resources dimension: runtime check and validate_tightening",
            r"4 runtime=the shapes' fast path says the child is not within the parent",
            r"5 automata=the automata say the child is within the parent",
        ),
    ),
    "data_access tightening ignores the PII axis": Case(
        (
            Plant(
                DATA,
                "return (not self.pii_allowed or other.pii_allowed) and (",
                "return (",
            ),
        ),
        "data_access dimension",
        (
            r"1 relation=validate_tightening\(parent, child\)",
            r"2 parent='no_pii'",
            r"3 child='internal_only'",
            r"4 runtime=the child is tighter",
            r"5 twin=the child is not tighter: the child allows \{'contains_pii': True",
        ),
    ),
    "rate caps count half the bursts": Case(
        (
            Plant(
                RATE,
                "return 1 if period >= window else window // period",
                "return 1 if period >= window else window // period // 2",
            ),
        ),
        "rate_limit dimension",
        (
            r"1 relation=check",
            r"2 constraint='1/second'",
            r"3 context=\{'requests_by_period': \{'minute': 60\}\}",
            r"4 runtime=refuses \(exceeded by 30 \(at most 30 per minute",
            r"5 twin=allows",
        ),
    ),
    "a cost exactly at the limit is over budget": Case(
        (
            Plant(COST, "0 <= used <= limit:", "0 <= used < limit:"),
            Plant(COST, "if exact <= limit:", "if exact < limit:"),
        ),
        "cost_limit dimension",
        (
            r"1 relation=check",
            r"2 constraint=0\n",
            r"3 context=\{'cost_used': 0\}",
            r"4 runtime=refuses \(over budget by 0\)",
            r"5 twin=allows",
        ),
    ),
    "an allowed domain allows its subdomains but not itself": Case(
        (Plant(HOSTS, 'return entry, f"{host}/**", None', 'return entry, f"{host}/*/**", None'),),
        "communication dimension",
        (
            r"2 constraint=\{'mode': 'allowed_domains', 'allowed_domains': \['openai.com'\]\}",
            r"3 context=\{'communication_target': 'openai.com'\}",
            r"4 runtime=refuses",
            r"5 twin=allows",
        ),
    ),
    "compose of two address blocks keeps the larger": Case(
        (
            Plant(
                HOSTS,
                "*(a for a in networks if theirs.cover(a)),",
                "*(a for a in networks if theirs.cover(a) or mine.cover(a)),",
            ),
        ),
        "communication dimension",
        (
            r"2 constraint=\{'all_of': \['internal_only', ",
            r"3 context=\{'communication_target': '10.255.255.255'\}",
            r"4 runtime=allows",
            r"5 twin=refuses",
        ),
    ),
    "internal_only forgets the IPv6 unique local addresses": Case(
        (Plant(HOSTS, '"::1/128", "fc00::/7")', '"::1/128")'),),
        "communication dimension",
        (
            r"2 constraint='internal_only'",
            r"3 context=\{'communication_target': '\[fd00::1\]'\}",
            r"4 runtime=refuses",
            r"5 twin=allows",
        ),
    ),
    # Only the conformance property: the time_window laws take the proof run's longest.
    # Windows are half-open: the end minute is outside (it was inside before issue 16).
    "a time window's end minute is inside it": Case(
        (
            Plant(
                TIME,
                "return ((1 << end) - 1) ^ ((1 << start) - 1)",
                "return ((1 << min(end + 1, MINUTES)) - 1) ^ ((1 << start) - 1)",
            ),
        ),
        "time_window dimension: runtime*",
        (
            r"2 constraint='09:00-17:00'",
            r"3 context=\{'current_time': datetime.time\(17, 0\)\}",
            r"4 runtime=allows",
            r"5 twin=refuses",
        ),
    ),
    # The shapes' fast path takes any subtree for a cover of any other: "data/**" would
    # be within "logs/**".
    "glob shapes take any subtree for a cover": Case(
        (Plant(SHAPES, "and prefix[: len(found[1])] == found[1]", ""),),
        "resources dimension: runtime*",
        (
            r"COUNTEREXAMPLE for resources dimension: runtime check, validate_tightening",
            r"4 runtime=the child is tighter",
            r"5 twin=the child is not tighter",
        ),
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_planted_bug_fails_the_proof_run_with_a_counterexample(name: str, tmp_path: Path) -> None:
    case = CASES[name]
    run = run_proofs_with(tmp_path, *case.plants, only=case.only)
    assert run.returncode != 0, run.output
    position = 0
    for fact in case.facts:
        found = re.compile(fact).search(run.output, position)
        assert found is not None, f"{fact!r} not found after position {position}:\n{run.output}"
        position = found.end()
