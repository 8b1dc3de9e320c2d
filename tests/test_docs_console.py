"""The ``care-trust`` sessions shown in the README and docs/ are what the command prints.

A shown line may elide with ``...`` (any text); ``$ echo $?`` shows the exit code.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from trust._cli import main

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _sessions() -> list[tuple[str, list[str], list[str], int | None]]:
    """(page, argv, shown output lines, shown exit code) of each ``$ care-trust`` call."""
    found = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for block in re.findall(r"```console\n(.*?)```", text, re.DOTALL):
            for call in re.split(r"^(?=\$ )", block, flags=re.MULTILINE):
                command, _, output = call.partition("\n")
                if not command.startswith("$ care-trust "):
                    continue
                lines = output.splitlines()
                code = None
                if lines[-2:-1] == ["$ echo $?"]:
                    code, lines = int(lines[-1]), lines[:-2]
                found.append((page.name, shlex.split(command[2:])[1:], lines, code))
    return found


SESSIONS = _sessions()


def _pattern(line: str) -> re.Pattern[str]:
    parts = [re.escape(part) for part in re.split(r"\[\.\.\.\]|\.\.\.", line)]
    return re.compile(".*".join(parts))


def test_the_readme_shows_a_check_and_a_diff() -> None:
    shown = {(page, argv[0]) for page, argv, _, _ in SESSIONS}
    assert {("README.md", "check"), ("README.md", "diff")} <= shown


@pytest.mark.parametrize(
    ("page", "argv", "lines", "code"), SESSIONS, ids=[" ".join(s[1]) for s in SESSIONS]
)
def test_a_shown_session_is_what_the_command_prints(
    page: str,
    argv: list[str],
    lines: list[str],
    code: int | None,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("COLUMNS", raising=False)
    exit_code = main(argv)
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == len(lines), (page, printed)
    for shown, real in zip(lines, printed, strict=True):
        assert _pattern(shown).fullmatch(real), (page, shown, real)
    if code is not None:
        assert exit_code == code
