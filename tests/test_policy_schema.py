"""``trust/policy/schema.json``: editors read it, the loader checks files against it, and the
``jsonschema`` package agrees with the loader's checker on examples and malformed files."""

from __future__ import annotations

import json
import tomllib
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from trust.policy import _schema

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.toml"))

MALFORMED = {
    "no version": "[agents.a]\n",
    "unknown top key": "version = 1\nagent = {}\n",
    "unknown agent key": 'version = 1\n[agents.a]\npostur = "assisted"\n',
    "posture not a posture": 'version = 1\n[agents.a]\nposture = "root"\n',
    "mode in capitals": 'version = 1\n[agents.a]\nmode = "Conjunctive"\n',
    "constraints not a table": 'version = 1\n[agents.a]\nconstraints = "x"\n',
    "cost as a bool": "version = 1\n[agents.a]\nconstraints = { cost_limit = true }\n",
    "breaker negative": "version = 1\n[agents.a]\nbreaker = { recovery_timeout = -1 }\n",
    "breaker unknown field": "version = 1\n[agents.a]\nbreaker = { timeout = 1 }\n",
    "half-open calls zero": "version = 1\n[agents.a]\nbreaker = { half_open_max_calls = 0 }\n",
    "weights empty": "version = 1\n[agents.a]\nbreaker = { severity_weights = {} }\n",
    "delegation without child": 'version = 1\n[[delegations]]\nparent = "a"\n',
    "delegation extra key": 'version = 1\n[[delegations]]\nparent = "a"\nchild = "b"\nx = 1\n',
    "priority repeats": 'version = 1\n[agents.a]\npriority = ["x", "x"]\n',
    "custom without custom": "version = 1\n[dimensions.tokens]\nreviewed_by = 'me'\n",
    "builtin with settings": "version = 1\n[dimensions.cost_limit]\ncurrency = 'EUR'\n",
    "empty agent id": 'version = 1\n[agents.""]\n',
    "a date": "version = 1\n[agents.a]\ndescription = 1979-05-27\n",
}


def json_schema() -> dict[str, Any]:
    text = files("trust.policy").joinpath("schema.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def as_json(data: Any) -> Any:
    """TOML data as JSON would carry it (a date becomes a string, as a JSON file has it)."""
    return json.loads(json.dumps(data, default=str))


def test_the_schema_is_a_valid_json_schema_shipped_with_the_package() -> None:
    jsonschema.Draft202012Validator.check_schema(json_schema())


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_every_example_satisfies_the_schema(example: Path) -> None:
    data = tomllib.loads(example.read_text(encoding="utf-8"))
    jsonschema.validate(data, json_schema())
    assert _schema.problems(data) == []


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_files_are_refused_by_both(name: str) -> None:
    data = tomllib.loads(MALFORMED[name])
    found = _schema.problems(data)
    assert found, f"the loader's checker accepts {name!r}"
    if name == "a date":
        # JSON has no dates: the TOML date reaches jsonschema as a string, and the
        # loader alone refuses it (a description must be a string).
        assert (
            found[0].message == "description must be a string, got date datetime.date(1979, 5, 27)"
        )
        return
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(as_json(data), json_schema())


def test_the_checker_refuses_a_schema_keyword_it_does_not_implement() -> None:
    with pytest.raises(ValueError, match="keyword must be one the checker implements"):
        _schema._keywords({"type": "object", "patternProperties": {}}, "#")


def test_suggestions_name_the_nearest_valid_name() -> None:
    assert _schema.suggestion("cost_limt", ["cost_limit", "rate_limit"]) == (
        " (did you mean 'cost_limit'?)"
    )
    assert _schema.suggestion("zzz", ["cost_limit"]) == ""
