"""Bugs planted in the lifecycle runtime fail the proof run itself, with a counterexample.

Each test plants one realistic bug in a copy of the runtime and runs the proof run's
lifecycle conformance checks there: the run must exit non-zero, and its counterexample
must name the event sequence and what the runtime did against what the spec or the proved
product allows.
"""

from __future__ import annotations

from pathlib import Path

from tests.planted import Plant, ProofRun, run_proofs_with

# Each planted bug is run against the one conformance check it must fail, to keep it fast.
POSTURE = "PostureStateMachine conforms"
BREAKER = "PostureCircuitBreaker conforms"
COUPLING = "coupled to the posture machine conforms"


def _failed(run: ProofRun, heading: str) -> str:
    assert run.returncode != 0, run.output
    assert f"COUNTEREXAMPLE for {heading}" in run.output, run.output
    return run.output.split(f"COUNTEREXAMPLE for {heading}", 1)[1].split("\n\n", 1)[0]


def test_an_emergency_downgrade_to_supervised_fails_the_proof_run(tmp_path: Path) -> None:
    planted = Plant(
        "trust/postures/_emergency.py",
        "target = EMERGENCY[posture]",
        "target = TrustPosture.SUPERVISED",
    )
    text = _failed(run_proofs_with(tmp_path, planted, only=POSTURE), "posture lifecycle")
    assert "1 event 1=emergency_downgrade" in text
    assert "posture supervised, the spec says blocked" in text
    assert "--emergency_downgrade[]--> blocked" in text


def test_a_breaker_restore_to_full_autonomy_fails_the_proof_run(tmp_path: Path) -> None:
    planted = Plant(
        "trust/circuit_breaker/_coupling.py",
        "to_posture=hold.displaced,",
        "to_posture=TrustPosture.FULL_AUTONOMY,",
    )
    text = _failed(run_proofs_with(tmp_path, planted, only=COUPLING), "posture x breaker")
    assert "default_posture=supervised" in text
    assert "1 event 1=failure(high)\n  1 event 2=reset\n" in text
    assert "runtime=posture=full_autonomy (version 2), breaker=closed" in text
    assert "product=restore(" in text
    # The report wraps at 100 columns; the step reads the same across a line break.
    assert "restore_finish -> posture=supervised (version 2)" in " ".join(text.split())


def test_a_circuit_that_opens_below_the_threshold_fails_the_proof_run(tmp_path: Path) -> None:
    planted = Plant(
        "trust/circuit_breaker/_breaker.py",
        "agent.window.units + units, admitted",
        "agent.window.units + units + 1, admitted",
    )
    text = _failed(run_proofs_with(tmp_path, planted, only=BREAKER), "breaker lifecycle")
    assert "1 event 1=failure(low)\n" in text
    assert "runtime=state=open weighted_failures=1" in text
    assert "closed --failure[outcome_current=True, below_threshold=True]--> closed" in text


def test_a_half_open_circuit_admitting_n_plus_one_probes_fails_the_proof_run(
    tmp_path: Path,
) -> None:
    planted = Plant(
        "trust/circuit_breaker/_core.py",
        "c.probes_admitted < cfg.half_open_max_calls",
        "c.probes_admitted <= cfg.half_open_max_calls",
    )
    text = _failed(run_proofs_with(tmp_path, planted, only=BREAKER), "breaker lifecycle")
    assert "half_open_max_calls=2" in text
    assert "after: failure(high), advance recovery, admit\n" in text
    assert "1 event 1=admit\n  1 event 2=admit\n  2 check" in text
    assert "runtime=allowed=True probe=True state=half_open" in text
    assert "spec=allowed=False" in text


def test_a_restore_that_commits_into_a_circuit_tripped_meanwhile_fails_the_proof_run(
    tmp_path: Path,
) -> None:
    planted = Plant(
        "trust/circuit_breaker/_breaker.py",
        "if agent is None or agent.circuit.state is CircuitState.CLOSED:",
        "if True:",
    )
    text = _failed(run_proofs_with(tmp_path, planted, only=COUPLING), "posture x breaker")
    assert "1 event 2=arm(trip)\n  1 event 3=reset\n" in text
    assert "at=reset: after its restore's guards" in text
    assert "runtime=posture=supervised (version 2), breaker=open" in text
    assert "-> posture=human_decides (version 1), breaker=open" in text


def test_a_coupling_restore_without_its_version_fence_fails_the_proof_run(tmp_path: Path) -> None:
    """A coupling edit in the model: the restore no longer needs the posture unchanged.

    The product proofs read the coupling from the model, so the edit alone (no runtime code
    touched, no table regenerated) lets a restore raise the posture above what someone else
    set after the breaker displaced it, and the proof run shows the path.
    """
    planted = Plant(
        "trust/model/coupling_lifecycle.py",
        'RESTORE_FENCES: tuple[str, ...] = ("posture_unchanged", "circuit_closed")',
        'RESTORE_FENCES: tuple[str, ...] = ("circuit_closed",)',
    )
    run = run_proofs_with(tmp_path, planted, only="posture x breaker: autonomy rises only")
    text = _failed(run, "posture x breaker: autonomy rises only")
    assert "step(s) from the initial state" in text  # a concrete path, not an induction step
    assert "--posture." in text or "--set_posture(" in text  # someone else changed it
    assert "--restore(upgrade" in text
    assert "restore committed" in text
