"""The twin of ``time_window``: windows in several zones, as sets of minutes of the day.

Domain. A constraint holds one set of local minutes per zone, a 1440-bit vector exactly
like the runtime's mask (bit ``m`` = minute ``m``): every runtime value written in the
twin's zones is one of its constraints, however many windows it lists, and compose
intersects zone by zone, as the runtime does. A context is a UTC minute of the day
(seconds are ignored, as by the runtime) together with one UTC offset per zone, each from
that zone's table; zone ``k`` reads the UTC minute plus its offset, modulo a day. Every
table holds 0: all offsets 0 is a bare time of day, which every zone reads as its own
local time. Offsets are kept modulo a day, in ``[0, 1440)``.

`TimeWindowTwin(zones)` uses the runtime's own tables
(`trust.constraints.builtin.zone_offset_minutes`) for the named zones (UTC always
among them) and encodes runtime values and contexts in them; conformance
(`proofs.conformance`), the differential tests and `proofs.verify_delegation` use it.
`encode` reads a value as the user wrote it (`read_windows`: the documented window syntax and
``all_of``), not through the runtime's parse, so the runtime's masks are held to it; a
context without a readable time stands for the dimension's clock (``now``), or is
unknown without one. Its `admissible` admits only the combinations of
offsets seen together in `SEARCHED_YEARS` (sampled daily) and a bare time of day, so that
a context z3 finds for a delegation is a real instant; its tightening, like the
runtime's, still decides over every combination (sound, and stricter than inclusion over
the combinations that occur). The laws of `proofs.laws` are proved on
`TimeWindowTwin()`, whose two zones `LAW_ZONES` have the tables `LAW_TABLES`: 0 and one
offset each, four combinations, every window in each zone. Proving them means checking
all 1440 minutes of the day, which takes z3 a few seconds per law.

Tightening is the runtime's algorithm, not a restatement of inclusion: the child escapes
through one of the parent's zones ``k`` when, at some UTC minute, some offset of ``k``
puts the child in and the parent out there while every other zone has some offset that
puts the child in. The soundness and exactness laws prove that this is inclusion over the
contexts above. A witness is the least such UTC minute, with offsets that show it.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import z3

from trust.constraints import ConstraintValue
from trust.constraints.builtin import MINUTES_PER_DAY as MINUTES
from trust.constraints.builtin import TIME_CONTEXT_KEY as CONTEXT_KEY
from trust.constraints.builtin import Unplaceable, exact_moment, instant_at
from trust.constraints.builtin import minute_intervals as intervals_of
from trust.constraints.builtin import offsets_together as together
from trust.constraints.builtin import placed_moment as placed
from trust.constraints.builtin import zone_offset_minutes as offset_minutes
from trust.proofs.twins._concrete import as_bool, as_int, first
from trust.proofs.twins._window_syntax import FULL, read_windows

BITS = 12
"""Width of a minute or an offset: ``[0, 2880)`` fits, for a minute plus an offset."""
LAW_ZONES = ("zone1", "zone2")
LAW_TABLES = ((0, 60), (0, 1140))
"""The zones and offset tables of the twin the laws are proved on (1140 is UTC-05:00)."""
SEARCHED_YEARS = range(1850, 2101)
"""Where the twin over real zones finds the combinations of offsets that occur, so that a
witness it gives `proofs.verify_delegation` is a real instant."""

_EMPTY = z3.BitVecVal(0, MINUTES)


@attrs.frozen
class Moment:
    """A context: a readable time (``known``), its UTC minute, and each zone's offset."""

    known: z3.BoolRef
    minute: z3.BitVecRef
    offsets: tuple[z3.BitVecRef, ...]


Windows = tuple[z3.BitVecRef, ...]
"""A set of local minutes per zone of the twin (all ones: the zone does not restrict)."""


def _rotate(mask: z3.BitVecRef, offset: int) -> z3.BitVecRef:
    """The UTC minutes whose local minute, ``offset`` minutes ahead, is in ``mask``."""
    return mask if offset == 0 else z3.RotateRight(mask, offset)


def _any_rotation(mask: z3.BitVecRef, offsets: Sequence[int]) -> z3.BitVecRef:
    rotations = [_rotate(mask, o) for o in offsets]
    union = rotations[0]
    for rotation in rotations[1:]:
        union = union | rotation
    return union


def _at(mask: z3.BitVecRef, minute: z3.BitVecRef) -> z3.BoolRef:
    """Whether ``mask`` holds ``minute``."""
    shift = z3.ZeroExt(MINUTES - BITS, minute)
    return z3.Extract(0, 0, z3.LShR(mask, shift)) == 1


def _local(minute: z3.BitVecRef, offset: z3.BitVecRef) -> z3.BitVecRef:
    total = minute + offset
    return z3.If(z3.UGE(total, MINUTES), total - MINUTES, total)


def _lowest(mask: z3.BitVecRef) -> z3.BitVecRef:
    """The index of the lowest set bit of ``mask`` (0 if none): its hour, then its minute."""
    hours = [z3.Extract(60 * h + 59, 60 * h, mask) for h in range(24)]
    hour = first(
        [(slice_ != 0, z3.BitVecVal(h, BITS)) for h, slice_ in enumerate(hours)],
        z3.BitVecVal(0, BITS),
    )
    within = first([(slice_ != 0, slice_) for slice_ in hours], z3.BitVecVal(0, 60))
    minute = first(
        [(z3.Extract(m, m, within) == 1, z3.BitVecVal(m, BITS)) for m in range(60)],
        z3.BitVecVal(0, BITS),
    )
    return hour * 60 + minute


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


class TimeWindowTwin:
    """Minute sets in several zones; see the module docstring.

    Args:
        zones: The IANA zones whose runtime tables the twin uses (UTC is always one);
            None for the twin the laws are proved on.
        now: The instant a context without a readable time stands for (the dimension's
            clock reads it then); None: such a context is unknown, refused by every value.
    """

    exact = True

    def __init__(self, zones: Sequence[str] | None = None, now: datetime | None = None) -> None:
        self.real = zones is not None
        self.now = now
        self.zones: tuple[str, ...] = LAW_ZONES
        self.tables: tuple[tuple[int, ...], ...] = LAW_TABLES
        if zones is not None:
            self.zones = tuple(sorted(set(zones) | {"UTC"}))
            self.tables = tuple(
                tuple(sorted({o % MINUTES for o in offset_minutes(z)})) for z in self.zones
            )

    @classmethod
    def for_values(
        cls, values: Sequence[ConstraintValue], now: datetime | None = None
    ) -> TimeWindowTwin:
        """The twin over the zones ``values`` are written in (as `encode` reads them).

        Raises:
            ValueError: A value is not one the twin reads (see `encode`).
        """
        return cls([zone for value in values for zone in read_windows(value.raw_value)], now)

    @functools.cached_property
    def _days(self) -> dict[tuple[int, ...], date]:
        """Combinations of offsets that occur together (real zones), with a day of each.

        Sampled daily over `SEARCHED_YEARS` when first needed (about a second for a few
        zones): only `admissible` and `runtime_context` need them.
        """
        if not self.real:
            return {}
        return {_modulo(c): day for c, day in together(self.zones, SEARCHED_YEARS)}

    @property
    def occurring(self) -> tuple[tuple[int, ...], ...] | None:
        """The contexts `admissible` admits: every combination of the tables' offsets
        (None), or, for real zones, those that occur (a witness must be a real instant)."""
        if not self.real:
            return None
        return tuple(dict.fromkeys([(0,) * len(self.zones), *self._days]))

    # -- the protocol ------------------------------------------------------------------

    def constraint(self, name: str) -> Windows:
        return tuple(z3.BitVec(f"{name}.{zone}", MINUTES) for zone in self.zones)

    def context(self, name: str) -> Moment:
        return Moment(
            z3.Bool(f"{name}.known"),
            z3.BitVec(f"{name}.minute", BITS),
            tuple(z3.BitVec(f"{name}.offset.{zone}", BITS) for zone in self.zones),
        )

    def well_formed(self, constraint: Windows) -> z3.BoolRef:
        return z3.BoolVal(True)  # every set of minutes is a window

    def admissible(self, context: Moment) -> z3.BoolRef:
        if self.occurring is not None:
            offsets = z3.Or(
                *[
                    z3.And(*[a == b for a, b in zip(context.offsets, c, strict=True)])
                    for c in self.occurring
                ]
            )
        else:
            offsets = z3.And(
                *[
                    z3.Or(*[offset == o for o in table])
                    for offset, table in zip(context.offsets, self.tables, strict=True)
                ]
            )
        return z3.And(z3.ULT(context.minute, MINUTES), offsets)

    def allows(self, constraint: Windows, context: Moment) -> z3.BoolRef:
        return z3.And(
            context.known,
            *[
                _at(mask, _local(context.minute, offset))
                for mask, offset in zip(constraint, context.offsets, strict=True)
            ],
        )

    def tighter(self, child: Windows, parent: Windows) -> z3.BoolRef:
        return z3.And(*[e == _EMPTY for e in self._escapes(child, parent)])

    def meet(self, a: Windows, b: Windows) -> Windows:
        return tuple(x & y for x, y in zip(a, b, strict=True))

    def witness(self, child: Windows, parent: Windows) -> Moment:
        escapes = self._escapes(child, parent)
        found = [e != _EMPTY for e in escapes]
        minute = first(
            [(f, _lowest(e)) for f, e in zip(found, escapes, strict=True)], z3.BitVecVal(0, BITS)
        )
        offsets = []
        for k, table in enumerate(self.tables):
            # The zone the child escapes through takes an offset that puts the child in
            # and the parent out; every other zone one that puts the child in.
            out = child[k] & ~parent[k]
            escape = first(
                [(_at(_rotate(out, o), minute), z3.BitVecVal(o, BITS)) for o in table],
                z3.BitVecVal(0, BITS),
            )
            stay = first(
                [(_at(_rotate(child[k], o), minute), z3.BitVecVal(o, BITS)) for o in table],
                z3.BitVecVal(0, BITS),
            )
            through = z3.And(found[k], *[z3.Not(f) for f in found[:k]])
            offsets.append(z3.If(through, escape, stay))
        return Moment(z3.BoolVal(True), minute, tuple(offsets))

    def _escapes(self, child: Windows, parent: Windows) -> list[z3.BitVecRef]:
        """Per zone, the UTC minutes at which the child escapes the parent through it."""
        reach = [_any_rotation(c, t) for c, t in zip(child, self.tables, strict=True)]
        escapes = []
        for k, table in enumerate(self.tables):
            escape = _any_rotation(child[k] & ~parent[k], table)
            for j, reached in enumerate(reach):
                if j != k:
                    escape = escape & reached
            escapes.append(escape)
        return escapes

    # -- showing -------------------------------------------------------------------------

    def show_constraint(self, model: z3.ModelRef, constraint: Windows) -> str:
        shown = []
        for zone, mask in zip(self.zones, constraint, strict=True):
            value = as_int(model, mask)
            if value != (1 << MINUTES) - 1:
                runs = ", ".join(f"{_hhmm(a)}-{_hhmm(b + 1)}" for a, b in intervals_of(value))
                shown.append(repr(f"{runs or 'never'} {zone}"))
        return "all_of [" + ", ".join(shown) + "]" if shown else "'00:00-24:00'"

    def show_context(self, model: z3.ModelRef, context: Moment) -> str:
        if not as_bool(model, context.known):
            return "time unreadable"
        offsets = ", ".join(
            f"{zone} +{as_int(model, o)} min"
            for zone, o in zip(self.zones, context.offsets, strict=True)
        )
        return f"{_hhmm(as_int(model, context.minute))} UTC with {offsets}"

    # -- crossing to the runtime -----------------------------------------------------------

    def encode(self, value: ConstraintValue) -> Windows:
        """The masks of ``value.raw_value``, zone by zone, as the twin reads it (`read_windows`).

        Raises:
            ValueError: The raw value is not a window string or an ``all_of`` of them, or
                is written in a zone the twin does not have.
        """
        masks = read_windows(value.raw_value)
        missing = sorted(masks.keys() - set(self.zones))
        if missing:
            raise ValueError(
                f"the time_window twin over {self.zones} cannot encode {value.raw_value!r} "
                f"(zones {missing})"
            )
        return tuple(z3.BitVecVal(masks.get(zone, FULL), MINUTES) for zone in self.zones)

    def encode_context(self, context: dict[str, Any]) -> Moment:
        """The context's UTC minute and each zone's offset, as the runtime reads them.

        A context whose time is missing, None or an unreadable string stands for `now`
        (the clock's), or is unknown without one.

        Raises:
            ValueError: A zone reads an offset its table lacks (the runtime's tables
                would then be unsound), or the twin has no real zones.
        """
        if not self.real:
            raise ValueError("the time_window twin the laws are proved on encodes no context")
        zero = tuple(z3.BitVecVal(0, BITS) for _ in self.zones)
        unknown = Moment(z3.BoolVal(False), z3.BitVecVal(0, BITS), zero)
        raw = context.get(CONTEXT_KEY)
        current = exact_moment(raw)
        if type(current) is str:
            try:
                current = datetime.fromisoformat(current)
            except ValueError:
                current = None
        if current is None and (raw is None or type(exact_moment(raw)) is str):
            if self.now is None:
                return unknown
            current = self.now
        if type(current) is time and current.tzinfo is None:
            minute = current.hour * 60 + current.minute
            return Moment(z3.BoolVal(True), z3.BitVecVal(minute, BITS), zero)
        if type(current) is not datetime:
            return unknown
        try:
            instant = placed(current).astimezone(UTC)
        except Unplaceable:
            return unknown
        minute = instant.hour * 60 + instant.minute
        offsets = []
        for zone, table in zip(self.zones, self.tables, strict=True):
            local = instant.astimezone(ZoneInfo(zone))
            ahead = (local.hour * 60 + local.minute - minute) % MINUTES
            if ahead not in table:
                raise ValueError(
                    f"{zone} reads {current!r} {ahead} minutes ahead of UTC, an offset its "
                    f"table {table} lacks"
                )
            offsets.append(z3.BitVecVal(ahead, BITS))
        return Moment(z3.BoolVal(True), z3.BitVecVal(minute, BITS), tuple(offsets))

    def runtime_context(self, model: z3.ModelRef, context: Moment) -> dict[str, Any]:
        """A context the runtime reads as the model's: a time of day if every offset is 0,
        else a real instant with those offsets (or, if none exists, the time of day)."""
        if not as_bool(model, context.known):
            return {CONTEXT_KEY: 0}
        minute = as_int(model, context.minute)
        offsets = {
            zone: as_int(model, o) for zone, o in zip(self.zones, context.offsets, strict=True)
        }
        day = self._days.get(tuple(offsets.values())) if self.real else None
        if day is not None and any(offsets.values()):
            instant = instant_at(minute, offsets, day)
            if instant is not None:
                return {CONTEXT_KEY: instant}
        return {CONTEXT_KEY: time(minute // 60, minute % 60)}


def _modulo(offsets: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(o % MINUTES for o in offsets)
