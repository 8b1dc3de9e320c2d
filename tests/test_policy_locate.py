"""Finding the line of a key path in a TOML file, which ``tomllib`` does not report."""

from __future__ import annotations

import tomllib

from tests.bounded import run_bounded
from trust.policy._locate import line_of, locate

TEXT = '''\
# a comment with [brackets] and key = "value"
version = 1

[agents.researcher]   # a trailing comment
description = """
[agents.not-a-table]
"""
posture = 'assisted'
constraints.cost_limit = 5
"constraints".resources = [
    "a/**",   # first
    "b/**",
]

[agents."quoted id".constraints]
communication = { mode = "allowed_domains", allowed_domains = [
  "example.org",
  "arxiv.org" ] }
data_access = "no_pii"

[[delegations]]
parent = "researcher"
child = "quoted id"

[[delegations]]
parent = "x"
  child = "y"
[delegations.nested]
key = 1
'''


def test_every_kind_of_key_is_placed_on_its_line() -> None:
    assert tomllib.loads(TEXT)  # the locator reads files tomllib accepted
    lines = locate(TEXT)
    assert lines["version",] == 2
    assert lines["agents", "researcher"] == 4
    assert lines["agents", "researcher", "description"] == 5
    assert lines["agents", "researcher", "posture"] == 8
    assert lines["agents", "researcher", "constraints", "cost_limit"] == 9
    assert lines["agents", "researcher", "constraints", "resources"] == 10
    assert lines["agents", "researcher", "constraints", "resources", "1"] == 12
    assert lines["agents", "quoted id", "constraints"] == 15
    comm = ("agents", "quoted id", "constraints", "communication")
    assert lines[comm] == 16
    assert lines[(*comm, "allowed_domains", "1")] == 18
    assert lines["agents", "quoted id", "constraints", "data_access"] == 19
    assert lines["delegations", "0"] == 21
    assert lines["delegations", "0", "child"] == 23
    assert lines["delegations", "1"] == 25
    assert lines["delegations", "1", "child"] == 27
    assert lines["delegations", "1", "nested", "key"] == 29
    # A header inside a multi-line string is no header.
    assert ("agents", "not-a-table") not in lines


def test_a_path_that_is_not_written_falls_back_to_its_table() -> None:
    lines = locate(TEXT)
    assert line_of(lines, ("agents", "researcher", "breaker", "failure_threshold")) == 4
    assert line_of(lines, ("nowhere",)) == 0


def test_escaped_quotes_and_unicode_escapes_in_keys() -> None:
    text = '[agents."a\\"b"]\nx = 1\n[agents."caf\\u00e9"]\ny = 2\n'
    assert set(tomllib.loads(text)["agents"]) == {'a"b', "café"}
    lines = locate(text)
    assert lines["agents", 'a"b', "x"] == 2
    assert lines["agents", "café", "y"] == 4


def test_text_it_does_not_follow_keeps_what_was_found() -> None:
    lines = locate("a = 1\n[b]\nc = @@@\n")
    assert lines["a",] == 1
    assert lines["b",] == 2


def test_deep_nesting_is_scanned_in_linear_time_without_recursion() -> None:
    # Paths grew with the depth: 50,000 nested arrays took over a minute.
    line = run_bounded(
        """
        import json
        from trust.policy._locate import locate
        deep = "x = " + "[" * 50_000 + "]" * 50_000 + "\\ny = 2\\n"
        print(json.dumps(locate(deep)["y",]))
        """,
        timeout=20,
    )
    assert line == 2
