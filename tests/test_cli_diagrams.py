"""``care-trust diagrams`` and ``python -m trust.model.diagrams``: a missing extra or
renderer is one line that says what to install, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import trust.model.diagrams
from trust._cli import main
from trust.proofs import Outcome, Proved
from trust.proofs import _review as review


def _without(modules: set[str], code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter where ``modules`` cannot be imported."""
    blocker = textwrap.dedent(
        f"""
        import importlib.abc, sys

        class NotInstalled(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {sorted(modules)!r}:
                    raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
                return None

        sys.meta_path.insert(0, NotInstalled())
        """
    )
    return subprocess.run(
        [sys.executable, "-c", blocker + textwrap.dedent(code)],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(cwd)},
        capture_output=True,
        text=True,
        check=False,
    )


def test_without_the_verify_extra_the_command_names_it(tmp_path: Path) -> None:
    done = _without(
        {"statemachine"},
        """
        import sys
        from trust._cli import main
        sys.exit(main(["diagrams", "--out", "out"]))
        """,
        tmp_path,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "care-trust diagrams: needs the verify extra (missing module 'statemachine'); "
        "install it with: pip install 'care-trust[verify]'"
    ]


@pytest.mark.parametrize(
    ("run", "prog"),
    [
        (
            # The page's proofs are stood in for: this test is about the packages.
            "import trust.proofs._review as review\n"
            "from trust.proofs import Outcome, Proved\n"
            "review.run = lambda props, jobs: "
            "[Outcome(prop=p, verdict=Proved(), seconds=0.0) for p in props]\n"
            'from trust._cli import main\nsys.exit(main(["diagrams", "--out", "out"]))',
            "care-trust diagrams",
        ),
        (
            'sys.argv = ["diagrams", "--out", "out"]\n'
            'runpy.run_module("trust.model.diagrams", run_name="__main__", alter_sys=True)',
            "python -m trust.model.diagrams",
        ),
    ],
    ids=["care-trust diagrams", "python -m trust.model.diagrams"],
)
def test_both_entry_points_draw_without_the_graphviz_package(
    tmp_path: Path, run: str, prog: str
) -> None:
    # The DOT, Mermaid and review page are written as text; only the SVG needs a renderer
    # (graphviz-pure's binary, or dot), which the next test covers.
    done = _without({"graphviz"}, f"import runpy, sys\n{run}\n", tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert {"posture.dot", "posture.svg", "coupling.mmd"} <= {
        p.name for p in (tmp_path / "out").iterdir()
    }


def test_without_a_renderer_the_command_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))  # no dot, no graphviz-pure on PATH
    monkeypatch.setattr(trust.model.diagrams, "_beside_python", lambda program: None)
    assert main(["diagrams", "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "care-trust diagrams: no Graphviz renderer: install it with: "
        "pip install 'care-trust[diagrams]' (or Graphviz's dot)"
    ]


def test_the_command_draws_what_the_module_draws_and_the_review_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(
        review,
        "run",
        lambda props, jobs: [Outcome(prop=p, verdict=Proved(), seconds=0.0) for p in props],
    )
    assert main(["diagrams", "--out", str(tmp_path / "a"), "--no-svg"]) == 0
    assert trust.model.diagrams.main(["--out", str(tmp_path / "b"), "--no-svg"]) == 0
    drawn = sorted(p.name for p in (tmp_path / "b").iterdir())
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == sorted([*drawn, "README.md"])
    assert "posture.dot" in drawn
    for name in drawn:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert main(["diagrams", "--bogus"]) == 2
    assert "unrecognized arguments: --bogus" in capsys.readouterr().err
