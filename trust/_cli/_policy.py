"""``care-trust check POLICY...`` and ``care-trust diff OLD NEW``: the commands over a
deployment's policy files.

The analyses are `trust.proofs.policy` (``check_policy(path)`` and ``diff_policies(old,
new)``, each returning a `Report`); the file format and its loader are `trust.policy`,
whose `PolicyError` carries the file's problems as findings. This module only runs them,
chooses the exit code and renders the report: a file that cannot be read or is not a valid
policy is exit code 2, with its problems shown in every requested format (so that code
scanning annotates a typo at its line); a finding that fails the command is 1.

``diff`` reads each verdict off its finding's rule, ``diff.<verdict>``: ``equivalent``,
``tighter``, ``looser`` or ``incomparable``, and ``diff.unknown`` for a comparison the
analysis could not decide. ``--fail-on`` chooses which verdicts fail (`FAIL_ON`); an
undecided comparison and any other error-level finding fail whatever it says.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import os
import stat
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trust._cli._formats import Fails, plain
from trust._cli._outputs import USAGE_ERROR, Outputs, add_output_options, emit, exit_code

if TYPE_CHECKING:
    from trust.policy import Finding, Report

VERDICTS = ("equivalent", "tighter", "looser", "incomparable")
"""What ``diff`` concludes per agent or role, dimension and whole set (rule ``diff.<verdict>``)."""

UNDECIDED = "unknown"
"""The verdict of a comparison the analysis could not decide: it always fails."""

FAIL_ON: Mapping[str, frozenset[str]] = {
    "looser": frozenset({"looser", "incomparable"}),
    "incomparable": frozenset({"incomparable"}),
    "any-change": frozenset({"tighter", "looser", "incomparable"}),
}
"""The verdicts each ``--fail-on`` choice fails on. ``looser`` (the default) fails on every
change that lets the new policy allow a context the old refuses, incomparable ones too."""

DEFAULT_FAIL_ON = "looser"

_FAIL_ON_HELP = (
    "which verdicts exit 1: looser (the default) on any change that allows a context the old "
    "policy refuses (a looser or incomparable verdict); incomparable only on an incomparable "
    "one; any-change on every verdict but equivalent. An undecided comparison and any other "
    "error-level finding exit 1 whatever this says"
)


def verdict(finding: Finding) -> str | None:
    """The diff verdict a finding states (its rule ``diff.<verdict>``), or None."""
    family, _, kind = finding.rule.partition(".")
    if family == "diff" and (kind in VERDICTS or kind == UNDECIDED):
        return kind
    return None


def check_fails(finding: Finding) -> bool:
    """``check`` fails on error-level findings; warnings and notes are shown, not fatal."""
    return finding.level.value == "error"


def diff_fails(fail_on: str) -> Fails:
    """The rule of ``diff --fail-on``: which findings exit 1."""
    wanted = FAIL_ON[fail_on]

    def fails(finding: Finding) -> bool:
        said = verdict(finding)
        if said is None:
            return check_fails(finding)
        return said == UNDECIDED or said in wanted

    return fails


def check_main(argv: Sequence[str] | None = None, prog: str = "care-trust check") -> int:
    """``care-trust check POLICY...``: validate, prove and lint each policy file."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description=(
            "Validate each policy file (every error names the file, line and key path, with "
            "a fix for typos), prove every delegation hop (with a witness context the runtime "
            "confirms for each failing hop) and lint the constraint sets. Exit 0 when no "
            "finding is an error, 1 when one is, 2 when a file cannot be read or is not a "
            "valid policy."
        ),
    )
    parser.add_argument("policies", metavar="POLICY", nargs="+", type=Path, help="a policy file")
    add_output_options(parser)
    args = parser.parse_args(argv)
    outputs = Outputs.of(args, parser)
    check_policy = _analyses().check_policy

    findings: list[Finding] = []
    summaries: dict[str, Any] = {}
    code = 0
    for path in args.policies:
        report, problems = _run(functools.partial(check_policy, path), [path])
        if report is None:
            code = USAGE_ERROR
            findings += problems
            summaries[str(path)] = {"valid": False, "problems": len(problems)}
        else:
            findings += report.findings
            summaries[str(path)] = {"valid": True, **plain(dict(report.summary))}
    combined = _report("check", findings, {"policies": summaries})
    code = max(code, exit_code(combined, check_fails))
    return emit(combined, outputs, check_fails, code, prog=prog)


def diff_main(argv: Sequence[str] | None = None, prog: str = "care-trust diff") -> int:
    """``care-trust diff OLD NEW``: how each agent's or role's permissions changed."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description=(
            "Compare two policy files: per agent or role and dimension, and for each whole "
            "constraint set under its mode, the new policy is equivalent, tighter, looser or "
            "incomparable; every looser or incomparable verdict comes with a witness context "
            "the new policy allows and the old refuses, confirmed by the runtime. Exit 0 "
            "when no verdict fails (--fail-on), 1 when one does, 2 when a file cannot be "
            "read or is not a valid policy."
        ),
    )
    parser.add_argument("old", metavar="OLD", type=Path, help="the policy file before the change")
    parser.add_argument("new", metavar="NEW", type=Path, help="the policy file after the change")
    parser.add_argument(
        "--fail-on", choices=sorted(FAIL_ON), default=DEFAULT_FAIL_ON, help=_FAIL_ON_HELP
    )
    add_output_options(parser)
    args = parser.parse_args(argv)
    outputs = Outputs.of(args, parser)
    diff_policies = _analyses().diff_policies

    fails = diff_fails(args.fail_on)
    summary = {"old": str(args.old), "new": str(args.new), "fail_on": args.fail_on}
    report, problems = _run(
        functools.partial(diff_policies, args.old, args.new), [args.old, args.new]
    )
    if report is None:
        invalid = _report("diff", problems, {**summary, "valid": False})
        return emit(invalid, outputs, fails, USAGE_ERROR, prog=prog)
    shown = _report("diff", report.findings, {**summary, **plain(dict(report.summary))})
    return emit(shown, outputs, fails, exit_code(shown, fails), prog=prog)


def _analyses() -> Any:
    # Looked up by name when a command runs: the analyses need z3 (the verify extra), and
    # a missing extra is a one-line hint from the entry point, not an import-time failure.
    return importlib.import_module("trust.proofs.policy")


def _run(
    analysis: Callable[[], Report], paths: Sequence[Path]
) -> tuple[Report | None, list[Finding]]:
    """The analysis's report, or None and the problems that stopped it: a file that cannot
    be read, or the loader's `PolicyError` (its problems, each at its line)."""
    policy_error: type[Exception] = importlib.import_module("trust.policy").PolicyError

    unreadable = [p for path in paths if (p := _unreadable(path)) is not None]
    if unreadable:
        return None, unreadable
    try:
        report = analysis()
    except policy_error as error:
        problems = list(getattr(error, "problems", ()))
        return None, problems or [_problem(paths[0], "policy.invalid", str(error))]
    except OSError as error:
        where = Path(error.filename) if error.filename else paths[0]
        return None, [_problem(where, "policy.unreadable", f"cannot read: {error.strerror}")]
    return report, []


def _unreadable(path: Path) -> Finding | None:
    """A finding when ``path`` is not a file this process can read, else None."""
    # Opened without blocking and checked before anything reads it: opening a FIFO for
    # reading would wait for a writer forever.
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as error:
        return _problem(path, "policy.unreadable", f"cannot read: {error.strerror}")
    try:
        regular = stat.S_ISREG(os.fstat(handle).st_mode)
    finally:
        os.close(handle)
    if not regular:
        return _problem(path, "policy.unreadable", "cannot read: must be a regular file")
    return None


def _problem(path: Path, rule: str, message: str) -> Finding:
    from trust.policy import Finding, Level, Location

    return Finding(rule=rule, level=Level.ERROR, message=message, location=Location(file=str(path)))


def _report(command: str, findings: Sequence[Finding], summary: Mapping[str, Any]) -> Report:
    from trust.policy import Report

    # Any: the converter of Report.summary (MappingProxyType) leaves its type unbound.
    shown: Any = dict(summary)
    return Report(command=command, findings=tuple(findings), summary=shown)


__all__ = [
    "DEFAULT_FAIL_ON",
    "FAIL_ON",
    "UNDECIDED",
    "VERDICTS",
    "check_fails",
    "check_main",
    "diff_fails",
    "diff_main",
    "verdict",
]
