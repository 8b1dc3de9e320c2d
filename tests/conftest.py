"""Hypothesis profiles (a modest one for CI, a deep one for local runs), and the summary
line of the hostile input matrix.

Select the deep profile with ``CARE_TRUST_HYPOTHESIS=deep python -m pytest``, and the
mutation profile with ``CARE_TRUST_HYPOTHESIS=mutation mutmut run``.
"""

import os
import sys
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from tests.pgserver import Server, find_binaries, skip_or_fail, unavailable_reason

settings.register_profile("ci", max_examples=100, deadline=None, print_blob=True)
settings.register_profile(
    "deep",
    max_examples=2000,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
# For `mutmut run` (the README's development section): every covering test runs once per
# mutant, so fewer examples, and derandomized so that a score is reproducible.
settings.register_profile("mutation", max_examples=20, deadline=None, derandomize=True)
settings.load_profile(os.environ.get("CARE_TRUST_HYPOTHESIS", "ci"))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    matrix = sys.modules.get("tests.test_hostile_input")
    if matrix is None or not matrix.TALLY:
        return
    tally = matrix.TALLY
    terminalreporter.write_line(
        f"hostile input matrix: {tally.total()} cases, "
        f"{tally['refused']} refused, {tally['raised']} raised"
    )


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Server]:
    """A throwaway PostgreSQL server for the session (see tests/pgserver.py)."""
    reason = unavailable_reason()
    if reason is not None:
        skip_or_fail(reason)
    binaries = find_binaries()
    assert binaries is not None  # unavailable_reason found them
    server = Server(binaries)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: Server) -> str:
    """The URL of a fresh, empty database on the session's PostgreSQL server."""
    return postgres_server.new_database()
