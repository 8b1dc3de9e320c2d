"""A command's report as text, JSON, JUnit XML and SARIF 2.1.0."""

from __future__ import annotations

import datetime
import enum
import json
import math
from pathlib import Path
from xml.etree import ElementTree

import attrs
import pytest

from tests import sarif as schema
from tests.hostile import LyingFloat, LyingInt, LyingStr
from trust._cli._formats import junit, plain, text, to_json
from trust._cli._sarif import SCHEMA, sarif, uri
from trust.policy import Finding, Level, Location, Report


def _errors_fail(finding: Finding) -> bool:
    return finding.level is Level.ERROR


TYPO = Finding(
    rule="policy.unknown-key",
    level=Level.ERROR,
    message="unknown key 'cost_limt'; did you mean 'cost_limit'?",
    location=Location(
        file="deploy/research policy.toml",
        line=12,
        key_path=("agents", "researcher", "constraints", "cost_limt"),
    ),
)
WIDENS = Finding(
    rule="delegation.widens",
    level=Level.ERROR,
    message="the browser allows what the researcher refuses",
    location=Location(file="deploy/research policy.toml", line=30, key_path=("delegations",)),
    witness={"cost_used": 150, "resource_requested": "/etc/passwd", "ok": True, "rate": 0.5},
)
LINT = Finding(
    rule="lint.allows-everything",
    level=Level.WARNING,
    message='resources = ["**"] allows every path',
    location=Location(file="deploy/research policy.toml"),
)
REPORT = Report(
    command="check",
    findings=(TYPO, WIDENS, LINT),
    summary={"agents": 3, "delegations": ("researcher", "browser")},
)


def test_text_has_one_line_per_finding_in_the_form_editors_read() -> None:
    lines = text(REPORT, _errors_fail).splitlines()
    assert lines[0] == (
        "deploy/research policy.toml:12: agents.researcher.constraints.cost_limt: error: "
        "unknown key 'cost_limt'; did you mean 'cost_limit'? [policy.unknown-key]"
    )
    assert lines[2] == (
        '    witness: cost_used=150, resource_requested="/etc/passwd", ok=true, rate=0.5'
    )
    assert lines[3].startswith("deploy/research policy.toml: warning: resources")
    assert lines[-1] == "care-trust check: 2 errors, 1 warning, 0 notes; fails"
    empty = Report(command="diff")
    assert text(empty, _errors_fail) == "care-trust diff: 0 errors, 0 warnings, 0 notes; passes"


def test_json_has_a_summary_object_and_plain_values() -> None:
    shown = json.loads(to_json(REPORT, _errors_fail, 1))
    assert shown["command"] == "check"
    assert shown["summary"] == {
        "agents": 3,
        "delegations": ["researcher", "browser"],
        "errors": 2,
        "warnings": 1,
        "notes": 0,
        "failed": 2,
        "exit_code": 1,
    }
    typo, widens, lint = shown["findings"]
    assert typo["location"] == {
        "file": "deploy/research policy.toml",
        "line": 12,
        "key_path": ["agents", "researcher", "constraints", "cost_limt"],
    }
    assert typo["fails"] is True
    assert typo["witness"] is None
    assert widens["witness"] == {
        "cost_used": 150,
        "resource_requested": "/etc/passwd",
        "ok": True,
        "rate": 0.5,
    }
    assert lint["fails"] is False
    assert lint["location"]["line"] is None


class Colour(enum.Enum):
    RED = "red"


@attrs.frozen
class Point:
    x: int
    y: float


def test_plain_gives_json_values_never_reprs_and_never_trusts_a_subclass() -> None:
    when = datetime.datetime(2025, 1, 2, 3, 4, tzinfo=datetime.UTC)
    assert plain(
        {
            "n": LyingInt(7),
            "f": LyingFloat(0.25),
            "s": LyingStr("a"),
            "t": (1, [2, None]),
            "set": frozenset({"b", "a"}),
            "e": Colour.RED,
            "when": when,
            "p": Point(1, 2.0),
            1: "int key",
        }
    ) == {
        "n": 7,
        "f": 0.25,
        "s": "a",
        "t": [1, [2, None]],
        "set": ["a", "b"],
        "e": "red",
        "when": "2025-01-02T03:04:00+00:00",
        "p": {"x": 1, "y": 2.0},
        "1": "int key",
    }
    assert [type(plain(v)) for v in (LyingInt(7), LyingFloat(0.25), LyingStr("a"))] == [
        int,
        float,
        str,
    ]
    assert [plain(math.nan), plain(math.inf), plain(-math.inf)] == ["NaN", "Infinity", "-Infinity"]

    class Unprintable:
        def __str__(self) -> str:
            raise RuntimeError("no")

    assert plain(Unprintable()) == "<unprintable Unprintable: RuntimeError>"
    nested: list[object] = [1]
    for _ in range(100):
        nested = [nested]
    flattened = json.dumps(plain(nested))  # deep values end as text, never a RecursionError
    assert "[[1]]" in flattened


def test_junit_counts_failures_as_the_exit_code_does() -> None:
    suite = ElementTree.fromstring(junit(REPORT, _errors_fail))
    assert suite.tag == "testsuite"
    assert suite.get("name") == "care-trust check"
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "2", "0")
    cases = suite.findall("testcase")
    assert [c.get("classname") for c in cases] == [
        "policy.unknown-key",
        "delegation.widens",
        "lint.allows-everything",
    ]
    assert cases[0].get("name") == (
        "deploy/research policy.toml:12: agents.researcher.constraints.cost_limt"
    )
    failure = cases[1].find("failure")
    assert failure is not None
    assert failure.get("type") == "delegation.widens"
    assert 'witness: cost_used=150, resource_requested="/etc/passwd"' in (failure.text or "")
    assert cases[2].find("failure") is None
    assert (cases[2].findtext("system-out") or "").startswith("warning: resources")
    # A passing run still has a test case, so that a CI counts it.
    passing = ElementTree.fromstring(junit(Report(command="diff"), _errors_fail))
    assert (passing.get("tests"), passing.get("failures")) == ("1", "0")
    assert passing.find("testcase/failure") is None


def test_sarif_is_valid_2_1_0_with_rules_levels_and_locations(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    log = json.loads(sarif(REPORT, 1, {"policy.unknown-key": "A key the format does not know."}))
    assert schema.errors(log) == []
    assert log["$schema"] == SCHEMA
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "care-trust"
    assert [r["id"] for r in driver["rules"]] == [
        "policy.unknown-key",
        "delegation.widens",
        "lint.allows-everything",
    ]
    assert driver["rules"][0]["shortDescription"]["text"] == "A key the format does not know."
    assert driver["rules"][2]["shortDescription"]["text"] == "lint: allows everything"
    assert run["invocations"] == [{"executionSuccessful": True}]
    typo, widens, lint = run["results"]
    assert (typo["ruleId"], typo["ruleIndex"], typo["level"]) == ("policy.unknown-key", 0, "error")
    (where,) = typo["locations"]
    assert where["physicalLocation"] == {
        "artifactLocation": {"uri": "deploy/research%20policy.toml"},
        "region": {"startLine": 12},
    }
    assert where["logicalLocations"] == [
        {"fullyQualifiedName": "agents.researcher.constraints.cost_limt"}
    ]
    assert widens["message"]["text"].endswith(
        'Witness: cost_used=150, resource_requested="/etc/passwd", ok=true, rate=0.5.'
    )
    assert widens["properties"]["witness"]["cost_used"] == 150
    assert lint["level"] == "warning"
    assert "region" not in lint["locations"][0]["physicalLocation"]  # no line: no region
    assert json.loads(sarif(REPORT, 2))["runs"][0]["invocations"] == [
        {"executionSuccessful": False}
    ]


def test_sarif_of_a_clean_run_has_no_results_and_is_valid() -> None:
    log = json.loads(sarif(Report(command="check"), 0))
    assert schema.errors(log) == []
    assert log["runs"][0]["results"] == []
    assert log["runs"][0]["tool"]["driver"]["rules"] == []


def test_uris_are_relative_under_the_working_directory_and_encoded(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    assert uri("policy.toml") == "policy.toml"
    assert uri(str(tmp_path / "deploy" / "a b#c.toml")) == "deploy/a%20b%23c.toml"
    assert uri("a:b.toml") == "a%3Ab.toml"  # never read as a URI scheme
    outside = tmp_path.parent / "elsewhere.toml"
    assert uri(str(outside)) == outside.resolve().as_uri()


def test_the_schema_check_itself_finds_what_is_wrong() -> None:
    broken = {
        "version": "2.0.0",
        "runs": [
            {
                "tool": {"driver": {"rules": [{"id": "a"}, {"id": "a"}]}},
                "results": [
                    {
                        "level": "fatal",
                        "message": {},
                        "locations": [
                            {"physicalLocation": {"region": {"startLine": 0}}, "extra": 1}
                        ],
                    }
                ],
            }
        ],
    }
    found = "\n".join(schema.errors(broken))
    for expected in (
        "'2.0.0' is not one of",
        "missing required 'name'",
        "items are not unique",
        "'fatal' is not one of",
        "$.runs[0].results[0].message: none of",
        "property 'extra' is not in the schema",
        "0 is below 1",
        "physicalLocation: none of",
    ):
        assert expected in found
