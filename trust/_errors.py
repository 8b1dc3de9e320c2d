"""The error classes of care-trust.

Every error the library raises on purpose derives from `TrustError`, and also from the
builtin a caller would catch: bad values are `ValueError`; a value of the wrong type is
both `ValueError` and `TypeError`, so `except ValueError` catches every bad input while
`except TypeError` keeps working for code written against the builtins.
"""

from __future__ import annotations


class TrustError(Exception):
    """Base class of every error care-trust raises on purpose."""


class InvalidValueError(TrustError, ValueError):
    """A configuration value or an input is malformed; the message names it."""


class InvalidTypeError(InvalidValueError, TypeError):
    """A configuration value or an input has the wrong type; the message names it."""
