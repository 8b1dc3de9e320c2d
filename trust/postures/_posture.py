"""The five trust postures, ordered by autonomy."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from trust._enums import FoldedStrEnum
from trust._errors import InvalidTypeError, InvalidValueError
from trust._exact import exact_str
from trust._generated import posture as _lifecycle
from trust._validators import shown


class TrustPosture(FoldedStrEnum):
    """How much autonomy an agent has, from `FULL_AUTONOMY` (5) down to `BLOCKED` (1).

    Postures compare by autonomy level. Comparing a posture with anything that is not a
    posture raises `TypeError`: a string never compares by spelling. Values resolve in any
    case, so ``TrustPosture("FULL_AUTONOMY") is TrustPosture.FULL_AUTONOMY``.

    >>> TrustPosture.FULL_AUTONOMY > TrustPosture.SUPERVISED
    True
    >>> TrustPosture("Human_Decides").autonomy_level
    2
    """

    FULL_AUTONOMY = "full_autonomy"
    ASSISTED = "assisted"
    SUPERVISED = "supervised"
    HUMAN_DECIDES = "human_decides"
    BLOCKED = "blocked"

    @property
    def autonomy_level(self) -> int:
        """5 for `FULL_AUTONOMY` down to 1 for `BLOCKED`."""
        return _LEVEL[self]

    def can_upgrade_to(self, target: TrustPosture) -> bool:
        """Whether ``target`` has more autonomy than this posture."""
        return _LEVEL[self] < _level_of(target, "target")

    def can_downgrade_to(self, target: TrustPosture) -> bool:
        """Whether ``target`` has less autonomy than this posture."""
        return _LEVEL[self] > _level_of(target, "target")

    def __lt__(self, other: object) -> bool:
        return _LEVEL[self] < _level_of(other, "the other operand")

    def __le__(self, other: object) -> bool:
        return _LEVEL[self] <= _level_of(other, "the other operand")

    def __gt__(self, other: object) -> bool:
        return _LEVEL[self] > _level_of(other, "the other operand")

    def __ge__(self, other: object) -> bool:
        return _LEVEL[self] >= _level_of(other, "the other operand")

    @classmethod
    def coerce(cls, value: object, name: str = "posture") -> TrustPosture:
        """A posture from a posture or its value in any case.

        Raises:
            InvalidTypeError: ``value`` is neither a posture nor a string.
            InvalidValueError: ``value`` names no posture.
        """
        if type(value) is TrustPosture:
            return value
        # The exact copy: a str subclass's __hash__ and __eq__ could find another posture.
        text = exact_str(value)
        if text is None:
            raise InvalidTypeError(f"{name} must be a TrustPosture, got {shown(value)}")
        try:
            return cls(text)
        except ValueError:
            names = ", ".join(p.value for p in cls)
            raise InvalidValueError(f"{name} must be one of {names}, got {shown(value)}") from None


def _level_of(other: object, name: str) -> int:
    if not isinstance(other, TrustPosture):
        # A TypeError, not NotImplemented: str's own comparison would otherwise answer.
        raise TypeError(f"{name} must be a TrustPosture to compare autonomy, got {shown(other)}")
    return _LEVEL[other]


if tuple(p.value for p in reversed(TrustPosture)) != _lifecycle.STATES:
    # The postures are the model's states (trust/model/posture.py), declared here highest
    # autonomy first: a posture the model lacks, or one out of the ladder's order, would
    # have no level or the wrong one.
    raise ImportError(
        f"TrustPosture must list the model's states {_lifecycle.STATES}, highest autonomy "
        f"first, got {tuple(p.value for p in TrustPosture)}"
    )

# The ladder is the model's state order, lowest autonomy first.
_LEVEL: dict[TrustPosture, int] = {
    TrustPosture(state): level for level, state in enumerate(_lifecycle.STATES, start=1)
}

POSTURE_LEVEL_MAP: Mapping[TrustPosture, int] = MappingProxyType(dict(_LEVEL))
"""Autonomy level of each posture: 5 for FULL_AUTONOMY down to 1 for BLOCKED (read-only)."""
