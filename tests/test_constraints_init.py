"""The public face of `trust.constraints` and `trust.constraints.builtin`."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import trust.constraints
import trust.constraints.builtin


@pytest.mark.parametrize("module", [trust.constraints, trust.constraints.builtin])
def test_every_public_name_imports(module: object) -> None:
    exported = module.__all__  # type: ignore[attr-defined]
    assert len(set(exported)) == len(exported)  # the order is ruff's (RUF022)
    for name in exported:
        assert getattr(module, name) is not None


def test_the_guide_import_paths_work() -> None:
    constraints = importlib.import_module("trust.constraints")
    builtin = importlib.import_module("trust.constraints.builtin")
    for name in (
        "ConstraintDimension",
        "ConstraintDimensionRegistry",
        "ConstraintValue",
        "ConstraintCheckResult",
        "MultiDimensionEvaluator",
        "InteractionMode",
        "EvaluationResult",
    ):
        assert hasattr(constraints, name)
    for name in (
        "CostLimitDimension",
        "TimeDimension",
        "ResourceDimension",
        "RateLimitDimension",
        "DataAccessDimension",
        "CommunicationDimension",
        "register_builtin_dimensions",
    ):
        assert hasattr(builtin, name)


def test_importing_constraints_loads_neither_z3_nor_statemachine() -> None:
    code = (
        "import sys, trust.constraints, trust.constraints.builtin;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('z3', 'statemachine')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
