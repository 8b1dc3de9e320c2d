"""`verify_dimension`: the ten laws for any dimension, on its twin and on its runtime.

A user's CI asserts ``verify_dimension(MyDimension()).ok``. Every report exercises the
runtime, and says per law what was done:

- with a twin that encodes runtime values (a built-in's, or a ``symbolic()`` twin with the
  `proofs.twins.ConcreteTwin` methods), each law is proved by z3 on the twin *and* the
  runtime's ``check``, ``validate_tightening`` and ``compose`` are held to the twin on
  concrete cases: "proved (on twin; runtime ≡ twin on N cases)";
- with a twin that does not encode runtime values, the law is proved on the twin and
  sampled on the runtime: "proved (on twin; sampled on runtime: N cases)";
- without a twin, the laws are sampled on the runtime: "passed (sampled on runtime: N
  cases)", which is evidence, not a proof.

The runtime cases are the caller's hypothesis strategies, or a built-in's catalogued
samples, or generated from a twin that decodes its models (``runtime_value`` and
``runtime_context``); with none of these the call is refused, since a twin alone proves
nothing about the code that runs. The report is deterministic: the same dimension gets
the same ``str(report)`` in every call and process (timings are kept out of it).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import attrs

from trust import InvalidTypeError, InvalidValueError
from trust.constraints import ConstraintDimension
from trust.proofs._agreement import (
    LAW_OPERATIONS,
    OPERATIONS,
    SHAPES,
    TwinFor,
    can_encode,
    generated,
    operation_law,
)
from trust.proofs._cases import Law, Lists, Sampled, Source, Strategies, origin, run_law
from trust.proofs._catalogue import CATALOGUE, law_twin
from trust.proofs._property import Outcome, Property, Settings
from trust.proofs._report import table
from trust.proofs._runner import run
from trust.proofs._sampled import NOT_SAMPLED, SHAPES_OF_LAWS, require_hypothesis, runtime_law
from trust.proofs._solver import DEFAULT_TIMEOUT_MS
from trust.proofs._verdict import Proved, Refuted, Unknown, Verdict
from trust.proofs.laws import LAW_NAMES, law_properties
from trust.proofs.twins._protocol import SymbolicTwin

AGREES = "runtime agrees with its twin"
_AGREEMENT = "z3 + runtime ≡ twin"


def twin_of(dim: ConstraintDimension) -> SymbolicTwin | None:
    """The symbolic twin of ``dim``: a built-in's own (`proofs.CATALOGUE`), its
    ``symbolic()``, or None.

    Raises:
        InvalidTypeError: ``symbolic()`` returned something that is not a `SymbolicTwin`.
    """
    return law_twin(dim)


@attrs.frozen(kw_only=True)
class DimensionReport:
    """What `verify_dimension` concluded, law by law.

    Attributes:
        dimension: The dimension's name.
        outcomes: One `Outcome` per checked law (and `AGREES`); ``outcome.prop.method``
            says how it was checked, ``str(outcome.verdict)`` what was done.
        not_checked: (law, why) for the laws the method cannot check.
        runtime_cases: Where the runtime's cases came from.
    """

    dimension: str
    outcomes: tuple[Outcome, ...]
    not_checked: tuple[tuple[str, str], ...] = ()
    runtime_cases: str = ""

    @property
    def ok(self) -> bool:
        """Whether every checked law holds; unknown is a failure, an expected refutation
        counts as holding."""
        return all(o.ok for o in self.outcomes)

    @property
    def failures(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if not o.ok)

    def outcome(self, law: str) -> Outcome:
        """The outcome of ``law`` (a name of `proofs.laws.LAW_NAMES`, or `AGREES`).

        Raises:
            InvalidValueError: No law of that name was checked.
        """
        for o in self.outcomes:
            if o.prop.name == law or o.prop.name.startswith(f"{law} ("):
                return o
        names = [o.prop.name for o in self.outcomes]
        raise InvalidValueError(f"law must be one of the checked laws {names}, got {law!r}")

    def __str__(self) -> str:
        lines = [f"verify_dimension: {self.dimension}", table(self.outcomes, times=False)]
        lines += [f"not checked: {law}: {why}" for law, why in self.not_checked]
        if self.runtime_cases:
            lines.append(f"runtime cases: {self.runtime_cases}")
        return "\n".join(lines)


def _positive(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidValueError(f"{name} must be a positive int, got {value!r}")
    return value


def _source(
    dim: ConstraintDimension, twin: SymbolicTwin | None, values: Any, contexts: Any, timeout: int
) -> Source:
    if values is not None:
        return Strategies(values, contexts)
    entry = CATALOGUE.get(type(dim))
    if entry is not None:
        return Lists(entry.values, entry.contexts, "the built-in's catalogued samples")
    made = None if twin is None else generated(twin, timeout)
    if made is not None:
        return made
    if twin is None:
        raise InvalidValueError(
            f"dimension {dim.name!r} has no symbolic() twin, so its laws can only be "
            "sampled: pass values= and contexts= (hypothesis strategies of raw constraint "
            "values and of context dicts), got neither"
        )
    raise InvalidValueError(
        f"verify_dimension holds the runtime of {dim.name!r} to its twin, and needs runtime "
        "cases for that: pass values= and contexts= (hypothesis strategies of raw constraint "
        "values and of context dicts), or give the twin runtime_value(model, constraint) and "
        "runtime_context(model, context) so that it generates them, got neither"
    )


def _twin_for(dim: ConstraintDimension, twin: SymbolicTwin, source: Source) -> TwinFor | None:
    """What encodes the runtime's values for the agreement, or None if nothing does."""
    entry = CATALOGUE.get(type(dim))
    if entry is None:
        return (lambda _values: twin) if can_encode(twin) else None
    if isinstance(source, Lists):
        # One twin over every sample value (its universe holds all their names and zones).
        fixed = entry.witness([dim.parse(raw) for raw in source.values])
        return (lambda _values: fixed) if can_encode(fixed) else None
    return entry.witness if can_encode(entry.witness([])) else None


@attrs.frozen
class _Runner:
    """Runs laws over the runtime cases of one `verify_dimension` call."""

    dimension: str
    source: Source
    max_examples: int
    timeout_ms: int

    def __call__(self, law: Law, shape: tuple[int, int], label: str) -> Sampled:
        # Seeded by dimension and law: the same cases in every call and process.
        return run_law(law, self.source, shape, self.max_examples, f"{self.dimension}:{label}")


Evidence = list[tuple[str, Callable[[], Sampled]]]
"""Runtime checks a law also rests on: (what, how to get its result), run when needed."""


def _combined(prop: Property, evidence: Evidence, what: str, method: str) -> Property:
    """``prop`` (a z3 law on the twin) also requiring the runtime ``evidence`` to hold.

    ``what`` says what the evidence was, with ``{cases}`` for how many cases it ran.
    """

    def check(settings: Settings) -> Verdict:
        verdict = prop.check(settings)
        if prop.expect_refuted or not isinstance(verdict, Proved):
            return verdict
        results = [(label, get()) for label, get in evidence]
        for label, sampled in results:
            if isinstance(sampled.verdict, Refuted):
                law = f"proved on the twin; the runtime departs from it ({label})"
                if method != _AGREEMENT or _law_name(prop) == "tightening is sound":
                    return Refuted({**sampled.verdict.counterexample, "law": law})
                # The departure is shown once, under soundness and `AGREES`.
                return Refuted({"law": law, "departure": f"see '{AGREES}'"})
            if isinstance(sampled.verdict, Unknown):
                return Unknown(f"runtime {label}: {sampled.verdict.reason}")
        cases = sum(s.cases for _, s in results)
        return Proved(note=f"on twin; {what.format(cases=f'{cases:,}')}")

    return attrs.evolve(prop, check=check, method=method)


def _law_name(prop: Property) -> str:
    return prop.name.split(" (")[0]


def _agreement_props(
    dim: ConstraintDimension, twin: SymbolicTwin, twin_for: TwinFor, runner: _Runner
) -> list[Property]:
    """Each law on the twin, resting on the runtime's agreement with it, and `AGREES`."""

    @functools.cache
    def agreement(operation: str) -> Sampled:
        law = operation_law(dim, twin_for, operation, runner.timeout_ms)
        return runner(law, SHAPES[operation], operation)

    props = [
        prop
        if prop.expect_refuted
        else _combined(
            prop,
            [(op, functools.partial(agreement, op)) for op in LAW_OPERATIONS[_law_name(prop)]],
            "runtime ≡ twin on {cases} cases",
            _AGREEMENT,
        )
        for prop in law_properties(twin, f"{dim.name} dimension")
    ]

    def agrees(_settings: Settings) -> Verdict:
        for operation in OPERATIONS:
            verdict = agreement(operation).verdict
            if not isinstance(verdict, Proved):
                return verdict
        cases = sum(agreement(op).cases for op in OPERATIONS)
        return Proved(note=f"check, validate_tightening, compose on {cases:,} cases")

    subject = f"{dim.name} dimension"
    props.append(Property(name=AGREES, subject=subject, method="runtime vs twin", check=agrees))
    return props


def _sampled_props(
    dim: ConstraintDimension, twin: SymbolicTwin | None, runner: _Runner
) -> list[Property]:
    """Each law sampled on the runtime; with a twin, also proved on it."""
    method = "hypothesis" if isinstance(runner.source, Strategies) else "sampled"

    def sampled(name: str) -> Sampled:
        return runner(runtime_law(dim, name), SHAPES_OF_LAWS[name], name)

    if twin is None:

        def check(name: str) -> Callable[[Settings], Verdict]:
            def run_it(_settings: Settings) -> Verdict:
                result = sampled(name)
                if isinstance(result.verdict, Proved):
                    return Proved(note=f"sampled on runtime: {result.cases:,} cases")
                return result.verdict

            return run_it

        subject = f"{dim.name} dimension"
        return [
            Property(name=name, subject=subject, method=method, check=check(name))
            for name in LAW_NAMES
            if name not in NOT_SAMPLED
        ]
    return [
        prop
        if prop.expect_refuted
        else _combined(
            prop,
            []
            if _law_name(prop) in NOT_SAMPLED
            else [("sampled", functools.partial(sampled, _law_name(prop)))],
            "sampled on runtime: {cases} cases"
            if _law_name(prop) not in NOT_SAMPLED
            else "cannot be sampled on the runtime",
            f"z3 + {method} runtime",
        )
        for prop in law_properties(twin, f"{dim.name} dimension")
    ]


def verify_dimension(
    dim: ConstraintDimension,
    *,
    values: Any = None,
    contexts: Any = None,
    max_examples: int = 200,
    timeout_ms: int = DEFAULT_TIMEOUT_MS,
) -> DimensionReport:
    """Check the ten constraint-algebra laws of `proofs.laws` for ``dim``, on its runtime too.

    With a twin (``dim.symbolic()``, or a built-in's), each law is a z3 proof on the twin,
    and the runtime is held to the twin: if the twin encodes runtime values (``encode``,
    ``encode_context``, see `proofs.twins.ConcreteTwin`), the runtime's ``check``,
    ``validate_tightening`` and ``compose`` must agree with it on every case (one more
    row, `AGREES`, sums that up), else each law is also sampled on the runtime. Without a
    twin, the laws are sampled on the runtime and "tightening is exact" is listed in
    ``not_checked``.

    The runtime's cases are ``values`` and ``contexts`` when given (hypothesis is then
    imported: ``pip install hypothesis``); else a built-in's catalogued samples; else
    generated from the twin's own models if it decodes them (``runtime_value(model,
    constraint)`` returning a raw value ``dim.parse`` accepts, and ``runtime_context``).

    Args:
        dim: The dimension to check.
        values: A hypothesis strategy of raw constraint values ``dim.parse`` accepts.
        contexts: A hypothesis strategy of context dicts.
        max_examples: Runtime cases per law (or per operation of the agreement).
        timeout_ms: Per-query z3 timeout; a timeout is `Unknown`, a failure.

    Returns:
        A `DimensionReport`; ``report.ok`` is what a CI asserts, ``str(report)`` a table
        with every counterexample in the dimension's notation, the same in every run.

    Raises:
        InvalidTypeError: ``dim`` is not a `ConstraintDimension`, or its ``symbolic()``
            returned no `SymbolicTwin`.
        InvalidValueError: No runtime cases can be had (no strategies, not a built-in,
            no twin that decodes), a strategy without the other, or a non-positive
            ``max_examples`` or ``timeout_ms``.
        ImportError: Strategies are given and hypothesis is not installed.
    """
    if not isinstance(dim, ConstraintDimension):
        raise InvalidTypeError(f"dim must be a ConstraintDimension, got {dim!r}")
    _positive(max_examples, "max_examples")
    _positive(timeout_ms, "timeout_ms")
    if (values is None) != (contexts is None):
        raise InvalidValueError(
            "values and contexts go together (both hypothesis strategies, or neither), "
            f"got values={values!r}, contexts={contexts!r}"
        )
    if values is not None:
        # Before any property runs: the runner would turn the ImportError into "unknown".
        require_hypothesis()
    twin = twin_of(dim)
    source = _source(dim, twin, values, contexts, timeout_ms)
    runner = _Runner(dim.name, source, max_examples, timeout_ms)
    twin_for = None if twin is None else _twin_for(dim, twin, source)
    if twin is not None and twin_for is not None:
        props = _agreement_props(dim, twin, twin_for, runner)
    else:
        props = _sampled_props(dim, twin, runner)
    entry = CATALOGUE.get(type(dim))
    # A built-in's laws get the floor the proof run gives them (`least_timeout_ms`).
    least = 0 if entry is None else entry.least_timeout_ms
    return DimensionReport(
        dimension=dim.name,
        outcomes=tuple(run(props, Settings(timeout_ms=max(timeout_ms, least)))),
        not_checked=tuple(NOT_SAMPLED.items()) if twin is None else (),
        runtime_cases=origin(source),
    )


__all__ = ["AGREES", "DimensionReport", "twin_of", "verify_dimension"]
