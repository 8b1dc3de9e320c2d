"""``data_access``: whether data may hold PII, and which classifications may be touched.

Set semantics: a product of two axes. A `DataAccessPolicy` ``(pii_allowed, C)`` allows a
context iff

- PII axis: ``contains_pii`` is False, or ``pii_allowed`` (then True or absent is fine
  too; when PII is not allowed, an absent ``contains_pii`` fails, since nobody said the
  data is free of PII);
- classification axis: ``C`` is "every classification" (then any classification, or none
  given, is fine), or ``data_classification`` is given and in ``C``.

``contains_pii`` must be a bool and ``data_classification`` a string, whatever the
policy; a malformed value fails. None counts as absent. Classifications compare
case-insensitively (they are stripped and case-folded).

Order: the product order, ``(p, C) <= (p', C')`` iff ``p <= p'`` and ``C ⊆ C'``, except
that an empty ``C`` allows nothing at all, so it is below everything; such values are
normalised to ``(False, {})``. Tightening is that order and compose the component-wise
meet (and, intersection): both exact.

Modes map onto the axes: ``no_pii`` = (no PII, every classification), ``internal_only`` =
(PII allowed, {"internal"}), ``allow_all`` = (PII allowed, every classification). With the
dict form, ``allowed_classifications`` further restricts the mode's classifications
(intersection), whatever the mode; an empty list allows no classification.

The raw value is read once into plain data (a dict, lists and strings of the exact builtin
types), which is what is parsed and kept as ``raw_value``; context values are read as the
builtin value they hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from trust import _validators as check
from trust._errors import InvalidTypeError, InvalidValueError
from trust._exact import exact_str
from trust.constraints._dimension import (
    ConstraintCheckResult,
    ConstraintValue,
    unchecked_result,
)
from trust.constraints._reading import plain_data, read_context
from trust.constraints.builtin._lattice import BuiltinDimension

MODES: Mapping[str, tuple[bool, frozenset[str] | None]] = {
    "no_pii": (False, None),
    "internal_only": (True, frozenset({"internal"})),
    "allow_all": (True, None),
}
"""Each mode as (pii_allowed, classifications); None means every classification."""

_KEYS = frozenset({"mode", "allowed_classifications"})


def normalise_classification(value: object, name: str = "classification") -> str:
    """A classification name, stripped and case-folded.

    Raises:
        InvalidTypeError: ``value`` is not a string.
        InvalidValueError: It is blank.
    """
    text = exact_str(value)  # a subclass may override strip and casefold
    if text is None:
        raise InvalidTypeError(f"{name} must be a string, got {check.shown(value)}")
    folded = text.strip().casefold()
    if not folded:
        raise InvalidValueError(f"{name} must be a non-blank string, got {check.shown(value)}")
    return folded


def _classifications(value: object) -> frozenset[str] | None:
    if value is None:
        return None
    if not isinstance(value, frozenset):
        raise InvalidTypeError(
            f"classifications must be a frozenset or None, got {check.shown(value)}"
        )
    return frozenset(normalise_classification(item) for item in value)


@attrs.frozen
class DataAccessPolicy:
    """``pii_allowed`` and the allowed classifications (None: every classification)."""

    pii_allowed: bool = attrs.field(validator=attrs.validators.instance_of(bool))
    classifications: frozenset[str] | None = attrs.field(converter=_classifications)

    def __attrs_post_init__(self) -> None:
        # Every policy that allows no classification allows no context: one bottom value.
        if self.classifications == frozenset() and self.pii_allowed:
            object.__setattr__(self, "pii_allowed", False)

    def is_within(self, other: DataAccessPolicy) -> bool:
        if self.classifications == frozenset():
            return True
        return (not self.pii_allowed or other.pii_allowed) and (
            other.classifications is None
            or (self.classifications is not None and self.classifications <= other.classifications)
        )

    def meet(self, other: DataAccessPolicy) -> DataAccessPolicy:
        if self.classifications is None:
            classes = other.classifications
        elif other.classifications is None:
            classes = self.classifications
        else:
            classes = self.classifications & other.classifications
        return DataAccessPolicy(self.pii_allowed and other.pii_allowed, classes)

    def example_outside(self, other: DataAccessPolicy) -> str | None:
        if self.is_within(other):
            return None
        if self.pii_allowed and not other.pii_allowed:
            context: dict[str, object] = {"contains_pii": True}
            if self.classifications is not None:
                context["data_classification"] = min(self.classifications)
        else:
            assert other.classifications is not None
            if self.classifications is None:
                outside = "unclassified"
                while outside in other.classifications:
                    outside += "_"
            else:
                outside = min(self.classifications - other.classifications)
            context = {"contains_pii": False, "data_classification": outside}
        return f"the child allows {context!r}, the parent does not"

    def to_raw(self) -> str | dict[str, Any]:
        """The raw form that parses back to this policy."""
        mode = "allow_all" if self.pii_allowed else "no_pii"
        if self.classifications is None:
            return mode
        return {"mode": mode, "allowed_classifications": sorted(self.classifications)}


def _mode(value: object) -> tuple[bool, frozenset[str] | None]:
    names = ", ".join(MODES)
    text = exact_str(value)
    if text is None:
        raise InvalidTypeError(
            f"Invalid data access mode: data_access mode must be one of {names}, "
            f"got {check.shown(value)}"
        )
    mode = MODES.get(text.strip().lower())
    if mode is None:
        raise InvalidValueError(
            f"Invalid data access mode: data_access mode must be one of {names}, "
            f"got {check.shown(value)}"
        )
    return mode


def parse_policy(value: object) -> DataAccessPolicy:
    """A policy from a mode string or ``{"mode": ..., "allowed_classifications": [...]}``.

    Raises:
        InvalidTypeError: ``value`` is neither a string nor a mapping, or a field has the
            wrong type.
        InvalidValueError: An unknown mode or key, or a blank classification; or a mapping
            or list that raised while being read.
    """
    # One read of everything, as exact builtins: what is parsed is what is kept as raw.
    value = plain_data(value, "data_access")
    if isinstance(value, str):
        return DataAccessPolicy(*_mode(value))
    if not isinstance(value, Mapping):
        raise InvalidTypeError(
            "Data access config must be string or dict: data_access must be a mode string "
            f"or a mapping, got {check.shown(value)}"
        )
    unknown = sorted(str(key) for key in value if key not in _KEYS)
    if unknown:
        raise InvalidValueError(
            f"data_access keys must be among {sorted(_KEYS)}, got unknown {unknown}"
        )
    pii_allowed, classes = _mode(value.get("mode", "no_pii"))
    listed = value.get("allowed_classifications")
    if listed is not None:
        if isinstance(listed, str):
            listed = [listed]
        if not isinstance(listed, list | tuple | set | frozenset):
            raise InvalidTypeError(
                f"allowed_classifications must be a list of strings, got {check.shown(listed)}"
            )
        given = frozenset(
            normalise_classification(item, "allowed_classifications item") for item in listed
        )
        classes = given if classes is None else classes & given
    return DataAccessPolicy(pii_allowed, classes)


class DataAccessDimension(BuiltinDimension[DataAccessPolicy]):
    """Data classification and PII controls.

    >>> dim = DataAccessDimension()
    >>> dim.check(dim.parse("no_pii"), {"contains_pii": True}).satisfied
    False
    """

    value_type = DataAccessPolicy

    @property
    def name(self) -> str:
        return "data_access"

    @property
    def description(self) -> str:
        return "Data access restrictions (PII, classification)"

    @property
    def requires_audit(self) -> bool:
        return True

    def parse(self, value: Any) -> ConstraintValue:
        """Parse a mode or a mode dict; see the module docstring."""
        raw = plain_data(value, self.name)
        return ConstraintValue(dimension=self.name, raw_value=raw, parsed=parse_policy(raw))

    def composed_raw(self, value: DataAccessPolicy, raws: list[Any]) -> Any:
        return value.to_raw()

    def check(self, constraint: ConstraintValue, context: dict[str, Any]) -> ConstraintCheckResult:
        """Pass iff both axes allow the context; see the module docstring."""
        if type(context) is not dict:
            read = read_context(context)
            if isinstance(read, ConstraintCheckResult):
                return read
            context = read
        policy: DataAccessPolicy = constraint.parsed
        pii = context.get("contains_pii")
        if pii is not None and type(pii) is not bool:
            return unchecked_result(False, f"contains_pii must be a bool, got {check.shown(pii)}")
        raw_class = context.get("data_classification")
        classification = None
        if raw_class is not None:
            # The exact string: a subclass may override strip and casefold.
            text = exact_str(raw_class)
            if text is None or not text.strip():
                return unchecked_result(
                    False,
                    "data_classification must be a non-blank string, "
                    f"got {check.shown(raw_class)}",
                )
            classification = text.strip().casefold()
        if not policy.pii_allowed:
            if pii is None:
                return unchecked_result(
                    False,
                    "contains_pii is missing: PII is not allowed and the data is not "
                    "declared free of it",
                )
            if pii:
                return unchecked_result(False, "PII access not allowed")
        allowed = policy.classifications
        if allowed is not None:
            if classification is None:
                return unchecked_result(
                    False,
                    f"data_classification is missing: only {sorted(allowed)} are allowed",
                )
            if classification not in allowed:
                return unchecked_result(
                    False,
                    f"classification '{classification}' not allowed: not in allowed list "
                    f"{sorted(allowed)}",
                )
        return _ALLOWED


_ALLOWED = unchecked_result(True, "data access allowed")
