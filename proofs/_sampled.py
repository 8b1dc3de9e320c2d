"""The constraint-algebra laws checked on the runtime itself, case by case.

`runtime_law` runs the runtime's ``parse``, ``check``, ``validate_tightening`` and
``compose`` on raw values and contexts and says which law fails, in the user's notation;
`proofs._cases` feeds it the caller's strategies (through `sample`: hypothesis, shrinking
a failure) or finite lists. `proofs.verify_dimension` uses it for a dimension with no
twin, and for one whose twin cannot encode runtime values. A law that holds on every case
is evidence, not a proof. Hypothesis is a ``[dev]`` extra, so it is imported only here,
when a sampling check runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from trust.constraints import ConstraintDimension, ConstraintValue
from trust.proofs._verdict import Proved, Refuted, Verdict

NOT_SAMPLED = {
    "tightening is exact": (
        "sampling cannot show that a rejected child allows nothing more than its parent; "
        "give the dimension a symbolic() twin to prove it"
    ),
}
"""The laws sampling cannot check, and why."""

Law = Callable[[ConstraintDimension, list[ConstraintValue], list[dict[str, Any]]], str | None]
"""A law over parsed values and contexts: None when it holds, else what went wrong."""

_SHAPES: dict[str, tuple[int, int]] = {}
"""How many constraint values and contexts each law draws."""

SHAPES_OF_LAWS = _SHAPES

_LAWS: dict[str, Law] = {}


def _law(name: str, values: int, contexts: int) -> Callable[[Law], Law]:
    def register(law: Law) -> Law:
        _SHAPES[name] = (values, contexts)
        _LAWS[name] = law
        return law

    return register


def _tight(dim: ConstraintDimension, parent: ConstraintValue, child: ConstraintValue) -> bool:
    return dim.validate_tightening(parent, child) is True


def _same(dim: ConstraintDimension, a: ConstraintValue, b: ConstraintValue) -> bool:
    return _tight(dim, a, b) and _tight(dim, b, a)


def _allows(dim: ConstraintDimension, c: ConstraintValue, ctx: dict[str, Any]) -> bool:
    return dim.check(c, dict(ctx)).satisfied is True


def _raw(value: ConstraintValue) -> str:
    return repr(value.raw_value)


@_law("tightening is sound", 2, 1)
def _sound(
    dim: ConstraintDimension, v: list[ConstraintValue], x: list[dict[str, Any]]
) -> str | None:
    parent, child = v
    if _tight(dim, parent, child) and _allows(dim, child, x[0]) and not _allows(dim, parent, x[0]):
        return (
            "validate_tightening accepts the child, which allows the context; the parent refuses it"
        )
    return None


@_law("tightening is reflexive", 1, 0)
def _reflexive(dim: ConstraintDimension, v: list[ConstraintValue], _: Any) -> str | None:
    return None if _tight(dim, v[0], v[0]) else "validate_tightening(a, a) is not True"


@_law("tightening is transitive", 3, 0)
def _transitive(dim: ConstraintDimension, v: list[ConstraintValue], _: Any) -> str | None:
    a, b, c = v
    if _tight(dim, b, a) and _tight(dim, c, b) and not _tight(dim, c, a):
        return "a is within b and b within c, but a is not within c"
    return None


@_law("compose is a lower bound of each input", 2, 0)
def _lower_bound(dim: ConstraintDimension, v: list[ConstraintValue], _: Any) -> str | None:
    a, b = v
    met = dim.compose([a, b])
    if not (_tight(dim, a, met) and _tight(dim, b, met)):
        return f"compose([a, b]) = {_raw(met)} is not within both a and b"
    return None


@_law("compose is the greatest lower bound", 3, 0)
def _greatest(dim: ConstraintDimension, v: list[ConstraintValue], _: Any) -> str | None:
    a, b, x = v
    met = dim.compose([a, b])
    if _tight(dim, a, x) and _tight(dim, b, x) and not _tight(dim, met, x):
        return f"the third value is within a and b but not within compose([a, b]) = {_raw(met)}"
    return None


@_law("compose allows exactly what every input allows", 2, 1)
def _intersection(
    dim: ConstraintDimension, v: list[ConstraintValue], x: list[dict[str, Any]]
) -> str | None:
    a, b = v
    met = dim.compose([a, b])
    both = _allows(dim, a, x[0]) and _allows(dim, b, x[0])
    if _allows(dim, met, x[0]) != both:
        verb = "allows" if both is False else "refuses"
        return f"compose([a, b]) = {_raw(met)} {verb} the context, unlike a and b together"
    return None


@_law("compose is commutative", 2, 0)
def _commutative(dim: ConstraintDimension, v: list[ConstraintValue], _: Any) -> str | None:
    a, b = v
    ab, ba = dim.compose([a, b]), dim.compose([b, a])
    return (
        None
        if _same(dim, ab, ba)
        else f"compose([a, b]) = {_raw(ab)}, compose([b, a]) = {_raw(ba)}"
    )


@_law("compose is associative", 3, 0)
def _associative(dim: ConstraintDimension, v: list[ConstraintValue], _: Any) -> str | None:
    a, b, c = v
    left = dim.compose([dim.compose([a, b]), c])
    right = dim.compose([a, dim.compose([b, c])])
    if _same(dim, left, right):
        return None
    return f"compose(compose(a, b), c) = {_raw(left)}, compose(a, compose(b, c)) = {_raw(right)}"


@_law("compose is idempotent", 1, 0)
def _idempotent(dim: ConstraintDimension, v: list[ConstraintValue], _: Any) -> str | None:
    met = dim.compose([v[0], v[0]])
    return None if _same(dim, met, v[0]) else f"compose([a, a]) = {_raw(met)} differs from a"


_LABELS = {1: ("a",), 2: ("a", "b"), 3: ("a", "b", "c")}


def _labels(name: str, count: int) -> tuple[str, ...]:
    if name == "tightening is sound":
        return ("parent", "child")
    if name == "compose is the greatest lower bound":
        return ("a", "b", "below both")
    return _LABELS[count]


def require_hypothesis() -> None:
    """Fail early, and say how to fix it, when hypothesis is not installed.

    Raises:
        ImportError: hypothesis cannot be imported.
    """
    try:
        import hypothesis  # noqa: F401
    except ImportError as error:
        raise ImportError(
            "sampling a dimension's laws needs hypothesis, which is not installed: "
            "pip install hypothesis (or care-trust[dev])"
        ) from error


def sample(
    law: Callable[[list[Any], list[dict[str, Any]]], Mapping[str, str] | None],
    values: Any,
    contexts: Any,
    shape: tuple[int, int],
    max_examples: int,
) -> Verdict:
    """Search for inputs on which ``law`` reports a failure; the shrunk one refutes it.

    ``law`` gets raw values and contexts and returns the counterexample to show, or None.
    Deterministic: derandomized, with no example database.

    Raises:
        ImportError: hypothesis is not installed (it is a ``[dev]`` extra).
    """
    require_hypothesis()
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from hypothesis.reporting import with_reporter

    class Broken(Exception):
        def __init__(self, shown: Mapping[str, str]) -> None:
            super().__init__(dict(shown))
            self.shown = shown

    @settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        report_multiple_bugs=False,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.filter_too_much,
            HealthCheck.data_too_large,
        ],
    )
    @given(
        st.lists(values, min_size=shape[0], max_size=shape[0]),
        st.lists(contexts, min_size=shape[1], max_size=shape[1]),
    )
    def search(raws: list[Any], ctxs: list[dict[str, Any]]) -> None:
        shown = law(raws, ctxs)
        if shown is not None:
            raise Broken(shown)

    # Hypothesis prints the falsifying example; the verdict carries it instead.
    with with_reporter(lambda _text: None):
        try:
            search()
        except Broken as broken:
            return Refuted(broken.shown)
    return Proved()


def runtime_law(
    dim: ConstraintDimension, name: str
) -> Callable[[list[Any], list[dict[str, Any]]], Mapping[str, str] | None]:
    law = _LAWS[name]
    values_drawn, _ = _SHAPES[name]
    labels = _labels(name, values_drawn)

    def run(raws: list[Any], ctxs: list[dict[str, Any]]) -> Mapping[str, str] | None:
        shown = {label: repr(raw) for label, raw in zip(labels, raws, strict=True)}
        if ctxs:
            shown["context"] = repr(ctxs[0])
        try:
            parsed = [dim.parse(raw) for raw in raws]
            problem = law(dim, parsed, ctxs)
        except Exception as error:  # a law whose runtime raises on valid inputs is broken
            return {**shown, "raised": f"{type(error).__name__}: {error}"}
        return None if problem is None else {**shown, "because": problem}

    return run


__all__ = [
    "NOT_SAMPLED",
    "SHAPES_OF_LAWS",
    "require_hypothesis",
    "runtime_law",
    "sample",
]
