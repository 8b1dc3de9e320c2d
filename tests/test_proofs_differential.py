"""The runtime agrees with its twins on generated values and contexts, beyond the proof run.

``python -m trust.proofs`` holds each built-in dimension's ``check``, ``validate_tightening``
and ``compose`` to its twin on a bounded universe (`proofs.conformance`). These tests run
the same comparison (`proofs.conformance._compare.conformance`, one copy of it) on small
universes hypothesis draws: values and contexts the fixed universes do not list.
"""

from __future__ import annotations

from typing import Any

import attrs
import z3
from hypothesis import given
from hypothesis import strategies as st

from tests import strategies as s
from trust.constraints.builtin import CommunicationDimension, CostLimitDimension
from trust.constraints.builtin._rate import RateLimit, RateLimitDimension
from trust.proofs import Proved, Refuted, Verdict
from trust.proofs._catalogue import entry_named
from trust.proofs.conformance._compare import conformance
from trust.proofs.conformance._paths import compare_real_globs
from trust.proofs.twins import CommunicationTwin, RateTwin


def _proved(verdict: Verdict) -> None:
    shown = verdict.explain() if isinstance(verdict, Refuted) else str(verdict)
    assert isinstance(verdict, Proved), shown


def _agree(name: str, raws: list[Any], contexts: list[dict[str, Any]], twin: Any = None) -> None:
    """Every check, tightening and compose of ``raws`` (and their meets) on ``contexts``."""
    entry = entry_named(name)
    assert entry is not None
    universe = attrs.evolve(
        entry.scope(False).universe,
        values=tuple(raws),
        contexts=tuple(contexts),
        tightening_composed=8,
        ordered_pairs=True,
        composing=None,
        confirmations=0,  # z3 decides only disagreements: the proof run samples the rest
    )
    if twin is not None:
        universe = attrs.evolve(universe, twin=twin)
    _proved(conformance(universe))


def _pairs(values: st.SearchStrategy[Any]) -> st.SearchStrategy[list[Any]]:
    return st.lists(values, min_size=2, max_size=2)


def _some(contexts: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[list[Any]]:
    return st.lists(contexts, min_size=1, max_size=3)


@given(_pairs(s.cost_limits), _some(s.cost_contexts))
def test_cost_runtime_matches_twin(raws: list[Any], contexts: list[dict[str, Any]]) -> None:
    _agree("cost_limit", raws, contexts)


def test_cost_of_an_int_beyond_float_precision_is_compared_exactly() -> None:
    # Found by the differential test: 2**53 + 1 used to round to 2**53 and pass.
    cost = CostLimitDimension()
    limit = cost.parse(float(2**53))
    assert not cost.check(limit, {"cost_used": 2**53 + 1}).satisfied
    assert cost.check(limit, {"cost_used": 2**53}).satisfied


# Values in one zone or several (composed with all_of), over the zones of the strategies.
_time_values = st.lists(s.time_windows(), min_size=1, max_size=3).map(
    lambda windows: windows[0] if len(windows) == 1 else {"all_of": windows}
)


@given(_pairs(_time_values), _some(s.time_contexts))
def test_time_window_runtime_matches_twin(raws: list[Any], contexts: list[dict[str, Any]]) -> None:
    _agree("time_window", raws, contexts)


_counts = st.integers(0, 5000)
_rate_contexts = st.fixed_dictionaries(
    {},
    optional={
        "requests_in_period": _counts,
        "requests_by_period": st.dictionaries(
            st.sampled_from(["second", "minute", "hour", "day"]), _counts, max_size=4
        ),
    },
)


@given(_pairs(s.rate_limits), _some(_rate_contexts))
def test_rate_limit_runtime_matches_twin(raws: list[Any], contexts: list[dict[str, Any]]) -> None:
    _agree("rate_limit", raws, contexts)


@given(
    st.lists(
        st.tuples(st.integers(0, 300), st.sampled_from([1, 60, 3600, 86400, None])),
        min_size=1,
        max_size=3,
    )
)
def test_rate_limit_caps_are_the_twins_closure_of_the_rules(rules: list[Any]) -> None:
    twin = RateTwin()
    fresh = twin.constraint("r")
    codes = [1, 60, 3600, 86400, None]
    model = z3.Solver()
    for k in range(2):
        on, count, code = (z3.Bool(f"r.{k}.on"), z3.Int(f"r.{k}.count"), z3.Int(f"r.{k}.period"))
        if k < len(rules[:2]):
            model.add(on, count == rules[k][0], code == codes.index(rules[k][1]))
        else:
            model.add(z3.Not(on))
    assert model.check() == z3.sat
    m = model.model()
    expected = tuple(
        m.eval(c.value).as_long() if z3.is_true(m.eval(c.bounded)) else None for c in fresh.caps
    )
    assert RateLimit(tuple(rules[:2])).caps == expected


def test_rate_limit_with_an_empty_requests_by_period_fails_closed() -> None:
    # Found by the differential test: this used to raise AssertionError in check.
    rate = RateLimitDimension()
    result = rate.check(rate.parse(0), {"requests_by_period": {}})
    assert not result.satisfied
    assert "requests_by_period is empty" in result.reason


_classes = st.sampled_from(["internal", "public", "secret", "Confidential "])
_policies = st.one_of(
    st.sampled_from(["no_pii", "internal_only", "allow_all"]),
    st.fixed_dictionaries(
        {"mode": st.sampled_from(["no_pii", "internal_only", "allow_all"])},
        optional={"allowed_classifications": st.lists(_classes, max_size=3)},
    ),
)
_access = st.fixed_dictionaries(
    {},
    optional={
        "contains_pii": st.sampled_from([True, False, None, "yes"]),
        "data_classification": st.sampled_from(["internal", "public", "secret", "other", "", 5]),
    },
)


@given(_pairs(_policies), _some(_access))
def test_data_access_runtime_matches_twin(raws: list[Any], contexts: list[dict[str, Any]]) -> None:
    _agree("data_access", raws, contexts)


@given(_pairs(s.glob_lists), st.lists(s.paths(), min_size=1, max_size=4))
def test_resources_runtime_matches_the_regex_twin(raws: list[Any], paths: list[str]) -> None:
    _proved(compare_real_globs(raws, paths))


_shapes = st.sampled_from(["a", "*", "a*", "?", "**"])
_bounded_globs = st.lists(st.lists(_shapes, min_size=1, max_size=2).map("/".join), max_size=2)


@given(_pairs(_bounded_globs), _some(st.sampled_from(["a", "b/ab", "bb/a/a", "ab/bb"])))
def test_resources_runtime_matches_the_bounded_twin(raws: list[Any], paths: list[str]) -> None:
    _agree("resources", raws, [{"resource_requested": p} for p in paths])


# Hosts over a few labels (with internal ones), and blocks of both families.
_LABELS = ("com", "openai", "api", "internal", "local", "localhost")
_domain = st.lists(st.sampled_from(_LABELS), min_size=1, max_size=3).map(".".join)
_block = st.sampled_from(
    ["10.0.0.0/8", "10.1.0.0/16", "10.1.2.3", "192.168.0.0/16", "::1", "fd00::/8", "fd00::/16"]
)
_host_sets = st.one_of(
    st.sampled_from(["none", "internal_only"]),
    st.lists(st.one_of(_domain, _block), max_size=3).map(
        lambda entries: {"mode": "allowed_domains", "allowed_domains": entries}
    ),
)
_values = st.one_of(
    _host_sets, st.lists(_host_sets, min_size=2, max_size=2).map(lambda v: {"all_of": v})
)
_targets = st.fixed_dictionaries(
    {},
    optional={
        "communication_target": st.one_of(
            st.lists(st.sampled_from([*_LABELS, "evil"]), min_size=1, max_size=4).map(".".join),
            st.sampled_from(["10.1.2.3", "10.2.0.1", "192.168.1.1", "8.8.8.8", "[::1]"]),
            st.sampled_from(["[fd00::1]", "[fd01::1]", "[fe80::1]", "http://a b/", "x" * 300]),
        )
    },
)


# One twin size for every example (labels, rules, blocks), so its formulas compile once.
_LEAST = CommunicationTwin(_LABELS, rules=8, blocks=8, domain_labels=3)


@given(_pairs(_values), _some(_targets))
def test_communication_runtime_matches_twin(
    raws: list[Any], contexts: list[dict[str, Any]]
) -> None:
    _agree(
        "communication",
        raws,
        contexts,
        lambda parsed: CommunicationTwin.for_values(parsed, least=_LEAST),
    )


def test_communication_twin_round_trips_a_witness_context() -> None:
    comm = CommunicationDimension()
    value = comm.parse({"mode": "allowed_domains", "allowed_domains": ["openai.com"]})
    twin = CommunicationTwin.for_values([value])
    solver = z3.Solver()
    x = twin.context("x")
    solver.add(twin.admissible(x), twin.allows(twin.encode(value), x), x.kind == 0)
    assert solver.check() == z3.sat
    context = twin.runtime_context(solver.model(), x)
    assert context["communication_target"].endswith("openai.com")
    assert comm.check(value, context).satisfied
