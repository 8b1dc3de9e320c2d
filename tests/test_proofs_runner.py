"""The proof runner: verdicts, counterexamples, exit codes and report formats."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree

import attrs
import pytest
import z3

from trust.model import POSTURE_SPEC, Transition
from trust.proofs import Property, Proved, Refuted, Settings, Unknown, prove
from trust.proofs.__main__ import main
from trust.proofs._report import table
from trust.proofs._runner import run, select
from trust.proofs.lifecycles import Encoding, generated_table_matches


def test_valid_claim_is_proved_and_invalid_one_refuted_with_values() -> None:
    x = z3.Int("x")
    assert prove(z3.Implies(x > 2, x > 1)) == Proved()
    verdict = prove(z3.Implies(x > 1, x > 2))
    assert isinstance(verdict, Refuted)
    assert verdict.counterexample == {"x": "2"}
    assert verdict.explain() == "x=2"


def test_undecided_claim_is_unknown_never_proved() -> None:
    # Nonlinear integer arithmetic with a tiny timeout: z3 cannot decide it in time.
    a, b, c = z3.Ints("a b c")
    claim = z3.Implies(z3.And(a > 0, b > 0, c > 0), a * a * a + b * b * b != c * c * c)
    verdict = prove(claim, timeout_ms=1)
    assert isinstance(verdict, Unknown)
    assert "proved" not in str(verdict)


def test_only_json_and_junit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    junit = tmp_path / "proofs.xml"
    assert main(["--only", "posture lifecycle: emergency*", "--json", "--junit", str(junit)]) == 0
    report = json.loads(capsys.readouterr().out)["properties"]
    assert [r["result"] for r in report] == ["proved"]
    suite = ElementTree.parse(junit).getroot()
    assert suite.get("tests") == "1"
    assert suite.get("failures") == "0"


def test_only_without_a_match_is_an_error() -> None:
    with pytest.raises(SystemExit):
        main(["--only", "no such property"])


def test_a_planted_guard_on_emergency_is_refuted_with_the_path() -> None:
    planted = attrs.evolve(
        POSTURE_SPEC,
        name="planted_posture",
        transitions=tuple(
            attrs.evolve(t, guards=("guards_pass",)) if t.event == "emergency_downgrade" else t
            for t in POSTURE_SPEC.transitions
        ),
    )
    from trust.proofs.lifecycles import _emergency_reaches_blocked

    verdict = prove(_emergency_reaches_blocked(Encoding.of(planted)))
    assert isinstance(verdict, Refuted)
    assert verdict.counterexample["guard:guards_pass"] == "False"
    assert "posture" in verdict.counterexample


def test_drifted_table_is_refuted() -> None:
    drifted = attrs.evolve(
        POSTURE_SPEC,
        transitions=(
            *POSTURE_SPEC.transitions,
            Transition(source="blocked", event="upgrade", target="full_autonomy"),
        ),
    )
    verdict = generated_table_matches(drifted)
    assert isinstance(verdict, Refuted)
    assert verdict.counterexample["field"] == "TRANSITIONS"


def test_failures_and_expected_refutations_in_the_report() -> None:
    refuted = Property(
        name="false claim", subject="demo", method="z3", check=lambda s: Refuted({"x": "1"})
    )
    expected = attrs.evolve(refuted, name="known unsound", expect_refuted=True)
    crashing = Property(
        name="crash",
        subject="demo",
        method="z3",
        check=lambda s: 1 / 0,  # type: ignore[arg-type,return-value]
    )
    outcomes = run([refuted, expected, crashing], Settings(timeout_ms=100))
    assert [o.ok for o in outcomes] == [False, True, False]
    assert isinstance(outcomes[2].verdict, Unknown)
    text = table(outcomes)
    assert "COUNTEREXAMPLE for demo: false claim" in text
    assert "expected counterexample for demo: known unsound" in text
    assert "refuted (expected)" in text
    assert "NOT PROVED demo: crash" in text
    assert "3 properties, 2 failed" in text


def test_select_by_glob_or_substring() -> None:
    props = [
        Property(name=n, subject="s", method="z3", check=lambda s: Proved()) for n in ("ab", "cd")
    ]
    assert [p.name for p in select(props, ["B"])] == ["ab"]
    assert [p.name for p in select(props, ["s: c*"])] == ["cd"]
    assert [p.name for p in select(props, ["s: c*", "ab"])] == ["ab", "cd"]
    assert [p.name for p in select(props, "ab")] == ["ab"]  # one pattern, not its letters
    assert select(props, None) == props


def test_json_and_junit_carry_unknown_reasons_and_expected_counterexamples(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--only", "mode-blind", "--json", "--junit", str(tmp_path / "j.xml")]) == 0
    (report,) = json.loads(capsys.readouterr().out)["properties"]
    assert report["expect_refuted"] is True
    assert report["ok"] is True
    assert report["counterexample"]["3 child dims"] == "[c1, p1]"
    case = ElementTree.parse(tmp_path / "j.xml").getroot().find("testcase")
    assert case is not None
    assert case.find("failure") is None
    out = case.find("system-out")
    assert out is not None
    assert "child dims=[c1, p1]" in (out.text or "")


def test_a_tiny_timeout_never_passes_as_proved(capsys: pytest.CaptureFixture[str]) -> None:
    # Whatever z3 manages in 1 ms, nothing it could not finish is reported as proved.
    code = main(["--only", "posture x breaker", "--timeout", "1", "--json"])
    report = json.loads(capsys.readouterr().out)["properties"]
    for row in report:
        # "proved", or "proved (runtime ≡ spec on ...)" for a conformance check.
        assert row["result"].startswith("proved") or not row["ok"]
        if row["result"].startswith("unknown"):
            assert row["reason"]
    assert code == (0 if all(row["ok"] for row in report) else 1)


def _claim(name: str, verdict: Proved | Refuted | Unknown) -> Property:
    return Property(name=name, subject="runner", method="test", check=lambda _: verdict)


def test_parallel_workers_report_in_the_order_of_the_properties() -> None:
    props = [
        _claim("a", Proved(note="3 cases")),
        _claim("b", Refuted({"x": "1"})),
        _claim("c", Unknown("timeout")),
        _claim("d", Proved()),
    ]
    outcomes = run(props, Settings(timeout_ms=100), jobs=2)
    assert [o.prop.name for o in outcomes] == ["a", "b", "c", "d"]
    assert [o.verdict for o in outcomes] == [
        Proved(note="3 cases"),
        Refuted({"x": "1"}),
        Unknown("timeout"),
        Proved(),
    ]
    sequential = run(props, Settings(timeout_ms=100), jobs=1)
    assert [o.verdict for o in sequential] == [o.verdict for o in outcomes]


def test_a_check_that_raises_in_a_worker_is_unknown_never_proved() -> None:
    def broken(_: Settings) -> Proved:
        raise RuntimeError("broken check")

    boom = Property(name="boom", subject="runner", method="test", check=broken)
    (outcome, _) = run([boom, _claim("fine", Proved())], Settings(timeout_ms=100), jobs=2)
    assert outcome.verdict == Unknown("check raised RuntimeError: broken check")
    assert not outcome.ok


def test_bounds_are_listed_under_the_table_and_in_json() -> None:
    bounded = attrs.evolve(_claim("c", Proved(note="12 cases")), bound="depth 2")
    text = table(run([bounded], Settings(timeout_ms=100)))
    assert "proved (12 cases)" in text
    assert "runner: c: depth 2" in text
