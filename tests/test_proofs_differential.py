"""The runtime agrees with the twin each law is proved on: check, tightening and compose.

A runtime that diverges from its proved twin makes these fail, so the proofs of
`proofs.dimensions` speak about the code that runs.
"""

from __future__ import annotations

from typing import Any

import z3
from hypothesis import given
from hypothesis import strategies as st

from proofs.twins import (
    CommunicationTwin,
    CostTwin,
    DataAccessTwin,
    PathTwin,
    RateTwin,
    TimeWindowTwin,
    decide,
)
from proofs.twins.communication import LABELS
from tests import strategies as s
from trust.constraints.builtin import (
    CommunicationDimension,
    CostLimitDimension,
    DataAccessDimension,
    RateLimitDimension,
    ResourceDimension,
    TimeDimension,
)

COST, TIME, RATE, DATA, RES, COMM = (
    CostLimitDimension(),
    TimeDimension(),
    RateLimitDimension(),
    DataAccessDimension(),
    ResourceDimension(),
    CommunicationDimension(),
)


def _agree(dim: Any, twin: Any, raws: list[Any], context: dict[str, Any]) -> None:
    a, b = (dim.parse(r) for r in raws)
    ta, tb = twin.encode(a), twin.encode(b)
    ctx = twin.encode_context(context)
    assert dim.check(a, context).satisfied == decide(twin.allows(ta, ctx))
    assert dim.validate_tightening(b, a) == decide(twin.tighter(ta, tb))
    met = dim.compose([a, b])
    assert decide(twin.tighter(twin.encode(met), twin.meet(ta, tb)))
    assert decide(twin.tighter(twin.meet(ta, tb), twin.encode(met)))
    assert dim.check(met, context).satisfied == decide(twin.allows(twin.meet(ta, tb), ctx))


@given(st.lists(s.cost_limits, min_size=2, max_size=2), s.cost_contexts)
def test_cost_runtime_matches_twin(raws: list[Any], context: dict[str, Any]) -> None:
    _agree(COST, CostTwin(), raws, context)


def test_cost_of_an_int_beyond_float_precision_is_compared_exactly() -> None:
    # Found by the differential test: 2**53 + 1 used to round to 2**53 and pass.
    limit = COST.parse(float(2**53))
    assert not COST.check(limit, {"cost_used": 2**53 + 1}).satisfied
    assert COST.check(limit, {"cost_used": 2**53}).satisfied


# Values in one zone or several (composed with all_of), over the zones of the strategies;
# the twin uses the runtime's offset table of each.
_TIME_TWIN = TimeWindowTwin(s.ZONES)
_time_values = st.lists(s.time_windows(), min_size=1, max_size=3).map(
    lambda windows: windows[0] if len(windows) == 1 else {"all_of": windows}
)


@given(st.lists(_time_values, min_size=2, max_size=2), s.time_contexts)
def test_time_window_runtime_matches_twin(raws: list[Any], context: dict[str, Any]) -> None:
    _agree(TIME, _TIME_TWIN, raws, context)


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


@given(st.lists(s.rate_limits, min_size=2, max_size=2), _rate_contexts)
def test_rate_limit_runtime_matches_twin(raws: list[Any], context: dict[str, Any]) -> None:
    _agree(RATE, RateTwin(), raws, context)


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
    from trust.constraints.builtin._rate import RateLimit

    assert RateLimit(tuple(rules[:2])).caps == expected


_classes = st.sampled_from(["internal", "public", "secret"])
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
        "contains_pii": st.booleans(),
        "data_classification": st.sampled_from(["internal", "public", "secret", "other"]),
    },
)


@given(st.lists(_policies, min_size=2, max_size=2), _access)
def test_data_access_runtime_matches_twin(raws: list[Any], context: dict[str, Any]) -> None:
    _agree(DATA, DataAccessTwin(), raws, context)


_paths = st.lists(st.sampled_from(["a", "b", "ab", "x", ".x"]), min_size=1, max_size=3).map(
    "/".join
)


@given(st.lists(s.glob_lists, min_size=2, max_size=2), _paths)
def test_resources_runtime_matches_twin(raws: list[Any], path: str) -> None:
    twin = PathTwin()
    a, b = (RES.parse(r) for r in raws)
    ra, rb = twin.encode(a), twin.encode(b)
    ctx = twin.encode_context({"resource_requested": path})
    assert RES.check(a, {"resource_requested": path}).satisfied == decide(z3.InRe(ctx.path, ra))
    assert RES.validate_tightening(b, a) == (twin.outside(ra, rb) is None)
    met = RES.compose([a, b])
    both = z3.Intersect(ra, rb)
    assert twin.outside(twin.encode(met), both) is None
    assert twin.outside(both, twin.encode(met)) is None


def test_rate_limit_with_an_empty_requests_by_period_fails_closed() -> None:
    # Found by the differential test: this used to raise AssertionError in check.
    result = RATE.check(RATE.parse(0), {"requests_by_period": {}})
    assert not result.satisfied
    assert "requests_by_period is empty" in result.reason


# The communication twin's universe: domains of up to two labels, hosts of up to three,
# one block and addresses inside 10.0.0.0/28 (see `proofs.twins.communication`).


def _label_seqs(most: int) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(LABELS), min_size=1, max_size=most).map(".".join)


_blocks = st.integers(28, 32).flatmap(
    lambda p: st.integers(0, (1 << (32 - 28)) - 1).map(
        lambda a: f"10.0.0.{a & ~((1 << (32 - p)) - 1)}/{p}"
    )
)
_host_sets = st.one_of(
    st.just("none"),
    st.tuples(st.lists(_label_seqs(2), max_size=2), st.lists(_blocks, max_size=1)).map(
        lambda parts: {"mode": "allowed_domains", "allowed_domains": parts[0] + parts[1]}
    ),
)
_targets = st.fixed_dictionaries(
    {},
    optional={
        "communication_target": st.one_of(
            _label_seqs(3), st.integers(0, 15).map(lambda a: f"10.0.0.{a}")
        )
    },
)


@given(st.lists(_host_sets, min_size=2, max_size=2), _targets)
def test_communication_runtime_matches_twin(raws: list[Any], context: dict[str, Any]) -> None:
    twin = CommunicationTwin()
    a, b = (COMM.parse(r) for r in raws)
    ta, tb = twin.encode(a), twin.encode(b)
    ctx = twin.encode_context(context)
    assert COMM.check(a, context).satisfied == decide(twin.allows(ta, ctx))
    assert COMM.validate_tightening(b, a) == decide(twin.tighter(ta, tb))
    met = COMM.compose([a, b])
    assert COMM.check(met, context).satisfied == decide(twin.allows(twin.meet(ta, tb), ctx))


def test_communication_twin_round_trips_a_witness_context() -> None:
    twin = CommunicationTwin()
    solver = z3.Solver()
    x = twin.context("x")
    parent = twin.encode(COMM.parse({"mode": "allowed_domains", "allowed_domains": ["openai.com"]}))
    solver.add(twin.admissible(x), twin.allows(parent, x), x.kind == 0)
    assert solver.check() == z3.sat
    context = twin.runtime_context(solver.model(), x)
    assert context["communication_target"].endswith("openai.com")
    assert COMM.check(
        COMM.parse({"mode": "allowed_domains", "allowed_domains": ["openai.com"]}), context
    ).satisfied
