"""Cache keys distinguish types; bounded caches stay bounded and keep the first value."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from tests.hostile import LyingFloat, LyingInt, LyingStr
from trust._errors import InvalidValueError
from trust.constraints._cache import MISSING, BoundedCache, cache_key


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (1, 1.0),
        (1, True),
        (0, False),
        ([1, 2], (1, 2)),
        ({"a": [1]}, {"a": (1,)}),
        ("1", 1),
        ({"x": 1}, {"x": 1.0}),
    ],
)
def test_equal_values_of_different_types_get_different_keys(a: object, b: object) -> None:
    assert cache_key(a) != cache_key(b)


def test_equal_values_of_the_same_types_share_a_key() -> None:
    raw = {"resources": ["data/**", "logs/*.log"], "cost_limit": 10.5}
    assert cache_key(raw) == cache_key({"resources": ["data/**", "logs/*.log"], "cost_limit": 10.5})


def test_values_outside_builtin_types_are_not_cached() -> None:
    class Text(str):
        pass

    assert cache_key({"a": object()}) is None
    assert cache_key(Text("x")) is None
    assert cache_key({"a": Text("x")}) is None


def test_a_bounded_cache_drops_its_oldest_entry() -> None:
    cache: BoundedCache[str, int] = BoundedCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("c", 3)
    assert len(cache) == 2
    assert cache.get("a") is MISSING
    assert cache.get("c") == 3
    cache.clear()
    assert len(cache) == 0


def test_the_first_value_stored_wins() -> None:
    cache: BoundedCache[str, object] = BoundedCache(8)
    first, second = object(), object()
    assert cache.put("k", first) is first
    assert cache.put("k", second) is first


def _in_threads(work: object, count: int = 8) -> None:
    barrier = threading.Barrier(count)

    def run(index: int) -> None:
        barrier.wait()
        work(index)  # type: ignore[operator]

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_concurrent_writers_of_one_key_all_get_the_first_value() -> None:
    cache: BoundedCache[str, int] = BoundedCache(50)
    stored: list[int] = []
    _in_threads(lambda index: stored.append(cache.put("key", index)))
    assert len(set(stored)) == 1


def test_concurrent_writers_keep_the_bound() -> None:
    cache: BoundedCache[int, int] = BoundedCache(50)

    def write(index: int) -> None:
        for key in range(500):
            cache.put(key * 8 + index, key)

    _in_threads(write)
    assert len(cache) == 50


@pytest.mark.parametrize(
    "hostile",
    [
        LyingStr("data/**"),
        LyingInt(5),
        LyingFloat(1e9),
        {"resources": [LyingStr("data/**")]},
        {"cost_limit": LyingFloat(100.0)},
        [LyingInt(1)],
        {LyingStr("resources"): "data/**"},
    ],
)
def test_a_lying_subclass_anywhere_in_a_value_is_never_a_cache_key(hostile: object) -> None:
    assert cache_key(hostile) is None


def _weigh(key: str, value: str) -> int:
    return len(key) + len(value)


def test_a_cache_with_a_byte_bound_drops_the_oldest_until_it_fits() -> None:
    cache: BoundedCache[str, str] = BoundedCache(100, max_bytes=10, weigh=_weigh)
    cache.put("a", "1234")  # 5 bytes
    cache.put("b", "1234")  # 10
    cache.put("c", "12")  # 13: "a" goes
    assert cache.get("a") is MISSING
    assert cache.get("b") == "1234"
    assert cache.weight == 8
    cache.put("d", "123456789")  # 10 alone: everything else goes
    assert len(cache) == 1
    assert cache.weight == 10
    cache.clear()
    assert cache.weight == 0


def test_an_entry_heavier_than_the_byte_bound_is_returned_and_never_stored() -> None:
    cache: BoundedCache[str, str] = BoundedCache(100, max_bytes=10, weigh=_weigh)
    cache.put("a", "1")
    assert cache.put("big", "x" * 20) == "x" * 20
    assert cache.get("big") is MISSING
    assert cache.get("a") == "1"


def test_concurrent_writers_keep_the_byte_bound() -> None:
    cache: BoundedCache[int, str] = BoundedCache(
        10_000, max_bytes=1_000, weigh=lambda key, value: len(value)
    )

    def write(index: int) -> None:
        for key in range(300):
            cache.put(key * 8 + index, "x" * (key % 40))

    _in_threads(write)
    assert 0 < cache.weight <= 1_000
    assert cache.weight == sum(len(v) for v in cache._data.values())


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"max_size": 0}, "max_size must be a positive int, got 0"),
        ({"max_size": True}, "max_size must be a positive int, got True"),
        ({"max_size": 5, "max_bytes": 0, "weigh": _weigh}, "max_bytes must be a positive int"),
        ({"max_size": 5, "max_bytes": 10}, "max_bytes and weigh must be given together"),
        ({"max_size": 5, "weigh": _weigh}, "max_bytes and weigh must be given together"),
    ],
)
def test_bounds_must_be_positive_ints_and_bytes_come_with_a_weight(
    arguments: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidValueError, match=message):
        BoundedCache(**arguments)


def test_a_lying_int_bound_is_read_as_the_int_it_holds() -> None:
    cache: BoundedCache[int, int] = BoundedCache(LyingInt(2))
    for key in range(5):
        cache.put(key, key)
    assert len(cache) == 2


def test_put_with_replace_refreshes_an_entry_and_its_weight() -> None:
    cache: BoundedCache[str, bytes] = BoundedCache(4, max_bytes=100, weigh=lambda _, v: len(v))
    assert cache.put("k", b"old!") == b"old!"
    assert cache.put("k", b"ignored") == b"old!"  # the first value stays
    assert cache.put("k", b"fresh value", replace=True) == b"fresh value"
    assert cache.get("k") == b"fresh value"
    assert (len(cache), cache.weight) == (1, len(b"fresh value"))
