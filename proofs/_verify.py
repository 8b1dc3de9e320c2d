"""`verify_dimension`: the ten laws for any dimension, proved with its twin or sampled.

A user's CI asserts ``verify_dimension(MyDimension()).ok``. A dimension that offers a
symbolic twin (``symbolic()``, see `proofs.twins.SymbolicTwin`) gets the same z3 proofs
as the built-ins; one without a twin is law-checked by hypothesis on the strategies the
caller gives, since its domain cannot be guessed.
"""

from __future__ import annotations

from typing import Any

import attrs

from proofs._property import Outcome, Property, Settings
from proofs._runner import run, table
from proofs._sampled import NOT_SAMPLED, require_hypothesis, sample, sampled_law_properties
from proofs._solver import DEFAULT_TIMEOUT_MS
from proofs._verdict import Verdict
from proofs.laws import LAW_NAMES, law_properties
from proofs.twins import law_twin
from proofs.twins._concrete import decide
from proofs.twins._protocol import SymbolicTwin
from trust._errors import InvalidTypeError, InvalidValueError
from trust.constraints import ConstraintDimension

AGREES = "runtime agrees with its twin"


def twin_of(dim: ConstraintDimension) -> SymbolicTwin | None:
    """The symbolic twin of ``dim``: a built-in's own (`proofs.twins.CATALOGUE`), its
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
        outcomes: One `Outcome` per checked law; ``outcome.prop.method`` is ``"z3"``
            (proved on the twin) or ``"hypothesis"`` (sampled on the runtime).
        not_checked: (law, why) for the laws the method cannot check.
    """

    dimension: str
    outcomes: tuple[Outcome, ...]
    not_checked: tuple[tuple[str, str], ...] = ()

    @property
    def ok(self) -> bool:
        """Whether every checked law holds (an expected refutation counts as holding)."""
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
        lines = [f"verify_dimension: {self.dimension}", table(self.outcomes)]
        lines += [f"not checked: {law}: {why}" for law, why in self.not_checked]
        return "\n".join(lines)


def _positive(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidValueError(f"{name} must be a positive int, got {value!r}")
    return value


def _agreement(
    dim: ConstraintDimension, twin: Any, values: Any, contexts: Any, max_examples: int
) -> Property:
    """Hypothesis compares the runtime's check, tightening and compose with the twin's."""

    def law(raws: list[Any], ctxs: list[dict[str, Any]]) -> dict[str, str] | None:
        shown = {"a": repr(raws[0]), "b": repr(raws[1]), "context": repr(ctxs[0])}
        try:
            a, b = dim.parse(raws[0]), dim.parse(raws[1])
            ta, tb, ctx = twin.encode(a), twin.encode(b), twin.encode_context(dict(ctxs[0]))
            pairs = [
                ("check(a)", dim.check(a, dict(ctxs[0])).satisfied is True, twin.allows(ta, ctx)),
                (
                    "validate_tightening(b, a)",
                    dim.validate_tightening(b, a) is True,
                    twin.tighter(ta, tb),
                ),
                (
                    "check(compose([a, b]))",
                    dim.check(dim.compose([a, b]), dict(ctxs[0])).satisfied is True,
                    twin.allows(twin.meet(ta, tb), ctx),
                ),
            ]
            for what, runtime, symbolic in pairs:
                expected = decide(symbolic)
                if runtime != expected:
                    return {**shown, "because": f"runtime {what} is {runtime}, twin {expected}"}
        except Exception as error:  # a runtime or twin that raises on valid inputs
            return {**shown, "raised": f"{type(error).__name__}: {error}"}
        return None

    def check(_settings: Settings) -> Verdict:
        return sample(law, values, contexts, (2, 1), max_examples)

    return Property(name=AGREES, subject=f"{dim.name} dimension", method="hypothesis", check=check)


def verify_dimension(
    dim: ConstraintDimension,
    *,
    values: Any = None,
    contexts: Any = None,
    max_examples: int = 200,
    timeout_ms: int = DEFAULT_TIMEOUT_MS,
) -> DimensionReport:
    """Check the ten constraint-algebra laws of `proofs.laws` for ``dim``.

    With a twin (``dim.symbolic()``, or a built-in's), each law is a z3 proof on the twin.
    If the twin also encodes runtime values (``encode``/``encode_context``, see
    `proofs.twins.ConcreteTwin`) and ``values`` and ``contexts`` are given, one more
    property, `AGREES`, samples the runtime against the twin: a proof about a twin the
    runtime does not match is worth nothing.

    Without a twin, ``values`` and ``contexts`` are required and every law that sampling
    can check is run by hypothesis on the runtime; "tightening is exact" is then listed
    in ``not_checked``. Hypothesis is imported only then (``pip install hypothesis``).

    Args:
        dim: The dimension to check.
        values: A hypothesis strategy of raw constraint values ``dim.parse`` accepts.
        contexts: A hypothesis strategy of context dicts.
        max_examples: Samples per sampled law.
        timeout_ms: Per-query z3 timeout; a timeout is `Unknown`, never proved.

    Returns:
        A `DimensionReport`; ``report.ok`` is what a CI asserts, ``str(report)`` a table
        with every counterexample in the dimension's notation.

    Raises:
        InvalidTypeError: ``dim`` is not a `ConstraintDimension`, or its ``symbolic()``
            returned no `SymbolicTwin`.
        InvalidValueError: No twin and no strategies, a strategy without the other, or a
            non-positive ``max_examples`` or ``timeout_ms``.
        ImportError: Sampling is needed and hypothesis is not installed.
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
    settings = Settings(timeout_ms=timeout_ms)
    if twin is not None:
        props = law_properties(twin, f"{dim.name} dimension")
        if values is not None and callable(getattr(twin, "encode", None)):
            props.append(_agreement(dim, twin, values, contexts, max_examples))
        return DimensionReport(dimension=dim.name, outcomes=tuple(run(props, settings)))
    if values is None:
        raise InvalidValueError(
            f"dimension {dim.name!r} has no symbolic() twin, so its laws can only be "
            "sampled: pass values= and contexts= (hypothesis strategies of raw constraint "
            "values and of context dicts), got neither"
        )
    props = sampled_law_properties(dim, values, contexts, max_examples)
    return DimensionReport(
        dimension=dim.name,
        outcomes=tuple(run(props, settings)),
        not_checked=tuple(NOT_SAMPLED.items()),
    )


__all__ = ["AGREES", "LAW_NAMES", "DimensionReport", "twin_of", "verify_dimension"]
