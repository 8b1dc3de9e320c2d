"""The registry of constraint dimensions, with security review for those that need it."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

import attrs

from trust import _validators as check
from trust._errors import InvalidTypeError, InvalidValueError
from trust._exact import exact_str
from trust.constraints._dimension import ConstraintDimension, ConstraintValue


@attrs.frozen
class _Entry:
    dimension: ConstraintDimension
    pending: bool
    reviewer: str | None = None


class ConstraintDimensionRegistry:
    """Where evaluators look up dimensions by name.

    A dimension registered with ``requires_review=True`` stays pending until
    `approve_dimension`, whatever its name: naming a custom dimension ``cost_limit`` does
    not skip review. `get` returns None for a pending dimension unless the registry was
    built with ``allow_unreviewed=True`` (for tests). Built-in dimensions are registered
    without review by `register_builtin_dimensions`.

    Registration and approval only ever add capabilities, never take them away, and every
    change bumps `generation`; evaluators use it to notice that cached lookups are stale.
    All methods are thread-safe.
    """

    def __init__(self, allow_unreviewed: bool = False) -> None:
        if not isinstance(allow_unreviewed, bool):
            raise InvalidTypeError(
                f"allow_unreviewed must be a bool, got {check.shown(allow_unreviewed)}"
            )
        self._allow_unreviewed = allow_unreviewed
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()
        self._generation = 0

    @property
    def allow_unreviewed(self) -> bool:
        """Whether pending dimensions can be retrieved (test mode)."""
        return self._allow_unreviewed

    @property
    def generation(self) -> int:
        """A counter bumped by every registration and approval."""
        return self._generation

    def register(self, dimension: ConstraintDimension, requires_review: bool = False) -> None:
        """Add ``dimension`` under its name; pending review if ``requires_review``.

        Raises:
            InvalidTypeError: ``dimension`` is not a `ConstraintDimension`.
            InvalidValueError: Its name is not a valid identifier or is already taken.
        """
        name = _name_of(dimension)
        if not isinstance(requires_review, bool):
            raise InvalidTypeError(
                f"requires_review must be a bool, got {check.shown(requires_review)}"
            )
        with self._lock:
            if name in self._entries:
                raise InvalidValueError(
                    f"dimension name must be unique, got {check.shown(name)}, "
                    "which is already registered"
                )
            self._entries[name] = _Entry(dimension, pending=requires_review)
            self._generation += 1

    def _register_missing(self, dimensions: Iterable[ConstraintDimension]) -> None:
        """Register each dimension whose name is free; skip one already there (same class).

        Atomic, so that concurrent callers cannot race between looking and registering.

        Raises:
            InvalidValueError: A name is taken by a dimension of another class.
        """
        wanted = [(_name_of(dimension), dimension) for dimension in dimensions]
        with self._lock:
            for name, dimension in wanted:
                present = self._entries.get(name)
                if present is not None and type(present.dimension) is not type(dimension):
                    raise InvalidValueError(
                        f"dimension name {name!r} must be free for the built-in "
                        f"{type(dimension).__name__}, got it taken by "
                        f"{type(present.dimension).__name__}"
                    )
            added = False
            for name, dimension in wanted:
                if name not in self._entries:
                    self._entries[name] = _Entry(dimension, pending=False)
                    added = True
            if added:  # a call that adds nothing leaves every cached answer current
                self._generation += 1

    def approve_dimension(self, name: str, reviewer: str) -> None:
        """Approve a pending dimension and record who reviewed it.

        Approving a dimension that is not pending changes nothing (its reviewer, if any,
        stays the first one).

        Raises:
            InvalidValueError: No dimension has that name, or ``reviewer`` is blank.
        """
        reviewer = check.identifier(reviewer, "reviewer")
        key = _key(name)
        with self._lock:
            entry = None if key is None else self._entries.get(key)
            if entry is None:
                raise InvalidValueError(
                    f"name must be a registered dimension, got {check.shown(name)}"
                )
            if entry.pending:
                assert key is not None  # an entry was found under it
                self._entries[key] = attrs.evolve(entry, pending=False, reviewer=reviewer)
                self._generation += 1

    def get(self, name: str) -> ConstraintDimension | None:
        """The dimension, or None if unknown or pending review (outside test mode)."""
        key = name if type(name) is str else _key(name)
        with self._lock:
            entry = self._entries.get(key)  # type: ignore[arg-type]
        if entry is None or (entry.pending and not self._allow_unreviewed):
            return None
        return entry.dimension

    def parse_constraint(self, name: str, value: Any) -> ConstraintValue | None:
        """Parse ``value`` with the dimension called ``name``, as `get` finds it.

        Args:
            name: The dimension's name.
            value: The raw constraint (``1000``, ``"09:00-17:00"``, ...).

        Returns:
            The parsed value, or None if no usable dimension has that name (unknown, or
            pending review outside test mode), as in kaizen.trust 1.2.5.

        Raises:
            ValueError: The dimension refuses ``value`` (its `ConstraintDimension.parse`
                says why).
        """
        dimension = self.get(name)
        if dimension is None:
            return None
        return dimension.parse(value)

    def has(self, name: str) -> bool:
        """Whether a dimension of that name is registered, approved or not."""
        key = _key(name)
        with self._lock:
            return key in self._entries

    def is_pending(self, name: str) -> bool:
        """Whether a dimension of that name is registered and awaiting review."""
        key = _key(name)
        with self._lock:
            entry = None if key is None else self._entries.get(key)
        return entry is not None and entry.pending

    def reviewer(self, name: str) -> str | None:
        """Who approved the dimension, or None if it never needed or got a review."""
        key = _key(name)
        with self._lock:
            entry = None if key is None else self._entries.get(key)
        return None if entry is None else entry.reviewer

    def pending_review(self) -> list[str]:
        """Names awaiting review, in registration order."""
        with self._lock:
            return [name for name, entry in self._entries.items() if entry.pending]

    def all(self) -> list[tuple[str, ConstraintDimension]]:
        """Every registered ``(name, dimension)``, pending ones included, in registration order."""
        with self._lock:
            return [(name, entry.dimension) for name, entry in self._entries.items()]

    def __repr__(self) -> str:
        with self._lock:
            names = list(self._entries)
        return f"ConstraintDimensionRegistry({names!r})"


def _name_of(dimension: object) -> str:
    if not isinstance(dimension, ConstraintDimension):
        raise InvalidTypeError(
            f"dimension must be a ConstraintDimension, got {check.shown(dimension)}"
        )
    return check.identifier(dimension.name, "dimension name")


def _key(name: object) -> str | None:
    """``name`` as the exact string it holds, or None if it is no string.

    A str subclass may hash and compare like another name, and would find, or approve,
    another dimension.
    """
    return exact_str(name)
