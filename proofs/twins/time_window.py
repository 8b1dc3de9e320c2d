"""The twin of ``time_window``: windows as intervals of minutes of the day.

Bounded domain: a minute of the day is an integer in ``[0, 1440)``, which is exactly what
the runtime reads off a context (seconds are ignored). A constraint is an intersection of
conjuncts, each a union of intervals ``[start, end]`` (``start > end`` crosses midnight),
as the runtime's masks are; compose concatenates conjuncts, as the runtime does.

Tightening is set inclusion, decided without quantifiers: if ``child`` allows a minute
``parent`` refuses, the least such minute is 0, the start of one of the child's
intervals, or one past the end of one of the parent's, so only those candidates are
checked. The exactness law proves that this reduction loses nothing.

Zones: the twin covers windows in one zone (the runtime then compares local minutes,
offset 0), which includes every window without a zone. Across zones the runtime checks
every combination of the zones' UTC offsets, which is sound and deliberately stricter
than necessary; that comparison is not encoded here.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

import attrs
import z3

from proofs.twins._concrete import as_bool, as_int, first
from trust.constraints import ConstraintValue
from trust.constraints.builtin._time import MINUTES, TimeWindows, intervals_of

INTERVALS = 2
"""Intervals per window in a fresh symbolic constraint (``"a-b, c-d"``)."""


@attrs.frozen
class Interval:
    on: z3.BoolRef
    start: z3.ArithRef
    end: z3.ArithRef

    def holds(self, minute: z3.ArithRef) -> z3.BoolRef:
        return z3.And(
            self.on,
            z3.If(
                self.start <= self.end,
                z3.And(self.start <= minute, minute <= self.end),
                z3.Or(minute >= self.start, minute <= self.end),
            ),
        )


Windows = tuple[tuple[Interval, ...], ...]
"""Conjuncts of unions of intervals."""


@attrs.frozen
class Moment:
    """A context: a readable time (``known``) and its local minute of the day."""

    known: z3.BoolRef
    minute: z3.ArithRef


def _in(windows: Windows, minute: z3.ArithRef) -> z3.BoolRef:
    return z3.And(*[z3.Or(*[i.holds(minute) for i in union]) for union in windows])


def _candidates(child: Windows, parent: Windows) -> list[z3.ArithRef]:
    starts = [i.start for union in child for i in union]
    after_ends = [(i.end + 1) % MINUTES for union in parent for i in union]
    return [z3.IntVal(0), *starts, *after_ends]


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


class TimeWindowTwin:
    """Minutes in ``[0, 1440)``; see the module docstring."""

    exact = True

    def constraint(self, name: str) -> Windows:
        return (
            tuple(
                Interval(
                    z3.Bool(f"{name}.{k}.on"),
                    z3.Int(f"{name}.{k}.start"),
                    z3.Int(f"{name}.{k}.end"),
                )
                for k in range(INTERVALS)
            ),
        )

    def context(self, name: str) -> Moment:
        return Moment(z3.Bool(f"{name}.known"), z3.Int(f"{name}.minute"))

    def well_formed(self, constraint: Windows) -> z3.BoolRef:
        bounds = [
            z3.And(t >= 0, t < MINUTES)
            for union in constraint
            for i in union
            for t in (i.start, i.end)
        ]
        return z3.And(*bounds)

    def admissible(self, context: Moment) -> z3.BoolRef:
        return z3.And(context.minute >= 0, context.minute < MINUTES)

    def allows(self, constraint: Windows, context: Moment) -> z3.BoolRef:
        return z3.And(context.known, _in(constraint, context.minute))

    def tighter(self, child: Windows, parent: Windows) -> z3.BoolRef:
        return z3.And(
            *[z3.Implies(_in(child, m), _in(parent, m)) for m in _candidates(child, parent)]
        )

    def meet(self, a: Windows, b: Windows) -> Windows:
        return a + b

    def witness(self, child: Windows, parent: Windows) -> Moment:
        minute = first(
            [
                (z3.And(_in(child, m), z3.Not(_in(parent, m))), m)
                for m in _candidates(child, parent)
            ],
            z3.IntVal(0),
        )
        return Moment(z3.BoolVal(True), minute)

    def show_constraint(self, model: z3.ModelRef, constraint: Windows) -> str:
        shown = []
        for union in constraint:
            runs = [
                f"{_hhmm(as_int(model, i.start))}-{_hhmm(as_int(model, i.end))}"
                for i in union
                if as_bool(model, i.on)
            ]
            shown.append(repr(", ".join(runs)) if runs else "never")
        return shown[0] if len(shown) == 1 else "all_of [" + ", ".join(shown) + "]"

    def show_context(self, model: z3.ModelRef, context: Moment) -> str:
        if not as_bool(model, context.known):
            return "time unreadable"
        return f"time {_hhmm(as_int(model, context.minute))}"

    def encode(self, value: ConstraintValue) -> Windows:
        windows: TimeWindows = value.parsed
        if len({part.zone for part in windows.parts}) > 1:
            raise ValueError(
                f"the time_window twin covers windows in one zone, got {str(windows)!r}"
            )
        return tuple(
            tuple(
                Interval(z3.BoolVal(True), z3.IntVal(a), z3.IntVal(b))
                for a, b in intervals_of(part.mask)
            )
            for part in windows.parts
        )

    def encode_context(self, context: dict[str, Any], zone: str = "UTC") -> Moment:
        """The local minute in ``zone`` of the context's time, as the runtime reads it."""
        from zoneinfo import ZoneInfo

        current = context.get("current_time")
        if isinstance(current, str):
            try:
                current = datetime.fromisoformat(current)
            except ValueError:
                current = None
        if isinstance(current, datetime):
            aware = current if current.utcoffset() is not None else current.replace(tzinfo=UTC)
            local = aware.astimezone(ZoneInfo(zone))
            return Moment(z3.BoolVal(True), z3.IntVal(local.hour * 60 + local.minute))
        if isinstance(current, time) and current.tzinfo is None:
            return Moment(z3.BoolVal(True), z3.IntVal(current.hour * 60 + current.minute))
        return Moment(z3.BoolVal(False), z3.IntVal(0))

    def runtime_context(self, model: z3.ModelRef, context: Moment) -> dict[str, Any]:
        if not as_bool(model, context.known):
            return {"current_time": 0}
        minute = as_int(model, context.minute)
        return {"current_time": time(minute // 60, minute % 60)}
