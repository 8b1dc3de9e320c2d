"""The README's Python blocks run, top to bottom, as one story."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)


def test_readme_has_examples() -> None:
    assert BLOCKS  # the story; the topics' examples are under docs/


def test_readme_story_runs(capsys: pytest.CaptureFixture[str]) -> None:
    namespace: dict[str, object] = {"__name__": "readme"}
    for number, block in enumerate(BLOCKS, start=1):
        code = compile(block, f"README.md python block {number}", "exec")
        exec(code, namespace)


def test_readme_commands_are_the_ci_commands() -> None:
    text = README.read_text(encoding="utf-8")
    for marker in ("<!-- ci: main command -->", "<!-- ci: test command -->"):
        assert text.count(marker) == 1
    assert text.count("```bash") == 2, "the README holds exactly two set-up commands"
