"""``data_access``: a product of a PII axis and a classification axis."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.hostile import ShiftyMapping
from tests.hostile_constraints import BrokenMapping, Posing
from trust._errors import InvalidTypeError, InvalidValueError
from trust.constraints import Comparison
from trust.constraints.builtin import DataAccessDimension, DataAccessPolicy

DIM = DataAccessDimension()


class BrokenList(list[str]):
    """A list that raises when it is read."""

    def __iter__(self) -> Iterator[str]:
        raise RuntimeError("boom")


def policy(raw: Any) -> DataAccessPolicy:
    parsed: DataAccessPolicy = DIM.parse(raw).parsed
    return parsed


@pytest.mark.parametrize(
    ("raw", "pii", "classes"),
    [
        ("no_pii", False, None),
        ("internal_only", True, {"internal"}),
        ("allow_all", True, None),
        (" ALLOW_ALL ", True, None),
        ({"mode": "No_Pii"}, False, None),
        (
            {"mode": "allow_all", "allowed_classifications": ["Internal", "external"]},
            True,
            {"internal", "external"},
        ),
        (
            {"mode": "internal_only", "allowed_classifications": ["internal", "public"]},
            True,
            {"internal"},
        ),
        ({"allowed_classifications": "public"}, False, {"public"}),  # mode defaults to no_pii
        ({"mode": "allow_all", "allowed_classifications": []}, False, set()),  # nothing at all
    ],
)
def test_modes_map_onto_the_two_axes(raw: Any, pii: bool, classes: set[str] | None) -> None:
    parsed = policy(raw)
    assert parsed.pii_allowed is pii
    assert parsed.classifications == (None if classes is None else frozenset(classes))


@pytest.mark.parametrize(
    ("raw", "context", "satisfied", "reason"),
    [
        ("no_pii", {"contains_pii": True}, False, "PII access not allowed"),
        ("no_pii", {"contains_pii": False}, True, "data access allowed"),
        ("no_pii", {}, False, "contains_pii is missing"),
        ("allow_all", {}, True, "data access allowed"),
        ("allow_all", {"contains_pii": True, "data_classification": "secret"}, True, "allowed"),
        ("internal_only", {"data_classification": " INTERNAL "}, True, "allowed"),
        ("internal_only", {"data_classification": "restricted"}, False, "not in allowed list"),
        ("internal_only", {}, False, "data_classification is missing"),
        ("internal_only", {"contains_pii": None, "data_classification": "internal"}, True, ""),
        ("allow_all", {"contains_pii": "no"}, False, "contains_pii must be a bool, got 'no'"),
        ("allow_all", {"data_classification": 3}, False, "data_classification must be a non-blank"),
        (
            "allow_all",
            {"data_classification": " "},
            False,
            "data_classification must be a non-blank",
        ),
    ],
)
def test_checking_contexts(raw: Any, context: dict[str, Any], satisfied: bool, reason: str) -> None:
    result = DIM.check(DIM.parse(raw), context)
    assert result.satisfied is satisfied
    assert reason in result.reason


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("no_pii", "allow_all", Comparison.TIGHTER),
        ("internal_only", "allow_all", Comparison.TIGHTER),
        ("no_pii", "internal_only", Comparison.INCOMPARABLE),
        (
            {"mode": "no_pii", "allowed_classifications": ["internal"]},
            "internal_only",
            Comparison.TIGHTER,
        ),
        ({"mode": "allow_all", "allowed_classifications": []}, "no_pii", Comparison.TIGHTER),
        (
            {"mode": "allow_all", "allowed_classifications": []},
            {"mode": "no_pii", "allowed_classifications": []},
            Comparison.EQUIVALENT,
        ),
    ],
)
def test_the_product_order(a: Any, b: Any, expected: Comparison) -> None:
    assert DIM.compare(DIM.parse(a), DIM.parse(b)) is expected


def test_compose_meets_both_axes_and_has_a_canonical_raw_form() -> None:
    composed = DIM.compose([DIM.parse("no_pii"), DIM.parse("internal_only")])
    assert composed.parsed == DataAccessPolicy(False, frozenset({"internal"}))
    assert composed.raw_value == {"mode": "no_pii", "allowed_classifications": ["internal"]}
    assert DIM.compose([DIM.parse("allow_all"), DIM.parse("allow_all")]).raw_value == "allow_all"


def test_every_policy_allowing_no_classification_is_the_same_bottom() -> None:
    assert DataAccessPolicy(True, frozenset()) == DataAccessPolicy(False, frozenset())


@pytest.mark.parametrize(
    ("parent", "child", "example"),
    [
        ("no_pii", "allow_all", "{'contains_pii': True}"),
        ("no_pii", "internal_only", "{'contains_pii': True, 'data_classification': 'internal'}"),
        (
            "internal_only",
            "allow_all",
            "{'contains_pii': False, 'data_classification': 'unclassified'}",
        ),
        (
            {"mode": "allow_all", "allowed_classifications": ["unclassified"]},
            "allow_all",
            "{'contains_pii': False, 'data_classification': 'unclassified_'}",
        ),
    ],
)
def test_a_looser_child_gets_a_context_it_allows_and_the_parent_refuses(
    parent: Any, child: Any, example: str
) -> None:
    text = DIM.loosening_example(DIM.parse(parent), DIM.parse(child))
    assert text == f"the child allows {example}, the parent does not"


# -- hostile values: read as the builtin they hold, once ------------------------------


def test_a_classification_is_checked_as_the_string_it_holds() -> None:
    context = {"contains_pii": False, "data_classification": Posing("secret", like="internal")}
    result = DIM.check(DIM.parse("internal_only"), context)
    assert result.satisfied is False
    assert result.reason == (
        "classification 'secret' not allowed: not in allowed list ['internal']"
    )


@pytest.mark.parametrize(
    ("raw", "pii", "classes"),
    [
        (Posing("no_pii", like="allow_all"), False, None),
        ({"mode": Posing("no_pii", like="allow_all")}, False, None),
        ({"allowed_classifications": [Posing("public", like="secret")]}, False, {"public"}),
        ({Posing("mode", like="mode"): "allow_all"}, True, None),
    ],
)
def test_a_str_subclass_constraint_is_parsed_as_the_string_it_holds(
    raw: Any, pii: bool, classes: set[str] | None
) -> None:
    value = DIM.parse(raw)
    assert value.parsed == DataAccessPolicy(pii, None if classes is None else frozenset(classes))
    assert DIM.parse(value.raw_value).parsed == value.parsed


def test_a_constraint_mapping_that_shifts_is_read_once_and_kept_as_read() -> None:
    value = DIM.parse(ShiftyMapping({"mode": "no_pii"}, {"mode": "allow_all"}))
    assert value.parsed == DataAccessPolicy(False, None)
    assert value.raw_value == {"mode": "no_pii"}
    assert type(value.raw_value) is dict
    # What the value shows later (messages, compose, a re-parse) is what was checked.
    assert DIM.parse(value.raw_value).parsed == value.parsed


def test_two_keys_holding_the_same_string_are_refused() -> None:
    raw = {"mode": "no_pii", Posing("mode", like="x"): "allow_all"}
    with pytest.raises(InvalidValueError, match="data_access keys must be distinct strings"):
        DIM.parse(raw)


@pytest.mark.parametrize(
    "raw", [BrokenMapping(), {"mode": "no_pii", "allowed_classifications": BrokenList()}]
)
def test_a_constraint_whose_reads_raise_is_refused_naming_it(raw: Any) -> None:
    with pytest.raises(InvalidValueError, match="data_access must be data that can be read, got "):
        DIM.parse(raw)


def test_a_context_whose_reads_raise_fails_the_check() -> None:
    result = DIM.check(DIM.parse("allow_all"), BrokenMapping())
    assert result.satisfied is False
    assert result.reason.startswith("context must be a mapping that can be read")


def test_a_context_that_shifts_is_read_once() -> None:
    context = ShiftyMapping({"contains_pii": True}, {"contains_pii": False})
    assert not DIM.check(DIM.parse("no_pii"), context).satisfied


def test_a_raw_value_that_is_no_data_is_refused_as_before() -> None:
    with pytest.raises(InvalidTypeError, match="mode string or a mapping, got b'no_pii'"):
        DIM.parse(b"no_pii")
