"""Caches that keep parsed constraints alive are bounded in bytes, not only in entries.

A parsed glob set holds an automaton of up to `MAX_AUTOMATON_STATES` states (megabytes);
thousands of cache entries each keeping one alive would hold gigabytes. Every cache that
can keep a parsed value alive weighs it by what it holds.
"""

from __future__ import annotations

import gc
import tracemalloc

import pytest

from trust.constraints import ConstraintDimensionRegistry, MultiDimensionEvaluator, _evaluator
from trust.constraints.builtin import _communication, _resources, register_builtin_dimensions
from trust.constraints.builtin._glob import GlobSet
from trust.constraints.builtin._glob_automaton import NFA_STATE_BYTES

MiB = 1024 * 1024


def _big_glob(n: int) -> str:
    # About 2,800 NFA states: a couple of MiB once parsed.
    return f"d{n}/" + "/".join(f"s{i}*x?" for i in range(400))


@pytest.mark.parametrize(
    "pattern",
    [
        "/".join(f"s{i}*x?" for i in range(600)),
        "a/" + "/".join(["**", "x"] * 1500),
        "/".join(["*"] * 3000),
        "x" + "*a" * 3000,
    ],
)
def test_what_a_glob_set_is_said_to_hold_covers_what_it_holds(pattern: str) -> None:
    tracemalloc.start()
    try:
        globs = GlobSet.union([pattern])
        assert globs.automata  # built when first needed: by inclusion, and by matching
        globs.matches("x")
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert held <= globs.held_bytes
    assert globs.held_bytes <= 2 * held + NFA_STATE_BYTES  # an estimate, not a wild one


def test_many_large_constraint_sets_keep_a_bounded_amount_alive(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_evaluator, "MAX_CACHE_BYTES", 8 * MiB)
    monkeypatch.setattr(_resources, "RECENT_BYTES", 4 * MiB)
    registry = ConstraintDimensionRegistry()
    register_builtin_dimensions(registry)
    evaluator = MultiDimensionEvaluator(registry)
    gc.collect()
    tracemalloc.start()
    try:
        for n in range(40):
            result = evaluator.evaluate(
                {"resources": [_big_glob(n)]}, {"resource_requested": "other/x"}
            )
            assert not result.satisfied
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    # Three evaluator caches of 8 MiB, 4 MiB of verdicts, and slack for one in flight.
    # Weighed by entries alone, the 40 glob sets (about 75 MiB) all stayed.
    assert kept < 3 * 8 * MiB + 4 * MiB + 4 * MiB


def test_remembered_communication_verdicts_count_the_host_sets_they_keep(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_communication, "RECENT_BYTES", 1 * MiB)
    dim = _communication.CommunicationDimension()
    gc.collect()
    tracemalloc.start()
    try:
        for n in range(30):
            domains = [f"h{n}-{i}.example" for i in range(300)]
            value = dim.parse({"mode": "allowed_domains", "allowed_domains": domains})
            assert dim.check(value, {"communication_target": f"h{n}-0.example"}).satisfied
            del value
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert kept < 1 * MiB + 2 * MiB
