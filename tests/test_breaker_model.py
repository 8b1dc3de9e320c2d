"""The breaker model: its spec, its guards, its oracle, and the coupling view drawn from it."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from statemachine.exceptions import TransitionNotAllowed

from trust.model import BREAKER_SPEC, LIFECYCLES, POSTURE_SPEC, BreakerLifecycle
from trust.model._coupling_view import diagram_texts
from trust.model.coupling import coupled_edges
from trust.model.diagrams import BREAKER_STYLE, to_dot, to_mermaid

DIAGRAMS = Path(__file__).resolve().parents[1] / "diagrams"


def edges(event: str) -> set[tuple[str, str, tuple[str, ...]]]:
    return {(t.source, t.target, t.guards) for t in BREAKER_SPEC.of_event(event)}


def test_the_spec_is_the_guides_lifecycle() -> None:
    assert BREAKER_SPEC in LIFECYCLES
    assert BREAKER_SPEC.states == ("closed", "open", "half_open")
    assert BREAKER_SPEC.initial == "closed"
    assert BREAKER_SPEC.declared_in == "trust/model/breaker.py"
    assert edges("failure") == {
        ("closed", "closed", ("outcome_current", "below_threshold")),
        ("closed", "open", ("outcome_current", "at_threshold")),
        ("half_open", "open", ("outcome_current",)),
    }
    assert edges("recovery_timeout") == {("open", "half_open", ("not_forced", "recovery_elapsed"))}
    assert edges("probe_admitted") == {("half_open", "half_open", ("probe_slot_free",))}
    assert edges("probe_timeout") == {
        ("half_open", "open", ("probe_outstanding", "probe_wait_elapsed"))
    }


def test_open_is_entered_from_closed_only_at_the_threshold_or_by_an_operator() -> None:
    into_open = {
        (t.event, t.guards) for t in BREAKER_SPEC if (t.source, t.target) == ("closed", "open")
    }
    assert into_open == {("failure", ("outcome_current", "at_threshold")), ("force_open", ())}


def test_closed_is_reentered_only_after_the_last_probe_or_by_a_reset() -> None:
    into_closed = {
        (t.event, t.guards) for t in BREAKER_SPEC if t.target == "closed" and t.source != "closed"
    }
    assert into_closed == {
        ("probe_success", ("outcome_current", "probe_outstanding", "probes_complete")),
        ("reset", ()),
    }


def test_operator_overrides_reach_from_every_state_with_no_guard() -> None:
    for event, target in (("force_open", "open"), ("reset", "closed")):
        assert edges(event) == {(s, target, ()) for s in BREAKER_SPEC.states}


def test_every_guard_is_a_method_of_the_model() -> None:
    for guard in BREAKER_SPEC.guards:
        assert callable(getattr(BreakerLifecycle, guard))


def oracle() -> BreakerLifecycle:
    return BreakerLifecycle(
        failure_threshold=1,
        recovery_timeout_seconds=10,
        half_open_max_calls=2,
        failure_window_seconds=60,
        probe_timeout_seconds=5,
    )


def test_the_oracle_trips_on_exact_decimal_weights() -> None:
    model = oracle()
    for _ in range(9):
        model.send("failure", weight=Fraction(1, 10), now=0.0)
    assert model.state == "closed"
    model.send("failure", weight=Fraction(1, 10), now=0.0)
    assert model.state == "open"


def test_the_oracle_fences_stale_outcomes() -> None:
    model = oracle()
    model.send("failure", weight=Fraction(1), now=0.0)
    model.tick(10.0)
    model.send("probe_admitted", now=10.0)
    with pytest.raises(TransitionNotAllowed):
        model.send("probe_success", generation=0)
    model.send("probe_success", generation=model.generation)
    assert model.probes_succeeded == 1


def test_the_oracle_fires_time_driven_events_at_their_logical_time() -> None:
    model = oracle()
    model.send("failure", weight=Fraction(1), now=0.0)
    model.tick(10.0)
    model.send("probe_admitted", now=12.0)
    # Timed out at 17, half-open again at 27: the same whenever it is looked at.
    assert model.tick(30.0) == ["probe_timeout", "recovery_timeout"]
    assert model.state == "half_open"
    assert model.opened_at == 17.0


def test_a_forced_open_oracle_never_recovers_by_itself() -> None:
    model = oracle()
    model.send("force_open", now=0.0)
    assert model.tick(1e9) == []
    assert model.state == "open"
    model.send("reset")
    assert model.state == "closed"
    assert not model.forced


# Diagrams.


def test_breaker_diagram_labels_each_edge_with_its_events_and_guards() -> None:
    dot = to_dot(BREAKER_SPEC, BREAKER_STYLE)
    assert "failure [outcome_current, at_threshold]</FONT>" in dot
    assert "force_open: from any state to OPEN" in dot  # drawn once, not from each state
    assert "reset: from any state to CLOSED" in dot
    assert "Do not edit" in dot
    mermaid = to_mermaid(BREAKER_SPEC)
    assert '    closed -->|"failure [outcome_current, at_threshold]"| open' in mermaid
    assert '    any -->|"force_open (no guard can veto)"| open' in mermaid


def test_committed_coupling_view_equals_a_fresh_drawing() -> None:
    for filename, text in diagram_texts().items():
        committed = (DIAGRAMS / filename).read_text(encoding="utf-8")
        assert committed == text, f"run `python -m trust.model.diagrams` and commit {filename}"


def test_coupling_view_reads_the_posture_events_from_the_posture_model() -> None:
    by_kind: dict[str, list[tuple[str, str, str]]] = {}
    for source, target, kind, label in coupled_edges():
        by_kind.setdefault(kind, []).append((source, target, label))
    (held_trip, free_trip) = by_kind["trip"]
    assert held_trip[:2] == ("closed", "open_held")
    assert "protective_downgrade (no guard can veto)" in held_trip[2]
    assert "failure [at_threshold] | force_open" in held_trip[2]
    assert free_trip[:2] == ("closed", "open_free")
    upgrade_guards = next(t.guards for t in POSTURE_SPEC.of_event("upgrade"))
    for _, target, label in by_kind["restore"]:
        assert target == "closed"
        assert f"upgrade back to P [{', '.join(upgrade_guards)}]" in label
    assert {s for s, _, _ in by_kind["restore"]} == {"open_held", "half_open_held"}
    assert {s for s, _, _ in by_kind["none"]} == {"open_free", "half_open_free"}
    for _, target, label in by_kind["others"]:
        assert target.endswith("_free")
        assert "emergency_downgrade" in label
        assert "protective_downgrade" not in label
