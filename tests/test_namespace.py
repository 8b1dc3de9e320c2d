"""One import name: installing care-trust adds ``trust``, and nothing a user's project has.

The repository keeps ``model/`` and ``proofs/`` at its top; they install as
``trust.model`` and ``trust.proofs``. A user project with its own ``model``, ``proofs`` or
``tests`` package runs everything unchanged, and the runtime needs neither z3 nor
python-statemachine (the verification layer is the ``verify`` extra).
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from pathlib import Path

import pytest

CARE_TRUST = Path(sysconfig.get_path("scripts")) / "care-trust"


def _run(args: list[str], cwd: Path, code: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    command = [sys.executable, "-c", textwrap.dedent(code)] if code is not None else args
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)


@pytest.fixture
def user_project(tmp_path: Path) -> Path:
    """A project whose own packages are called model, proofs and tests."""
    for package in ("model", "proofs", "tests"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text(f"OWNER = 'the user ({package})'\n")
    return tmp_path


def test_a_user_project_with_model_proofs_and_tests_packages_imports_its_own_and_ours(
    user_project: Path,
) -> None:
    done = _run(
        [],
        user_project,
        """
        import model, proofs, tests
        from trust.model import BREAKER_SPEC, POSTURE_SPEC
        from trust.proofs import verify_delegation
        assert model.OWNER == "the user (model)", model.OWNER
        assert proofs.OWNER == "the user (proofs)" and tests.OWNER == "the user (tests)"
        assert BREAKER_SPEC.name == "breaker" and POSTURE_SPEC.name == "posture"
        report = verify_delegation([{"cost_limit": 100}, {"cost_limit": 500}])
        assert not report.ok and report.verified
        print("ok")
        """,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_the_proof_run_and_the_command_work_beside_a_users_packages(user_project: Path) -> None:
    by_module = _run(
        [sys.executable, "-m", "trust.proofs", "--only", "posture lifecycle: emergency*"],
        user_project,
    )
    assert by_module.returncode == 0, by_module.stdout + by_module.stderr
    assert "1 properties, 0 failed" in by_module.stdout
    by_command = _run(
        [str(CARE_TRUST), "prove", "--only", "posture lifecycle: emergency*"], user_project
    )
    assert by_command.returncode == 0, by_command.stdout + by_command.stderr
    assert "1 properties, 0 failed" in by_command.stdout


_WITHOUT_VERIFY = """
import importlib.abc, sys

class NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"z3", "statemachine"}:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NotInstalled())
"""


def test_the_runtime_needs_neither_z3_nor_statemachine(tmp_path: Path) -> None:
    done = _run(
        [],
        tmp_path,
        _WITHOUT_VERIFY
        + """
from trust import PostureStateMachine, PostureCircuitBreaker, TrustPosture
from trust.constraints import ConstraintDimensionRegistry, MultiDimensionEvaluator
from trust.constraints.builtin import register_builtin_dimensions

machine = PostureStateMachine()
machine.set_posture("agent-001", TrustPosture.FULL_AUTONOMY)
PostureCircuitBreaker(machine).record_failure_sync("agent-001", "E", "boom", "call", "critical")
registry = ConstraintDimensionRegistry()
register_builtin_dimensions(registry)
result = MultiDimensionEvaluator(registry).evaluate({"cost_limit": 10}, {"cost_used": 5})
assert result.satisfied
print("ok")
""",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_a_command_whose_extra_is_missing_says_what_to_install_in_one_line(
    tmp_path: Path,
) -> None:
    done = _run(
        [],
        tmp_path,
        _WITHOUT_VERIFY
        + """
import sys
from trust._cli import main
sys.exit(main(["prove"]))
""",
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        "care-trust prove: needs the verify extra (missing module 'z3'); "
        "install it with: pip install 'care-trust[verify]'"
    ]


def test_the_wheel_installs_the_one_name_trust_and_the_runtime_needs_no_extra(
    tmp_path: Path,
) -> None:
    root = Path(__file__).resolve().parent.parent
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(root)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("care_trust-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA")))
    assert {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")} == {
        "trust"
    }
    assert "trust/model/posture.py" in names
    assert "trust/proofs/__main__.py" in names
    assert "trust/py.typed" in names
    requires = [
        line.split(":", 1)[1].strip()
        for line in metadata.decode().splitlines()
        if line.startswith("Requires-Dist:")
    ]
    runtime = [r for r in requires if "extra ==" not in r]
    assert not any(r.startswith(("z3-solver", "python-statemachine")) for r in runtime), runtime
    assert any(r.startswith("z3-solver") and 'extra == "verify"' in r for r in requires)
