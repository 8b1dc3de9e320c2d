"""The reference implementation, importable as ``kaizen.trust`` beside this project's ``trust``.

The reference is ``kailash-kaizen`` on PyPI. Its posture, breaker, agent, metrics and
constraint modules import only the standard library, but ``kaizen/__init__.py`` and
``kaizen/trust/__init__.py`` import the whole framework. So the wheel is downloaded once
into ``bench/.cache/`` (``pip download --no-deps``), only those modules are unpacked, and
``kaizen`` and ``kaizen.trust`` are registered as empty stub packages whose ``__path__``
points at the unpacked files: the submodules import normally, the heavy parents never run.

Every benchmark script loads the reference through `load`, so they all time the same code.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import types
import zipfile
from pathlib import Path

VERSION = "1.2.5"
REQUIREMENT = f"kailash-kaizen=={VERSION}"
CACHE = Path(__file__).resolve().parent / ".cache"
ROOT = CACHE / f"kailash-kaizen-{VERSION}"
"""Where the unpacked modules live: ``ROOT/kaizen/trust/...``."""

# The stdlib-only modules of the reference, as paths inside the wheel.
MEMBERS = tuple(
    f"kaizen/trust/{name}.py"
    for name in (
        "postures",
        "circuit_breaker",
        "posture_agent",
        "metrics",
        "constraints/__init__",
        "constraints/dimension",
        "constraints/builtin",
        "constraints/evaluator",
    )
)

MODULES = (
    "kaizen.trust.postures",
    "kaizen.trust.circuit_breaker",
    "kaizen.trust.posture_agent",
    "kaizen.trust.metrics",
    "kaizen.trust.constraints",
)
"""What `load` imports: the reference's counterpart of ``import trust``."""


def fetch() -> Path:
    """Download and unpack the reference modules unless already cached; their root."""
    if all((ROOT / member).exists() for member in MEMBERS):
        return ROOT
    wheels = CACHE / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    found = sorted(wheels.glob(f"kailash_kaizen-{VERSION}-*.whl"))
    if not found:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--quiet",
                "--dest",
                str(wheels),
                REQUIREMENT,
            ],
            check=True,
        )
        found = sorted(wheels.glob(f"kailash_kaizen-{VERSION}-*.whl"))
    if not found:
        raise RuntimeError(f"pip download {REQUIREMENT} left no wheel in {wheels}")
    with zipfile.ZipFile(found[0]) as wheel:
        for member in MEMBERS:
            wheel.extract(member, ROOT)
    return ROOT


def stub_parents(root: Path) -> None:
    """Register ``kaizen`` and ``kaizen.trust`` as empty packages rooted in ``root``."""
    for name, where in (("kaizen", root / "kaizen"), ("kaizen.trust", root / "kaizen" / "trust")):
        if name not in sys.modules:
            package = types.ModuleType(name)
            package.__path__ = [str(where)]
            sys.modules[name] = package


def load() -> types.SimpleNamespace:
    """The reference's modules, by short name: postures, circuit_breaker, ..., evaluator."""
    stub_parents(fetch())
    for name in MODULES:
        importlib.import_module(name)
    return types.SimpleNamespace(
        postures=sys.modules["kaizen.trust.postures"],
        circuit_breaker=sys.modules["kaizen.trust.circuit_breaker"],
        posture_agent=sys.modules["kaizen.trust.posture_agent"],
        metrics=sys.modules["kaizen.trust.metrics"],
        constraints=sys.modules["kaizen.trust.constraints"],
        dimension=sys.modules["kaizen.trust.constraints.dimension"],
        builtin=sys.modules["kaizen.trust.constraints.builtin"],
        evaluator=sys.modules["kaizen.trust.constraints.evaluator"],
    )


IMPORT_SNIPPET = (
    "import sys, types\n"
    "for name, where in (('kaizen', {root!r} + '/kaizen'), "
    "('kaizen.trust', {root!r} + '/kaizen/trust')):\n"
    "    m = types.ModuleType(name); m.__path__ = [where]; sys.modules[name] = m\n"
    "import time\n"
    "t = time.perf_counter()\n"
    + "".join(f"import {name}\n" for name in MODULES)
    + "print(time.perf_counter() - t)\n"
)
"""A fresh interpreter's script that times importing the reference (stubs set up first)."""
