"""``trust.__version__``: one number, written once, that every reader agrees on."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

import trust
from trust._cli import main

ROOT = Path(__file__).resolve().parents[1]

# PEP 440's public version form (release, optional pre/post/dev parts).
PEP_440 = re.compile(r"\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?")


def test_trust_has_a_pep_440_version_string() -> None:
    assert type(trust.__version__) is str
    assert PEP_440.fullmatch(trust.__version__), trust.__version__


def test_the_installed_metadata_carries_the_same_version() -> None:
    assert metadata.version("care-trust") == trust.__version__


def test_pyproject_reads_the_version_from_the_one_constant() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"], "a second copy of the version in pyproject"
    assert "version" in project["project"]["dynamic"]
    dynamic = project["tool"]["setuptools"]["dynamic"]["version"]
    assert dynamic == {"attr": "trust._version.__version__"}


def test_the_command_prints_the_same_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"care-trust {trust.__version__}\n"
