"""How much of the runtime's decision code does the proof run alone hold to what it proves?

Seeds a reproducible sample of mutants over the runtime's decision code (comparison
operators, boolean operators, ``not``, posture constants and small integer constants),
then, for each mutant in a scratch copy of the repository, runs the proof run alone and
the test suite alone. A mutant the test suite kills is *semantic* (it changes behaviour a
user relies on); the yardstick is the share of semantic mutants the proof run kills too:

    python bench/mutation.py                     # 60 mutants, seed 0, 2 jobs
    python bench/mutation.py --sample 200 --seed 3 --jobs 2
    python bench/mutation.py --list              # every mutation site, no runs

Each mutant is one AST edit written back with ``ast.unparse``; the unmutated files are
written the same way for a baseline run, which must pass both (or nothing is measured).
Nothing here runs in CI: one mutant costs a proof run plus a test run.
"""

from __future__ import annotations

import argparse
import ast
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

DECISION_CODE = (
    "trust/postures/*.py",
    "trust/circuit_breaker/*.py",
    "trust/constraints/_evaluator.py",
    "trust/constraints/_parsing.py",
    "trust/constraints/_tightening.py",
    "trust/constraints/_modes.py",
    "trust/constraints/_dimension.py",
    "trust/constraints/builtin/*.py",
)
"""The runtime's decision code: what decides a posture, an admission or a verdict."""

SKIPPED = frozenset(
    {
        ".git",
        ".venv",
        "mutants",
        ".cache",
        "__pycache__",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        "htmlcov",
        ".coverage",
        ".hypothesis",
        "build",
        "dist",
    }
)
"""What the copy leaves out: caches, environments and build output (the rest is copied, so
every file a test reads is there)."""

PROOF_COMMAND = (sys.executable, "-m", "trust.proofs")
# The gates (ruff, mypy) and the house rules (line counts) judge the source form
# ast.unparse writes, not behaviour; the planted-bug tests edit exact source text, which
# ast.unparse rewrites.
TEST_COMMAND = (
    sys.executable,
    "-m",
    "pytest",
    "-x",
    "-q",
    "-p",
    "no:cacheprovider",
    "--no-cov",
    "--ignore=tests/test_gates.py",
    "--ignore=tests/test_house_rules.py",
    "--ignore-glob=tests/test_planted_*.py",
)

_SOURCE_EDITS = frozenset({"Plant", "import_with"})
"""What tests call to edit exact source text (tests/planted.py)."""


def _source_editing_tests() -> tuple[str, ...]:
    """``--deselect`` options for the tests that edit exact source text."""
    chosen = []
    for path in sorted((ROOT / "tests").glob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
                if names & _SOURCE_EDITS:
                    chosen.append(f"--deselect=tests/{path.name}::{node.name}")
    return tuple(chosen)


_SWAPS: dict[type[ast.AST], type[ast.AST]] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.And: ast.Or,
    ast.Or: ast.And,
}
_POSTURES = ("BLOCKED", "HUMAN_DECIDES", "SUPERVISED", "ASSISTED", "FULL_AUTONOMY")


@dataclass(frozen=True)
class Site:
    """One mutation: the ``index``-th node of ``path`` (in `ast.walk` order), edited by ``kind``."""

    path: str
    index: int
    line: int
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line} {self.kind} {self.detail}"


def _is_docstring(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    parent = parents.get(node)
    return isinstance(parent, ast.Expr) and isinstance(node, ast.Constant)


def _edits(node: ast.AST) -> Iterator[tuple[str, str]]:
    """(kind, detail) for each way to mutate ``node``."""
    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            if type(op) in _SWAPS:
                yield "compare", f"{i}:{type(op).__name__}->{_SWAPS[type(op)].__name__}"
    elif isinstance(node, ast.BoolOp):
        yield "boolop", f"{type(node.op).__name__}->{_SWAPS[type(node.op)].__name__}"
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        yield "not", "drop not"
    elif isinstance(node, ast.Attribute) and node.attr in _POSTURES:
        at = _POSTURES.index(node.attr)
        for other in (at - 1, at + 1):
            if 0 <= other < len(_POSTURES):
                yield "posture", f"{node.attr}->{_POSTURES[other]}"
    elif isinstance(node, ast.Constant) and type(node.value) is int and 0 <= node.value <= 10:
        yield "int", f"{node.value}->{node.value + 1}"


def _nodes(tree: ast.AST) -> list[ast.AST]:
    return list(ast.walk(tree))


def sites(root: Path = ROOT) -> list[Site]:
    """Every mutation site in the decision code, in a stable order."""
    found: list[Site] = []
    files = sorted({p for pattern in DECISION_CODE for p in root.glob(pattern)})
    for file in files:
        tree = ast.parse(file.read_text())
        parents = {
            child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)
        }
        for index, node in enumerate(_nodes(tree)):
            if _is_docstring(node, parents):
                continue
            for kind, detail in _edits(node):
                line = getattr(node, "lineno", 0)
                found.append(Site(str(file.relative_to(root)), index, line, kind, detail))
    return found


def mutate(source: str, site: Site) -> str:
    """``source`` with ``site`` applied, written back by `ast.unparse`."""
    tree = ast.parse(source)
    node = _nodes(tree)[site.index]
    if site.kind == "compare":
        i, swap = site.detail.split(":")
        target = swap.split("->")[1]
        node.ops[int(i)] = getattr(ast, target)()  # type: ignore[attr-defined]
    elif site.kind == "boolop":
        node.op = getattr(ast, site.detail.split("->")[1])()  # type: ignore[attr-defined]
    elif site.kind == "not":
        _replace(tree, node, node.operand)  # type: ignore[attr-defined]
    elif site.kind == "posture":
        node.attr = site.detail.split("->")[1]  # type: ignore[attr-defined]
    elif site.kind == "int":
        node.value += 1  # type: ignore[attr-defined]
    return ast.unparse(ast.fix_missing_locations(tree))


def _replace(tree: ast.AST, old: ast.AST, new: ast.AST) -> None:
    """Put ``new`` where ``old`` stands in its parent."""
    for parent in ast.walk(tree):
        for field, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, field, new)
                return
            if isinstance(value, list) and any(item is old for item in value):
                value[[id(item) for item in value].index(id(old))] = new
                return


def _copy_repo(into: Path) -> None:
    # symlinks=True keeps trust/model and trust/proofs links to the copied folders.
    shutil.copytree(
        ROOT,
        into,
        symlinks=True,
        dirs_exist_ok=True,
        ignore=lambda _, names: [n for n in names if n in SKIPPED or n.endswith(".egg-info")],
    )


def _unparse_all(copy: Path, files: set[str]) -> None:
    for rel in files:
        path = copy / rel
        path.write_text(ast.unparse(ast.parse(path.read_text())))


def _fails(command: tuple[str, ...], cwd: Path, timeout: float, say: bool = False) -> bool:
    env = {**os.environ, "PYTHONPATH": str(cwd), "CARE_TRUST_HYPOTHESIS": "mutation"}
    try:
        done = subprocess.run(
            command, cwd=cwd, env=env, capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        if say:
            print(f"{' '.join(command[1:])}: no answer within {timeout:.0f} s")
        return True  # a mutant that hangs is caught: the run never reports success
    if say and done.returncode != 0:
        tail = done.stdout.decode(errors="replace").strip().splitlines()[-5:]
        print(f"{' '.join(command[1:])}: exit {done.returncode}", *tail, sep="\n  ")
    return done.returncode != 0


@dataclass(frozen=True)
class Result:
    site: Site
    proofs_kill: bool
    tests_kill: bool


def _run_one(site: Site, copy: Path, tests: tuple[str, ...], timeout: float) -> Result:
    path = copy / site.path
    original = path.read_text()
    try:
        path.write_text(mutate(original, site))
        return Result(
            site,
            _fails(PROOF_COMMAND, copy, timeout),
            _fails(TEST_COMMAND + _source_editing_tests() + tests, copy, timeout * 5),
        )
    finally:
        path.write_text(original)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=int, default=60, help="mutants to run (default 60)")
    parser.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    parser.add_argument("--jobs", type=int, default=2, help="mutants run at once (default 2)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per proof run")
    parser.add_argument("--list", action="store_true", help="list every site and stop")
    parser.add_argument("tests", nargs="*", help="test paths (default: the whole suite)")
    args = parser.parse_args()

    every = sites()
    if args.list:
        print("\n".join(map(str, every)))
        print(f"{len(every)} sites")
        return 0
    chosen = sorted(
        random.Random(args.seed).sample(every, min(args.sample, len(every))),
        key=lambda s: (s.path, s.index, s.detail),
    )
    files = {s.path for s in every}
    tests = tuple(args.tests)
    with tempfile.TemporaryDirectory(prefix="care-trust-mutation-") as scratch:
        copies = []
        for job in range(max(1, args.jobs)):
            copy = Path(scratch) / f"copy{job}"
            copy.mkdir()
            _copy_repo(copy)
            _unparse_all(copy, files)
            copies.append(copy)
        started = time.perf_counter()
        if _fails(PROOF_COMMAND, copies[0], args.timeout, say=True) or _fails(
            TEST_COMMAND + _source_editing_tests() + tests,
            copies[0],
            args.timeout * 5,
            say=True,
        ):
            print("baseline fails: the unmutated copy must pass the proofs and the tests")
            return 2
        free = list(copies)

        def work(site: Site) -> Result:
            copy = free.pop()
            try:
                return _run_one(site, copy, tests, args.timeout)
            finally:
                free.append(copy)

        with ThreadPoolExecutor(max_workers=len(copies)) as pool:
            results = []
            for n, result in enumerate(pool.map(work, chosen), 1):
                results.append(result)
                mark = (
                    f"proofs {'KILL' if result.proofs_kill else 'live'}  "
                    f"tests {'KILL' if result.tests_kill else 'live'}"
                )
                print(f"[{n:3}/{len(chosen)}] {mark}  {result.site}", flush=True)
    semantic = [r for r in results if r.tests_kill]
    both = [r for r in semantic if r.proofs_kill]
    proofs_only = [r for r in results if r.proofs_kill and not r.tests_kill]
    print(
        f"\n{len(every)} sites, {len(chosen)} sampled (seed {args.seed}); "
        f"{len(semantic)} killed by the tests (semantic); of those the proof run alone kills "
        f"{len(both)} = {100 * len(both) / max(1, len(semantic)):.0f}%; "
        f"{len(proofs_only)} killed by the proofs only; "
        f"{time.perf_counter() - started:.0f} s"
    )
    for r in semantic:
        if not r.proofs_kill:
            print(f"  proofs miss: {r.site}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
