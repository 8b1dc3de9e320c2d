"""The conformance universes of ``cost_limit``, ``rate_limit`` and ``data_access``.

Each is exhaustive over a small set of values chosen for their corners (boundaries, the
forms the parser reads, what compose writes) and contexts at every boundary those values
have, plus malformed contexts. `Scope` says, for the proof table, what is enumerated.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Iterable, Mapping
from typing import Any

import attrs
import z3

from trust.constraints.builtin import CostLimitDimension, DataAccessDimension, RateLimitDimension
from trust.proofs.conformance._compare import TwinFor, Universe
from trust.proofs.twins import CostTwin, DataAccessTwin, RateTwin


@attrs.frozen(kw_only=True)
class Scope:
    """A universe and the words the proof table uses for it (its `Property.bound`).

    Attributes:
        universe: What the conformance check enumerates.
        bound: What it covers, for the proof table.
        twins: Every twin whose domain a value of the dimension may lie in (by default
            the universe's): `proofs.unproved` asks each of them to encode a value.
    """

    universe: Universe
    bound: str
    twins: tuple[TwinFor, ...] = ()

    @property
    def covering(self) -> tuple[TwinFor, ...]:
        return self.twins or (self.universe.twin,)


# -- cost_limit ----------------------------------------------------------------------------

_LIMITS: tuple[Any, ...] = (
    0,
    0.5,
    1,
    "2.25",
    10,
    100.0,
    5e-324,
    2**53,
    2**53 + 1,
    2**53 + 3,  # rounds up as a float: read as 2**53 + 2, never above what is written
    "9007199254740995",
    1.7976931348623157e308,
)


def unique(items: Iterable[Any]) -> list[Any]:
    """``items`` without repeats, where 0, 0.0, -0.0 and False are all different."""
    return list({(type(item), repr(item)): item for item in items}.values())


def _around(number: float) -> list[float]:
    return [math.nextafter(number, -math.inf), number, math.nextafter(number, math.inf)]


@functools.cache
def cost_scope(deep: bool) -> Scope:
    """Every limit of `_LIMITS` (more in deep) against costs at and beside each limit."""
    limits = list(_LIMITS)
    if deep:
        limits += [n / 4 for n in range(1, 41)] + ["1e3", " 7 ", 2**60, 3 * 2**52 + 1]
    costs: list[Any] = [0, 0.0, -0.0, 1, 10, 2**53, 2**53 + 1, 2**53 + 2, 2**53 + 3, 10**400]
    for limit in limits:
        costs += _around(float(limit))
    malformed: list[Any] = [None, -1, -0.5, math.nan, math.inf, -math.inf, "5", True, False, [1]]
    contexts: list[dict[str, Any]] = [{}]
    contexts += [{"cost_used": c} for c in unique(costs + malformed)]
    return Scope(
        universe=Universe(
            dimension=CostLimitDimension(),
            values=tuple(limits),
            contexts=tuple(contexts),
            twin=lambda values: CostTwin(),
            ordered_pairs=True,
        ),
        bound=(
            f"{len(limits)} limits (0, subnormal, 2**53 and its neighbours, the largest "
            f"float, numeric strings) x {len(contexts)} contexts (each limit and the floats "
            "beside it, ints past 2**53, missing, NaN, inf, negative, bool, str); the limit is "
            "the runtime's parse (the nearest float, never rounded up past a whole cent)"
        ),
    )


# -- rate_limit ----------------------------------------------------------------------------

_PERIODS = ("", "/second", "/minute", "/hour", "/day")
_RATE_EXTRA: tuple[Any, ...] = (
    "10/second, 100/minute",
    "1/second, 50/minute, 1000/hour",
    "60/minute, 1440",
    " 5 / Minute ",
    "3/hour, 3/HOUR",
    "0/day",
)
_SLOTS = ("second", "minute", "hour", "day")
_MALFORMED_RATES: tuple[dict[str, Any], ...] = (
    {},
    {"requests_in_period": None},
    {"requests_by_period": {}},
    {"requests_in_period": -1},
    {"requests_in_period": True},
    {"requests_in_period": "5"},
    {"requests_in_period": 1.0},
    {"requests_by_period": {"week": 1}},
    {"requests_by_period": {"minute": -1}},
    {"requests_by_period": {"Minute": 1}},
    {"requests_by_period": [1]},
    {"requests_by_period": None, "requests_in_period": 1},
    {"requests_in_period": 5, "requests_by_period": {"hour": 7, "day": 7}},
)


def _at_caps(rate: Any) -> list[dict[str, Any]]:
    """A count at and one past each cap of an encoded ``rate``, in the key that reads it."""
    caps = rate.caps
    contexts: list[dict[str, Any]] = []
    for window, cap in enumerate(caps[:4]):
        if not z3.is_true(cap.bounded):
            continue
        for count in (cap.value.as_long(), cap.value.as_long() + 1):
            if window == 0:
                contexts.append({"requests_in_period": count})
            contexts.append({"requests_by_period": {_SLOTS[window]: count}})
    return contexts


@functools.cache
def rate_scope(deep: bool) -> Scope:
    """Counts x periods and multi-rule values; counts at and past every cap of each."""
    counts = (0, 1, 2, 10, 60, 61) if deep else (0, 1, 10, 60)
    values: list[Any] = [int(n) if not p else f"{n}{p}" for n in counts for p in _PERIODS] + list(
        _RATE_EXTRA
    )
    contexts = list(_MALFORMED_RATES) + [{"requests_in_period": n} for n in (0, 1, 60, 10**30)]
    return Scope(
        universe=Universe(
            dimension=RateLimitDimension(),
            values=tuple(values),
            contexts=tuple(contexts),
            twin=lambda parsed: RateTwin(),
            contexts_for=_at_caps,
            tightening_composed=60 if deep else 20,
            ordered_pairs=deep,
        ),
        bound=(
            f"{len(values)} limits (counts {list(counts)} per second, minute, hour, day or "
            "in total; multi-rule values) and every composed pair, each checked on "
            f"{len(contexts)} contexts (malformed counts among them) and on a count at and "
            "one past each of its own caps, in requests_in_period and in the "
            "requests_by_period slot of that window"
        ),
    )


# -- data_access ---------------------------------------------------------------------------

_CLASSES = ("internal", "public", "secret")


@functools.cache
def data_access_scope(deep: bool) -> Scope:
    """Every mode x every subset of three classifications; every kind of context."""
    values: list[Any] = ["no_pii", "internal_only", "allow_all", " Allow_All "]
    for mode in ("no_pii", "internal_only", "allow_all"):
        for size in range(len(_CLASSES) + 1):
            for chosen in itertools.combinations(_CLASSES, size):
                values.append({"mode": mode, "allowed_classifications": list(chosen)})
    values += [{"allowed_classifications": "Confidential "}, {"mode": "internal_only"}]
    if deep:
        values += [
            {"mode": m, "allowed_classifications": [c, "confidential"]}
            for m in ("no_pii", "allow_all")
            for c in _CLASSES
        ]
    pii: list[Any] = ["-", None, False, True, "yes", 1]
    classes: list[Any] = ["-", None, "internal", "Public ", "secret", "confidential", "x", "", 5]
    contexts: list[Mapping[str, Any]] = [
        {
            **({} if p == "-" else {"contains_pii": p}),
            **({} if c == "-" else {"data_classification": c}),
        }
        for p in pii
        for c in classes
    ]
    return Scope(
        universe=Universe(
            dimension=DataAccessDimension(),
            values=tuple(values),
            contexts=tuple(contexts),
            twin=DataAccessTwin.for_values,
            tightening_composed=40 if deep else 20,
            ordered_pairs=deep,
        ),
        bound=(
            f"{len(values)} policies (each mode alone and with every subset of "
            f"{list(_CLASSES)}, case and spaces, a fourth name) and every composed pair, "
            f"x {len(contexts)} contexts (contains_pii absent/None/False/True/malformed x "
            "data_classification absent/None/listed/other/blank/malformed)"
        ),
    )
