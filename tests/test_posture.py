"""TrustPosture: the autonomy ladder and how postures compare."""

from __future__ import annotations

import operator
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

import pytest

from tests.planted import Plant, import_with
from trust import POSTURE_LEVEL_MAP, InvalidTypeError, InvalidValueError, TrustPosture
from trust.model import POSTURE_SPEC


def test_levels_follow_the_models_state_order() -> None:
    assert [p.value for p in sorted(TrustPosture)] == list(POSTURE_SPEC.states)
    assert {p: p.autonomy_level for p in TrustPosture} == dict(POSTURE_LEVEL_MAP)
    assert TrustPosture.FULL_AUTONOMY.autonomy_level == 5
    assert TrustPosture.BLOCKED.autonomy_level == 1


def test_level_map_is_read_only() -> None:
    with pytest.raises(TypeError):
        POSTURE_LEVEL_MAP[TrustPosture.BLOCKED] = 9  # type: ignore[index]


@pytest.mark.parametrize(
    "spelling", ["FULL_AUTONOMY", "full_autonomy", "Full_Autonomy", " full_autonomy "]
)
def test_values_resolve_in_any_case(spelling: str) -> None:
    assert TrustPosture(spelling) is TrustPosture.FULL_AUTONOMY


def test_unknown_value_is_refused() -> None:
    with pytest.raises(ValueError, match="full-autonomy"):
        TrustPosture("full-autonomy")


@pytest.mark.parametrize("other", ["assisted", "zzz", 3, None, 4.0])
@pytest.mark.parametrize("compare", [operator.lt, operator.le, operator.gt, operator.ge])
def test_comparing_with_a_non_posture_raises_type_error(
    other: object, compare: Callable[[object, object], bool]
) -> None:
    with pytest.raises(TypeError, match="must be a TrustPosture"):
        compare(TrustPosture.ASSISTED, other)
    with pytest.raises(TypeError, match="must be a TrustPosture"):
        compare(other, TrustPosture.ASSISTED)


def test_string_equality_is_kept_for_values() -> None:
    # A str enum: equal to its value, but never ordered by spelling.
    assert TrustPosture.BLOCKED == "blocked"
    assert str(TrustPosture.HUMAN_DECIDES) == "human_decides"


def test_order_is_total_and_strict() -> None:
    ladder = sorted(TrustPosture)
    for lower, higher in pairwise(ladder):
        assert lower < higher
        assert not lower < lower
        assert higher > lower
        assert lower <= lower
        assert not higher <= lower
        assert higher >= lower
        assert higher >= higher
        assert not lower >= higher
        assert lower.can_upgrade_to(higher)
        assert not lower.can_downgrade_to(higher)
        assert higher.can_downgrade_to(lower)
    assert not TrustPosture.SUPERVISED.can_upgrade_to(TrustPosture.SUPERVISED)
    assert not TrustPosture.SUPERVISED.can_downgrade_to(TrustPosture.SUPERVISED)


def test_can_upgrade_to_refuses_a_string() -> None:
    with pytest.raises(TypeError, match="target"):
        TrustPosture.SUPERVISED.can_upgrade_to("full_autonomy")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("compare", "operand"),
    [
        (operator.lt, "the other operand"),
        (operator.le, "the other operand"),
        (operator.gt, "the other operand"),
        (operator.ge, "the other operand"),
        (TrustPosture.can_upgrade_to, "target"),
        (TrustPosture.can_downgrade_to, "target"),
    ],
)
def test_a_refused_comparison_names_the_operand_and_the_value(
    compare: Callable[[TrustPosture, object], bool], operand: str
) -> None:
    message = f"^{operand} must be a TrustPosture to compare autonomy, got 'assisted'$"
    with pytest.raises(TypeError, match=message):
        compare(TrustPosture.SUPERVISED, "assisted")


def test_coerce() -> None:
    assert TrustPosture.coerce("Blocked") is TrustPosture.BLOCKED
    assert TrustPosture.coerce(TrustPosture.ASSISTED) is TrustPosture.ASSISTED
    with pytest.raises(InvalidValueError, match=r"default_posture must be one of .* got 'nope'"):
        TrustPosture.coerce("nope", "default_posture")
    with pytest.raises(InvalidTypeError, match="posture must be a TrustPosture, got 5"):
        TrustPosture.coerce(5)


def test_a_model_state_with_no_posture_stops_the_import(tmp_path: Path) -> None:
    # A state added to the model and regenerated, but not to TrustPosture, has no level.
    planted = Plant(
        "trust/_generated/posture.py",
        'STATES: Final = ("blocked", ',
        'STATES: Final = ("blocked", "cautious", ',
    )
    run = import_with(tmp_path, planted, module="trust.postures")
    assert run.returncode != 0
    assert "ImportError: TrustPosture must list the model's states" in run.output
    assert "'cautious'" in run.output


def test_postures_out_of_the_models_ladder_order_stop_the_import(tmp_path: Path) -> None:
    planted = Plant(
        "trust/postures/_posture.py",
        '    ASSISTED = "assisted"\n    SUPERVISED = "supervised"\n',
        '    SUPERVISED = "supervised"\n    ASSISTED = "assisted"\n',
    )
    run = import_with(tmp_path, planted, module="trust.postures")
    assert run.returncode != 0
    assert "ImportError: TrustPosture must list the model's states" in run.output
