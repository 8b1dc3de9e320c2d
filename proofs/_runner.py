"""Run properties, in worker processes, and choose them by ``--only`` patterns.

What a run shows (rows, counterexamples, JSON, JUnit XML) is `proofs._report`.
"""

from __future__ import annotations

import fnmatch
import multiprocessing
import os
import sys
import time
from collections.abc import Iterable, Iterator, Sequence

from trust.proofs._property import Outcome, Property, Settings
from trust.proofs._verdict import Unknown, Verdict


def run(properties: Iterable[Property], settings: Settings, jobs: int = 1) -> list[Outcome]:
    """Check every property; a check that raises is reported as unknown.

    With ``jobs > 1`` (and where processes can be forked) the checks run in that many
    worker processes; the outcomes come back in the order of ``properties`` all the same.
    """
    return list(run_each(properties, settings, jobs))


def run_each(
    properties: Iterable[Property], settings: Settings, jobs: int = 1
) -> Iterator[Outcome]:
    """`run`, one outcome at a time, in the order of ``properties``, as each is known."""
    chosen = list(properties)
    if workers(jobs, len(chosen)) == 1:
        for prop in chosen:
            yield _outcome(prop, *_check(prop, settings))
        return
    global _PENDING
    _PENDING = (chosen, settings)
    try:
        # Forked workers inherit the properties (their checks are closures, which cannot
        # be pickled) and send back only verdicts and times, plain attrs values.
        with multiprocessing.get_context("fork").Pool(workers(jobs, len(chosen))) as pool:
            results = pool.imap(_check_pending, range(len(chosen)), chunksize=1)
            for prop, (verdict, seconds) in zip(chosen, results, strict=True):
                yield _outcome(prop, verdict, seconds)
    finally:
        _PENDING = None


def default_jobs() -> int:
    """The worker processes a run uses by default: one per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - platforms without affinity
        return max(1, os.cpu_count() or 1)


def workers(jobs: int, count: int) -> int:
    """The worker processes a run of ``count`` properties with ``jobs`` uses (1: in turn)."""
    if jobs <= 1 or count <= 1 or not _can_fork():
        return 1
    return min(jobs, count)


_PENDING: tuple[list[Property], Settings] | None = None


def _can_fork() -> bool:
    # fork is the only start method that hands closures to workers; macOS may abort a
    # forked process that uses system frameworks, so only Linux runs checks in parallel.
    return sys.platform.startswith("linux")


def _check_pending(index: int) -> tuple[Verdict, float]:  # pragma: no cover - in a worker
    assert _PENDING is not None
    properties, settings = _PENDING
    return _check(properties[index], settings)


def _check(prop: Property, settings: Settings) -> tuple[Verdict, float]:
    started = time.perf_counter()
    try:
        verdict = prop.check(settings)
    except Exception as error:  # a broken check must not read as proved
        verdict = Unknown(f"check raised {type(error).__name__}: {error}")
    return verdict, time.perf_counter() - started


def _outcome(prop: Property, verdict: Verdict, seconds: float) -> Outcome:
    return Outcome(prop=prop, verdict=verdict, seconds=seconds)


def select(properties: Iterable[Property], patterns: Sequence[str] | None) -> list[Property]:
    """The properties that any of ``patterns`` matches (all of them for none), in order.

    A pattern is matched against ``subject: property``, ignoring case: as a glob (the
    whole key) when it holds ``*``, ``?`` or ``[``, else as a substring.
    """
    chosen = list(properties)
    wanted = _patterns(patterns)
    if not wanted:
        return chosen
    return [p for p in chosen if any(matches(pattern, p) for pattern in wanted)]


def unmatched(properties: Iterable[Property], patterns: Sequence[str] | None) -> list[str]:
    """The patterns that match no property (a typo, most likely)."""
    chosen = list(properties)
    return [q for q in _patterns(patterns) if not any(matches(q, p) for p in chosen)]


def matches(pattern: str, prop: Property) -> bool:
    """Whether ``pattern`` (a glob or a substring, ignoring case) matches ``prop``'s key."""
    key, wanted = prop.key.casefold(), pattern.casefold()
    if any(c in wanted for c in "*?["):
        return fnmatch.fnmatchcase(key, wanted)
    return wanted in key


def _patterns(patterns: Sequence[str] | None) -> list[str]:
    # One pattern given as a bare string is that pattern, never its characters.
    if patterns is None:
        return []
    return [patterns] if isinstance(patterns, str) else list(patterns)
