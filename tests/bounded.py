"""Running a denial-of-service case in a fresh interpreter, under a time and memory budget.

The cases that once took minutes or gigabytes run in a subprocess with a timeout and an
address-space limit, so that a regression fails the suite instead of hanging it. These are
the only tests that read a clock, as the house rules allow for DoS regressions.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import textwrap
from typing import Any

ADDRESS_SPACE = 1024 * 2**20
"""The child's address-space limit: the engines these cases broke passed it long before."""


def run_bounded(code: str, timeout: float = 60.0) -> Any:
    """Run ``code`` in a fresh interpreter under limits; return the JSON it prints last."""

    def limit() -> None:  # pragma: no cover - runs in the child
        resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))

    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=limit,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.splitlines()[-1])
