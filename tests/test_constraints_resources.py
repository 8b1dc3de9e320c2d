"""``resources``: glob sets with path semantics, exact inclusion and intersection."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from tests.hostile import LyingStr
from trust.constraints import Comparison
from trust.constraints.builtin import GlobSet, ResourceDimension
from trust.constraints.builtin._resources import RECENT_BYTES

DIM = ResourceDimension()


def allows(raw: Any, context: dict[str, Any]) -> bool:
    return DIM.check(DIM.parse(raw), context).satisfied


def test_a_list_is_a_union_and_a_string_a_single_glob() -> None:
    assert DIM.parse("data/**").parsed == GlobSet.union(["data/**"])
    assert DIM.parse(("b", "a")).parsed == DIM.parse({"a", "b"}).parsed
    assert DIM.parse(["data/**", "logs/*.log"]).metadata == {"pattern_count": 2}


def test_an_empty_list_allows_no_path() -> None:
    assert not allows([], {"resource_requested": "a"})
    assert allows([], {})


@pytest.mark.parametrize(
    ("path", "satisfied"),
    [
        ("data/users.json", True),
        ("data/a/b/c.json", True),
        ("logs/app.log", True),
        ("logs/2024/app.log", False),  # * does not cross /
        ("secrets/api.key", False),
        ("/data/users.json", False),  # absolute paths need absolute globs
    ],
)
def test_requested_paths_are_matched_with_path_semantics(path: str, satisfied: bool) -> None:
    assert allows(["data/**", "logs/*.log"], {"resource_requested": path}) is satisfied


def test_no_requested_resource_passes() -> None:
    result = DIM.check(DIM.parse("data/**"), {"cost_used": 1})
    assert result.satisfied
    assert result.reason == "no resource requested"


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("data/../secrets/key", "contains path traversal (..)"),
        ("data/x\x00.json", "contains null byte (NUL)"),
        ("data\\..\\secrets", "contains path traversal (..)"),  # before the backslash
        ("data\\x", "contains a backslash"),
        ("data//x", "is not normalised"),
        ("", "is empty"),
    ],
)
def test_unsafe_paths_fail_even_where_a_glob_would_match(path: str, reason: str) -> None:
    result = DIM.check(DIM.parse("**"), {"resource_requested": path})
    assert not result.satisfied
    assert result.reason.startswith("security violation: resource path")
    assert reason in result.reason


@pytest.mark.parametrize("path", [None, 5, ["data/x"], b"data/x"])
def test_a_non_string_request_fails(path: object) -> None:
    result = DIM.check(DIM.parse("**"), {"resource_requested": path})
    assert not result.satisfied
    assert result.reason.startswith("resource_requested must be a path string")


def test_verdicts_are_remembered_per_glob_set_and_path() -> None:
    constraint = DIM.parse(["data/**"])
    first = DIM.check(constraint, {"resource_requested": "data/a"})
    assert DIM.check(constraint, {"resource_requested": "data/a"}) is first
    assert DIM.check(DIM.parse(["data/**"]), {"resource_requested": "data/a"}) is first


@pytest.mark.parametrize(
    ("parent", "child", "within"),
    [
        (["data/**"], ["data/users/*"], True),
        (["data/**"], ["data/**", "secrets/*"], False),  # one extra path is enough
        (["data/*"], ["data/**"], False),
        (["data/*.json"], ["data/*"], False),
        (["data/*"], ["data/*.json"], True),
        (["logs/*.log"], ["logs/**/*.log"], False),
    ],
)
def test_tightening_is_language_inclusion(parent: Any, child: Any, within: bool) -> None:
    assert DIM.validate_tightening(DIM.parse(parent), DIM.parse(child)) is within


def test_a_looser_child_is_shown_a_path_it_allows_and_the_parent_refuses() -> None:
    example = DIM.loosening_example(DIM.parse(["data/*"]), DIM.parse(["data/**"]))
    assert example == "the child allows {'resource_requested': 'data'}, the parent does not"


def test_compose_is_the_intersection_in_all_of_form() -> None:
    composed = DIM.compose([DIM.parse(["data/**", "logs/*"]), DIM.parse(["**/*.log"])])
    assert composed.raw_value == {"all_of": [["data/**", "logs/*"], ["**/*.log"]]}
    assert allows(composed.raw_value, {"resource_requested": "logs/a.log"})
    assert not allows(composed.raw_value, {"resource_requested": "logs/a.txt"})
    assert not allows(composed.raw_value, {"resource_requested": "other/a.log"})
    nested = DIM.compose([composed, DIM.parse("logs/a.log")])
    assert nested.raw_value == {"all_of": [["data/**", "logs/*"], ["**/*.log"], "logs/a.log"]}


def test_compose_keeps_a_child_that_already_lies_inside() -> None:
    composed = DIM.compose([DIM.parse(["data/**"]), DIM.parse(["data/x/*"])])
    assert composed.parsed == GlobSet.union(["data/x/*"])
    assert DIM.compare(composed, DIM.parse("data/x/*")) is Comparison.EQUIVALENT


def test_a_lying_str_path_cannot_reuse_another_paths_verdict() -> None:
    # Every LyingStr equals and hashes like every other: it used to hit any cached verdict.
    dim = ResourceDimension()
    constraint = dim.parse("data/**")
    assert dim.check(constraint, {"resource_requested": LyingStr("data/a")}).satisfied
    refused = dim.check(constraint, {"resource_requested": LyingStr("secrets/prod.key")})
    assert not refused.satisfied
    assert refused.reason == "resource 'secrets/prod.key' does not match any allowed pattern"


def test_a_lying_str_glob_is_read_as_the_string_it_holds() -> None:
    # Its startswith says True to everything: 'secrets/**' used to become '/ecrets/**'.
    parsed = DIM.parse(LyingStr("secrets/**"))
    assert parsed.parsed == GlobSet.union(["secrets/**"])
    assert type(parsed.parsed.conjuncts[0][0]) is str
    assert DIM.check(parsed, {"resource_requested": "secrets/a"}).satisfied
    assert DIM.parse([LyingStr("**")]).parsed == GlobSet.union(["**"])


def test_a_dict_subclass_that_hides_the_request_is_read_as_it_is() -> None:
    class Hiding(dict[str, Any]):
        def __contains__(self, key: object) -> bool:
            return False

        def get(self, key: str, default: Any = None) -> Any:
            return default

        def keys(self) -> Any:
            return iter(())

        @property  # type: ignore[misc]
        def __class__(self) -> type:
            return dict

    context = Hiding(resource_requested="secrets/prod.key")
    result = DIM.check(DIM.parse("data/**"), context)
    assert not result.satisfied
    assert "secrets/prod.key" in result.reason


def test_a_mapping_that_cannot_be_read_fails_with_the_reason() -> None:
    class Broken(Mapping[str, Any]):
        def __getitem__(self, key: str) -> Any:
            raise KeyError(key)

        def __iter__(self) -> Iterator[str]:
            return iter(["resource_requested"])

        def __len__(self) -> int:
            return 1

    result = DIM.check(DIM.parse("**"), Broken())
    assert not result.satisfied
    assert result.reason.startswith("context could not be read: KeyError")
    not_a_mapping = DIM.check(DIM.parse("**"), ["resource_requested"])  # type: ignore[arg-type]
    assert not_a_mapping.reason == "context must be a mapping, got ['resource_requested']"


def test_remembered_verdicts_are_bounded_in_bytes_not_only_in_entries() -> None:
    # 4,096 verdicts on 4,000-character paths used to keep about 16 MiB of paths alone.
    dim = ResourceDimension()
    constraint = dim.parse("**")
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for n in range(1500):
        dim.check(constraint, {"resource_requested": f"{n:04d}" + "x" * 3996})
    kept = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert kept < RECENT_BYTES + 2**20
