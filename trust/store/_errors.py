"""The errors a store raises: one base class, and the kind the engine maps to a refusal."""

from __future__ import annotations

from trust._errors import InvalidValueError, TrustError


class StoreError(TrustError):
    """Base class of every error a trust store raises on purpose."""


class StoreUnavailableError(StoreError, ConnectionError):
    """The store could not be reached, or did not answer within its timeout.

    Nothing is known to have been written. The engine fails closed on it: an upgrade is
    refused, a decision uses BLOCKED, and an emergency downgrade is kept locally and
    retried (its idempotency key makes the retry safe).
    """


class StoreSchemaError(StoreError):
    """The store's schema is not one this version of care-trust can use (for instance newer)."""


class StoreURLError(InvalidValueError):
    """A store URL is malformed or names an engine care-trust does not know."""
