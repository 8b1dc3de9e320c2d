"""What a proof can conclude: proved, refuted with a counterexample, or unknown."""

from __future__ import annotations

from collections.abc import Mapping

import attrs


def _sorted(values: Mapping[str, str]) -> Mapping[str, str]:
    return dict(sorted(values.items()))


@attrs.frozen
class Proved:
    """The property holds for every input the encoding admits.

    Attributes:
        note: What was covered, where it is worth saying (a conformance check's case
            count: ``"runtime ≡ twin on 40,000 cases"``).
    """

    note: str = ""

    def __str__(self) -> str:
        return f"proved ({self.note})" if self.note else "proved"


@attrs.frozen
class Refuted:
    """The property fails; ``counterexample`` names the inputs that break it."""

    counterexample: Mapping[str, str] = attrs.field(converter=_sorted)

    def __str__(self) -> str:
        return "refuted"

    def explain(self) -> str:
        """The counterexample, one ``name=value`` per line."""
        return "\n".join(f"{name}={value}" for name, value in self.counterexample.items())


@attrs.frozen
class Unknown:
    """The solver gave up (a timeout or an undecided theory); never read as proved."""

    reason: str

    def __str__(self) -> str:
        return f"unknown ({self.reason})"


Verdict = Proved | Refuted | Unknown
