"""``import trust`` loads each public name on first use (PEP 562), and nothing else changes.

``import trust`` used to load every part (the agent wrapper, its audit log, asyncio, the
policy loader) before a script's first line; now it loads the name table only, and a name
loads its own part on first read. What users and type checkers see must stay the same:
every name in ``__all__``, the same objects, ``dir``, star imports, and mypy both resolving
the names and refusing misspelt ones.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from importlib import import_module
from pathlib import Path

import pytest

import trust

INIT = Path(trust.__file__)


def run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_import_trust_loads_only_the_name_table() -> None:
    loaded = run(
        """
        import sys, trust
        print(sorted(m for m in sys.modules if m.startswith("trust") or m in {"attrs", "asyncio"}))
        """
    )
    assert loaded == "['trust', 'trust._version']"


def test_the_guides_core_names_load_without_the_agent_audit_asyncio_or_policy() -> None:
    loaded = run(
        """
        import sys
        from trust import (
            ConstraintDimensionRegistry, MultiDimensionEvaluator, PostureCircuitBreaker,
            PostureStateMachine, TrustPosture,
        )
        heavy = {"asyncio", "trust.audit", "trust.posture_agent", "trust.policy", "trust.metrics"}
        print(sorted(heavy & set(sys.modules)))
        """
    )
    assert loaded == "[]"


def test_every_public_name_is_its_home_modules_object() -> None:
    for name in trust.__all__:
        home = import_module(trust._WHERE[name])
        assert getattr(trust, name) is getattr(home, name), name


def test_the_type_checkers_imports_and_the_runtime_table_agree() -> None:
    tree = ast.parse(INIT.read_text(encoding="utf-8"))
    guarded = next(
        node
        for node in tree.body
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
    )
    seen = {
        alias.asname or alias.name: node.module
        for node in guarded.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert seen == trust._WHERE
    assert sorted(seen) == sorted(trust.__all__)


def test_dir_and_star_import_show_every_name_before_any_is_loaded() -> None:
    shown = run(
        """
        import sys, trust
        listed = set(dir(trust))
        before = sorted(m for m in sys.modules if m.startswith("trust."))
        namespace = {}
        exec("from trust import *", namespace)
        public = set(trust.__all__)
        print(sorted(public - listed), before, sorted(public - set(namespace)))
        """
    )
    assert shown == "[] ['trust._version'] []"


def test_subpackages_are_attributes_but_the_verification_layer_stays_unloaded() -> None:
    shown = run(
        """
        import sys, trust
        print(trust.testing.FakeClock.__module__, trust.postures.TrustPosture.BLOCKED.value)
        print(hasattr(trust, "proofs"), hasattr(trust, "model"))
        print(sorted(m for m in sys.modules if m.split(".")[0] in {"z3", "statemachine"}))
        """
    )
    assert shown.splitlines() == ["trust.testing._clock blocked", "False False", "[]"]


def test_dir_and_subpackage_attributes_in_process() -> None:
    assert set(trust.__all__) <= set(dir(trust))
    assert "__version__" in dir(trust)
    assert trust.testing is import_module("trust.testing")


def test_an_unknown_name_is_an_attribute_error_that_names_it() -> None:
    missing = r"module 'trust' has no attribute 'PostureStateMachin'"
    with pytest.raises(AttributeError, match=missing):
        trust.PostureStateMachin  # type: ignore[attr-defined]  # noqa: B018
    with pytest.raises(ImportError, match="PostureStateMachin"):
        exec("from trust import PostureStateMachin", {})


def test_threads_reading_a_name_first_all_get_the_same_object() -> None:
    shown = run(
        """
        import threading, trust
        barrier = threading.Barrier(8)
        got = []
        def read():
            barrier.wait()
            got.append(trust.PostureAwareAgent)
        threads = [threading.Thread(target=read) for _ in range(8)]
        for t in threads: t.start()
        for t in threads: t.join()
        from trust.posture_agent import PostureAwareAgent
        print(len(got), all(g is PostureAwareAgent for g in got))
        """
    )
    assert shown == "8 True"


def test_mypy_resolves_every_name_and_refuses_a_misspelt_one() -> None:
    names = ", ".join(trust.__all__)
    program = textwrap.dedent(
        f"""
        import trust
        from trust import {names}
        machine: PostureStateMachine = trust.PostureStateMachine()
        level: int = trust.TrustPosture.BLOCKED
        trust.PostureStateMachin
        """
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file=",
            "--strict",
            "--no-incremental",
            "--follow-imports=silent",
            "-c",
            program,
        ],
        cwd=INIT.parents[1],
        capture_output=True,
        text=True,
        check=False,
    )
    errors = [line for line in done.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 2, done.stdout + done.stderr
    assert 'has type "TrustPosture", variable has type "int"' in errors[0]
    assert 'Module has no attribute "PostureStateMachin"' in errors[1]
