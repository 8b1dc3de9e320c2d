"""The public face: every exported name imports, and the runtime stays light."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

PACKAGES = [
    "trust",
    "trust.postures",
    "trust.metrics",
    "trust.audit",
    "trust.posture_agent",
    "trust.circuit_breaker",
    "trust.constraints",
    "trust.constraints.builtin",
    "trust.testing",
    "trust.otel",
    "model",
    "proofs",
]


@pytest.mark.parametrize("package", PACKAGES)
def test_every_name_in_all_is_importable(package: str) -> None:
    module = importlib.import_module(package)
    assert module.__all__, f"{package} exports nothing"
    for name in module.__all__:
        assert getattr(module, name) is not None, f"{package}.{name}"


def test_guide_names_are_importable_from_trust() -> None:
    import trust

    for name in ["TrustPosture", "PostureStateMachine", "POSTURE_LEVEL_MAP"]:
        assert name in trust.__all__


def test_import_trust_loads_neither_z3_nor_statemachine() -> None:
    code = (
        "import sys, trust\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in {'z3', 'statemachine'})\n"
        "print(heavy)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_package_ships_py_typed() -> None:
    from importlib.resources import files

    assert files("trust").joinpath("py.typed").is_file()
