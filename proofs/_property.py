"""A named property, how it is checked, and what checking it concluded."""

from __future__ import annotations

from collections.abc import Callable

import attrs

from trust.proofs._verdict import Proved, Refuted, Verdict


@attrs.frozen(kw_only=True)
class Settings:
    """What every check receives.

    Attributes:
        timeout_ms: The per-query solver timeout.
        deep: The deep profile (``--deep``): conformance checks explore larger bounds
            (deeper event sequences, bigger universes), taking minutes instead of seconds.
    """

    timeout_ms: int
    deep: bool = False


@attrs.frozen(kw_only=True)
class Property:
    """One claim about one subject.

    Attributes:
        name: What is claimed, e.g. ``"emergency downgrade reaches blocked"``.
        subject: What it is claimed of, e.g. ``"posture lifecycle"``.
        method: How it is checked: ``"z3"``, ``"exact comparison"``, ``"hypothesis"``.
        check: Runs the check.
        expect_refuted: The property is shown *not* to hold on purpose (a demonstration
            of why a design choice is needed); a refutation is then the expected result.
        bound: What the check does not cover, where it is bounded (``"event sequences
            up to depth 4; counters up to 3"``); "" when it covers every input.
    """

    name: str
    subject: str
    method: str
    check: Callable[[Settings], Verdict]
    expect_refuted: bool = False
    bound: str = ""

    @property
    def key(self) -> str:
        return f"{self.subject}: {self.name}"


@attrs.frozen(kw_only=True)
class Outcome:
    """The verdict of one property and how long it took."""

    prop: Property
    verdict: Verdict
    seconds: float

    @property
    def ok(self) -> bool:
        """Whether this outcome lets the run pass."""
        if self.prop.expect_refuted:
            return isinstance(self.verdict, Refuted)
        return isinstance(self.verdict, Proved)

    @property
    def result(self) -> str:
        if self.prop.method in ("hypothesis", "sampled") and isinstance(self.verdict, Proved):
            # Sampling finds no counterexample; that is evidence, not a proof.
            return f"passed ({self.verdict.note})" if self.verdict.note else "passed (sampled)"
        text = str(self.verdict)
        if self.prop.expect_refuted and isinstance(self.verdict, Refuted):
            return "refuted (expected)"
        return text
