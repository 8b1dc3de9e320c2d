"""`unproved`: whether a constraint value lies outside what ``python -m trust.proofs`` covers.

The proof run proves the laws of each built-in dimension on a twin and holds the runtime
to that twin (`proofs.conformance`). A value whose path through the runtime no twin
encodes would be decided by code no proof speaks about; `unproved` names the reason, so
that a policy checker (``care-trust check``) can warn where a policy uses one. Every
bound of the proofs themselves (the sizes the laws are proved at, the universes the
runtime is compared on) is listed in the proof table.
"""

from __future__ import annotations

from trust import InvalidTypeError
from trust import _validators as check
from trust.proofs._catalogue import entry_named


def unproved(dimension_name: str, constraint_value: object) -> str | None:
    """Why ``constraint_value`` lies outside what the proofs cover, or None if it does not.

    Args:
        dimension_name: The dimension the value is written for (``"communication"``).
        constraint_value: The value as a policy writes it (``"internal_only"``,
            ``{"all_of": [...]}``).

    Returns:
        None when a twin of the built-in dimension encodes the value, so its check,
        tightening and compose are what the laws and conformance speak about; else the
        reason (a dimension that is not built in, or the twins' refusals).

    Raises:
        InvalidTypeError: ``dimension_name`` is not a str.
        InvalidValueError: The runtime itself refuses the value (its own error: a policy
            checker reports that as invalid, not as unproved).

    >>> unproved("communication", {"all_of": ["internal_only", {"mode": "allowed_domains",
    ...     "allowed_domains": ["fd00::/8"]}]}) is None
    True
    >>> unproved("tokens", 5).startswith("'tokens' is not a built-in dimension")
    True
    """
    if type(dimension_name) is not str:
        raise InvalidTypeError(f"dimension_name must be a str, got {check.shown(dimension_name)}")
    entry = entry_named(dimension_name)
    if entry is None:
        return (
            f"{dimension_name!r} is not a built-in dimension: the proof run does not cover it "
            "(prove its laws with trust.proofs.verify_dimension)"
        )
    chosen = entry.scope(False)
    value = chosen.universe.dimension.parse(constraint_value)
    refusals = []
    for twin_for in chosen.covering:
        try:
            twin_for([value]).encode(value)
        except ValueError as error:
            refusals.append(str(error))
        else:
            return None
    return f"no twin of {dimension_name} encodes {check.shown(constraint_value)}: " + "; ".join(
        refusals
    )


__all__ = ["unproved"]
