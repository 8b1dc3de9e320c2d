"""TrustMetricsCollector: exact, bounded, thread-safe counters."""

from __future__ import annotations

import math
import threading
from datetime import UTC, datetime

import pytest

from tests.fakes import FakeClock
from trust import PostureStateMachine, TrustPosture
from trust.metrics import ConstraintMetrics, PostureMetrics, TrustMetricsCollector, flag_key
from trust.postures import PostureTransition, PostureTransitionRequest


def test_guide_collecting_and_querying(capsys: pytest.CaptureFixture[str]) -> None:
    collector = TrustMetricsCollector()

    collector.record_posture("agent-001", TrustPosture.FULL_AUTONOMY)
    collector.record_posture("agent-002", TrustPosture.SUPERVISED)
    collector.record_posture("agent-003", TrustPosture.BLOCKED)

    collector.record_transition("upgrade")
    collector.record_transition("downgrade")

    collector.record_circuit_breaker_open()
    collector.record_emergency_downgrade()

    collector.record_constraint_evaluation(
        passed=True,
        failed_dimensions=[],
        gaming_flags=[],
        duration_ms=5.2,
    )

    posture_metrics: PostureMetrics = collector.get_posture_metrics()
    print(f"Distribution: {posture_metrics.posture_distribution}")
    print(f"Average autonomy level: {posture_metrics.average_posture_level}")
    print(f"Transitions: {posture_metrics.transitions_by_type}")
    print(f"Circuit breaker opens: {posture_metrics.circuit_breaker_opens}")
    print(f"Emergency downgrades: {posture_metrics.emergency_downgrades}")

    constraint_metrics: ConstraintMetrics = collector.get_constraint_metrics()
    print(f"Total evaluations: {constraint_metrics.evaluations_total}")
    print(
        f"Pass rate: {constraint_metrics.evaluations_passed / constraint_metrics.evaluations_total}"
    )
    print(f"Failed dimensions: {constraint_metrics.dimension_failures}")
    print(f"Anti-gaming flags: {constraint_metrics.anti_gaming_flags}")
    print(f"Avg evaluation time: {constraint_metrics.average_evaluation_time_ms}ms")

    metrics_dict = posture_metrics.to_dict()
    metrics_dict.update(constraint_metrics.to_dict())

    assert posture_metrics.posture_distribution == {
        "full_autonomy": 1,
        "assisted": 0,
        "supervised": 1,
        "human_decides": 0,
        "blocked": 1,
    }
    assert posture_metrics.average_posture_level == 3.0
    assert posture_metrics.transitions_by_type == {"upgrade": 1, "downgrade": 1}
    assert (posture_metrics.circuit_breaker_opens, posture_metrics.emergency_downgrades) == (1, 1)
    out = capsys.readouterr().out
    assert "Pass rate: 1.0" in out
    assert "Avg evaluation time: 5.2ms" in out
    assert metrics_dict["evaluations_total"] == 1
    assert metrics_dict["average_posture_level"] == 3.0


def test_average_evaluation_time_is_over_every_evaluation() -> None:
    collector = TrustMetricsCollector()
    for i in range(5000):
        collector.record_constraint_evaluation(passed=True, duration_ms=float(i % 10))
    metrics = collector.get_constraint_metrics()
    assert metrics.evaluations_total == 5000
    assert metrics.average_evaluation_time_ms == pytest.approx(4.5)
    assert metrics.total_evaluation_time_ms == pytest.approx(22500.0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"passed": True, "duration_ms": math.nan}, "duration_ms must be a finite number"),
        ({"passed": True, "duration_ms": -1.0}, "duration_ms must be at least 0"),
        ({"passed": True, "duration_ms": math.inf}, "duration_ms must be a finite number"),
        ({"passed": True, "failed_dimensions": ["cost_limit"]}, "must be empty when passed=True"),
        ({"passed": "yes"}, "passed must be a bool"),
        ({"passed": False, "failed_dimensions": "cost_limit"}, "must be a list of strings"),
        ({"passed": False, "gaming_flags": [3]}, "gaming_flags must hold strings"),
    ],
)
def test_malformed_evaluation_records_are_refused(kwargs: dict[str, object], message: str) -> None:
    collector = TrustMetricsCollector()
    with pytest.raises(ValueError, match=message):
        collector.record_constraint_evaluation(**kwargs)  # type: ignore[arg-type]
    assert collector.get_constraint_metrics().evaluations_total == 0


def test_flags_are_keyed_by_kind_and_dimension() -> None:
    collector = TrustMetricsCollector()
    for ratio in ("0.96", "0.97", "0.99"):
        collector.record_constraint_evaluation(
            passed=True, gaming_flags=[f"boundary_pushing:cost_limit (usage_ratio={ratio})"]
        )
    collector.record_constraint_evaluation(
        passed=True, gaming_flags=["constraint_splitting:detected (8/10 small operations)"]
    )
    assert collector.get_constraint_metrics().anti_gaming_flags == {
        "boundary_pushing:cost_limit": 3,
        "constraint_splitting:detected": 1,
    }
    assert flag_key("plain") == "plain"


def test_label_values_are_bounded() -> None:
    collector = TrustMetricsCollector(max_label_values=2)
    for name in ("a", "b", "c", "d", "a"):
        collector.record_constraint_evaluation(passed=False, failed_dimensions=[name])
    assert collector.get_constraint_metrics().dimension_failures == {"a": 2, "b": 1, "other": 2}


def test_tracked_agents_are_bounded_and_trimming_keeps_counts_consistent() -> None:
    collector = TrustMetricsCollector(max_agents=3)
    for i, posture in enumerate([TrustPosture.FULL_AUTONOMY] * 3 + [TrustPosture.BLOCKED] * 2):
        collector.record_posture(f"agent-{i}", posture)
    collector.record_posture("agent-2", TrustPosture.SUPERVISED)  # an update is not an eviction
    metrics = collector.get_posture_metrics()
    assert metrics.agents_tracked == 3
    assert metrics.agents_evicted == 2
    assert sum(metrics.posture_distribution.values()) == 3
    assert metrics.posture_distribution["blocked"] == 2
    assert metrics.posture_distribution["supervised"] == 1
    assert metrics.average_posture_level == pytest.approx((1 + 1 + 3) / 3)
    assert list(collector.agent_postures()) == ["agent-3", "agent-4", "agent-2"]


def test_unknown_transition_kind_is_refused() -> None:
    collector = TrustMetricsCollector()
    collector.record_transition(PostureTransition.EMERGENCY_DOWNGRADE)
    with pytest.raises(ValueError, match="transition_type must be one of"):
        collector.record_transition("upgrade (usage=9)")
    assert collector.get_posture_metrics().transitions_by_type == {"emergency_downgrade": 1}


def test_counts_are_exact_under_threads() -> None:
    collector = TrustMetricsCollector()
    barrier = threading.Barrier(8)

    def work(n: int) -> None:
        barrier.wait()
        for i in range(500):
            collector.record_constraint_evaluation(
                passed=i % 2 == 0,
                failed_dimensions=[] if i % 2 == 0 else ["rate_limit"],
                duration_ms=1.0,
            )
            collector.record_transition("upgrade")
            collector.record_posture(f"agent-{n}-{i % 10}", TrustPosture.ASSISTED)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    constraints = collector.get_constraint_metrics()
    assert (constraints.evaluations_total, constraints.evaluations_passed) == (4000, 2000)
    assert constraints.dimension_failures == {"rate_limit": 2000}
    postures = collector.get_posture_metrics()
    assert postures.transitions_by_type == {"upgrade": 4000}
    assert postures.agents_tracked == 80
    assert postures.posture_distribution["assisted"] == 80


def test_reset_and_timestamps() -> None:
    clock = FakeClock()
    collector = TrustMetricsCollector(clock=clock)
    collector.record_posture("a", TrustPosture.BLOCKED)
    collector.record_circuit_breaker_open()
    collector.reset()
    metrics = collector.get_posture_metrics()
    assert (metrics.agents_tracked, metrics.circuit_breaker_opens) == (0, 0)
    assert metrics.timestamp == clock.now()


def test_machine_reports_changes_when_attached() -> None:
    collector = TrustMetricsCollector()
    machine = PostureStateMachine(metrics=collector)
    machine.set_posture("agent-1", TrustPosture.ASSISTED)
    machine.transition(
        PostureTransitionRequest(
            agent_id="agent-1",
            from_posture=TrustPosture.ASSISTED,
            to_posture=TrustPosture.FULL_AUTONOMY,
        )
    )  # refused: no requester; a refusal is not a change
    machine.emergency_downgrade("agent-1", reason="incident")
    metrics = collector.get_posture_metrics()
    assert metrics.transitions_by_type == {"upgrade": 1, "emergency_downgrade": 1}
    assert metrics.emergency_downgrades == 1
    assert collector.agent_postures() == {"agent-1": TrustPosture.BLOCKED}


def test_attach_metrics_checks_the_collector() -> None:
    with pytest.raises(ValueError, match="record_posture"):
        PostureStateMachine().attach_metrics(object())  # type: ignore[arg-type]


def test_bad_configuration() -> None:
    with pytest.raises(ValueError, match="max_agents must be a positive integer, got 0"):
        TrustMetricsCollector(max_agents=0)


def test_evaluator_reports_every_evaluation_when_attached() -> None:
    from trust import ConstraintDimensionRegistry, InteractionMode, MultiDimensionEvaluator
    from trust.constraints.builtin import register_builtin_dimensions

    registry = ConstraintDimensionRegistry()
    register_builtin_dimensions(registry)
    collector = TrustMetricsCollector()
    evaluator = MultiDimensionEvaluator(registry, metrics=collector)
    limits = {"cost_limit": 100, "rate_limit": 10}
    evaluator.evaluate(limits, {"cost_used": 99, "requests_in_period": 1}, agent_id="a")
    evaluator.evaluate(limits, {"cost_used": 500, "requests_in_period": 1})
    # Passes under DISJUNCTIVE with cost_limit failing: recorded as passed, no failures.
    evaluator.evaluate(
        limits, {"cost_used": 500, "requests_in_period": 1}, mode=InteractionMode.DISJUNCTIVE
    )
    metrics = collector.get_constraint_metrics()
    assert (metrics.evaluations_total, metrics.evaluations_passed) == (3, 2)
    assert metrics.dimension_failures == {"cost_limit": 1}
    assert metrics.anti_gaming_flags == {"boundary_pushing:cost_limit": 1}
    assert metrics.average_evaluation_time_ms > 0
    with pytest.raises(ValueError, match="record_constraint_evaluation"):
        evaluator.attach_metrics(object())  # type: ignore[arg-type]


def test_only_emergency_downgrades_count_as_emergencies() -> None:
    collector = TrustMetricsCollector()
    machine = PostureStateMachine(metrics=collector)
    machine.set_posture("agent-1", TrustPosture.ASSISTED)
    machine.set_posture("agent-1", TrustPosture.HUMAN_DECIDES)
    assert collector.get_posture_metrics().emergency_downgrades == 0
    machine.emergency_downgrade("agent-1")
    assert collector.get_posture_metrics().emergency_downgrades == 1


# --- every snapshot field has a default (as kaizen.trust's dataclasses have) -------------


def test_a_posture_snapshot_built_with_no_arguments_is_an_empty_collectors() -> None:
    clock = FakeClock()
    empty = TrustMetricsCollector(clock=clock).get_posture_metrics()
    built = PostureMetrics(timestamp=clock.now())
    assert built == empty
    assert built.posture_distribution == dict.fromkeys((p.value for p in TrustPosture), 0)
    assert built.transitions_by_type == {}
    assert built.circuit_breaker_opens == built.emergency_downgrades == 0
    assert built.average_posture_level == 0.0
    assert built.agents_tracked == built.agents_evicted == 0


def test_a_constraint_snapshot_built_with_no_arguments_is_an_empty_collectors() -> None:
    clock = FakeClock()
    empty = TrustMetricsCollector(clock=clock).get_constraint_metrics()
    assert ConstraintMetrics(timestamp=clock.now()) == empty
    built = ConstraintMetrics(evaluations_total=3, evaluations_failed=1)
    assert (built.evaluations_total, built.evaluations_passed, built.evaluations_failed) == (
        3,
        0,
        1,
    )
    assert built.dimension_failures == built.anti_gaming_flags == {}
    assert built.average_evaluation_time_ms == built.total_evaluation_time_ms == 0.0


def test_a_default_timestamp_is_now_aware_and_in_utc() -> None:
    before = datetime.now(UTC)
    for stamp in (PostureMetrics().timestamp, ConstraintMetrics().timestamp):
        assert stamp.tzinfo is UTC
        assert before <= stamp <= datetime.now(UTC)
    assert PostureMetrics().to_dict()["timestamp"].endswith("+00:00")


def test_default_mappings_are_not_shared_between_snapshots() -> None:
    first, second = PostureMetrics(), PostureMetrics()
    first.transitions_by_type["upgrade"] = 1
    first.posture_distribution["blocked"] = 1
    assert second.transitions_by_type == {}
    assert second.posture_distribution["blocked"] == 0


def test_a_snapshot_keeps_its_own_copy_of_the_counts_it_is_given() -> None:
    given = {"upgrade": 2}
    built = PostureMetrics(transitions_by_type=given)
    given["upgrade"] = 99
    assert built.transitions_by_type == {"upgrade": 2}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"circuit_breaker_opens": -1}, r"circuit_breaker_opens must be a non-negative integer"),
        ({"agents_tracked": 1.5}, r"agents_tracked must be a non-negative integer, got 1\.5"),
        ({"emergency_downgrades": True}, r"emergency_downgrades must be a non-negative integer"),
        ({"average_posture_level": math.nan}, r"average_posture_level must be a finite number"),
        ({"transitions_by_type": ["upgrade"]}, r"transitions_by_type must be a mapping"),
        ({"transitions_by_type": {"upgrade": -2}}, r"transitions_by_type\['upgrade'\] must be"),
        ({"posture_distribution": {1: 2}}, r"posture_distribution keys must be strings, got 1"),
        ({"timestamp": datetime(2025, 1, 1)}, r"timestamp must be an aware datetime"),
    ],
)
def test_a_posture_snapshot_refuses_values_no_collector_could_report(
    kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        PostureMetrics(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"evaluations_total": -1}, r"evaluations_total must be a non-negative integer"),
        ({"total_evaluation_time_ms": -0.5}, r"total_evaluation_time_ms must be at least 0"),
        ({"dimension_failures": {"cost_limit": "2"}}, r"dimension_failures\['cost_limit'\]"),
        ({"timestamp": "2025-01-01T00:00:00Z"}, r"timestamp must be an aware datetime"),
    ],
)
def test_a_constraint_snapshot_refuses_values_no_collector_could_report(
    kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        ConstraintMetrics(**kwargs)  # type: ignore[arg-type]
