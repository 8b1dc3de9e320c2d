"""`trust.testing`: the doubles a user tests their own agents with.

They must satisfy the runtime's contracts (a `FakeClock` is a `trust.Clock` every component
accepts), move only when told to, and refuse what would make a test lie (time going back,
naive stamps, a datetime subclass).
"""

from __future__ import annotations

import asyncio
import math
import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest

import trust.testing
from tests.fakes import RecordingAgent
from tests.hostile import LyingDatetime, LyingFloat
from trust import (
    CircuitBreakerConfig,
    CircuitState,
    Clock,
    PostureAwareAgent,
    PostureCircuitBreaker,
    PostureStateMachine,
    TrustPosture,
)
from trust.testing import DEFAULT_START, FakeClock, ManualSleep, settle


def test_the_public_names_are_the_documented_ones() -> None:
    assert trust.testing.__all__ == ["DEFAULT_START", "FakeClock", "ManualSleep", "settle"]


def test_a_fake_clock_is_a_clock_the_runtime_accepts() -> None:
    clock = FakeClock()
    assert isinstance(clock, Clock)
    machine = PostureStateMachine(clock=clock)
    assert machine.clock is clock


def test_a_fake_clock_moves_only_when_told_to() -> None:
    clock = FakeClock()
    assert clock.now() == DEFAULT_START == clock.now()
    assert clock.monotonic() == 1000.0 == clock.monotonic()
    clock.advance(90)
    assert clock.now() == DEFAULT_START + timedelta(seconds=90)
    assert clock.monotonic() == 1090.0
    clock.advance(timedelta(minutes=1, milliseconds=500))
    assert clock.now() == DEFAULT_START + timedelta(seconds=150.5)
    assert clock.monotonic() == 1150.5


def test_a_fake_clock_starts_where_asked_and_reports_utc() -> None:
    cet = timezone(timedelta(hours=1))
    clock = FakeClock(datetime(2030, 6, 1, 9, 0, tzinfo=cet), monotonic=0.0)
    assert clock.now() == datetime(2030, 6, 1, 8, 0, tzinfo=UTC)
    assert clock.now().tzinfo is UTC  # the Clock contract: aware, in UTC
    assert clock.monotonic() == 0.0
    assert "2030-06-01T08:00:00+00:00" in repr(clock)


def test_the_posture_history_is_stamped_with_the_fake_time() -> None:
    clock = FakeClock()
    machine = PostureStateMachine(clock=clock)
    machine.set_posture("agent-1", TrustPosture.SUPERVISED)
    clock.advance(3600)
    machine.emergency_downgrade("agent-1", reason="incident")
    stamps = [t.timestamp for t in machine.get_transition_history("agent-1")]
    assert stamps == [DEFAULT_START, DEFAULT_START + timedelta(hours=1)]


def test_a_breaker_recovers_when_the_fake_clock_passes_its_timeout() -> None:
    clock = FakeClock()
    machine = PostureStateMachine(clock=clock)
    config = CircuitBreakerConfig(failure_threshold=1, recovery_timeout=30)
    breaker = PostureCircuitBreaker(machine, config)
    breaker.record_failure_sync("agent-1", "TimeoutError", "slow")
    assert breaker.get_state("agent-1") is CircuitState.OPEN
    clock.advance(29.5)
    assert breaker.get_state("agent-1") is CircuitState.OPEN
    clock.advance(0.5)
    assert breaker.get_state("agent-1") is CircuitState.HALF_OPEN


@pytest.mark.parametrize(
    ("seconds", "error", "message"),
    [
        (-1, ValueError, r"seconds must be at least 0, got -1"),
        (timedelta(seconds=-1), ValueError, r"seconds must be at least 0, got .*-1"),
        (math.nan, ValueError, r"seconds must be a finite number, got nan"),
        (math.inf, ValueError, r"seconds must be a finite number, got inf"),
        (True, TypeError, r"seconds must be a finite number, got True"),
        ("5", TypeError, r"seconds must be a finite number, got '5'"),
        (1e15, ValueError, r"seconds must keep the clock within datetime's range"),
    ],
)
def test_a_fake_clock_never_goes_backwards_or_by_a_non_number(
    seconds: object, error: type[Exception], message: str
) -> None:
    clock = FakeClock()
    with pytest.raises(error, match=message):
        clock.advance(seconds)  # type: ignore[arg-type]
    assert clock.now() == DEFAULT_START
    assert clock.monotonic() == 1000.0


def test_a_lying_float_advances_by_what_it_holds() -> None:
    clock = FakeClock()
    clock.advance(LyingFloat(2.0))
    assert clock.monotonic() == 1002.0


@pytest.mark.parametrize(
    ("start", "error", "message"),
    [
        (datetime(2025, 1, 15, 12, 0), ValueError, r"start must be timezone-aware, got"),
        (
            LyingDatetime(2025, 1, 15, 3, 0, tzinfo=UTC),
            TypeError,
            r"start must be a datetime \(not a subclass\), got",
        ),
        ("2025-01-15T12:00:00Z", TypeError, r"start must be a datetime"),
    ],
)
def test_a_fake_clock_refuses_a_start_the_runtime_could_not_use(
    start: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        FakeClock(start)  # type: ignore[arg-type]


def test_a_fake_clock_refuses_a_non_finite_monotonic_origin() -> None:
    with pytest.raises(ValueError, match=r"monotonic must be a finite number, got nan"):
        FakeClock(monotonic=math.nan)


def test_threads_advancing_together_lose_no_step() -> None:
    clock = FakeClock()
    threads, steps = 4, 250
    barrier = threading.Barrier(threads)
    seen: list[tuple[datetime, float]] = []

    def work() -> None:
        barrier.wait()
        for _ in range(steps):
            clock.advance(1)
            seen.append((clock.now(), clock.monotonic()))

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert clock.monotonic() == 1000.0 + threads * steps
    assert clock.now() == DEFAULT_START + timedelta(seconds=threads * steps)


def test_manual_sleep_holds_an_agents_approval_wait_until_released() -> None:
    class NeverAnswers:
        async def request_approval(self, **kwargs: object) -> bool:
            await asyncio.Event().wait()
            return True

    async def scenario() -> None:
        machine = PostureStateMachine(clock=FakeClock())
        machine.set_posture("agent-1", TrustPosture.HUMAN_DECIDES)
        sleep, base = ManualSleep(), RecordingAgent()
        agent = PostureAwareAgent(
            base,
            "agent-1",
            machine,
            approval_handler=NeverAnswers(),
            approval_timeout_seconds=2.5,
            sleep=sleep,
        )
        task = asyncio.ensure_future(agent.run())
        await settle(lambda: sleep.sleeping == 1)
        assert sleep.requested == [2.5]
        assert not task.done()  # no real time passes: the wait holds
        sleep.release()
        with pytest.raises(PermissionError, match=r"approval timed out after 2\.5s"):
            await task
        assert sleep.sleeping == 0
        assert base.calls == []

    asyncio.run(scenario())


def test_settle_returns_as_soon_as_the_condition_holds() -> None:
    async def scenario() -> None:
        ticks: list[int] = []

        async def ticker() -> None:
            for i in range(100):
                ticks.append(i)
                await asyncio.sleep(0)

        task = asyncio.ensure_future(ticker())
        await settle(lambda: len(ticks) >= 3)
        assert 3 <= len(ticks) < 100
        await settle(rounds=5)  # no condition: only yields
        task.cancel()

    asyncio.run(scenario())
