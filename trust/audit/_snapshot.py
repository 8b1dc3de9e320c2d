"""Snapshots: bounded, JSON-safe copies of caller values, taken for the audit trail.

An audit entry keeps what an action was given and what it returned, and the log keeps
thousands of entries, so a snapshot must be small whatever it is given, and taking one
must never fail: a value that cannot be shown is recorded as such, never dropped.

Whatever a value raises while it is read or printed is recorded as a marker,
`BaseException` included, except a request to stop the process (`KeyboardInterrupt`,
`SystemExit`): that is passed on, at once, or, when the snapshot is taken for an audit
entry, once the entry is written (see `trust._shown.deferring`).

Budgets, per snapshot:

- `MAX_SNAPSHOT_BYTES` in all. Every value is charged the larger of its canonical JSON
  size and the memory it keeps (``sys.getsizeof``, plus the slot its container gives
  it), so both the snapshot's canonical JSON and the memory it retains stay under it.
- `MAX_SNAPSHOT_ITEMS` elements per sequence or set, and items per mapping;
  `MAX_SNAPSHOT_DEPTH` levels of nesting.
- `MAX_SNAPSHOT_TEXT` characters per string (or ``repr`` of another object).
- Integers of at most `MAX_SNAPSHOT_INT_DIGITS` digits are kept exactly.

What is cut says so in the snapshot: a string ends with ``... (N chars)``; a list ends
with ``"<truncated: N more items>"``; a mapping gains the key ``"<truncated>"``; a
container nested too deep becomes ``"<truncated: list nested deeper than 20>"``; an
integer too large becomes ``"<int too large: N bits>"``; a value whose ``repr`` (or a key
whose ``str``) raises becomes ``"<unrepresentable: ValueError in __repr__>"``. A lone
surrogate, which UTF-8 cannot encode, is kept as its escape (``\\ud800``).

Types are read with ``type()`` and ``issubclass``, never ``isinstance``: a value may
override ``__class__`` to look like (or to raise instead of saying) what it is.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Mapping, Sequence, Set
from json.encoder import encode_basestring as _encode_json_string
from typing import Any

from trust._shown import absorb, exact_text, guarded, type_name, unrepresentable

MAX_SNAPSHOT_BYTES = 16 * 1024
"""What one snapshot may cost: its canonical JSON and the memory it keeps both stay under."""

MAX_SNAPSHOT_TEXT = 10_000
"""Strings (and reprs of other objects) longer than this are cut in snapshots."""

MAX_SNAPSHOT_ITEMS = 100
"""Elements of a sequence or set, and items of a mapping, kept in a snapshot."""

MAX_SNAPSHOT_DEPTH = 20
"""Levels of nesting kept in a snapshot."""

MAX_SNAPSHOT_INT_DIGITS = 1_000
"""Integers with more digits are recorded by their size (Python refuses to print them)."""

_INT_LIMIT = 10**MAX_SNAPSHOT_INT_DIGITS

# Upper bounds of sys.getsizeof of a list or dict built by appending, on CPython, and of
# its JSON punctuation; the tests check them for every size up to MAX_SNAPSHOT_ITEMS + 1.
LIST_COST = (104, 16)
DICT_COST = (184, 40)

# Room kept, per open container, for the marker it adds when its items are cut: a
# mapping's marker (its key, a note of at most 92 ASCII characters, a slot) fits in it.
_MARKER_COST = 320

# Bytes shown of a bytes value: its repr (up to 4 characters a byte) stays well in budget.
_BYTES_SHOWN = 600

_SPENT = "<truncated: snapshot budget spent>"


class _Budget:
    """The bytes one snapshot may still spend.

    A value at depth ``d`` may spend only ``left - (d + 1) * _MARKER_COST``: a marker's
    room stays for each open container, so that the markers they add when cut fit too.
    """

    __slots__ = ("left",)

    def __init__(self, total: int) -> None:
        self.left = total


class _Skip:
    """What a value returns when it does not fit: its container marks the cut."""


_SKIP: Any = _Skip()


def snapshot(value: Any) -> Any:
    """A bounded, JSON-safe copy of ``value`` (see the module docstring for the budgets).

    Mappings become dicts with string keys; sequences and sets become lists (a set in a
    stable order); strings, finite floats and ints of bounded size are kept; anything else
    is recorded as its cut ``repr``. Non-finite floats become strings, so the canonical
    JSON stays standard. Never raises, whatever ``value`` does, but to pass on a
    `KeyboardInterrupt` or `SystemExit` it raised: at once, or inside
    `trust._shown.deferring` (as `AuditLog.record` takes it) when that scope ends, the
    snapshot then holding the marker ``"<unrepresentable: KeyboardInterrupt in __repr__>"``.
    """
    try:
        copied = _value(value, 0, _Budget(MAX_SNAPSHOT_BYTES))
    except BaseException as error:  # e.g. RecursionError when called on an exhausted stack
        absorb(error)
        return unrepresentable(error, "snapshot")
    return _SPENT if copied is _SKIP else copied


def snapshot_text(value: object) -> str:
    """``value`` as one bounded string: itself if a string, else its ``repr``.

    Never raises, but to pass on a stop request, as `snapshot` does.
    """
    try:
        text = exact_text(value)
        shown = _text(text if text is not None else _repr(value), 0, _Budget(MAX_SNAPSHOT_BYTES))
    except BaseException as error:  # e.g. RecursionError when called on an exhausted stack
        absorb(error)
        return unrepresentable(error, "snapshot")
    return _SPENT if shown is _SKIP else shown


def describe_error(error: BaseException) -> str:
    """``"Type: message"`` for an exception (just ``"Type"`` without a message), bounded."""
    name = type_name(error)
    message = error_message(error)
    return snapshot_text(f"{name}: {message}") if message else name


def error_message(error: BaseException) -> str:
    """What ``error`` says, bounded; a ``__str__`` that raises is named instead."""
    return snapshot_text(guarded(str, error, "__str__"))


def _value(value: Any, depth: int, budget: _Budget) -> Any:
    kind = type(value)
    # The common exact types first: this runs for every value of every audited action.
    if kind is str:
        return _text(value, depth, budget)
    if kind is dict or kind is list or kind is tuple:
        return _nested(value, depth, budget)
    try:
        return _dispatch(value, kind, depth, budget)
    except BaseException as error:  # a value that defeats every guard is still recorded
        absorb(error)
        return _text(unrepresentable(error, "snapshot"), depth, budget)


def _dispatch(value: Any, kind: type, depth: int, budget: _Budget) -> Any:
    if value is None or kind is bool:
        return _leaf(value, 5, depth, budget)
    if issubclass(kind, int):
        number = int.__int__(value)
        if not -_INT_LIMIT < number < _INT_LIMIT:
            return _text(f"<int too large: {number.bit_length()} bits>", depth, budget)
        return _leaf(number, max(len(str(number)), sys.getsizeof(number)), depth, budget)
    if issubclass(kind, float):
        real = float.__float__(value)
        if not math.isfinite(real):
            return _text(repr(real), depth, budget)
        return _leaf(real, max(len(repr(real)), sys.getsizeof(real)), depth, budget)
    if issubclass(kind, str):
        return _text(str.__str__(value), depth, budget)
    if (
        issubclass(kind, Mapping)
        or issubclass(kind, Set)
        or (issubclass(kind, Sequence) and not issubclass(kind, bytes | bytearray))
    ):
        return _nested(value, depth, budget)
    return _text(_repr(value), depth, budget)


def _leaf(value: Any, cost: int, depth: int, budget: _Budget) -> Any:
    if cost > budget.left - (depth + 1) * _MARKER_COST:
        return _SKIP
    budget.left -= cost
    return value


def _text_cost(text: str) -> int:
    """The larger of ``text``'s canonical JSON size and its size in memory."""
    quoted = _encode_json_string(text)
    size = len(quoted) if text.isascii() else len(quoted.encode("utf-8"))
    memory = sys.getsizeof(text)
    return size if size > memory else memory


def _utf8(text: str) -> str:
    """``text``, with any lone surrogate escaped: the entry's hash encodes it as UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def _text(text: str, depth: int, budget: _Budget) -> Any:
    """``text``, cut to `MAX_SNAPSHOT_TEXT` and then to what the budget still affords."""
    if not text.isascii():
        text = _utf8(text)
    room = budget.left - (depth + 1) * _MARKER_COST
    length = len(text)
    if length <= MAX_SNAPSHOT_TEXT:
        cost = _text_cost(text)
        if cost <= room:
            budget.left -= cost
            return text
    keep = min(length, MAX_SNAPSHOT_TEXT)
    for _ in range(16):  # the cost is close to linear in ``keep``: this ends in one or two
        shown = f"{text[:keep]}... ({length} chars)"
        cost = _text_cost(shown)
        if cost <= room:
            budget.left -= cost
            return shown
        if keep == 0:
            break
        keep = min(keep - 1, keep * max(room, 0) // cost)
    return _SKIP


def _nested(value: Any, depth: int, budget: _Budget) -> Any:
    mapping = issubclass(type(value), Mapping)
    if depth >= MAX_SNAPSHOT_DEPTH:
        name = "mapping" if mapping else "list"
        return _text(f"<truncated: {name} nested deeper than {MAX_SNAPSHOT_DEPTH}>", depth, budget)
    base = DICT_COST[0] if mapping else LIST_COST[0]
    if base > budget.left - (depth + 1) * _MARKER_COST:
        return _SKIP
    budget.left -= base
    return _mapping(value, depth, budget) if mapping else _sequence(value, depth, budget)


def _sequence(value: Any, depth: int, budget: _Budget) -> list[Any]:
    slot = LIST_COST[1]
    reserve = (depth + 1) * _MARKER_COST
    copied: list[Any] = []
    cut, failure = False, ""
    try:
        for item in value:  # only the iteration can raise here: _value never does
            # What a cut item had already spent stays spent: the budget only overestimates.
            if len(copied) == MAX_SNAPSHOT_ITEMS or slot > budget.left - reserve:
                cut = True
                break
            budget.left -= slot
            kept = _value(item, depth + 1, budget)
            if kept is _SKIP:
                cut = True
                break
            copied.append(kept)
    except BaseException as error:  # the caller's container failed: say so, keep the rest
        absorb(error)
        failure = unrepresentable(error, "iteration")
    if issubclass(type(value), Set):
        # A set has no order of its own: a stable one makes equal sets record equally.
        copied.sort(key=_canonical)
    note = failure or (_more(value, len(copied)) if cut else "")
    if note:
        budget.left -= _text_cost(note) + slot
        copied.append(note)
    return copied


def _mapping(value: Any, depth: int, budget: _Budget) -> dict[str, Any]:
    slot = DICT_COST[1]
    reserve = (depth + 1) * _MARKER_COST
    copied: dict[str, Any] = {}
    taken = 0
    cut, failure = False, ""
    try:
        for pair in value.items():
            if taken == MAX_SNAPSHOT_ITEMS or slot > budget.left - reserve:
                cut = True
                break
            budget.left -= slot
            key, item = _pair(pair)
            shown_key = _text(_key(key), depth + 1, budget)
            kept = _SKIP if shown_key is _SKIP else _value(item, depth + 1, budget)
            if kept is _SKIP:
                cut = True
                break
            copied[shown_key] = kept
            taken += 1
    except BaseException as error:  # the caller's mapping failed: say so, keep the rest
        absorb(error)
        failure = unrepresentable(error, "iteration")
    note = failure or (_more(value, taken) if cut else "")
    if note:
        budget.left -= _text_cost("<truncated>") + _text_cost(note) + slot
        copied["<truncated>"] = note
    return copied


def _more(value: Any, taken: int) -> str:
    """The marker for the items left out, counted if the container can say how many."""
    try:
        more = len(value) - taken
    except BaseException as error:  # an unsized or lying container: the count is unknown
        absorb(error)
        more = 0
    return f"<truncated: {more} more items>" if more > 0 else "<truncated: more items>"


def _pair(pair: Any) -> tuple[Any, Any]:
    if type(pair) is tuple and len(pair) == 2:
        return pair[0], pair[1]
    try:
        key, item = pair
    except BaseException as error:
        absorb(error)
        return unrepresentable(error, "items()"), None
    return key, item


def _key(key: Any) -> str:
    kind = type(key)
    if issubclass(kind, str):
        return str.__str__(key)
    if issubclass(kind, int) and kind is not bool:
        number = int.__int__(key)
        if not -_INT_LIMIT < number < _INT_LIMIT:
            return f"<int too large: {number.bit_length()} bits>"
        return str(number)
    return guarded(str, key, "__str__")


def _repr(value: object) -> str:
    if issubclass(type(value), bytes | bytearray):
        # Only what can be kept is printed: a huge payload is never copied whole.
        size = len(value)  # type: ignore[arg-type]
        head = repr(bytes(value[:_BYTES_SHOWN]))  # type: ignore[index]
        return head if size <= _BYTES_SHOWN else f"{head}... ({size} bytes)"
    return guarded(repr, value, "__repr__")


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
