"""``.pre-commit-hooks.yaml``: well formed, naming commands that exist, matching policy files."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from trust._cli import COMMANDS

ROOT = Path(__file__).resolve().parents[1]
HOOKS = ROOT / ".pre-commit-hooks.yaml"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _scalar(text: str) -> Any:
    if text.startswith("'"):
        assert len(text) >= 2, text
        assert text.endswith("'"), text
        return text[1:-1].replace("''", "'")
    assert not text.startswith('"'), "double-quoted scalars are not used here"
    return {"true": True, "false": False}.get(text, text)


def _value(text: str) -> Any:
    if text.startswith("["):
        assert text.endswith("]"), text
        inner = text[1:-1].strip()
        return [_scalar(item.strip()) for item in re.split(r",(?=(?:[^']*'[^']*')*[^']*$)", inner)]
    return _scalar(text)


def parse(text: str) -> list[dict[str, Any]]:
    """The subset of YAML the hooks file uses: a list of flat mappings whose values are
    plain or single-quoted scalars, booleans, or flow lists of those. Anything else fails."""
    hooks: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = re.fullmatch(r"(- |  )([a-z_]+): (.+)", line)
        assert match, f"line {number} is not '- key: value' or '  key: value': {line!r}"
        start, key, value = match.groups()
        if start == "- ":
            hooks.append({})
        assert hooks, f"line {number}: a key before the first hook"
        assert key not in hooks[-1], f"line {number}: {key} given twice"
        hooks[-1][key] = _value(value.strip())
    return hooks


HOOK_KEYS = {
    "id",
    "name",
    "entry",
    "language",
    "files",
    "description",
    "pass_filenames",
    "always_run",
    "stages",
    "additional_dependencies",
}


def test_the_hooks_parse_and_run_existing_care_trust_commands() -> None:
    hooks = {hook["id"]: hook for hook in parse(HOOKS.read_text(encoding="utf-8"))}
    assert set(hooks) == {"care-trust-check", "care-trust-prove"}
    script = next(iter(PYPROJECT["project"]["scripts"]))
    for hook in hooks.values():
        assert set(hook) <= HOOK_KEYS, set(hook) - HOOK_KEYS
        assert {"id", "name", "entry", "language"} <= set(hook)
        assert hook["language"] == "python"
        program, command = hook["entry"].split()
        assert program == script == "care-trust"
        assert command in COMMANDS
        # The commands need the verify extra: the hooks install exactly that.
        assert (
            hook["additional_dependencies"]
            == PYPROJECT["project"]["optional-dependencies"]["verify"]
        )
    assert hooks["care-trust-check"]["entry"] == "care-trust check"
    prove = hooks["care-trust-prove"]
    assert prove["entry"] == "care-trust prove"
    assert prove["pass_filenames"] is False
    assert prove["stages"] == ["manual"]


@pytest.mark.parametrize(
    ("path", "checked"),
    [
        ("trust.toml", True),
        ("deploy/trust.toml", True),
        ("examples/research.trust.toml", True),
        ("policy.toml", True),
        ("deploy/research-policy.toml", True),
        ("policies/prod_policy_v2.toml", True),
        ("pyproject.toml", False),
        ("policy_engine/pyproject.toml", False),
        ("deploy/mistrust.toml", False),
        ("policy.toml.bak", False),
        ("deploy/policy.yaml", False),
    ],
)
def test_the_check_hook_runs_on_policy_files_only(path: str, checked: bool) -> None:
    (check,) = [
        h for h in parse(HOOKS.read_text(encoding="utf-8")) if h["id"] == "care-trust-check"
    ]
    # pre-commit matches `files` with re.search against the path from the repository root.
    assert bool(re.search(check["files"], path)) is checked


def test_the_parser_refuses_what_it_does_not_read() -> None:
    with pytest.raises(AssertionError, match="is not '- key: value'"):
        parse("- id: a\n  nested:\n    - x\n")
    with pytest.raises(AssertionError, match="given twice"):
        parse("- id: a\n  id: b\n")
    assert parse("- id: a\n  list: ['x, y', z]\n  flag: true\n") == [
        {"id": "a", "list": ["x, y", "z"], "flag": True}
    ]
