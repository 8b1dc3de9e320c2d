"""The errors a store raises: one base class, and the kind the engine maps to a refusal."""

from __future__ import annotations

from trust._errors import InvalidValueError, TrustError


class StoreError(TrustError):
    """Base class of every error a trust store raises on purpose."""


class StoreUnavailableError(StoreError, ConnectionError):
    """The store could not be reached, or did not answer within its timeout.

    The operation is not known to have committed. Usually it did not; but a connection
    lost during the commit itself leaves that unknown, so an engine that must know retries
    with the same ``op_id`` (an applied one is reported, never applied twice). The engine
    fails closed on it: an upgrade is refused, a decision uses BLOCKED, and an emergency
    downgrade is kept locally and retried with its idempotency key.
    """


class StoreCorruptError(StoreError):
    """The store holds a row this version cannot read (edited by hand, or damaged).

    Raised rather than read past: a decision never rests on a row it cannot trust.
    """


class StoreSchemaError(StoreError):
    """The store's schema is not one this version of care-trust can use (for instance newer)."""


class StoreURLError(InvalidValueError):
    """A store URL is malformed or names an engine care-trust does not know."""
