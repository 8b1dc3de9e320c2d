"""A string enum whose values resolve in any case: ``TrustPosture("Full_Autonomy")``."""

from __future__ import annotations

from enum import StrEnum
from typing import Self


class FoldedStrEnum(StrEnum):
    """Looks a value up by its case-folded, stripped spelling when no member matches exactly.

    Configuration files and environment variables spell values every which way; refusing
    ``"BLOCKED"`` for ``"blocked"`` would only push users to fold case themselves.
    """

    @classmethod
    def _missing_(cls, value: object) -> Self | None:
        if isinstance(value, str):
            folded = value.strip().lower()
            for member in cls:
                if member.value == folded:
                    return member
        return None
