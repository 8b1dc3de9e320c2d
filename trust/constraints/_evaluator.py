"""Evaluate a set of constraints against a context, and check that delegations only tighten.

A constraint set is a mapping ``{dimension name: raw value}``. `evaluate` checks each
dimension and combines the verdicts by `InteractionMode`. It fails closed: an unknown or
pending dimension, a value that does not parse, a check that raises or returns something
other than a `ConstraintCheckResult`, and a context that is not a readable mapping each
make that dimension fail, with the reason; none of them raises to the caller. Every
argument is read once (`trust.constraints._reading`): the checks, the verdict and the
messages of one call all see the same reading.

How verdicts combine and what a delegated child may change are the pure rules of
`trust.constraints._modes`; an empty constraint set is satisfied in every mode. Raw
values are parsed once (`trust.constraints._parsing`) and tightening questions are
answered by `trust.constraints._tightening`; this module plans and runs evaluations.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, Protocol

import attrs

from trust import _validators as check
from trust._clock import Clock, resolve_clock
from trust._errors import InvalidTypeError
from trust._shown import describe_error
from trust.constraints._anti_gaming import DEFAULT_MAX_AGENTS, AntiGamingDetector
from trust.constraints._cache import MISSING, BoundedCache, cache_key
from trust.constraints._dimension import (
    Comparison,
    ConstraintCheckResult,
    ConstraintValue,
    unchecked_result,
)
from trust.constraints._modes import InteractionMode, combine_counts
from trust.constraints._parsing import Parsed, ValueParser
from trust.constraints._reading import read_constraint_set, read_context
from trust.constraints._registry import ConstraintDimensionRegistry
from trust.constraints._tightening import Answers, Tightening


# Not slotted, so that `_result` can fill ``__dict__`` directly on the hot path.
@attrs.frozen(kw_only=True, slots=False)
class EvaluationResult:
    """The verdict of `MultiDimensionEvaluator.evaluate`.

    Attributes:
        satisfied: The combined verdict under ``interaction_mode``.
        dimension_results: Each dimension's result, in the constraint set's order
            (read-only). Unknown, pending and unparsable dimensions are here too, failed.
        failed_dimensions: The names of the dimensions that failed, in order.
        warnings: Notes about the evaluation (unknown or pending dimensions, ...).
        anti_gaming_flags: Patterns detected for the agent; they never change ``satisfied``.
    """

    satisfied: bool
    dimension_results: Mapping[str, ConstraintCheckResult]
    interaction_mode: InteractionMode
    failed_dimensions: tuple[str, ...]
    warnings: tuple[str, ...] = ()
    anti_gaming_flags: tuple[str, ...] = ()


# One planned dimension of a constraint set: name, bound check (None when it cannot run),
# parsed value, and the ready-made failure when it cannot run.
_Step = tuple[str, Any, ConstraintValue | None, ConstraintCheckResult | None]
# The steps of a constraint set, and the warnings every evaluation of it reports.
_Plan = tuple[tuple[_Step, ...], tuple[str, ...]]
_EMPTY_WARNING = ("no constraints given: an empty constraint set restricts nothing",)


def _failure(reason: str) -> ConstraintCheckResult:
    return unchecked_result(False, reason)


def _result(
    satisfied: bool,
    results: dict[str, ConstraintCheckResult],
    mode: InteractionMode,
    failed: tuple[str, ...],
    warnings: tuple[str, ...],
    flags: tuple[str, ...],
) -> EvaluationResult:
    # Every field is already of its declared type; skip the generated __init__.
    result: EvaluationResult = object.__new__(EvaluationResult)
    fields = result.__dict__
    fields["satisfied"] = satisfied
    fields["dimension_results"] = MappingProxyType(results)
    fields["interaction_mode"] = mode
    fields["failed_dimensions"] = failed
    fields["warnings"] = warnings
    fields["anti_gaming_flags"] = flags
    return result


MAX_CACHE_BYTES = 256 * 1024 * 1024
"""What each of the evaluator's three caches may hold, in bytes (estimated, see below)."""

_PARSED_BYTES_PER_RAW_BYTE = 2048
"""An upper bound on what a parsed value holds per byte of its raw value, with its key.

The largest parsed values are glob automata: at most 2.5 states per glob character and
about 650 bytes per state (`trust.constraints.builtin._glob_automaton`); their matching
DFAs are bounded apart, process-wide. A cached plan shares its parsed values with the
value cache, so what the two hold together is bounded by both budgets.
"""


def _parsed_bytes(raw_bytes: int) -> int:
    return 200 + raw_bytes * _PARSED_BYTES_PER_RAW_BYTE


class ConstraintMetricsSink(Protocol):
    """What the evaluator reports each evaluation to (a `TrustMetricsCollector`)."""

    def record_constraint_evaluation(
        self,
        passed: bool,
        failed_dimensions: Iterable[str] | None = None,
        gaming_flags: Iterable[str] | None = None,
        duration_ms: float = 0.0,
    ) -> None: ...


class MultiDimensionEvaluator:
    """Checks actions against constraint sets, and delegations against their parents.

    Parsed constraint sets are cached (at most ``max_cached_constraint_sets`` of them and
    `MAX_CACHE_BYTES` estimated from their raw size, the oldest dropped first), so
    repeated evaluations do not re-parse; registering or
    approving a dimension in the registry invalidates the cache. Anti-gaming state is kept
    per agent for at most ``max_tracked_agents`` agents. Thread-safe.

    With ``metrics``, each evaluation is recorded with its duration, measured on
    ``clock``'s monotonic time (the system clock by default).
    """

    def __init__(
        self,
        registry: ConstraintDimensionRegistry,
        enable_anti_gaming: bool = True,
        *,
        max_cached_constraint_sets: int = 1024,
        max_tracked_agents: int = DEFAULT_MAX_AGENTS,
        metrics: ConstraintMetricsSink | None = None,
        clock: Clock | None = None,
    ) -> None:
        if not isinstance(registry, ConstraintDimensionRegistry):
            raise InvalidTypeError(
                f"registry must be a ConstraintDimensionRegistry, got {check.shown(registry)}"
            )
        if not isinstance(enable_anti_gaming, bool):
            raise InvalidTypeError(
                f"enable_anti_gaming must be a bool, got {check.shown(enable_anti_gaming)}"
            )
        size = check.positive_int(max_cached_constraint_sets, "max_cached_constraint_sets")
        self._registry = registry
        self._clock = resolve_clock(clock)
        self._detector = AntiGamingDetector(max_tracked_agents) if enable_anti_gaming else None
        self._plans: BoundedCache[bytes, tuple[int, _Plan]] = BoundedCache(
            size, max_bytes=MAX_CACHE_BYTES, weigh=lambda key, _: _parsed_bytes(len(key))
        )
        values: BoundedCache[tuple[str, bytes], tuple[int, Parsed]] = BoundedCache(
            size * 8, max_bytes=MAX_CACHE_BYTES, weigh=lambda key, _: _parsed_bytes(len(key[1]))
        )
        self._parser = ValueParser(registry, values)
        verdicts: BoundedCache[tuple[str, bytes, bytes], str | None] = BoundedCache(
            size * 8,
            max_bytes=MAX_CACHE_BYTES,
            weigh=lambda key, verdict: len(key[1]) + len(key[2]) + len(verdict or "") + 200,
        )
        answers: Answers = BoundedCache(
            size * 8,
            max_bytes=MAX_CACHE_BYTES,
            weigh=lambda key, answer: len(key[1]) + sum(map(len, answer[1])) + 200,
        )
        self._tightening = Tightening(registry, self._parser, verdicts, answers)
        self._metrics: ConstraintMetricsSink | None = None
        if metrics is not None:
            self.attach_metrics(metrics)

    def attach_metrics(self, collector: ConstraintMetricsSink) -> None:
        """Record every evaluation in ``collector`` (a `TrustMetricsCollector`) from now on.

        Each evaluation is recorded with its verdict, its anti-gaming flags and its
        duration; the dimensions that failed are recorded when the evaluation failed (a
        passing DISJUNCTIVE evaluation may have failed dimensions, and a passed evaluation
        is never recorded with failures).
        """
        if not callable(getattr(collector, "record_constraint_evaluation", None)):
            raise InvalidTypeError(
                "metrics collector must have record_constraint_evaluation(), "
                f"got {check.shown(collector)}"
            )
        self._metrics = collector

    @property
    def registry(self) -> ConstraintDimensionRegistry:
        return self._registry

    @property
    def anti_gaming_enabled(self) -> bool:
        return self._detector is not None

    # -- evaluation ------------------------------------------------------------------

    def evaluate(
        self,
        constraints: Mapping[str, Any],
        context: Mapping[str, Any],
        mode: InteractionMode = InteractionMode.CONJUNCTIVE,
        agent_id: str | None = None,
    ) -> EvaluationResult:
        """Check ``context`` against every dimension of ``constraints`` and combine by ``mode``.

        Anti-gaming detection runs when it is enabled and ``agent_id`` is given.

        Raises:
            InvalidTypeError: ``constraints`` is not a mapping with str keys, or
                ``agent_id`` is not a string. (Everything about the values and the context
                fails the evaluation instead of raising.)
            InvalidValueError: ``mode`` names no `InteractionMode`, or ``constraints``
                cannot be read or holds two keys that are the same string.
        """
        if self._metrics is None:
            return self._evaluate(constraints, context, mode, agent_id)
        started = self._clock.monotonic()
        result = self._evaluate(constraints, context, mode, agent_id)
        self._metrics.record_constraint_evaluation(
            passed=result.satisfied,
            failed_dimensions=() if result.satisfied else result.failed_dimensions,
            gaming_flags=result.anti_gaming_flags,
            duration_ms=(self._clock.monotonic() - started) * 1000,
        )
        return result

    def _evaluate(
        self,
        constraints: Mapping[str, Any],
        context: Mapping[str, Any],
        mode: InteractionMode,
        agent_id: str | None,
    ) -> EvaluationResult:
        if type(mode) is not InteractionMode:
            mode = InteractionMode.coerce(mode)
        if agent_id is not None:
            agent_id = check.identifier(agent_id)
        steps, warnings = self._plan(constraints)
        if not steps:
            return _result(True, {}, mode, (), _EMPTY_WARNING, ())
        results: dict[str, ConstraintCheckResult] = {}
        failed: list[str] = []
        if type(context) is not dict:
            # Read once: every check sees the same values, whatever the mapping does.
            read = read_context(context)
            if isinstance(read, ConstraintCheckResult):
                steps = tuple((name, None, None, failure or read) for name, _, _, failure in steps)
            else:
                context = read
        for name, run, value, failure in steps:
            if failure is not None:
                result = failure
            else:
                try:
                    result = run(value, context)
                except Exception as exc:
                    result = _failure(f"evaluation error: check raised {describe_error(exc)}")
                else:
                    # issubclass of the real type: isinstance believes a faked __class__.
                    if type(result) is not ConstraintCheckResult and not issubclass(
                        type(result), ConstraintCheckResult
                    ):
                        result = _failure(
                            f"check must return a ConstraintCheckResult, got {check.shown(result)}"
                        )
            results[name] = result
            # Read once: `failed` is the one record of every verdict from here on.
            if result.satisfied is not True:
                failed.append(name)
        # The one combine (`trust.constraints._modes`), from counts: no list on the hot path.
        # Names are unique, so the first dimension passed unless it is the first failure.
        total = len(steps)
        first = not failed or failed[0] != steps[0][0]
        satisfied = combine_counts(mode, total, total - len(failed), first)
        flags: tuple[str, ...] = ()
        if agent_id is not None and self._detector is not None:
            flags = self._detector.observe(agent_id, results.items())
        return _result(satisfied, results, mode, tuple(failed), warnings, flags)

    def _plan(self, constraints: Mapping[str, Any]) -> _Plan:
        generation = self._registry.generation
        key = cache_key(constraints)
        if key is not None:
            cached = self._plans.get(key)
            if cached is not MISSING and cached[0] == generation:  # type: ignore[index]
                return cached[1]  # type: ignore[index]
        items = read_constraint_set(constraints, "constraints")
        planned = [self._step(name, raw, generation) for name, raw in items.items()]
        plan = (
            tuple(step for step, _ in planned),
            tuple(warning for _, warning in planned if warning is not None),
        )
        if key is not None:
            self._plans.put(key, (generation, plan), replace=True)
        return plan

    def _step(self, name: str, raw: object, generation: int) -> tuple[_Step, str | None]:
        dimension = self._registry.get(name)
        value, problem = self._parser.parse(name, raw, cache_key(raw), generation)
        if dimension is None or value is None:
            reason = problem or f"dimension '{name}' cannot be used"
            # Unknown and pending dimensions are also warnings: usually a typo or a
            # forgotten review, which the operator should see without reading every result.
            return (name, None, None, _failure(reason)), reason if dimension is None else None
        return (name, dimension.check, value, None), None

    # -- tightening ------------------------------------------------------------------

    def validate_tightening(
        self,
        parent_constraints: Mapping[str, Any],
        child_constraints: Mapping[str, Any],
        mode: InteractionMode = InteractionMode.CONJUNCTIVE,
    ) -> list[str]:
        """Why ``child_constraints`` may allow something ``parent_constraints`` refuses.

        An empty list means the child is a valid tightening under ``mode``: every context
        the child's set passes, the parent's set passes. What a child may add or drop
        depends on the mode:

        - CONJUNCTIVE: it may add dimensions, never drop one.
        - DISJUNCTIVE: it may drop dimensions (not all of them), never add one.
        - INDEPENDENT: same dimensions. HIERARCHICAL: same dimensions in the same order.

        A parent with no constraints allows everything, so any child tightens it. Each
        dimension both sets share must be tighter or equal in the child; a violation names
        the dimension, both values and, when the dimension can tell, an example the child
        allows and the parent does not. Unknown, pending and unparsable dimensions on
        either side are violations: they cannot be checked.

        Each set is read once (see `read_constraint_set`), and every value parsed once.

        Raises:
            InvalidTypeError: Either set is not a mapping with str keys.
            InvalidValueError: ``mode`` names no `InteractionMode`, or a set cannot be read
                or holds two keys that are the same string.
        """
        if type(mode) is not InteractionMode:
            mode = InteractionMode.coerce(mode)
        return self._tightening.answer(parent_constraints, child_constraints, mode)

    def compare(
        self,
        a: Mapping[str, Any],
        b: Mapping[str, Any],
        mode: InteractionMode = InteractionMode.CONJUNCTIVE,
    ) -> Comparison:
        """How constraint set ``a`` relates to ``b`` under ``mode``, by `validate_tightening`.

        ``TIGHTER`` means ``a`` is a valid tightening of ``b`` and not the reverse. The
        verdict is only as exact as `validate_tightening`, which is sound and, for the
        shape of the sets, deliberately strict (a CONJUNCTIVE child may not drop a
        dimension even when the parent's value for it allows everything).

        Each set is read and parsed once for both directions, so both verdicts are about
        the same values.

        Raises:
            InvalidTypeError: Either set is not a mapping with str keys.
            InvalidValueError: ``mode`` names no `InteractionMode`, or a set cannot be read
                or holds two keys that are the same string.
        """
        mode = InteractionMode.coerce(mode)
        tightening = self._tightening
        side_a = tightening.side(read_constraint_set(a, "a"))
        side_b = tightening.side(read_constraint_set(b, "b"))
        return Comparison.from_inclusions(
            not tightening.violations(side_b, side_a, mode),
            not tightening.violations(side_a, side_b, mode),
        )
