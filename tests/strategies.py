"""Hypothesis strategies shared by the constraint suites.

Values are drawn from small alphabets on purpose: inclusions, overlaps and equalities
between random constraints must be common, or the lattice laws would only ever be tested
on unrelated values.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import attrs
from hypothesis import strategies as st

from trust.constraints import ConstraintDimension
from trust.constraints.builtin import (
    CommunicationDimension,
    CostLimitDimension,
    DataAccessDimension,
    RateLimitDimension,
    ResourceDimension,
    TimeDimension,
)
from trust.constraints.builtin._rate import PERIODS

# -- cost_limit ------------------------------------------------------------------------

cost_limits = st.one_of(
    st.integers(0, 2_000),
    st.floats(0, 2_000, allow_nan=False, allow_infinity=False),
    st.sampled_from([0, 0.5, 100, 999.99, 1000]),
)
cost_contexts = st.fixed_dictionaries(
    {"cost_used": st.one_of(st.integers(0, 2_100), st.floats(0, 2_100, allow_nan=False))}
)

# -- time_window -----------------------------------------------------------------------

ZONES = ("UTC", "Europe/Berlin", "Asia/Kolkata", "America/New_York")
_minute = st.one_of(st.integers(0, 47).map(lambda h: h * 30), st.integers(0, 1439))
_end = st.one_of(_minute, st.just(1440))  # 24:00 ends a window, never starts one


@st.composite
def time_windows(draw: st.DrawFn, zones: tuple[str, ...] = ZONES) -> str:
    """``"HH:MM-HH:MM[, ...] [zone]"`` with one to three non-empty (half-open) windows."""
    parts = []
    for _ in range(draw(st.integers(1, 3))):
        start = draw(_minute)
        end = draw(_end.filter(lambda end, start=start: end != start))  # type: ignore[misc]
        parts.append(f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}")
    zone = draw(st.sampled_from(zones))
    return ", ".join(parts) + ("" if zone == "UTC" and draw(st.booleans()) else f" {zone}")


_instants = st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2090, 12, 30)).flatmap(
    lambda naive: st.sampled_from(
        [naive, naive.replace(tzinfo=UTC)]
        + [naive.replace(tzinfo=ZoneInfo(z)) for z in ZONES if z != "UTC"]
    )
)
time_contexts = st.fixed_dictionaries(
    {"current_time": st.one_of(_instants, st.times().map(lambda t: t.replace(tzinfo=None)))}
)

# -- resources -------------------------------------------------------------------------

_glob_segment = st.sampled_from(["a", "b", "*", "?", "a*", "*b", "**", ".x", "a?", "ab"])
_path_segment = st.sampled_from(["a", "b", "ab", "ba", "x", ".x", "a.b", "aab", "bb"])


@st.composite
def globs(draw: st.DrawFn) -> str:
    segments = draw(st.lists(_glob_segment, min_size=1, max_size=3))
    return ("/" if draw(st.integers(0, 5)) == 0 else "") + "/".join(segments)


glob_lists = st.lists(globs(), min_size=0, max_size=3)


@st.composite
def paths(draw: st.DrawFn) -> str:
    segments = draw(st.lists(_path_segment, min_size=1, max_size=4))
    return ("/" if draw(st.integers(0, 5)) == 0 else "") + "/".join(segments)


resource_contexts = st.fixed_dictionaries({"resource_requested": paths()})

# -- rate_limit ------------------------------------------------------------------------

_counts = st.one_of(st.integers(0, 5), st.sampled_from([10, 60, 100, 120, 600, 3600]))
_rule = st.tuples(_counts, st.sampled_from([None, *PERIODS])).map(
    lambda rule: str(rule[0]) if rule[1] is None else f"{rule[0]}/{rule[1]}"
)
rate_limits = st.one_of(
    _counts,
    _rule,
    st.lists(_rule, min_size=1, max_size=3).map(", ".join),
)
rate_contexts = st.one_of(
    st.fixed_dictionaries({"requests_in_period": st.integers(0, 4000)}),
    st.fixed_dictionaries(
        {
            "requests_by_period": st.dictionaries(
                st.sampled_from(sorted(PERIODS)), st.integers(0, 200_000), min_size=1
            )
        }
    ),
)

# -- data_access -----------------------------------------------------------------------

CLASSIFICATIONS = ("public", "internal", "restricted", "secret")
_modes = st.sampled_from(["no_pii", "internal_only", "allow_all", "No_PII", "ALLOW_ALL"])
data_access_values = st.one_of(
    _modes,
    st.fixed_dictionaries(
        {"mode": _modes},
        optional={"allowed_classifications": st.lists(st.sampled_from(CLASSIFICATIONS))},
    ),
)
data_access_contexts = st.fixed_dictionaries(
    {},
    optional={
        "contains_pii": st.booleans(),
        "data_classification": st.sampled_from([*CLASSIFICATIONS, "other", "Internal "]),
    },
)

# -- communication ---------------------------------------------------------------------

DOMAINS = ("a.com", "b.a.com", "c.b.a.com", "internal.a.com", "x.org", "10.0.0.0/8", "10.1.0.0/16")
HOSTS = (
    "a.com",
    "b.a.com",
    "z.b.a.com",
    "c.b.a.com",
    "internal.a.com",
    "q.internal.a.com",
    "x.org",
    "y.x.org",
    "aa.com",
    "localhost",
    "api.localhost",
    "foo.local",
    "api.internal",
    "10.1.2.3",
    "10.2.0.1",
    "192.168.1.1",
    "8.8.8.8",
    "[::1]",
    "https://b.a.com:8443/path",
)
communication_values = st.one_of(
    st.sampled_from(["none", "internal_only", "NONE", "Internal_Only"]),
    st.lists(st.sampled_from(DOMAINS), max_size=3).map(
        lambda domains: {"mode": "allowed_domains", "allowed_domains": domains}
    ),
)
communication_contexts = st.fixed_dictionaries(
    {}, optional={"communication_target": st.sampled_from(HOSTS)}
)


@attrs.frozen
class DimensionCase:
    """A built-in dimension with strategies for its raw values and its contexts."""

    make: Callable[[], ConstraintDimension]
    values: st.SearchStrategy[Any]
    contexts: st.SearchStrategy[dict[str, Any]]


CASES: dict[str, DimensionCase] = {
    "cost_limit": DimensionCase(CostLimitDimension, cost_limits, cost_contexts),
    "time_window": DimensionCase(TimeDimension, time_windows(), time_contexts),
    "resources": DimensionCase(ResourceDimension, glob_lists, resource_contexts),
    "rate_limit": DimensionCase(RateLimitDimension, rate_limits, rate_contexts),
    "data_access": DimensionCase(DataAccessDimension, data_access_values, data_access_contexts),
    "communication": DimensionCase(
        CommunicationDimension, communication_values, communication_contexts
    ),
}
"""Every built-in, by name."""


def constraint_sets(names: tuple[str, ...] = tuple(CASES)) -> st.SearchStrategy[dict[str, Any]]:
    """Constraint sets over some of the built-ins, in a random order."""
    return st.lists(st.sampled_from(names), min_size=1, max_size=4, unique=True).flatmap(
        lambda chosen: st.fixed_dictionaries({name: CASES[name].values for name in chosen})
    )


def contexts(names: tuple[str, ...] = tuple(CASES)) -> st.SearchStrategy[dict[str, Any]]:
    """Contexts with keys for every one of ``names``."""
    return st.tuples(*(CASES[name].contexts for name in names)).map(
        lambda parts: {key: value for part in parts for key, value in part.items()}
    )
