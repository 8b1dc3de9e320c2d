"""Run properties and report: a table, counterexamples, JSON and JUnit XML."""

from __future__ import annotations

import fnmatch
import json
import multiprocessing
import os
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from xml.etree import ElementTree

from trust.proofs._property import Outcome, Property, Settings
from trust.proofs._verdict import Refuted, Unknown, Verdict


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
    if jobs <= 1 or len(chosen) <= 1 or not _can_fork():
        for prop in chosen:
            yield _outcome(prop, *_check(prop, settings))
        return
    global _PENDING
    _PENDING = (chosen, settings)
    try:
        # Forked workers inherit the properties (their checks are closures, which cannot
        # be pickled) and send back only verdicts and times, plain attrs values.
        with multiprocessing.get_context("fork").Pool(min(jobs, len(chosen))) as pool:
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


def select(properties: Iterable[Property], pattern: str | None) -> list[Property]:
    """The properties whose ``subject: name`` matches the glob or substring ``pattern``."""
    chosen = list(properties)
    if not pattern:
        return chosen
    glob = pattern if any(c in pattern for c in "*?[") else f"*{pattern}*"
    return [p for p in chosen if fnmatch.fnmatch(p.key.lower(), glob.lower())]


def table(
    outcomes: Sequence[Outcome], *, times: bool = True, wall: float | None = None
) -> str:
    """A plain-text table: property, subject, result, time, method; then counterexamples.

    Without ``times`` the time column and total are left out, so that the same outcomes
    always print the same text (a report a CI compares). ``wall`` is the run's elapsed
    time, when checks ran in parallel (the summary then gives it and the checks' total).
    """
    headers: tuple[str, ...] = ("property", "subject", "result", "time", "method")
    rows: list[tuple[str, ...]] = [
        (
            o.prop.name,
            o.prop.subject,
            o.result,
            f"{o.seconds * 1000:.0f} ms",
            o.prop.method,
        )
        for o in outcomes
    ]
    if not times:
        headers = (*headers[:3], headers[4])
        rows = [(*row[:3], row[4]) for row in rows]
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]

    def line(cells: Iterable[str]) -> str:
        return "  ".join(cells).rstrip()

    out = [line(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    out.append(line("-" * w for w in widths))
    out += [line(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    for o in outcomes:
        if isinstance(o.verdict, Refuted):
            heading = "expected counterexample" if o.ok else "COUNTEREXAMPLE"
            out.append(f"\n{heading} for {o.prop.key}:")
            out += [f"  {text}" for text in o.verdict.explain().splitlines()]
        elif not o.ok:
            out.append(f"\nNOT PROVED {o.prop.key}: {o.verdict}")
    # Properties of one subject often share a bound (the size every law is proved at):
    # each bound is listed once, with the properties it holds for.
    bounds: dict[tuple[str, str], list[str]] = {}
    for o in outcomes:
        if o.prop.bound:
            bounds.setdefault((o.prop.subject, o.prop.bound), []).append(o.prop.name)
    if bounds:
        out.append("\nbounds (what a check covers, where it is bounded):")
        for (subject, bound), names in bounds.items():
            which = names[0] if len(names) == 1 else f"{len(names)} properties"
            out.append(f"  {subject}: {which}: {bound}")
    failed = sum(not o.ok for o in outcomes)
    total = sum(o.seconds for o in outcomes)
    spent = ""
    if times:
        spent = f", {total:.2f} s" if wall is None else f", {wall:.2f} s ({total:.2f} s of checks)"
    out.append(f"\n{len(outcomes)} properties, {failed} failed{spent}")
    return "\n".join(out)


def to_json(outcomes: Sequence[Outcome]) -> str:
    """The outcomes as a JSON list."""
    return json.dumps(
        [
            {
                "property": o.prop.name,
                "subject": o.prop.subject,
                "method": o.prop.method,
                "result": o.result,
                "ok": o.ok,
                "expect_refuted": o.prop.expect_refuted,
                "bound": o.prop.bound,
                "reason": o.verdict.reason if isinstance(o.verdict, Unknown) else None,
                "seconds": round(o.seconds, 6),
                "counterexample": (
                    dict(o.verdict.counterexample) if isinstance(o.verdict, Refuted) else None
                ),
            }
            for o in outcomes
        ],
        indent=2,
    )


def write_junit(outcomes: Sequence[Outcome], path: Path) -> None:
    """Write the outcomes as a JUnit XML test suite, one test case per property."""
    suite = ElementTree.Element(
        "testsuite",
        name="care-trust proofs",
        tests=str(len(outcomes)),
        failures=str(sum(not o.ok for o in outcomes)),
        time=f"{sum(o.seconds for o in outcomes):.3f}",
    )
    for o in outcomes:
        case = ElementTree.SubElement(
            suite,
            "testcase",
            classname=o.prop.subject,
            name=o.prop.name,
            time=f"{o.seconds:.3f}",
        )
        if not o.ok:
            failure = ElementTree.SubElement(case, "failure", message=o.result)
            if isinstance(o.verdict, Refuted):
                failure.text = o.verdict.explain()
        elif isinstance(o.verdict, Refuted):
            # An expected refutation passes; its counterexample is still the point of it.
            ElementTree.SubElement(case, "system-out").text = o.verdict.explain()
    ElementTree.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)
