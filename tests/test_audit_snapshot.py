"""Audit snapshots: bounded whatever they are given, and never failing.

A snapshot is what an audit entry keeps of an action's arguments, result and error. Its
budgets (`MAX_SNAPSHOT_BYTES` in all, `MAX_SNAPSHOT_ITEMS` per container, and so on) hold
for hostile values too, what is cut is marked, and a value that cannot be shown is
recorded as such instead of making the entry fail.
"""

from __future__ import annotations

import gc
import json
import sys
import tracemalloc
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fakes import FakeClock
from tests.hostile import LyingFloat, LyingInt, LyingStr
from trust import TrustPosture
from trust.audit import (
    MAX_SNAPSHOT_BYTES,
    MAX_SNAPSHOT_DEPTH,
    MAX_SNAPSHOT_ITEMS,
    MAX_SNAPSHOT_TEXT,
    AuditLog,
    AuditOutcome,
    _snapshot,
    snapshot,
    verify_audit_chain,
)
from trust.audit._entry import canonical_json
from trust.audit._snapshot import snapshot_text


def json_bytes(value: Any) -> int:
    return len(canonical_json({"v": value}).encode("utf-8")) - len('{"v":}')


def retained(value: Any) -> int:
    """What a snapshot keeps alive: sys.getsizeof over its distinct objects.

    None, True and False are immortal singletons: keeping a reference costs only its slot.
    """
    seen: set[int] = set()
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if item is None or item is True or item is False or id(item) in seen:
            continue
        seen.add(id(item))
        total += sys.getsizeof(item)
        if type(item) is dict:
            stack.extend(item.keys())
            stack.extend(item.values())
        elif type(item) is list:
            stack.extend(item)
    return total


# --- hostile values ----------------------------------------------------------------------


class Unprintable:
    def __repr__(self) -> str:
        raise ValueError("no repr")


class UnprintableKey:
    def __hash__(self) -> int:
        return 1

    def __str__(self) -> str:
        raise ValueError("no str")


class HugeRepr:
    def __repr__(self) -> str:
        return "r" * 1_000_000


class Impostor:
    """Raises instead of saying what it is: ``isinstance`` on it raises."""

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        raise RuntimeError("no class")


class LyingMeta(type):
    @property
    def __name__(cls) -> str:  # type: ignore[override]
        raise RuntimeError("no name")


class Ωμέγα_Error_With_A_Long_Non_Ascii_Name_That_Goes_On_And_On(Exception):
    pass


class Disguised(Exception, metaclass=LyingMeta):
    pass


class BrokenMapping(Mapping[str, int]):
    """Three items, then its iteration fails with an exception whose class lies."""

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def __getitem__(self, key: str) -> int:
        return 1

    def __iter__(self) -> Iterator[str]:
        yield from "abc"
        raise self.error

    def __len__(self) -> int:
        return 10


class UnsizedList(list[int]):
    def __len__(self) -> int:
        raise RuntimeError("no len")


def deep(levels: int) -> list[Any]:
    top: list[Any] = []
    node = top
    for _ in range(levels):
        node.append([])
        node = node[0]
    return top


def self_containing() -> list[Any]:
    loop: list[Any] = []
    loop.append(loop)
    return loop


def hostile() -> dict[str, Any]:
    fan: list[Any] = [0]
    for _ in range(6):
        fan = [fan] * 100  # 10**12 paths to the same leaf
    return {
        "a list of 100,000 ints": list(range(100_000)),
        "10,000 empty lists": [[] for _ in range(10_000)],
        "10,000 empty dicts": [{} for _ in range(10_000)],
        "a mapping of 10,000 keys": {f"k{i}": [i] * 10 for i in range(10_000)},
        "a 1,000,000-character string": "x" * 1_000_000,
        "control characters": "\x01" * 50_000,
        "astral characters": "\U0001f600" * 50_000,
        "10,000 levels deep": deep(10_000),
        "a list that contains itself": self_containing(),
        "a shared fan-out": fan,
        "a set of 10,000": set(range(10_000)),
        "an int of 5,001 digits": 10**5000,
        "1 MB of bytes": b"\x00" * 1_000_000,
        "a repr that raises": Unprintable(),
        "a repr of 1,000,000 characters": HugeRepr(),
        "an object whose __class__ raises": Impostor(),
        "a mapping whose iteration fails": BrokenMapping(Disguised()),
        "keys whose str raises": {UnprintableKey(): 1},
        "failures with long names": [
            BrokenMapping(Ωμέγα_Error_With_A_Long_Non_Ascii_Name_That_Goes_On_And_On())
            for _ in range(200)
        ],
        "an unsized list": UnsizedList(range(1_000)),
        "lone surrogates": {"\ud800 key": "\udfff" * 20_000},
    }


CASES = hostile()


@pytest.mark.parametrize("name", [*CASES, "all of them"])
def test_every_snapshot_stays_within_its_byte_budget(name: str) -> None:
    value = CASES if name == "all of them" else CASES[name]
    snap = snapshot(value)
    json.dumps(snap, allow_nan=False)  # standard JSON, whatever the value was
    assert json_bytes(snap) <= MAX_SNAPSHOT_BYTES
    assert retained(snap) <= MAX_SNAPSHOT_BYTES


def test_cuts_are_marked() -> None:
    assert snapshot(list(range(1_000_000)))[-1] == f"<truncated: {1_000_000 - 100} more items>"
    assert len(snapshot(list(range(1_000_000)))) == MAX_SNAPSHOT_ITEMS + 1
    table = snapshot({f"k{i}": i for i in range(1_000)})
    assert table["<truncated>"] == "<truncated: 900 more items>"
    assert len(table) == MAX_SNAPSHOT_ITEMS + 1
    assert snapshot("x" * 20_000) == "x" * MAX_SNAPSHOT_TEXT + "... (20000 chars)"
    nested = snapshot(deep(10_000))
    for _ in range(MAX_SNAPSHOT_DEPTH):
        (nested,) = nested
    assert nested == "<truncated: list nested deeper than 20>"
    assert snapshot(10**5000) == "<int too large: 16610 bits>"
    assert snapshot(-(10**999)) == -(10**999)  # a thousand digits are kept exactly
    assert snapshot(b"\x00" * 1_000_000).endswith("... (1000000 bytes)")
    assert snapshot(UnsizedList(range(1_000)))[-1] == "<truncated: more items>"


def test_the_byte_budget_cuts_what_the_item_limits_let_through() -> None:
    snap = snapshot(["y" * 1_000] * 100)
    assert 1 < len(snap) < 100
    assert snap[-1] == f"<truncated: {100 - (len(snap) - 1)} more items>"
    text = snapshot("\U0001f600" * 10_000)  # 40 KB of UTF-8: cut to the budget, and says so
    assert text.endswith("... (10000 chars)")
    assert json_bytes(text) <= MAX_SNAPSHOT_BYTES


def test_what_cannot_be_shown_is_recorded_as_such() -> None:
    assert snapshot(Unprintable()) == "<unrepresentable: ValueError in __repr__>"
    assert snapshot({UnprintableKey(): 1}) == {"<unrepresentable: ValueError in __str__>": 1}
    assert snapshot(BrokenMapping(Disguised())) == {
        "a": 1,
        "b": 1,
        "c": 1,
        # The class's real name, though its metaclass raises when asked for it.
        "<truncated>": "<unrepresentable: Disguised in iteration>",
    }
    assert "Impostor object" in snapshot(Impostor())
    name = snapshot(BrokenMapping(Ωμέγα_Error_With_A_Long_Non_Ascii_Name_That_Goes_On_And_On()))
    assert name["<truncated>"].isascii()


class Weird(BaseException):
    """Neither an `Exception` nor a stop request: ``except Exception`` does not see it."""


class RaisesOnRepr:
    def __init__(self, error: BaseException) -> None:
        self.error = error

    def __repr__(self) -> str:
        raise self.error


class KeyRaises:
    def __init__(self, error: BaseException) -> None:
        self.error = error

    def __hash__(self) -> int:
        return 1

    def __str__(self) -> str:
        raise self.error


class IterationRaises(list[int]):
    def __init__(self, error: BaseException) -> None:
        super().__init__([1, 2])
        self.error = error

    def __iter__(self) -> Iterator[int]:
        yield 1
        raise self.error


class LenRaises(list[int]):
    def __init__(self, error: BaseException) -> None:
        super().__init__(range(200))
        self.error = error

    def __len__(self) -> int:
        raise self.error


class ItemsAreNotPairs(dict[str, int]):
    def __init__(self, error: BaseException) -> None:
        super().__init__(a=1)
        self.error = error

    def items(self) -> Any:
        error = self.error

        class Pair:
            def __iter__(self) -> Iterator[int]:
                raise error

        return [Pair()]


def every_place(error: BaseException) -> dict[str, Any]:
    """``error`` raised at each place a snapshot reads its value."""
    return {
        "repr": RaisesOnRepr(error),
        "key": {KeyRaises(error): 1},
        "iteration": IterationRaises(error),
        "len": LenRaises(error),
        "items": ItemsAreNotPairs(error),
        "mapping iteration": BrokenMapping(error),
    }


EVERY_PLACE_SNAPSHOT = {
    "repr": "<unrepresentable: Weird in __repr__>",
    "key": {"<unrepresentable: Weird in __str__>": 1},
    "iteration": [1, "<unrepresentable: Weird in iteration>"],
    "len": [*range(100), "<truncated: more items>"],
    "items": {"<unrepresentable: Weird in items()>": None},
    "mapping iteration": {
        "a": 1,
        "b": 1,
        "c": 1,
        "<truncated>": "<unrepresentable: Weird in iteration>",
    },
}


def test_a_base_exception_anywhere_in_a_value_is_recorded_as_a_marker() -> None:
    # Before: only Exception was caught, so a BaseException escaped the snapshot and the
    # audit entry was never written.
    assert snapshot(every_place(Weird())) == EVERY_PLACE_SNAPSHOT
    assert snapshot_text(RaisesOnRepr(Weird())) == "<unrepresentable: Weird in __repr__>"


@pytest.mark.parametrize("place", list(EVERY_PLACE_SNAPSHOT))
def test_a_stop_request_anywhere_in_a_value_is_raised_outside_a_scope(place: str) -> None:
    stop = KeyboardInterrupt()
    with pytest.raises(KeyboardInterrupt) as caught:
        snapshot(every_place(stop)[place])
    assert caught.value is stop


@pytest.mark.parametrize("stop", [KeyboardInterrupt(), SystemExit(2)])
def test_a_stop_request_while_recording_is_raised_once_the_entry_is_written(
    stop: BaseException,
) -> None:
    log = AuditLog()
    with pytest.raises(type(stop)) as caught:
        log.record(
            agent_id="a",
            posture=TrustPosture.SUPERVISED,
            action="run",
            kwargs={"every place": every_place(stop)},
            outcome=AuditOutcome.EXECUTED,
            duration_ms=0.0,
            result=RaisesOnRepr(stop),
        )
    assert caught.value is stop
    (entry,) = log.entries()
    name = type(stop).__name__
    expected = json.loads(json.dumps(EVERY_PLACE_SNAPSHOT).replace("Weird", name))
    assert entry.kwargs == {"every place": expected}
    assert entry.result == f"<unrepresentable: {name} in __repr__>"
    assert log.verify()


def test_lone_surrogates_are_escaped_so_that_the_entry_can_be_hashed() -> None:
    log = AuditLog()
    entry = log.record(
        agent_id="a",
        posture=TrustPosture.SUPERVISED,
        action="run",
        kwargs={"\ud800": "x\udfffy"},
        outcome=AuditOutcome.EXECUTED,
        duration_ms=0.0,
        result="\ud83d",
        error="\udc00",
    )
    assert entry.kwargs == {"\\ud800": "x\\udfffy"}
    assert (entry.result, entry.error) == ("\\ud83d", "\\udc00")
    json.loads(entry.to_json())
    assert verify_audit_chain(log.entries())


def test_subclasses_of_builtins_are_copied_to_the_builtin() -> None:
    snap = snapshot({LyingStr("k"): [LyingStr("v"), LyingInt(7), LyingFloat(2.5)]})
    assert snap == {"k": ["v", 7, 2.5]}
    assert [type(v) for v in snap["k"]] == [str, int, float]
    assert snapshot({10**5000: 1, LyingInt(3): 2, None: 3, 1.5: 4}) == {
        "<int too large: 16610 bits>": 1,
        "3": 2,
        "None": 3,
        "1.5": 4,
    }


def test_a_mapping_whose_items_are_not_pairs_is_recorded() -> None:
    class NotPairs(dict[str, int]):
        def items(self) -> Any:
            return [1]

    assert snapshot(NotPairs(a=1)) == {"<unrepresentable: TypeError in items()>": None}


def test_a_value_that_fits_nowhere_is_left_out_and_marked(monkeypatch: pytest.MonkeyPatch) -> None:
    # 820 bytes: the list (104) and its slot (16) leave 60 bytes for a string at depth 1,
    # less than even a cut string's "... (N chars)" costs.
    monkeypatch.setattr(_snapshot, "MAX_SNAPSHOT_BYTES", 820)
    assert snapshot(["x" * 10_000]) == ["<truncated: 1 more items>"]


def test_a_snapshot_that_fails_inside_is_still_a_marker(monkeypatch: pytest.MonkeyPatch) -> None:
    def exhausted(*args: Any) -> Any:
        raise RecursionError("stack exhausted")

    monkeypatch.setattr(_snapshot, "_nested", exhausted)
    monkeypatch.setattr(_snapshot, "_text", exhausted)
    assert snapshot([1]) == "<unrepresentable: RecursionError in snapshot>"
    assert snapshot_text("x") == "<unrepresentable: RecursionError in snapshot>"


def test_sets_are_recorded_in_a_stable_order() -> None:
    assert snapshot({3, 1, 2}) == snapshot(frozenset([2, 3, 1])) == [1, 2, 3]


@pytest.mark.parametrize(
    ("cost", "empty"), [(_snapshot.LIST_COST, list), (_snapshot.DICT_COST, dict)]
)
def test_container_costs_bound_what_cpython_allocates(
    cost: tuple[int, int], empty: type[list[Any]] | type[dict[str, Any]]
) -> None:
    # The budget charges base + slot * n for a container of n items (the marker included).
    base, slot = cost
    container: Any = empty()
    for n in range(MAX_SNAPSHOT_ITEMS + 2):
        assert sys.getsizeof(container) <= base + slot * n, n
        if isinstance(container, list):
            container.append(n)
        else:
            container[f"k{n}"] = n


# Long values are built from a few drawn parameters: drawing them element by element
# would make each example slow to generate.
any_character = st.characters(exclude_categories=())  # lone surrogates included
long_texts = st.builds(
    lambda char, n: char * n, any_character, st.integers(0, 2 * MAX_SNAPSHOT_TEXT)
)
json_like = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),
        st.text(any_character, max_size=20),
        long_texts,
        st.builds(Unprintable),
        st.builds(HugeRepr),
        st.just(10**3000),
        st.builds(bytes, st.integers(0, 5_000)),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=120),
        st.dictionaries(st.one_of(st.text(max_size=10), long_texts), inner, max_size=120),
        st.frozensets(st.integers(), max_size=120),
        st.builds(lambda item, n: [item] * n, inner, st.integers(0, 1_000)),
    ),
    max_leaves=150,
)


@given(value=json_like, budget=st.integers(4_096, MAX_SNAPSHOT_BYTES))
def test_any_value_fits_any_budget_and_encodes(value: Any, budget: int) -> None:
    original = _snapshot.MAX_SNAPSHOT_BYTES
    _snapshot.MAX_SNAPSHOT_BYTES = budget
    try:
        snap = snapshot(value)
    finally:
        _snapshot.MAX_SNAPSHOT_BYTES = original
    assert json_bytes(snap) <= budget  # json_bytes encodes it as UTF-8, as the hash does
    assert retained(snap) <= budget


# --- the entry -------------------------------------------------------------------------

ENTRY_BUDGET = 3 * MAX_SNAPSHOT_BYTES + 2_048
"""kwargs, result and error snapshots, and the entry's own fields (hashes, stamp, ...)."""


def test_an_entry_built_from_hostile_inputs_retains_at_most_its_budget() -> None:
    # Before the fix one such entry kept 36 MiB (1.5 MiB with only a long list): at the
    # 10,000-entry cap, hundreds of GiB. The peak bound fails a regression, not CI.
    log = AuditLog(max_entries=10, clock=FakeClock())
    gc.collect()
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        kwargs, result, error = hostile(), hostile(), "E" * 1_000_000
        built = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        entry = log.record(
            agent_id="agent-001",
            posture=TrustPosture.SUPERVISED,
            action="run",
            kwargs=kwargs,
            outcome=AuditOutcome.EXECUTED,
            duration_ms=1.0,
            result=result,
            error=error,
            run_id=1,
        )
        transient = tracemalloc.get_traced_memory()[1] - built
        del kwargs, result, error
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - baseline
    finally:
        tracemalloc.stop()
    assert kept <= ENTRY_BUDGET, f"one entry kept {kept} bytes"
    assert transient <= 4 * 2**20, f"recording took {transient} bytes"
    assert len(entry.to_json().encode("utf-8")) <= ENTRY_BUDGET
    assert entry.error is not None
    assert entry.error.endswith("... (1000000 chars)")
    assert verify_audit_chain(log.entries())


def test_snapshots_are_taken_outside_the_log_lock() -> None:
    log = AuditLog()
    lock_was_free: list[bool] = []

    class ReadsTheLog:
        def __repr__(self) -> str:
            # A repr that reads the log (or is slow) must not hold up every other writer.
            free = log._lock.acquire(blocking=False)
            if free:
                log._lock.release()
            lock_was_free.append(free)
            return "reads the log"

    log.record(
        agent_id="a",
        posture=TrustPosture.SUPERVISED,
        action="run",
        kwargs={"x": ReadsTheLog()},
        outcome=AuditOutcome.EXECUTED,
        duration_ms=0.0,
    )
    assert lock_was_free == [True]
    assert log.entries()[0].kwargs == {"x": "reads the log"}
