"""``care-trust check`` and ``care-trust diff``: exit codes, formats and file errors.

The analyses (`trust.proofs.policy`) and the loader's `PolicyError` (`trust.policy`) are
stood in for by a small module that reads a word per line of each file, so these tests pin
the command layer: which findings fail, what exit code a file error gets, and that every
format shows the same findings.
"""

from __future__ import annotations

import json
import os
import sys
import types
from pathlib import Path
from xml.etree import ElementTree

import pytest

from tests import sarif as schema
from tests.bounded import run_bounded
from trust._cli import main
from trust.policy import Finding, Level, Location, Report


class PolicyError(ValueError):
    """The loader's error: its problems are findings at their lines."""

    def __init__(self, message: str, problems: tuple[Finding, ...]) -> None:
        super().__init__(message)
        self.problems = problems


_LEVELS = {"error": Level.ERROR, "warning": Level.WARNING, "note": Level.NOTE}


def _findings(path: Path, family: str) -> list[Finding]:
    """``<kind> <level>`` per line: a finding of rule ``<family>.<kind>`` at that line."""
    found = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        kind, level = line.split()
        where = Location(file=str(path), line=number, key_path=("agents", "a", kind))
        witness = {"cost_used": 150} if kind in ("looser", "incomparable") else None
        found.append(
            Finding(
                rule=f"{family}.{kind}",
                level=_LEVELS[level],
                message=f"{kind} at line {number}",
                location=where,
                witness=witness,
            )
        )
    return found


def check_policy(path: Path) -> Report:
    text = path.read_text()
    if text.startswith("invalid"):
        problem = Finding(
            rule="policy.unknown-key",
            level=Level.ERROR,
            message="unknown key 'cost_limt'; did you mean 'cost_limit'?",
            location=Location(file=str(path), line=2, key_path=("agents", "a", "cost_limt")),
        )
        raise PolicyError("invalid policy", (problem,))
    return Report(command="check", findings=tuple(_findings(path, "lint")), summary={"agents": 1})


def diff_policies(old: Path, new: Path) -> Report:
    check_policy(old)
    check_policy(new)
    findings = tuple(_findings(new, "diff"))
    return Report(command="diff", findings=findings, summary={"agents": 1})


@pytest.fixture(autouse=True)
def analyses(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_analyses = types.ModuleType("trust.proofs.policy")
    fake_analyses.check_policy = check_policy  # type: ignore[attr-defined]
    fake_analyses.diff_policies = diff_policies  # type: ignore[attr-defined]
    fake_loader = types.ModuleType("trust.policy")
    fake_loader.PolicyError = PolicyError  # type: ignore[attr-defined]
    for value in (Finding, Level, Location, Report):
        setattr(fake_loader, value.__name__, value)  # the real values: only loading is faked
    monkeypatch.setitem(sys.modules, "trust.proofs.policy", fake_analyses)
    monkeypatch.setitem(sys.modules, "trust.policy", fake_loader)


def _file(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_check_exits_0_on_warnings_and_1_on_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clean = _file(tmp_path, "clean.trust.toml", "")
    warned = _file(tmp_path, "warned.trust.toml", "allows-everything warning\n")
    failed = _file(tmp_path, "failed.trust.toml", "allows-nothing error\n")
    assert main(["check", clean]) == 0
    assert main(["check", warned]) == 0
    assert "warning: allows-everything at line 1 [lint.allows-everything]" in (
        capsys.readouterr().out
    )
    assert main(["check", clean, failed, warned]) == 1
    out = capsys.readouterr().out
    assert f"{failed}:1: agents.a.allows-nothing: error: allows-nothing at line 1" in out
    assert out.splitlines()[-1] == "care-trust check: 1 error, 1 warning, 0 notes; fails"


def test_an_invalid_policy_exits_2_with_its_problems_in_every_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    invalid = _file(tmp_path, "bad.trust.toml", "invalid\n")
    failed = _file(tmp_path, "failed.trust.toml", "allows-nothing error\n")
    sarif, junit = tmp_path / "out.sarif", tmp_path / "out.xml"
    code = main(["check", invalid, failed, "--json", "--sarif", str(sarif), "--junit", str(junit)])
    assert code == 2
    shown = json.loads(capsys.readouterr().out)
    assert shown["summary"]["exit_code"] == 2
    assert shown["summary"]["policies"] == {
        invalid: {"valid": False, "problems": 1},
        failed: {"valid": True, "agents": 1},
    }
    typo, nothing = shown["findings"]
    assert typo["rule"] == "policy.unknown-key"
    assert typo["location"] == {
        "file": invalid,
        "line": 2,
        "key_path": ["agents", "a", "cost_limt"],
    }
    assert nothing["rule"] == "lint.allows-nothing"
    log = json.loads(sarif.read_text())
    assert schema.errors(log) == []
    assert log["runs"][0]["invocations"] == [{"executionSuccessful": False}]
    assert log["runs"][0]["results"][0]["message"]["text"].endswith("'cost_limit'?")
    suite = ElementTree.parse(junit).getroot()
    assert (suite.get("tests"), suite.get("failures")) == ("2", "2")


def test_a_file_that_cannot_be_read_exits_2_and_names_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = str(tmp_path / "missing.trust.toml")
    assert main(["check", missing]) == 2
    assert f"{missing}: error: cannot read: No such file or directory" in capsys.readouterr().out
    assert main(["check", str(tmp_path)]) == 2
    assert "cannot read: must be a regular file" in capsys.readouterr().out
    clean = _file(tmp_path, "clean.trust.toml", "")
    assert main(["diff", clean, missing]) == 2
    assert "missing.trust.toml: error: cannot read" in capsys.readouterr().out


def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clean = _file(tmp_path, "clean.trust.toml", "")
    assert main(["check"]) == 2
    assert "the following arguments are required: POLICY" in capsys.readouterr().err
    assert main(["diff", clean]) == 2
    assert main(["diff", clean, clean, "--fail-on", "wider"]) == 2
    assert "invalid choice: 'wider'" in capsys.readouterr().err
    no_folder = str(tmp_path / "no" / "such" / "out.sarif")
    assert main(["check", clean, "--sarif", no_folder]) == 2
    assert "--sarif FILE must be in an existing folder" in capsys.readouterr().err


def test_an_unwritable_output_file_exits_2_after_showing_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clean = _file(tmp_path, "clean.trust.toml", "")
    folder = tmp_path / "out.xml"
    folder.mkdir()  # a folder where the file should be: the write fails
    assert main(["check", clean, "--junit", str(folder)]) == 2
    captured = capsys.readouterr()
    assert "care-trust check: 0 errors" in captured.out
    assert f"care-trust check: cannot write --junit {str(folder)!r}" in captured.err


VERDICT_LINES = {
    "equivalent": "equivalent note\n",
    "tighter": "tighter note\n",
    "looser": "looser warning\n",
    "incomparable": "incomparable warning\n",
    "unknown": "unknown warning\n",
    "other error": "widens error\n",
}


@pytest.mark.parametrize(
    ("fail_on", "failing"),
    [
        (None, {"looser", "incomparable", "unknown", "other error"}),
        ("looser", {"looser", "incomparable", "unknown", "other error"}),
        ("incomparable", {"incomparable", "unknown", "other error"}),
        ("any-change", {"tighter", "looser", "incomparable", "unknown", "other error"}),
    ],
)
def test_diff_fail_on_chooses_which_verdicts_exit_1(
    tmp_path: Path, fail_on: str | None, failing: set[str]
) -> None:
    old = _file(tmp_path, "old.trust.toml", "")
    option = [] if fail_on is None else ["--fail-on", fail_on]
    for verdict, line in VERDICT_LINES.items():
        new = _file(tmp_path, "new.trust.toml", line)
        expected = 1 if verdict in failing else 0
        assert main(["diff", old, new, *option]) == expected, verdict


def test_diff_shows_the_witness_of_a_widening_in_every_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = _file(tmp_path, "old.trust.toml", "")
    new = _file(tmp_path, "new.trust.toml", "tighter note\nlooser warning\n")
    sarif = tmp_path / "diff.sarif"
    assert main(["diff", old, new, "--json", "--sarif", str(sarif)]) == 1
    shown = json.loads(capsys.readouterr().out)
    assert shown["summary"] == {
        "old": old,
        "new": new,
        "fail_on": "looser",
        "agents": 1,
        "errors": 0,
        "warnings": 1,
        "notes": 1,
        "failed": 1,
        "exit_code": 1,
    }
    tighter, looser = shown["findings"]
    assert (tighter["fails"], looser["fails"]) == (False, True)
    assert looser["witness"] == {"cost_used": 150}
    log = json.loads(sarif.read_text())
    assert schema.errors(log) == []
    assert log["runs"][0]["results"][1]["message"]["text"].endswith("Witness: cost_used=150.")
    assert main(["diff", old, new]) == 1
    assert "    witness: cost_used=150" in capsys.readouterr().out


def test_diff_of_an_invalid_policy_exits_2_with_its_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = _file(tmp_path, "old.trust.toml", "invalid\n")
    new = _file(tmp_path, "new.trust.toml", "")
    assert main(["diff", old, new, "--fail-on", "any-change"]) == 2
    assert "did you mean 'cost_limit'? [policy.unknown-key]" in capsys.readouterr().out


def test_a_missing_verify_extra_is_a_one_line_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def without_z3(name: str) -> object:
        raise ModuleNotFoundError(f"No module named {'z3'!r}", name="z3")

    monkeypatch.setattr("trust._cli._policy._analyses", lambda: without_z3("z3"))
    clean = _file(tmp_path, "clean.trust.toml", "")
    assert main(["check", clean]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "care-trust check: needs the verify extra (missing module 'z3'); "
        "install it with: pip install 'care-trust[verify]'"
    ]


def test_a_file_the_analysis_cannot_read_exits_2_and_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def reads_an_include(path: Path) -> Report:
        raise FileNotFoundError(2, "No such file or directory", str(tmp_path / "include.toml"))

    monkeypatch.setattr(sys.modules["trust.proofs.policy"], "check_policy", reads_an_include)
    clean = _file(tmp_path, "clean.trust.toml", "")
    assert main(["check", clean]) == 2
    out = capsys.readouterr().out
    assert f"{tmp_path / 'include.toml'}: error: cannot read: No such file or directory" in out


def test_a_policy_error_without_problems_still_names_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def refuses(path: Path) -> Report:
        raise PolicyError("not a policy file: no [agents] table", ())

    monkeypatch.setattr(sys.modules["trust.proofs.policy"], "check_policy", refuses)
    clean = _file(tmp_path, "clean.trust.toml", "")
    assert main(["check", clean]) == 2
    assert f"{clean}: error: not a policy file: no [agents] table [policy.invalid]" in (
        capsys.readouterr().out
    )


def test_a_module_that_is_no_extra_is_not_hidden_behind_a_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> object:
        raise ModuleNotFoundError("No module named 'trust.proofs.typo'", name="trust.proofs.typo")

    monkeypatch.setattr("trust._cli._policy._analyses", broken)
    clean = _file(tmp_path, "clean.trust.toml", "")
    with pytest.raises(ModuleNotFoundError, match=r"trust\.proofs\.typo"):
        main(["check", clean])


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    # Review: opening a FIFO to see whether it can be read waited for a writer forever.
    fifo = tmp_path / "policy.toml"
    os.mkfifo(fifo)
    codes = run_bounded(
        f"""
        import json
        from trust._cli import main
        path = {str(fifo)!r}
        print(json.dumps([main(["check", path]), main(["diff", path, path])]))
        """,
        timeout=30,
    )
    assert codes == [2, 2]
