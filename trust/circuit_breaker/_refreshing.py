"""How fresh a store-backed breaker's view of the store is, and the thread that keeps it so.

As the posture cache (`trust.store.PostureCache`): the view is fresh from the start of
the last refresh that succeeded until Δ after it, whatever the clock does meanwhile.
Past that, another process's trip may be unseen.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

logger = logging.getLogger("trust.circuit_breaker")


class Freshness:
    """The window in which the last successful refresh vouches for the store's rows."""

    def __init__(self, delta: float, monotonic: Callable[[], float]) -> None:
        self._delta = delta
        self._monotonic = monotonic
        self._from = float("inf")
        self._until = -float("inf")
        self._failure = "the breaker has not read the store yet"

    def began(self) -> float:
        """Now: when a refresh begins (its rows are at least this recent)."""
        return self._monotonic()

    def succeeded(self, began: float) -> None:
        if began + self._delta > self._until or began < self._from:
            self._from, self._until = began, began + self._delta

    def failed(self, why: str) -> None:
        self._failure = why

    def stale(self) -> str | None:
        """Why the view cannot vouch for a closed circuit now; None while fresh (no lock)."""
        if self._from <= self._monotonic() < self._until:
            return None
        return (
            f"circuit state unknown for {self._delta:g} s or more ({self._failure}): "
            "another process may have tripped it; calls refused until the store answers"
        )


class Refresher:
    """Calls ``refresh`` every ``every`` seconds on a daemon thread, until `close`."""

    def __init__(self, refresh: Callable[[], object], every: float, name: str) -> None:
        self._refresh = refresh
        self._every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            try:
                self._refresh()
            except Exception:  # a bug must not stop refreshing silently
                logger.exception("circuit breaker refresh failed")

    def close(self) -> None:
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join()
