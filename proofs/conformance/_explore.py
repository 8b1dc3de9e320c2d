"""Every event sequence up to a depth, each replayed on freshly built engines.

A check supplies its worlds (the configurations it starts from), its alphabet of events
and a harness that performs one event on the real engines and compares the step with the
spec, raising `Mismatch` when they disagree. Each sequence of exactly ``depth`` events is
run on a fresh harness, so every shorter sequence is checked too, as a prefix; the engines
are never copied or rewound, only rebuilt and replayed.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Generic, Protocol, TypeVar

import attrs

from trust.proofs._verdict import Proved, Refuted, Verdict

E = TypeVar("E")
E_contra = TypeVar("E_contra", contravariant=True)
W = TypeVar("W")


class Mismatch(Exception):
    """The runtime did something the spec does not allow; ``details`` say what, in order."""

    def __init__(self, details: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in details.items()))
        self.details = dict(details)


class Harness(Protocol[E_contra]):
    """Real engines, driven one event at a time."""

    def step(self, event: E_contra) -> None:
        """Perform ``event`` and compare the step with the spec; raise `Mismatch` if not."""


@attrs.frozen(kw_only=True)
class Exhaustive(Generic[W, E]):
    """Every sequence of ``depth`` events of ``alphabet``, from each of ``worlds``.

    Attributes:
        worlds: The starting configurations.
        alphabet: The events, each shown by its ``str``.
        depth: The length of every sequence run.
        start: A fresh harness for a world (it may raise `Mismatch` on its initial state).
        show_world: A world, as text for a counterexample.
    """

    worlds: Sequence[W]
    alphabet: Sequence[E]
    depth: int
    start: Callable[[W], Harness[E]]
    show_world: Callable[[W], str]

    @property
    def sequences(self) -> int:
        return len(self.worlds) * math.prod([len(self.alphabet)] * self.depth)

    def run(self) -> Verdict:
        """Proved with the case counts, or a shortest sequence that breaks, as a counterexample."""
        found = self._first(self.depth)
        if found is None:
            return Proved(
                note=f"runtime ≡ spec on {self.sequences:,} sequences, "
                f"{self.sequences * self.depth:,} steps"
            )
        # Every shorter sequence is a prefix of one already run, but not always of this one:
        # look for a shorter counterexample, which reads more easily.
        for length in range(len(found[1])):
            shorter = self._first(length)
            if shorter is not None:
                found = shorter
                break
        return self._refuted(*found)

    def _first(self, length: int) -> tuple[W, list[E], Mismatch] | None:
        for world in self.worlds:
            for sequence in itertools.product(self.alphabet, repeat=length):
                done: list[E] = []
                try:
                    harness = self.start(world)
                    for event in sequence:
                        done.append(event)
                        harness.step(event)
                except Mismatch as mismatch:
                    return world, done, mismatch
        return None

    def _refuted(self, world: W, done: Sequence[E], mismatch: Mismatch) -> Refuted:
        width = len(str(max(len(done), 1)))
        shown = {"0 start": self.show_world(world)}
        shown |= {f"1 event {i:0{width}d}": str(e) for i, e in enumerate(done, start=1)}
        if not done:
            shown["1 event"] = "(none: the initial state)"
        shown |= {f"{n} {key}": value for n, (key, value) in enumerate(mismatch.details.items(), 2)}
        return Refuted(shown)
