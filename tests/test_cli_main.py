"""``care-trust``: the commands, help, version and the exit codes of the entry point."""

from __future__ import annotations

import subprocess
import sysconfig
from importlib import metadata
from pathlib import Path

import pytest

from trust._cli import COMMANDS, main

CARE_TRUST = Path(sysconfig.get_path("scripts")) / "care-trust"


def test_help_lists_every_command_and_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert list(COMMANDS) == ["check", "diff", "prove", "diagrams"]
    for name in COMMANDS:
        assert f"{name}:" in out
    assert "Exit codes: 0 ok, 1 a finding, 2 a usage or file error." in out


def test_no_command_or_an_unknown_one_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main([]) == 2
    assert capsys.readouterr().err.startswith("usage: care-trust")
    assert main(["chek"]) == 2
    assert "care-trust: unknown command 'chek'" in capsys.readouterr().err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"care-trust {metadata.version('care-trust')}\n"


@pytest.mark.parametrize(
    "args",
    [["prove", "--jobs", "x"], ["check"], ["diff", "only-one.toml"], ["diagrams", "--nope"]],
)
def test_the_installed_script_exits_2_on_every_usage_error(args: list[str]) -> None:
    done = subprocess.run([str(CARE_TRUST), *args], capture_output=True, text=True, check=False)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "usage: care-trust " in done.stderr


def test_a_subcommand_help_is_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    for name in COMMANDS:
        assert main([name, "--help"]) == 0
        assert f"usage: care-trust {name}" in capsys.readouterr().out


@pytest.mark.parametrize(("raised", "code"), [(None, 0), (1, 1), ("it stopped", 2)])
def test_a_command_that_exits_returns_its_code(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    raised: object,
    code: int,
) -> None:
    def stops(argv: object) -> int:
        raise SystemExit(raised)

    monkeypatch.setitem(COMMANDS, "prove", (stops, "stops"))
    assert main(["prove"]) == code
    assert capsys.readouterr().err == ("it stopped\n" if code == 2 else "")
