"""Planting a bug in a copy of the runtime and running the proof run on it.

The proof run must be about the code that runs: a bug planted in the runtime has to make
``python -m trust.proofs`` itself fail, with a counterexample, not only the unit tests. Each
planted-bug test copies the packages into a scratch directory, applies one textual edit
(which must match exactly once, so a refactoring that moves the code fails the test
loudly instead of planting nothing), and runs the proofs there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import attrs

ROOT = Path(__file__).resolve().parent.parent


@attrs.frozen
class Plant:
    """Replace ``old`` by ``new`` in ``path`` (relative to the repository root)."""

    path: str
    old: str
    new: str


@attrs.frozen
class ProofRun:
    returncode: int
    output: str


def run_proofs_with(scratch: Path, *plants: Plant, only: str | None = None) -> ProofRun:
    """``python -m trust.proofs`` on a copy of the packages with ``plants`` applied."""
    _copy_with(scratch, plants)
    command = [sys.executable, "-m", "trust.proofs"]
    if only is not None:
        command += ["--only", only]
    done = subprocess.run(
        command,
        cwd=scratch,
        # One line per step, so that a test reads a step whole.
        env={**os.environ, "PYTHONPATH": str(scratch), "COLUMNS": "100000"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    return ProofRun(done.returncode, done.stdout + done.stderr)


def _copy_with(scratch: Path, plants: tuple[Plant, ...]) -> None:
    # The package as it installs: trust/model and trust/proofs are links to the top-level
    # folders, and copytree copies what they link to.
    shutil.copytree(ROOT / "trust", scratch / "trust", ignore=shutil.ignore_patterns("__pycache__"))
    for plant in plants:
        target = scratch / plant.path
        source = target.read_text()
        count = source.count(plant.old)
        if count != 1:
            raise AssertionError(f"{plant.path}: the planted text occurs {count} times, not once")
        target.write_text(source.replace(plant.old, plant.new))


def import_with(scratch: Path, *plants: Plant, module: str = "trust") -> ProofRun:
    """``import module`` in a fresh interpreter, on a copy of the package with ``plants``."""
    _copy_with(scratch, plants)
    done = subprocess.run(
        [sys.executable, "-c", f"import {module}"],
        cwd=scratch,
        env={**os.environ, "PYTHONPATH": str(scratch)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return ProofRun(done.returncode, done.stdout + done.stderr)
