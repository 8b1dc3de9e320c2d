"""Test doubles for code that uses care-trust: drive time by hand instead of sleeping.

Every runtime class takes a ``clock`` (`trust.Clock`); `FakeClock` is one that moves only
when the test says so, so a breaker's recovery timeout, a rate window or a time window can
be crossed in a test that never waits::

    from trust import PostureStateMachine
    from trust.testing import FakeClock

    clock = FakeClock()
    machine = PostureStateMachine(clock=clock)
    clock.advance(60)  # a minute passes, at once

`PostureAwareAgent` also takes a ``sleep`` (how it waits for a slow handler or a retry);
`ManualSleep` is one whose sleepers wake only on `ManualSleep.release`, and `settle` lets
other tasks run until a condition holds, without real waiting.

Importing this module is never needed by the runtime: ``import trust`` does not load it.
"""

from trust.testing._clock import DEFAULT_START, FakeClock
from trust.testing._sleep import ManualSleep, settle

__all__ = ["DEFAULT_START", "FakeClock", "ManualSleep", "settle"]
