"""Where `proofs.verify_dimension` gets concrete runtime cases, and how it runs a law on them.

A law over concrete cases is a function of raw constraint values and contexts that
returns the counterexample to show, or None. Its cases come from one of two sources:

- `Strategies`: the caller's hypothesis strategies; hypothesis searches them
  (derandomized) and shrinks a failure.
- `Lists`: finite lists of raw values and contexts: a built-in's catalogued samples, or
  what a twin generated from its own models. Every combination is run when there are at
  most ``max_examples`` of them, else a fixed pseudo-random choice of ``max_examples``
  (seeded by the law's name, so the same in every run and process).

Either way the result counts the cases run, for the report.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from trust.proofs._sampled import sample
from trust.proofs._verdict import Proved, Refuted, Unknown, Verdict

Law = Callable[[list[Any], list[dict[str, Any]]], Mapping[str, str] | None]
"""Raw values and contexts in, the counterexample to show (or None) out."""


class Undecided(Exception):
    """A case the checker could not decide (z3 gave up): the law's verdict is unknown."""


@attrs.frozen
class Strategies:
    """Hypothesis strategies of raw constraint values and of context dicts."""

    values: Any
    contexts: Any


@attrs.frozen
class Lists:
    """Finite lists of raw constraint values and of context dicts, and where they came from."""

    values: tuple[Any, ...]
    contexts: tuple[dict[str, Any], ...]
    origin: str


Source = Strategies | Lists


@attrs.frozen
class Sampled:
    """A law's verdict on the runtime and how many cases it ran."""

    verdict: Verdict
    cases: int


def _enumerate(
    law: Law, source: Lists, shape: tuple[int, int], max_examples: int, seed: str
) -> Verdict:
    values, contexts = shape
    pools = [source.values] * values + [source.contexts] * contexts
    combinations = list(itertools.product(*[range(len(pool)) for pool in pools]))
    if len(combinations) > max_examples:
        # A string seed is hashed by random itself, not by hash(): the same everywhere.
        combinations = random.Random(seed).sample(combinations, max_examples)
    for picks in combinations:
        chosen = [pool[i] for pool, i in zip(pools, picks, strict=True)]
        shown = law(list(chosen[:values]), [dict(c) for c in chosen[values:]])
        if shown is not None:
            return Refuted(shown)
    return Proved()


def run_law(
    law: Law, source: Source, shape: tuple[int, int], max_examples: int, seed: str
) -> Sampled:
    """``law`` on ``shape`` = (values, contexts) drawn from ``source``; a case z3 cannot
    decide makes the verdict `Unknown`.

    Raises:
        ImportError: ``source`` is `Strategies` and hypothesis is not installed.
    """
    count = 0

    def counted(raws: list[Any], ctxs: list[dict[str, Any]]) -> Mapping[str, str] | None:
        nonlocal count
        count += 1
        return law(raws, ctxs)

    try:
        if isinstance(source, Strategies):
            verdict = sample(counted, source.values, source.contexts, shape, max_examples)
        else:
            verdict = _enumerate(counted, source, shape, max_examples, seed)
    except Undecided as undecided:
        return Sampled(Unknown(str(undecided)), count)
    return Sampled(verdict, count)


def origin(source: Source) -> str:
    """Where ``source``'s cases come from, for the report."""
    return source.origin if isinstance(source, Lists) else "drawn from your strategies"


def distinct(items: Sequence[Any]) -> tuple[Any, ...]:
    """``items`` without repeats (by repr), in order."""
    seen: dict[str, Any] = {}
    for item in items:
        seen.setdefault(repr(item), item)
    return tuple(seen.values())


__all__ = [
    "Law",
    "Lists",
    "Sampled",
    "Source",
    "Strategies",
    "Undecided",
    "distinct",
    "origin",
    "run_law",
]
