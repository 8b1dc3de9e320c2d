"""Conformance of the built-in dimensions inside the proof run, and what it covers.

The proof run holds each dimension's runtime to the twin its laws are proved on
(`proofs.conformance`); these tests hold that check to its word: it refutes a runtime
that departs from the twin with the values, the context and both verdicts; it evaluates
the twin's own formulas (compiled, and equal to z3's verdicts); every twin refuses what
it cannot encode; and `proofs.unproved` names what no twin covers.
"""

from __future__ import annotations

import re
from datetime import time
from typing import Any

import attrs
import pytest
import z3

from trust._errors import InvalidTypeError, InvalidValueError
from trust.constraints import ConstraintValue
from trust.constraints.builtin import (
    CommunicationDimension,
    CostLimitDimension,
    DataAccessDimension,
    RateLimitDimension,
    ResourceDimension,
    TimeDimension,
)
from trust.proofs import Proved, Refuted, Settings, Unknown, all_properties, unproved
from trust.proofs._catalogue import CATALOGUE, entry_named
from trust.proofs._evaluate import compile_term
from trust.proofs.conformance._compare import conformance
from trust.proofs.conformance._evaluator import Concrete, Evaluator, confirm
from trust.proofs.conformance.dimensions import NAME
from trust.proofs.laws import law_properties
from trust.proofs.twins import (
    CommunicationTwin,
    CostTwin,
    DataAccessTwin,
    RateTwin,
    ResourcesTwin,
    TimeWindowTwin,
)
from trust.proofs.twins._hosts import Hosts, Rule
from trust.proofs.twins.resources import UNIVERSE, _table

NAMES = [entry.name for entry in CATALOGUE.values()]


def _scope(name: str) -> Any:
    entry = entry_named(name)
    assert entry is not None, name
    return entry.scope(False)


def _universe(name: str, **changes: Any) -> Any:
    return attrs.evolve(_scope(name).universe, **changes)


# -- the proof run lists them, with their bounds -------------------------------------------


def test_every_builtin_dimension_has_a_conformance_property_with_its_universe() -> None:
    props = {p.subject: p for p in all_properties() if p.name == NAME}
    assert set(props) == {f"{name} dimension" for name in NAMES}
    for prop in props.values():
        # The bound names what is enumerated: so many values, times so many contexts.
        assert re.match(r"\d+ \w", prop.bound), prop.bound
        assert " x " in prop.bound or " checked on " in prop.bound, prop.bound
        verdict = prop.check(Settings(timeout_ms=5000))
        assert isinstance(verdict, Proved), verdict
        assert verdict.note.startswith("runtime ≡ twin on ")


# -- a runtime that departs from its twin is refuted, readably ---------------------------


class _AlwaysTighter(CostLimitDimension):
    """The liar of issue 13: every child is tighter."""

    def validate_tightening(self, parent: ConstraintValue, child: ConstraintValue) -> bool:
        return True


class _PiiBlind(DataAccessDimension):
    def check(self, constraint: ConstraintValue, context: dict[str, Any]) -> Any:
        return super().check(constraint, {**context, "contains_pii": False})


def test_a_tightening_that_accepts_everything_is_refuted_with_a_witness() -> None:
    verdict = conformance(_universe("cost_limit", dimension=_AlwaysTighter()))
    assert isinstance(verdict, Refuted)
    assert verdict.counterexample == {
        "1 relation": "validate_tightening(parent, child)",
        "2 parent": "0",
        "3 child": "0.5",
        "4 runtime": "the child is tighter",
        "5 twin": "the child is not tighter: the child allows {'cost_used': 0.5}, the "
        "parent does not",
    }


def test_a_check_that_ignores_pii_is_refuted_with_the_context() -> None:
    verdict = conformance(_universe("data_access", dimension=_PiiBlind()))
    assert isinstance(verdict, Refuted)
    shown = verdict.counterexample
    assert shown["1 relation"] == "check"
    assert shown["2 constraint"] == "'no_pii'"
    assert shown["3 context"] == "{}"  # nobody said the data is free of PII
    assert shown["4 runtime"].startswith("allows")
    assert shown["5 twin"] == "refuses"


def test_the_counterexample_is_the_same_in_every_run() -> None:
    first = conformance(_universe("cost_limit", dimension=_AlwaysTighter()))
    second = conformance(_universe("cost_limit", dimension=_AlwaysTighter()))
    assert first == second


def test_a_value_the_twin_cannot_encode_is_refuted_as_an_unproved_path() -> None:
    verdict = conformance(_universe("resources", values=(["a/b/c"], ["a"])))
    assert isinstance(verdict, Refuted)
    assert verdict.counterexample["1 relation"] == (
        "the twin encodes every value the runtime accepts"
    )
    assert verdict.counterexample["2 value"] == "['a/b/c']"


def test_a_runtime_that_raises_is_refuted_not_crashed() -> None:
    class Raising(RateLimitDimension):
        def compose(self, constraints: list[ConstraintValue]) -> ConstraintValue:
            raise RuntimeError("boom")

    verdict = conformance(_universe("rate_limit", dimension=Raising()))
    assert isinstance(verdict, Refuted)
    assert verdict.counterexample["3 runtime"] == "raised RuntimeError: boom"


# -- the compiled formulas are the twin's: z3 agrees on every sampled case -----------------


@pytest.mark.parametrize("name", NAMES)
def test_the_compiled_twin_formulas_agree_with_z3(name: str) -> None:
    universe = _scope(name).universe
    values = [universe.dimension.parse(raw) for raw in universe.values[:12]]
    twin = universe.twin(values)
    evaluator = Evaluator(twin)
    encoded = [Concrete.of(twin.encode(v)) for v in values]
    contexts = [Concrete.of(twin.encode_context(dict(c))) for c in universe.contexts]
    meets = encoded[:4] if name in ("cost_limit", "rate_limit", "data_access") else encoded[:1]
    cases = [
        *[("allows", v, contexts[(7 * i) % len(contexts)]) for i, v in enumerate(encoded)],
        *[("tighter", v, encoded[(5 * i + 3) % len(encoded)]) for i, v in enumerate(encoded[:6])],
        # Compose is compared this way where the runtime writes its own meet (not all_of).
        *[("is_meet", v, v, encoded[(3 * i + 1) % len(encoded)]) for i, v in enumerate(meets)],
    ]
    for relation, *operands in cases:
        expected = confirm(evaluator.term(relation, *[o.value for o in operands]))
        assert evaluator.call(relation, *operands) == expected, (relation, operands)


def test_the_compiler_refuses_an_operator_it_does_not_translate() -> None:
    x = z3.Int("x")
    with pytest.raises(ValueError, match="does not translate"):
        compile_term(x / 2 == 1, [x])


def test_the_compiler_refuses_a_free_constant() -> None:
    x, y = z3.Int("x"), z3.Int("y")
    with pytest.raises(ValueError, match="not a parameter"):
        compile_term(x == y, [x])


def test_compiled_bit_vector_operators_follow_z3() -> None:
    a, b = z3.BitVec("a", 8), z3.BitVec("b", 8)
    terms = [
        z3.RotateRight(a, 3) == b,
        z3.RotateLeft(a, b) == 5,
        a - b == 250,
        a << b == 0,
        z3.LShR(a, b) == 1,
        z3.Extract(6, 2, a) == 3,
        z3.Concat(a, b) == 0x1234,
        a < b,
        z3.ULT(a, b),
        ~a & b == 0,
    ]
    for term in terms:
        function = compile_term(term, [a, b])
        for x, y in [(0, 0), (1, 9), (200, 3), (255, 255), (0x12, 0x34), (18, 200)]:
            closed = z3.substitute(term, (a, z3.BitVecVal(x, 8)), (b, z3.BitVecVal(y, 8)))
            assert function(x, y) == confirm(closed), (term, x, y)


# -- every twin refuses what it cannot encode, naming it ----------------------------------


def test_each_twin_refuses_a_value_outside_its_domain() -> None:
    cases = [
        (
            CommunicationTwin(),
            CommunicationDimension(),
            {"mode": "allowed_domains", "allowed_domains": ["10.0.0.0/8"]},
            "blocks inside 10.0.0.0/28",
        ),
        (
            CommunicationTwin(),
            CommunicationDimension(),
            {"mode": "allowed_domains", "allowed_domains": ["a.b.c.com"]},
            "domains of up to 2 labels",
        ),
        (TimeWindowTwin(["Asia/Tokyo"]), TimeDimension(), "09:00-17:00 Europe/Paris", "zones"),
        (DataAccessTwin(), DataAccessDimension(), {"allowed_classifications": "pii"}, "lacks"),
        (ResourcesTwin(), ResourceDimension(), ["a", "b", "*"], "up to 2 globs"),
    ]
    for twin, dim, raw, gap in cases:
        with pytest.raises(ValueError, match=gap):
            twin.encode(dim.parse(raw))


def test_each_twin_refuses_a_context_outside_its_domain() -> None:
    with pytest.raises(ValueError, match="up to 4 labels"):
        CommunicationTwin().encode_context({"communication_target": "a.b.c.d.com"})
    with pytest.raises(ValueError, match="does not hold"):
        CommunicationTwin().encode_context({"communication_target": "8.8.8.8"})
    with pytest.raises(ValueError, match="universe"):
        ResourcesTwin().encode_context({"resource_requested": "a/b/c/d"})
    with pytest.raises(ValueError, match="exact ints"):
        RateTwin().encode_context({"requests_in_period": _Int(3)})
    with pytest.raises(ValueError, match="exact ints and floats"):
        CostTwin().encode_context({"cost_used": _Int(3)})


class _Int(int):
    pass


def test_a_twin_reads_what_the_user_wrote_not_the_runtimes_parse() -> None:
    # A value parsed by a runtime whose cap computation were wrong would still encode to
    # the caps its rules state.
    twin, dim = RateTwin(), RateLimitDimension()
    rate = twin.encode(dim.parse("10/second"))
    caps = [c.value.as_long() if z3.is_true(c.bounded) else None for c in rate.caps]
    assert caps == [10, 600, 36000, 864000, None]


def test_malformed_contexts_are_refused_by_every_value_of_the_twin() -> None:
    twin = DataAccessTwin()
    allow_all = twin.encode(DataAccessDimension().parse("allow_all"))
    for context in ({"contains_pii": "yes"}, {"data_classification": 5}):
        assert not confirm(twin.allows(allow_all, twin.encode_context(context)))
    rates = RateTwin()
    everything = rates.encode(RateLimitDimension().parse(10**9))
    for context in ({"requests_in_period": -1}, {"requests_by_period": {"week": 1}}):
        assert not confirm(rates.allows(everything, rates.encode_context(context)))


# -- the paths that were outside every twin are inside one now -----------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("time_window", {"all_of": ["09:00-17:00 Europe/Berlin", "09:00-17:00 America/New_York"]}),
        ("communication", {"mode": "allowed_domains", "allowed_domains": ["fd00::/8", "::1"]}),
        ("communication", "internal_only"),
        ("communication", {"all_of": ["internal_only", "internal_only"]}),
        (
            "communication",
            {
                "all_of": [
                    "internal_only",
                    {"mode": "allowed_domains", "allowed_domains": ["api.internal.x.com"]},
                ]
            },
        ),
        ("resources", {"all_of": [["/data/**"], ["**/*.json"]]}),
        ("rate_limit", "1/second, 50/minute, 1000/hour, 9000/day, 100000"),
        ("data_access", {"mode": "internal_only", "allowed_classifications": ["x", "y"]}),
        ("cost_limit", 2**53 + 3),
    ],
)
def test_values_once_outside_the_twins_are_covered(name: str, value: Any) -> None:
    assert unproved(name, value) is None


def test_a_dimension_that_is_not_built_in_is_unproved() -> None:
    reason = unproved("tokens", 5)
    assert reason is not None
    assert "'tokens' is not a built-in dimension" in reason
    assert "verify_dimension" in reason


def test_unproved_refuses_an_invalid_value_and_a_name_that_is_not_a_str() -> None:
    with pytest.raises(InvalidValueError):
        unproved("time_window", "25:00-26:00")
    with pytest.raises(InvalidTypeError, match="dimension_name must be a str"):
        unproved(5, "x")  # type: ignore[arg-type]


def test_unproved_names_the_twins_refusals(monkeypatch: pytest.MonkeyPatch) -> None:
    class Narrow:
        def __call__(self, parsed: Any) -> Any:
            return CommunicationTwin()  # the law twin: 4-bit blocks in 10.0.0.0/28

    entry = CATALOGUE[CommunicationDimension]
    narrow = attrs.evolve(entry.scope(False), twins=(Narrow(),))
    monkeypatch.setitem(
        CATALOGUE,  # type: ignore[arg-type]
        CommunicationDimension,
        attrs.evolve(entry, scope=lambda deep: narrow),
    )
    reason = unproved("communication", {"mode": "allowed_domains", "allowed_domains": ["::1"]})
    assert reason is not None
    assert reason.startswith("no twin of communication encodes {'mode': 'allowed_domains'")
    assert "blocks inside 10.0.0.0/28 and fd00::/124, got ::1/128" in reason


# -- the twins' new domains keep laws with teeth -----------------------------------------


class _LabelBlind(CommunicationTwin):
    """Coverage that forgets the labels a parent rule requires."""

    def _covers(self, parent: Rule, child: Rule) -> z3.BoolRef:
        return z3.And(parent.on, parent.labels.starts(child.labels))


class _MeetKeepsOne(CommunicationTwin):
    def meet(self, a: Hosts, b: Hosts) -> Hosts:
        met = super().meet(a, b)
        kept = a.rules[0].required
        return Hosts(tuple(Rule(r.on, r.labels, kept) for r in met.rules), met.blocks)


def _laws(twin: CommunicationTwin) -> dict[str, object]:
    return {p.name: p.check(Settings(timeout_ms=30_000)) for p in law_properties(twin, "c")}


def test_the_communication_laws_refute_a_coverage_that_forgets_required_labels() -> None:
    assert isinstance(_laws(_LabelBlind())["tightening is sound"], Refuted)


def test_the_communication_laws_refute_a_meet_that_drops_required_labels() -> None:
    laws = _laws(_MeetKeepsOne())
    assert isinstance(laws["compose allows exactly what every input allows"], Refuted)


def test_the_bounded_resources_universe_tells_star_from_a_star_or_one_char() -> None:
    # Found by conformance: over paths of a, b and ab only, "*" matched nothing that
    # "a*" or "?" did not, so the bounded twin took ["*"] to be within ["a*", "?"] while
    # the runtime (rightly) refuses: "bb" tells them apart.
    table = _table()
    star, a_star, one = table[("*",)], table[("a*",)], table[("?",)]
    outside = star & ~(a_star | one)
    assert outside
    assert "bb" in [p for i, p in enumerate(UNIVERSE) if outside >> i & 1]


# -- the time window twin reads the windows itself, and the clock's instant -----------------


def test_the_time_window_twin_stands_a_missing_time_for_the_clock() -> None:
    from trust.proofs.conformance._time import NOW, FixedClock

    dim = TimeDimension(clock=FixedClock())
    value = dim.parse("00:00-00:45")  # NOW is 00:30 UTC
    twin = TimeWindowTwin.for_values([value], NOW)
    for context in ({}, {"current_time": None}, {"current_time": "soon"}):
        assert dim.check(value, context).satisfied
        assert confirm(twin.allows(twin.encode(value), twin.encode_context(context)))
    assert not confirm(
        twin.allows(twin.encode(value), twin.encode_context({"current_time": time(0, 46)}))
    )


def test_unknown_is_never_proved() -> None:
    assert not isinstance(Unknown("x"), Proved)
