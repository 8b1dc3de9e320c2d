"""`verify_dimension` and `verify_delegation`: what a user's CI relies on.

A planted wrong tightening is refuted with a counterexample in the dimension's notation,
whether the dimension has a twin (z3) or not (hypothesis); a widening delegation hop is
reported with a context the runtime confirms.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import z3
from hypothesis import strategies as st

from trust._clock import SystemClock
from trust.constraints import (
    ConstraintCheckResult,
    ConstraintDimension,
    ConstraintDimensionRegistry,
    ConstraintValue,
    InteractionMode,
    MultiDimensionEvaluator,
)
from trust.constraints.builtin import (
    CostLimitDimension,
    ResourceDimension,
    register_builtin_dimensions,
)
from trust.proofs import (
    DelegationReport,
    DimensionReport,
    Proved,
    Refuted,
    Search,
    Unknown,
    _witness,
    verify_delegation,
    verify_dimension,
)
from trust.proofs._verify import AGREES


class TokensTwin:
    """``max_tokens`` as z3 integers: allows ``0 <= tokens <= limit``."""

    exact = True

    def __init__(self, *, wrong: bool = False) -> None:
        self.wrong = wrong

    def constraint(self, name: str) -> z3.ArithRef:
        return z3.Int(f"{name}.max_tokens")

    def context(self, name: str) -> z3.ArithRef:
        return z3.Int(f"{name}.tokens")

    def well_formed(self, c: z3.ArithRef) -> z3.BoolRef:
        return c >= 0

    def admissible(self, x: z3.ArithRef) -> z3.BoolRef:
        return x >= 0

    def allows(self, c: z3.ArithRef, x: z3.ArithRef) -> z3.BoolRef:
        return x <= c

    def tighter(self, child: z3.ArithRef, parent: z3.ArithRef) -> z3.BoolRef:
        return z3.BoolVal(True) if self.wrong else child <= parent

    def meet(self, a: z3.ArithRef, b: z3.ArithRef) -> z3.ArithRef:
        return z3.If(a <= b, a, b)

    def witness(self, child: z3.ArithRef, parent: z3.ArithRef) -> z3.ArithRef:
        return child

    def show_constraint(self, model: z3.ModelRef, c: z3.ArithRef) -> str:
        return str(model.eval(c, model_completion=True))

    def show_context(self, model: z3.ModelRef, x: z3.ArithRef) -> str:
        return repr({"tokens": model.eval(x, model_completion=True).as_long()})

    def encode(self, value: ConstraintValue) -> z3.ArithRef:
        return z3.IntVal(value.parsed)

    def encode_context(self, context: dict[str, Any]) -> z3.ArithRef:
        return z3.IntVal(context["tokens"])

    def runtime_context(self, model: z3.ModelRef, x: z3.ArithRef) -> dict[str, Any]:
        return {"tokens": model.eval(x, model_completion=True).as_long()}

    def runtime_value(self, model: z3.ModelRef, c: z3.ArithRef) -> int:
        return int(model.eval(c, model_completion=True).as_long())


class MaxTokens(ConstraintDimension):
    """A custom dimension: at most ``limit`` tokens; ``wrong`` plants a widening bug."""

    def __init__(self, *, wrong: bool = False) -> None:
        self.wrong = wrong

    @property
    def name(self) -> str:
        return "max_tokens"

    @property
    def description(self) -> str:
        return "at most this many tokens"

    def parse(self, value: Any) -> ConstraintValue:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"max_tokens must be a non-negative int, got {value!r}")
        return ConstraintValue(dimension=self.name, raw_value=value, parsed=value)

    def check(self, constraint: ConstraintValue, context: dict[str, Any]) -> ConstraintCheckResult:
        tokens = context.get("tokens")
        if isinstance(tokens, bool) or not isinstance(tokens, int):
            return ConstraintCheckResult(satisfied=False, reason="tokens missing")
        return ConstraintCheckResult(
            satisfied=0 <= tokens <= constraint.parsed, reason=f"{tokens} tokens"
        )

    def validate_tightening(self, parent: ConstraintValue, child: ConstraintValue) -> bool:
        # The planted bug: a larger child is accepted too.
        return self.wrong or bool(child.parsed <= parent.parsed)


class ProvedMaxTokens(MaxTokens):
    """The same dimension with a twin: its laws are proved by z3."""

    def __init__(self, *, wrong: bool = False, twin_wrong: bool | None = None) -> None:
        super().__init__(wrong=wrong)
        self.twin_wrong = wrong if twin_wrong is None else twin_wrong

    def symbolic(self) -> TokensTwin:
        return TokensTwin(wrong=self.twin_wrong)


ROOT = Path(__file__).resolve().parent.parent
LIMITS = st.integers(0, 1000)
TOKENS = st.fixed_dictionaries({"tokens": st.integers(0, 1000)})


def test_a_correct_dimension_with_a_twin_is_proved_on_the_twin_and_held_to_it() -> None:
    report = verify_dimension(ProvedMaxTokens())
    assert isinstance(report, DimensionReport)
    assert report.ok, str(report)
    assert len(report.outcomes) == 11  # ten laws and the agreement
    assert {o.prop.method for o in report.outcomes} == {"z3 + runtime ≡ twin", "runtime vs twin"}
    sound = report.outcome("tightening is sound").verdict
    assert isinstance(sound, Proved)
    assert sound.note.startswith("on twin; runtime ≡ twin on ")
    assert report.not_checked == ()
    assert "runtime cases: generated from the twin's models" in str(report)


def test_a_wrong_tightening_with_a_twin_is_refuted_with_a_readable_counterexample() -> None:
    report = verify_dimension(ProvedMaxTokens(wrong=True))
    assert not report.ok
    sound = report.outcome("tightening is sound")
    assert sound.prop.method == "z3 + runtime ≡ twin"
    assert isinstance(sound.verdict, Refuted)
    shown = sound.verdict.counterexample
    assert set(shown) == {"parent", "child", "context"}
    parent, child = int(shown["parent"]), int(shown["child"])
    tokens = eval_tokens(shown["context"])
    assert parent < tokens <= child  # the child allows it, the parent does not
    text = str(report)
    assert "COUNTEREXAMPLE for max_tokens dimension: tightening is sound" in text
    assert f"parent={parent}" in text


def eval_tokens(shown: str) -> int:
    # The twin shows a context as {'tokens': N}; read N without eval.
    return int(shown.split(":")[1].split("}")[0].strip())


def test_the_always_true_liar_with_an_honest_twin_is_refuted() -> None:
    # Issue 13: every law was "proved" for a validate_tightening that always says True.
    report = verify_dimension(ProvedMaxTokens(wrong=True, twin_wrong=False))
    assert not report.ok
    sound = report.outcome("tightening is sound")
    assert isinstance(sound.verdict, Refuted)
    shown = sound.verdict.counterexample
    assert shown["because"] == (
        "the runtime's validate_tightening(parent, child) is True, the twin's False"
    )
    parent, child = int(shown["parent"]), int(shown["child"])
    # The twin's witness, confirmed by the runtime's own check.
    assert shown["context"].endswith(
        "(the runtime's check: the child allows it, the parent refuses it)"
    )
    assert parent < eval_tokens(shown["context"]) <= child
    assert "proved on the twin; the runtime departs from it" in shown["law"]
    assert isinstance(report.outcome(AGREES).verdict, Refuted)


def test_the_always_true_liar_is_refuted_with_strategies_too() -> None:
    report = verify_dimension(
        ProvedMaxTokens(wrong=True, twin_wrong=False), values=LIMITS, contexts=TOKENS
    )
    assert not report.ok
    assert isinstance(report.outcome("tightening is sound").verdict, Refuted)
    assert "runtime cases: drawn from your strategies" in str(report)


def test_the_always_true_liar_without_a_twin_is_refuted_by_sampling_the_runtime() -> None:
    report = verify_dimension(MaxTokens(wrong=True), values=LIMITS, contexts=TOKENS)
    sound = report.outcome("tightening is sound")
    assert sound.prop.method == "hypothesis"
    assert isinstance(sound.verdict, Refuted)
    shown = sound.verdict.counterexample
    assert int(shown["parent"]) < eval_tokens(shown["context"]) <= int(shown["child"])
    assert "parent refuses" in shown["because"]
    assert not report.ok


def test_a_correct_dimension_without_a_twin_passes_the_sampled_laws() -> None:
    report = verify_dimension(MaxTokens(), values=LIMITS, contexts=TOKENS, max_examples=50)
    assert report.ok, str(report)
    assert {o.prop.method for o in report.outcomes} == {"hypothesis"}
    assert len(report.outcomes) == 9
    assert [law for law, _ in report.not_checked] == ["tightening is exact"]
    assert "passed (sampled on runtime: 50 cases)" in str(report)
    assert "proved" not in str(report)


def test_sampling_is_deterministic() -> None:
    first = verify_dimension(MaxTokens(wrong=True), values=LIMITS, contexts=TOKENS)
    again = verify_dimension(MaxTokens(wrong=True), values=LIMITS, contexts=TOKENS)
    assert [o.verdict for o in first.outcomes] == [o.verdict for o in again.outcomes]
    assert str(first) == str(again)


def test_a_builtin_dimension_is_proved_with_its_own_twin_and_its_runtime_held_to_it() -> None:
    report = verify_dimension(CostLimitDimension())
    assert report.ok, str(report)
    verdict = report.outcome("compose is the greatest lower bound").verdict
    assert isinstance(verdict, Proved)
    assert verdict.note.startswith("on twin; runtime ≡ twin on ")
    assert "runtime cases: the built-in's catalogued samples" in str(report)


def test_a_builtin_whose_twin_cannot_encode_runtime_values_is_sampled_on_the_runtime() -> None:
    report = verify_dimension(ResourceDimension(), max_examples=20)
    assert report.ok, str(report)
    sound = report.outcome("tightening is sound").verdict
    assert sound == Proved(note="on twin; sampled on runtime: 20 cases")


class UndecidableTwin(TokensTwin):
    """A twin whose tightening z3 cannot decide: quantified non-linear arithmetic."""

    def tighter(self, child: z3.ArithRef, parent: z3.ArithRef) -> z3.BoolRef:
        k = z3.Int("k")
        return z3.ForAll([k], z3.Implies(k > 1, k * k * k != child * child * child + parent))


class UndecidedTokens(MaxTokens):
    def symbolic(self) -> UndecidableTwin:
        return UndecidableTwin()


def test_an_unknown_verdict_is_a_failure() -> None:
    report = verify_dimension(UndecidedTokens(), values=LIMITS, contexts=TOKENS, timeout_ms=200)
    unknown = [o for o in report.outcomes if isinstance(o.verdict, Unknown)]
    assert unknown, str(report)
    assert not report.ok
    assert all(o in report.failures for o in unknown)


def test_a_dimension_without_twin_or_strategies_is_refused_with_the_fix() -> None:
    fix = "has no symbolic\\(\\) twin.*pass values= and contexts="
    with pytest.raises(ValueError, match=fix):
        verify_dimension(MaxTokens())


def test_a_twin_that_cannot_generate_cases_without_strategies_is_refused_with_the_fix() -> None:
    class Undecoding(TokensTwin):
        runtime_value = None

    class Silent(MaxTokens):
        def symbolic(self) -> Undecoding:
            return Undecoding()

    fix = "pass values= and contexts=.*or give the twin runtime_value"
    with pytest.raises(ValueError, match=fix):
        verify_dimension(Silent())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"values": LIMITS}, "values and contexts go together"),
        ({"max_examples": 0}, "max_examples must be a positive int, got 0"),
        ({"timeout_ms": -1}, "timeout_ms must be a positive int, got -1"),
    ],
)
def test_bad_arguments_are_value_errors_naming_the_value(
    kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        verify_dimension(ProvedMaxTokens(), **kwargs)


def test_not_a_dimension_is_refused() -> None:
    with pytest.raises(TypeError, match="dim must be a ConstraintDimension, got 'max_tokens'"):
        verify_dimension("max_tokens")  # type: ignore[arg-type]


def test_a_symbolic_method_returning_no_twin_is_refused() -> None:
    class Broken(MaxTokens):
        def symbolic(self) -> object:
            return "not a twin"

    with pytest.raises(TypeError, match="symbolic\\(\\) must return a SymbolicTwin"):
        verify_dimension(Broken())


def test_missing_hypothesis_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "hypothesis", None)
    with pytest.raises(ImportError, match="pip install hypothesis"):
        verify_dimension(MaxTokens(), values=object(), contexts=object())


def test_an_unknown_law_name_is_refused() -> None:
    report = verify_dimension(ProvedMaxTokens())
    with pytest.raises(ValueError, match="got 'tightening is fast'"):
        report.outcome("tightening is fast")


# -- verify_delegation -------------------------------------------------------------


def _evaluator() -> MultiDimensionEvaluator:
    registry = ConstraintDimensionRegistry()
    register_builtin_dimensions(registry)
    return MultiDimensionEvaluator(registry, enable_anti_gaming=False)


def test_a_valid_three_hop_chain_is_ok_and_its_effective_constraint_is_the_meet() -> None:
    chain = [
        {"cost_limit": 1000, "resources": ["data/**"]},
        {"cost_limit": 500, "resources": ["data/**"], "time_window": "09:00-17:00"},
        {"cost_limit": 200, "resources": ["data/reports/**"], "time_window": "10:00-12:00"},
    ]
    report = verify_delegation(chain)
    assert isinstance(report, DelegationReport)
    assert report.ok, str(report)
    assert [h.ok for h in report.hops] == [True, True]
    assert report.effective is not None
    assert report.effective["cost_limit"].parsed == 200
    assert report.effective["resources"].parsed.matches("data/reports/q1")
    assert not report.effective["resources"].parsed.matches("data/raw")
    assert "effective:" in str(report)


def test_the_effective_constraint_of_any_chain_is_the_meet_of_every_set() -> None:
    # A widening hop does not widen the chain: the meet still holds every set's limit.
    report = verify_delegation([{"cost_limit": 100}, {"cost_limit": 500}])
    assert not report.ok
    assert report.effective is not None
    assert report.effective["cost_limit"].parsed == 100


def test_a_widening_hop_has_a_counterexample_the_runtime_confirms() -> None:
    parent = {"cost_limit": 100, "time_window": "09:00-17:00"}
    child = {"cost_limit": 500, "time_window": "09:00-17:00"}
    report = verify_delegation([{"cost_limit": 1000, "time_window": "08:00-18:00"}, parent, child])
    assert [h.ok for h in report.hops] == [True, False]
    hop = report.hops[1]
    assert any("cost_limit" in v for v in hop.violations)
    assert hop.counterexample is not None
    context = dict(hop.counterexample)
    evaluator = _evaluator()
    assert evaluator.evaluate(child, context).satisfied
    assert not evaluator.evaluate(parent, context).satisfied
    assert "counterexample (confirmed by the runtime)" in str(report)


def test_a_dropped_dimension_is_a_widening_with_a_counterexample() -> None:
    parent = {"cost_limit": 100, "resources": ["data/**"]}
    child = {"resources": ["data/**"]}
    hop = verify_delegation([parent, child]).hops[0]
    assert hop.counterexample is not None
    evaluator = _evaluator()
    assert evaluator.evaluate(child, dict(hop.counterexample)).satisfied
    assert not evaluator.evaluate(parent, dict(hop.counterexample)).satisfied


def test_a_widening_in_a_dimension_without_a_twin_is_an_unconfirmed_search() -> None:
    registry = ConstraintDimensionRegistry()
    register_builtin_dimensions(registry)
    registry.register(MaxTokens())
    report = verify_delegation([{"max_tokens": 10}, {"max_tokens": 20}], registry=registry)
    hop = report.hops[0]
    assert not hop.ok
    assert hop.counterexample is None
    # Never "no counterexample": the twins could not look, and that is a failure.
    assert hop.search is Search.UNCONFIRMED
    assert not report.verified
    assert "max_tokens: no twin" in hop.note
    assert "UNCONFIRMED (a failure of the verification" in str(report)
    assert "no counterexample" not in str(report)


def test_a_custom_dimension_with_a_concrete_twin_gets_a_confirmed_counterexample() -> None:
    registry = ConstraintDimensionRegistry()
    registry.register(ProvedMaxTokens())
    hop = verify_delegation([{"max_tokens": 10}, {"max_tokens": 20}], registry=registry).hops[0]
    assert hop.counterexample is not None
    assert 10 < hop.counterexample["tokens"] <= 20


def test_under_other_modes_the_effective_constraint_is_the_leaf_of_a_valid_chain() -> None:
    chain = [{"cost_limit": 1000, "resources": ["data/**"]}, {"cost_limit": 500}]
    report = verify_delegation(chain, mode=InteractionMode.DISJUNCTIVE)
    assert report.ok
    assert report.effective is not None
    assert set(report.effective) == {"cost_limit"}
    widening = verify_delegation(chain[::-1], mode="disjunctive")
    assert not widening.ok
    assert widening.effective is None
    assert "disjunctive" in widening.effective_note


@pytest.mark.parametrize(
    ("chain", "message"),
    [
        ([], "chain must hold at least one constraint set, got \\[\\]"),
        ("cost_limit", "chain must be a list of constraint sets"),
        (
            [{"cost_limit": 1}, 5],
            "chain\\[1\\] must be a dict of dimension name to raw value, got 5",
        ),
    ],
)
def test_a_bad_chain_is_a_value_error_naming_it(chain: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        verify_delegation(chain)


def test_an_unknown_mode_is_refused_naming_it() -> None:
    with pytest.raises(ValueError, match="'sideways'"):
        verify_delegation([{"cost_limit": 1}], mode="sideways")


# -- the three defects of issue 13, pinned -----------------------------------------

SIX = {
    "cost_limit": 1000,
    "rate_limit": "100/minute",
    "time_window": "09:00-17:00",
    "resources": ["data/**", "logs/*.log"],
    "data_access": "no_pii",
    "communication": {
        "mode": "allowed_domains",
        "allowed_domains": ["api.openai.com", "anthropic.com"],
    },
}
SIX_WIDER_HOURS = {**SIX, "time_window": "08:00-17:00"}
SIX_WIDER_COST = {**SIX, "cost_limit": 2000}

_REPORTS = """
from trust.proofs import verify_delegation, verify_dimension
from tests.test_proofs_verify import ProvedMaxTokens, SIX, SIX_WIDER_COST, SIX_WIDER_HOURS
print(verify_delegation([SIX, SIX_WIDER_HOURS]))
print(verify_delegation([SIX, SIX_WIDER_COST]))
print(verify_dimension(ProvedMaxTokens(wrong=True)))
print(verify_dimension(ProvedMaxTokens(wrong=True, twin_wrong=False)))
"""


def _reports_in_a_fresh_process(hash_seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", _REPORTS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return done.stdout


def test_the_same_calls_give_byte_identical_reports_in_every_process() -> None:
    # Issue 13: twelve identical calls gave a counterexample in only eight; and z3's model,
    # hence the counterexample, changed from call to call.
    outputs = {_reports_in_a_fresh_process(seed) for seed in ("0", "1", "4242")}
    assert len(outputs) == 1, "\n=====\n".join(outputs)
    (output,) = outputs
    assert output.count("counterexample (confirmed by the runtime)") == 2
    assert "COUNTEREXAMPLE for max_tokens dimension: tightening is sound" in output


def test_the_same_call_gives_the_same_report_every_time_in_one_process() -> None:
    reports = {str(verify_delegation([SIX, SIX_WIDER_HOURS])) for _ in range(6)}
    assert len(reports) == 1
    assert "counterexample (confirmed by the runtime)" in reports.pop()


def test_a_six_dimension_hop_that_widens_its_hours_has_a_confirmed_counterexample() -> None:
    hop = verify_delegation([SIX, SIX_WIDER_HOURS]).hops[0]
    assert hop.search is Search.CONFIRMED
    assert hop.counterexample is not None
    context = dict(hop.counterexample)
    # The witness names its time: no verdict of it depends on the wall clock.
    assert context["current_time"].hour == 8
    evaluator = _evaluator()
    assert evaluator.evaluate(SIX_WIDER_HOURS, context).satisfied
    assert not evaluator.evaluate(SIX, context).satisfied


def test_a_communication_hop_that_widens_has_a_confirmed_counterexample() -> None:
    # Issue 13: reported as "no counterexample ... dimensions without a twin:
    # ['communication']", although communication has a twin.
    wider = {
        **SIX,
        "communication": {
            "mode": "allowed_domains",
            "allowed_domains": ["api.openai.com", "anthropic.com", "evil.com"],
        },
    }
    report = verify_delegation([SIX, wider])
    hop = report.hops[0]
    assert hop.search is Search.CONFIRMED, str(report)
    assert hop.counterexample is not None
    target = hop.counterexample["communication_target"]
    assert target == "evil.com" or target.endswith(".evil.com")
    evaluator = _evaluator()
    assert evaluator.evaluate(wider, dict(hop.counterexample)).satisfied
    assert not evaluator.evaluate(SIX, dict(hop.counterexample)).satisfied
    assert "without a twin" not in str(report)


def test_a_hop_widening_internal_only_has_a_confirmed_counterexample() -> None:
    # internal_only and composed values lie inside the communication twin: a widening hop
    # from them gets a context the runtime confirms, not "outside its twin's bounds".
    parent = {"communication": "internal_only"}
    child = {"communication": {"mode": "allowed_domains", "allowed_domains": ["evil.com"]}}
    report = verify_delegation([parent, child])
    hop = report.hops[0]
    assert not hop.ok
    assert hop.search is Search.CONFIRMED, str(report)
    assert hop.counterexample is not None
    evaluator = _evaluator()
    assert evaluator.evaluate(child, dict(hop.counterexample)).satisfied
    assert not evaluator.evaluate(parent, dict(hop.counterexample)).satisfied
    assert report.verified


def test_a_rejection_stricter_than_needed_is_no_counterexample_and_still_verified() -> None:
    # rate_limit's tightening is deliberately conservative: no context tells these apart.
    report = verify_delegation([{"rate_limit": "60"}, {"rate_limit": "60/day"}])
    hop = report.hops[0]
    assert not hop.ok
    assert hop.search is Search.NONE
    assert report.verified
    assert "no counterexample: none exists within the twins' bounds" in str(report)


def test_a_witness_never_depends_on_the_wall_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    # time_window made blind, so no twin names current_time: the runtime decides alone.
    real = _witness.witness_twin

    def blind_to_time(dim: ConstraintDimension, values: Any) -> Any:
        if dim.name == "time_window":
            raise ValueError("blind for this test")
        return real(dim, values)

    monkeypatch.setattr(_witness, "witness_twin", blind_to_time)
    # A wall clock inside the parent's hours would let the parent allow a context
    # without current_time, and the verdict would depend on when CI runs.
    noon = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
    monkeypatch.setattr(SystemClock, "now", staticmethod(lambda: noon))
    report = verify_delegation([{"time_window": "09:00-17:00", "cost_limit": 5}, {"cost_limit": 5}])
    hop = report.hops[0]
    assert hop.search is Search.CONFIRMED, str(report)
    assert hop.counterexample is not None
    assert "current_time" not in hop.counterexample


@pytest.mark.parametrize("labels", [3, 7, 15])
def test_a_communication_widening_has_a_witness_whatever_the_number_of_labels(
    labels: int,
) -> None:
    # The twin's label ids wrapped when the number of labels plus one was a power of two
    # (example.org and arxiv.org: three labels), and then it admitted no context at all.
    domains = [f"d{i}.org" for i in range(labels - 3)] or ["org"]
    mode = "allowed_domains"
    parent = {"communication": {"mode": mode, "allowed_domains": domains}}
    child = {"communication": {"mode": mode, "allowed_domains": [*domains, "evil.com"]}}
    report = verify_delegation([parent, child])
    hop = report.hops[0]
    assert hop.search is Search.CONFIRMED
    assert hop.counterexample is not None
    assert hop.counterexample["communication_target"].endswith("evil.com")


def test_the_witness_twin_reads_internal_only_as_the_dimensions_internal_domains() -> None:
    # With internal_domains the runtime's internal_only no longer allows *.internal; the
    # twin read it with the default rules and reported that no widening context exists.
    registry = ConstraintDimensionRegistry()
    register_builtin_dimensions(registry, internal_domains=["corp.example"])
    parent = {"communication": "internal_only"}
    child = {"communication": {"mode": "allowed_domains", "allowed_domains": ["svc.internal"]}}
    now = {"current_time": datetime(2025, 1, 1, tzinfo=UTC)}  # a context names its time
    report = verify_delegation([parent, child], registry=registry)
    hop = report.hops[0]
    assert hop.search is Search.CONFIRMED
    assert hop.counterexample is not None
    assert hop.counterexample["communication_target"].endswith("svc.internal")
    evaluator = MultiDimensionEvaluator(registry, enable_anti_gaming=False)
    context = {**hop.counterexample, **now}
    assert evaluator.evaluate(child, context).satisfied
    assert not evaluator.evaluate(parent, context).satisfied


def test_internal_domains_with_a_network_leave_the_dimension_to_the_runtime() -> None:
    registry = ConstraintDimensionRegistry()
    register_builtin_dimensions(registry, internal_domains=["corp.example", "100.64.0.0/10"])
    parent = {"communication": "internal_only"}
    child = {"communication": "none"}
    report = verify_delegation([child, parent], registry=registry)
    hop = report.hops[0]
    # Never "no widening context" from a twin that reads internal_only otherwise.
    assert hop.search is Search.UNCONFIRMED
    assert "reads internal_domains of host names, got '100.64.0.0/10'" in hop.note


def test_a_host_witness_is_cut_to_the_shortest_name_that_still_widens() -> None:
    # z3 may answer with any host under the domain ("org.org.pypi.org"); the report shows
    # the shortest suffix the runtime still confirms.
    none = {"communication": "none"}
    pypi = {"communication": {"mode": "allowed_domains", "allowed_domains": ["pypi.org"]}}
    hop = verify_delegation([none, pypi]).hops[0]
    assert hop.search is Search.CONFIRMED
    assert hop.counterexample == {"communication_target": "pypi.org"}
