"""The PostgreSQL tests skip without a server, except where one is required (CI)."""

from __future__ import annotations

import pytest

from tests import pgserver


def test_without_a_server_the_tests_skip_and_say_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(pgserver.REQUIRE, raising=False)
    with pytest.raises(pytest.skip.Exception, match="no PostgreSQL server binaries"):
        pgserver.skip_or_fail("no PostgreSQL server binaries")


def test_where_a_server_is_required_its_absence_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(pgserver.REQUIRE, "1")
    with pytest.raises(pytest.fail.Exception, match="CARE_TRUST_REQUIRE_POSTGRES=1 but"):
        pgserver.skip_or_fail("no PostgreSQL server binaries")


def test_the_binaries_are_found_where_debian_puts_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    found = pgserver.find_binaries()
    if found is None:
        pgserver.skip_or_fail("no PostgreSQL server binaries in /usr/lib/postgresql")
    assert (found / "initdb").is_file()
