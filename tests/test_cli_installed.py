"""An installed copy (the wheel, unpacked): codegen checks its own tables, and the commands
run from it."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel of this repository, unpacked as site-packages would hold it."""
    build = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(build), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = build.glob("care_trust-*.whl")
    site = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    return site


def _run(
    site: Path, cwd: Path, *args: str, columns: str = "1000"
) -> subprocess.CompletedProcess[str]:
    # The unpacked copy comes first on the path, before this checkout's editable install;
    # help text is read unwrapped (argparse wraps at COLUMNS).
    env = {**os.environ, "PYTHONPATH": str(site), "COLUMNS": columns}
    if not columns:
        del env["COLUMNS"]
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


def test_the_installed_copy_is_the_one_that_runs(installed: Path, tmp_path: Path) -> None:
    done = _run(installed, tmp_path, "-c", "import trust.proofs; print(trust.proofs.__file__)")
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()).is_relative_to(installed)


def test_codegen_check_reads_the_installed_tables(installed: Path, tmp_path: Path) -> None:
    helped = _run(installed, tmp_path, "-m", "trust.model.codegen", "--help")
    assert f"(default: {installed.resolve()})" in helped.stdout
    fresh = _run(installed, tmp_path, "-m", "trust.model.codegen", "--check")
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    table = installed / "trust" / "_generated" / "posture.py"
    table.write_text(table.read_text(encoding="utf-8") + "# drifted\n", encoding="utf-8")
    try:
        stale = _run(installed, tmp_path, "-m", "trust.model.codegen", "--check")
    finally:
        table.write_text(table.read_text(encoding="utf-8").replace("# drifted\n", ""))
    assert stale.returncode == 1
    assert stale.stdout.startswith(f"out of date: {table.resolve()}")
    assert not list(tmp_path.iterdir())  # nothing written where it ran


def test_the_proof_command_runs_from_the_installed_copy(installed: Path, tmp_path: Path) -> None:
    done = _run(
        installed,
        tmp_path,
        "-m",
        "trust.proofs",
        "--only",
        "posture lifecycle: emergency*",
        columns="",  # a pipe without COLUMNS: 100 columns
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 properties, 0 failed" in done.stdout
    assert max(len(line) for line in done.stdout.splitlines()) <= 100
