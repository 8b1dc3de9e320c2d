"""Test doubles shared by the suites.

The clock and sleep doubles are the public ones (`trust.testing`), so the suites test with
what users test with.
"""

from __future__ import annotations

from trust.testing import FakeClock, ManualSleep, settle

__all__ = ["FakeClock", "ManualSleep", "RecordingAgent", "settle"]


class RecordingAgent:
    """A base agent that records its calls and returns (or raises) what it is given."""

    def __init__(self, result: object = "done", error: Exception | None = None) -> None:
        self.calls: list[dict[str, object]] = []
        self.result = result
        self.error = error

    async def run(self, **kwargs: object) -> object:
        self.calls.append(kwargs)
        if self.error is not None:
            raise self.error
        return self.result
