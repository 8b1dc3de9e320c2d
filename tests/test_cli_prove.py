"""``care-trust prove``: streamed rows, 100 columns, repeatable --only, stable counterexamples,
JSON with a summary and JSON values, JUnit, SARIF and exit codes."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import sysconfig
from collections.abc import Iterator, Sequence
from pathlib import Path
from xml.etree import ElementTree

import pytest

import trust.proofs
import trust.proofs._runner
from tests import sarif as schema
from trust._cli import main
from trust.proofs import Property, Proved, Refuted, Settings, Unknown
from trust.proofs._property import Outcome
from trust.proofs._report import WIDTH, json_value
from trust.proofs._solver import DEFAULT_TIMEOUT_MS

CARE_TRUST = Path(sysconfig.get_path("scripts")) / "care-trust"


def refuted_check(_: Settings) -> Refuted:
    return Refuted({"x": "2", "flag": "True", "name": "'a/b'", "why": "no count reported"})


def _prop(name: str, subject: str = "demo", **fields: object) -> Property:
    check = fields.pop("check", lambda _: Proved())
    return Property(name=name, subject=subject, method="z3", check=check, **fields)  # type: ignore[arg-type]


@pytest.fixture
def props(monkeypatch: pytest.MonkeyPatch) -> list[Property]:
    chosen = [
        _prop("alpha holds"),
        _prop("beta holds"),
        _prop("gamma is refuted on purpose", "other", check=refuted_check, expect_refuted=True),
    ]
    monkeypatch.setattr(trust.proofs, "all_properties", lambda: chosen)
    return chosen


def test_the_header_prints_first_and_each_row_as_its_property_finishes(
    props: list[Property], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    printed_before: list[str] = []

    def run_each(chosen: Sequence[Property], settings: Settings, jobs: int) -> Iterator[Outcome]:
        for prop in chosen:
            printed_before.append(capsys.readouterr().out)  # what was out before this check
            yield Outcome(prop=prop, verdict=prop.check(settings), seconds=0.012)

    monkeypatch.setattr(trust.proofs._runner, "run_each", run_each)
    assert main(["prove", "--jobs", "1"]) == 0
    header, after_alpha, after_beta = printed_before
    assert header == (
        f"care-trust prove: 3 properties, 1 worker process, "
        f"solver timeout {DEFAULT_TIMEOUT_MS} ms per query\n\n"
    )
    assert after_alpha == "demo\n  ok      12 ms  alpha holds: proved [z3]\n"
    assert after_beta == "  ok      12 ms  beta holds: proved [z3]\n"
    rest = capsys.readouterr().out
    assert rest.startswith("other\n  ok      12 ms  gamma is refuted on purpose: refuted")
    heading = "expected counterexample for other: gamma is refuted on purpose:"
    assert f"\n{heading}\n  flag=True\n" in rest
    assert rest.rstrip().endswith("3 properties, 0 failed, 0.04 s")


def test_no_progress_line_when_the_output_is_not_a_terminal(
    props: list[Property], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["prove", "--jobs", "1"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert "\r" not in captured.out
    assert "[1/3]" not in captured.out


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_a_progress_line_under_the_rows(
    props: list[Property], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setenv("COLUMNS", "60")
    assert main(["prove", "--jobs", "1", "--json"]) == 0
    shown = terminal.getvalue()
    assert shown.startswith("care-trust prove: 3 properties")  # JSON mode: the header on stderr
    progress = [p for p in shown.split("\r\x1b[K") if p.startswith("[")]
    assert [p.split(" ", 1)[0] for p in progress] == ["[1/3]", "[2/3]", "[3/3]"]
    assert re.fullmatch(r"\[1/3\] demo: alpha holds \.\.\. proved \(\d+ ms\)", progress[0])
    # The key gives way, the verdict stays in view; the line never fills the terminal.
    assert progress[2].startswith("[3/3] other: gamma is")
    assert progress[2].endswith("... refuted (expected) (" + progress[2].rsplit("(", 1)[1])
    assert all(len(p) <= 59 for p in progress)
    assert shown.endswith("\r\x1b[K")  # cleared at the end
    json.loads(capsys.readouterr().out)  # standard output holds the JSON alone


def test_rows_bounds_and_counterexamples_fit_100_columns(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    long = "a property whose name goes on " * 8
    chosen = [
        _prop(long, "a subject", bound="bounded by " + "many words " * 30),
        _prop(
            "refuted",
            "a subject",
            check=lambda _: Refuted({"path": "step " * 60, "x": "y" * 150}),
        ),
    ]
    monkeypatch.setattr(trust.proofs, "all_properties", lambda: chosen)
    monkeypatch.delenv("COLUMNS", raising=False)
    assert main(["prove", "--jobs", "1"]) == 1
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= WIDTH
    joined = " ".join(line.strip() for line in out.splitlines())
    assert " ".join(long.split()) in joined  # wrapped, never cut
    assert "y" * 80 in out.replace("\n      ", "")


def test_only_is_repeatable_case_insensitive_and_documented(
    props: list[Property], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["prove", "--list", "--only", "ALPHA", "--only", "other: *"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "demo: alpha holds",
        "other: gamma is refuted on purpose",
    ]
    assert main(["prove", "--list", "--only", "demo: *a holds"]) == 0
    assert capsys.readouterr().out.splitlines() == ["demo: alpha holds", "demo: beta holds"]
    assert main(["prove", "--list", "--only", "alpha", "--only", "nothing"]) == 2
    assert "--only 'nothing' matches no property (subjects: demo, other;" in (
        capsys.readouterr().err
    )
    assert main(["prove", "--help"]) == 0
    helped = " ".join(capsys.readouterr().out.split())
    assert (
        'Each PATTERN is matched against "subject: property" ignoring case: as a glob over the '
        "whole text when it holds *, ? or [, else as a substring. Repeat --only to run the "
        "properties any of them matches"
    ) in helped


def test_json_has_a_summary_object_and_counterexample_values_as_json(
    props: list[Property], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["prove", "--jobs", "1", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    summary = shown["summary"]
    assert {k: summary[k] for k in ("properties", "failed", "proved", "refuted", "unknown")} == {
        "properties": 3,
        "failed": 0,
        "proved": 2,
        "refuted": 1,
        "unknown": 0,
    }
    assert type(summary["seconds"]) is float
    gamma = shown["properties"][2]
    assert gamma["key"] == "other: gamma is refuted on purpose"
    assert gamma["counterexample"] == {
        "x": 2,
        "flag": True,
        "name": "a/b",
        "why": "no count reported",
    }


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("2", 2),
        ("-7", -7),
        ("0.5", 0.5),
        ("True", True),
        ("False", False),
        ("None", None),
        ("'1/second'", "1/second"),
        ('"86400"', "86400"),
        ("[1, 'a', (2, 3)]", [1, "a", [2, 3]]),
        ("{'a': [True]}", {"a": [True]}),
        ("1/3", "1/3"),
        ("[c1, p1]", "[c1, p1]"),
        ("no count reported", "no count reported"),
        ("{1, 2}", "{1, 2}"),
        ("{1: 2}", "{1: 2}"),
        ("1e999", "1e999"),
        ("b'x'", "b'x'"),
        ("__import__('os')", "__import__('os')"),
        ("[" * 200 + "]" * 200, "[" * 200 + "]" * 200),
    ],
)
def test_a_counterexample_text_is_its_json_value_only_when_it_is_a_literal(
    text: str, value: object
) -> None:
    assert json_value(text) == value
    assert type(json_value(text)) is type(value)


def failing_check(_: Settings) -> Unknown:
    return Unknown("timeout")


def test_failures_exit_1_and_reach_junit_and_sarif_at_their_source(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chosen = [
        _prop("fine"),
        _prop("false claim", check=lambda _: Refuted({"x": "1"})),
        _prop("undecided", check=failing_check),
        _prop("no longer refuted", expect_refuted=True),
    ]
    monkeypatch.setattr(trust.proofs, "all_properties", lambda: chosen)
    monkeypatch.chdir(Path(__file__).resolve().parent.parent)
    junit, sarif = tmp_path / "proofs.xml", tmp_path / "proofs.sarif"
    assert main(["prove", "--jobs", "1", "--junit", str(junit), "--sarif", str(sarif)]) == 1
    out = capsys.readouterr().out
    assert "  FAIL" in out
    assert "COUNTEREXAMPLE for demo: false claim:\n  x=1" in out
    assert "NOT PROVED demo: undecided: unknown (timeout)" in out
    assert "NOT REFUTED demo: no longer refuted: proved, but a refutation was expected" in out
    suite = ElementTree.parse(junit).getroot()
    assert (suite.get("tests"), suite.get("failures")) == ("4", "3")
    log = json.loads(sarif.read_text())
    assert schema.errors(log) == []
    (run,) = log["runs"]
    assert [r["ruleId"] for r in run["results"]] == [
        "prove.refuted",
        "prove.unknown",
        "prove.not-refuted",
    ]
    refuted, undecided, _ = run["results"]
    assert refuted["properties"]["witness"] == {"x": 1}
    assert refuted["message"]["text"] == "demo: false claim: refuted Witness: x=1."
    location = undecided["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "tests/test_cli_prove.py"
    assert location["region"]["startLine"] == failing_check.__code__.co_firstlineno
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} == {
        "prove.refuted",
        "prove.unknown",
        "prove.not-refuted",
    }


def test_usage_errors_exit_2(props: list[Property], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prove", "--timeout", "0"]) == 2
    assert "--timeout must be a positive number of ms, got 0" in capsys.readouterr().err
    assert main(["prove", "--jobs", "0"]) == 2
    assert main(["prove", "--no-such-option"]) == 2
    assert main(["prove", "--jobs", "many"]) == 2


def _counterexamples(text: str) -> dict[str, str]:
    """Each counterexample block of a report, by the heading that names its property."""
    blocks = re.findall(r"\n(expected counterexample for [^\n]*(?:\n  [^\n]*)*)", text)
    return {block.split(":\n", 1)[0]: block for block in blocks}


def test_the_full_run_fits_100_columns_and_its_counterexamples_do_not_depend_on_the_selection(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["prove"]) == 0
    full = capsys.readouterr().out
    assert max(len(line) for line in full.splitlines()) <= WIDTH
    assert re.search(r"\n\d+ properties, 0 failed, ", full)
    expected = _counterexamples(full)
    assert len(expected) == 2  # rate_limit's conservative tightening, mode-blind tightening
    for selection in (["rate_limit"], ["mode-blind"], ["tightening is exact"]):
        only = [arg for pattern in selection for arg in ("--only", pattern)]
        assert main(["prove", *only]) == 0
        selected = _counterexamples(capsys.readouterr().out)
        assert selected
        for heading, block in selected.items():
            assert block == expected[heading], heading


def test_python_m_trust_proofs_is_the_same_command() -> None:
    args = ["--list", "--only", "emergency"]
    by_module = subprocess.run(
        [sys.executable, "-m", "trust.proofs", *args], capture_output=True, text=True, check=False
    )
    by_command = subprocess.run(
        [str(CARE_TRUST), "prove", *args], capture_output=True, text=True, check=False
    )
    assert (by_module.returncode, by_command.returncode) == (0, 0)
    assert by_module.stdout == by_command.stdout
    assert "posture lifecycle: emergency downgrade reaches blocked" in by_module.stdout
    usage = subprocess.run(
        [sys.executable, "-m", "trust.proofs", "--only", "no such thing"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert usage.returncode == 2
    assert usage.stderr.startswith("usage: python -m trust.proofs")


def test_an_interrupted_run_says_so_and_exits_130(
    props: list[Property], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def run_each(chosen: Sequence[Property], settings: Settings, jobs: int) -> Iterator[Outcome]:
        yield Outcome(prop=chosen[0], verdict=Proved(), seconds=0.01)
        raise KeyboardInterrupt

    monkeypatch.setattr(trust.proofs._runner, "run_each", run_each)
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main(["prove"]) == 130
    assert terminal.getvalue().endswith("\r\x1b[Kcare-trust prove: interrupted\n")
    assert "alpha holds: proved" in capsys.readouterr().out


def test_a_long_verdict_still_fits_the_progress_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    reason = "check raised RuntimeError: " + "a long story " * 10
    chosen = [_prop("p", check=lambda _: Unknown(reason))]
    monkeypatch.setattr(trust.proofs, "all_properties", lambda: chosen)
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setenv("COLUMNS", "60")
    assert main(["prove", "--jobs", "1"]) == 1
    (progress,) = [p for p in terminal.getvalue().split("\r\x1b[K") if p.startswith("[")]
    assert len(progress) == 59
    assert progress.startswith("[1/1] demo: p ... unknown (check raised RuntimeError")
    assert progress.endswith("...")


def test_an_unwritable_junit_file_exits_2(
    props: list[Property], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["prove", "--jobs", "1", "--junit", str(tmp_path)]) == 2
    assert f"care-trust prove: cannot write --junit {str(tmp_path)!r}" in capsys.readouterr().err


def test_a_reader_that_goes_away_ends_the_run_quietly() -> None:
    # Standard output is a pipe nobody reads any more: writing to it is a broken pipe.
    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run(
            [str(CARE_TRUST), "prove", "--list"],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    finally:
        os.close(write)
    assert done.returncode == 141
    assert done.stderr == ""


@pytest.mark.parametrize(("columns", "width"), [("160", 160), ("wide", WIDTH), ("١٢٠", WIDTH)])
def test_a_log_takes_the_width_columns_asks_for(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    columns: str,
    width: int,
) -> None:
    long = "a property whose name goes on " * 12
    monkeypatch.setattr(trust.proofs, "all_properties", lambda: [_prop(long, "a subject")])
    monkeypatch.setenv("COLUMNS", columns)
    assert main(["prove", "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert width - 10 < max(len(line) for line in out.splitlines()) <= width
