"""The policy file's structure, checked against the one statement of it: ``schema.json``.

Editors read ``schema.json`` (JSON Schema 2020-12) to complete and underline a policy; the
loader reads the same file, so the two cannot drift. It holds the small part of JSON
Schema a policy needs, and this module checks a parsed TOML document against it: every
problem, not only the first, each with its key path and, for a misspelt key or value, the
nearest valid one. A keyword the checker does not implement is refused when the schema
is read (fail closed: a rule it would skip is no rule), and the test suite holds the
checker to the ``jsonschema`` package on the examples and on malformed files.

What the schema cannot say (ids that pass for others, references between entries, values
a dimension refuses) is checked by `trust.policy._read`.
"""

from __future__ import annotations

import difflib
import functools
import json
from collections.abc import Iterator, Mapping
from importlib import resources
from typing import Any

import attrs

from trust._shown import shown

KeyPath = tuple[str, ...]

_ANNOTATIONS = frozenset({"$schema", "$id", "title", "description", "$comment", "default"})
_KEYWORDS = frozenset(
    {
        "type",
        "properties",
        "additionalProperties",
        "propertyNames",
        "required",
        "minProperties",
        "enum",
        "const",
        "items",
        "uniqueItems",
        "minimum",
        "exclusiveMinimum",
        "minLength",
        "maxLength",
        "$ref",
        "$defs",
    }
)


@attrs.frozen
class Problem:
    """One way a document breaks the schema: a rule id, where, and what to do."""

    rule: str
    path: KeyPath
    message: str


def suggestion(word: str, choices: object) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``choices``, or ``""``."""
    names = [c for c in choices if isinstance(c, str)]  # type: ignore[attr-defined]
    close = difflib.get_close_matches(word, names, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _keywords(node: object, where: str) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("properties", "$defs"):
                for name, sub in value.items():
                    _keywords(sub, f"{where}/{key}/{name}")
                continue
            if key not in _KEYWORDS and key not in _ANNOTATIONS:
                raise ValueError(f"schema keyword must be one the checker implements, got {key!r}")
            _keywords(value, f"{where}/{key}")


@functools.cache
def schema() -> Mapping[str, Any]:
    """``schema.json``, read once.

    Raises:
        ValueError: It uses a keyword this module does not implement.
    """
    text = resources.files("trust.policy").joinpath("schema.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    _keywords(loaded, "#")
    return loaded


def _type_of(value: object) -> str:
    if type(value) is bool:
        return "boolean"
    if type(value) is int:
        return "integer"
    if type(value) is float:
        return "number"
    if type(value) is str:
        return "string"
    if type(value) is list:
        return "array"
    if type(value) is dict:
        return "object"
    # A TOML date or time: JSON has no such type.
    return type(value).__name__


def _fits(value: object, wanted: str) -> bool:
    found = _type_of(value)
    return found == wanted or (wanted == "number" and found == "integer")


def _shown_path(path: KeyPath) -> str:
    """The key a message names: the last one, with its table's name for an array item."""
    if not path:
        return "the document"
    if path[-1].isdigit() and len(path) > 1:
        return f"{path[-2]}[{path[-1]}]"
    return path[-1]


def _article(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


class _Checker:
    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root

    def resolve(self, node: Mapping[str, Any]) -> Mapping[str, Any]:
        ref = node.get("$ref")
        if ref is None:
            return node
        target: Any = self.root
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]
        return {**target, **{k: v for k, v in node.items() if k != "$ref"}}

    def check(self, node: Mapping[str, Any], value: object, path: KeyPath) -> Iterator[Problem]:
        node = self.resolve(node)
        where = _shown_path(path)
        if "const" in node and (value != node["const"] or type(value) is not type(node["const"])):
            yield Problem(
                "policy.value", path, f"{where} must be {node['const']!r}, got {shown(value)}"
            )
            return
        if "enum" in node and not any(value == e and type(value) is type(e) for e in node["enum"]):
            choices = ", ".join(repr(e) for e in node["enum"])
            hint = suggestion(value, node["enum"]) if isinstance(value, str) else ""
            yield Problem(
                "policy.value", path, f"{where} must be one of {choices}, got {shown(value)}{hint}"
            )
            return
        wanted = node.get("type")
        if wanted is not None:
            types = [wanted] if isinstance(wanted, str) else list(wanted)
            if not any(_fits(value, t) for t in types):
                names = " or ".join(_article(t) for t in types)
                shown_type = _type_of(value)
                yield Problem(
                    "policy.type", path, f"{where} must be {names}, got {shown_type} {shown(value)}"
                )
                return
        yield from self._bounds(node, value, path)
        if isinstance(value, dict):
            yield from self._object(node, value, path)
        elif isinstance(value, list):
            yield from self._array(node, value, path)

    def _bounds(self, node: Mapping[str, Any], value: object, path: KeyPath) -> Iterator[Problem]:
        where = _shown_path(path)
        if type(value) in (int, float):
            low = node.get("exclusiveMinimum")
            if low is not None and not value > low:
                yield Problem("policy.value", path, f"{where} must be > {low}, got {shown(value)}")
            low = node.get("minimum")
            if low is not None and not value >= low:
                yield Problem("policy.value", path, f"{where} must be >= {low}, got {shown(value)}")
        if isinstance(value, str):
            if len(value) < node.get("minLength", 0):
                yield Problem(
                    "policy.value", path, f"{where} must not be empty, got {shown(value)}"
                )
            longest = node.get("maxLength")
            if longest is not None and len(value) > longest:
                yield Problem(
                    "policy.value",
                    path,
                    f"{where} must be at most {longest} characters, got {shown(value)}",
                )

    def _object(
        self, node: Mapping[str, Any], value: dict[str, Any], path: KeyPath
    ) -> Iterator[Problem]:
        where = _shown_path(path)
        properties: Mapping[str, Any] = node.get("properties", {})
        extra = node.get("additionalProperties", True)
        names = node.get("propertyNames")
        for required in node.get("required", ()):
            if required not in value:
                yield Problem(
                    "policy.missing-key", path, f"{where} must have the key {required!r}, got none"
                )
        if len(value) < node.get("minProperties", 0):
            yield Problem("policy.value", path, f"{where} must not be empty, got {{}}")
        for key, item in value.items():
            at = (*path, key)
            if names is not None:
                yield from self.check(names, key, at)
            if key in properties:
                yield from self.check(properties[key], item, at)
            elif extra is False:
                yield Problem(
                    "policy.unknown-key",
                    at,
                    f"unknown key {key!r}{suggestion(key, properties)}; the keys of {where} "
                    f"are {', '.join(properties) or 'none'}",
                )
            elif isinstance(extra, dict):
                yield from self.check(extra, item, at)

    def _array(self, node: Mapping[str, Any], value: list[Any], path: KeyPath) -> Iterator[Problem]:
        items = node.get("items")
        if items is not None:
            for index, item in enumerate(value):
                yield from self.check(items, item, (*path, str(index)))
        if node.get("uniqueItems"):
            seen: list[Any] = []
            for index, item in enumerate(value):
                if any(item == s and type(item) is type(s) for s in seen):
                    yield Problem(
                        "policy.value",
                        (*path, str(index)),
                        f"{_shown_path(path)} must not repeat an item, got {shown(item)} twice",
                    )
                seen.append(item)


def problems(document: object) -> list[Problem]:
    """Every way ``document`` (a parsed TOML file) breaks ``schema.json``."""
    root = schema()
    return list(_Checker(root).check(root, document, ()))


__all__ = ["KeyPath", "Problem", "problems", "schema", "suggestion"]
