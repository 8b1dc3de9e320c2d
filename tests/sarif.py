"""The part of the SARIF 2.1.0 JSON schema that care-trust writes, and a validator for it.

Transcribed from the OASIS schema (``sarif-schema-2.1.0.json``, errata01) for the objects
`trust._cli._sarif` emits: their types, required properties, enums, minimums, ``anyOf``
rules and ``additionalProperties: false`` (the schema admits no property it does not
define, so a misspelt one is an error here as there). The full schema is not shipped with
any package this project installs, so its relevant part is kept here.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

_MESSAGE_STRING = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "text": {"type": "string"},
        "markdown": {"type": "string"},
        "properties": {"$ref": "propertyBag"},
    },
    "required": ["text"],
}

DEFINITIONS: dict[str, dict[str, Any]] = {
    "sarifLog": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "$schema": {"type": "string", "format": "uri"},
            "version": {"type": "string", "enum": ["2.1.0"]},
            "runs": {"type": ["array", "null"], "items": {"$ref": "run"}},
            "properties": {"$ref": "propertyBag"},
        },
        "required": ["version", "runs"],
    },
    "run": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "tool": {"$ref": "tool"},
            "invocations": {"type": "array", "items": {"$ref": "invocation"}},
            "results": {"type": ["array", "null"], "items": {"$ref": "result"}},
            "properties": {"$ref": "propertyBag"},
        },
        "required": ["tool"],
    },
    "tool": {
        "type": "object",
        "additionalProperties": False,
        "properties": {"driver": {"$ref": "toolComponent"}, "properties": {"$ref": "propertyBag"}},
        "required": ["driver"],
    },
    "toolComponent": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string"},
            "version": {"type": "string"},
            "informationUri": {"type": "string", "format": "uri"},
            "rules": {
                "type": "array",
                "uniqueItems": True,
                "items": {"$ref": "reportingDescriptor"},
            },
            "properties": {"$ref": "propertyBag"},
        },
        "required": ["name"],
    },
    "reportingDescriptor": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "shortDescription": {"$ref": "multiformatMessageString"},
            "fullDescription": {"$ref": "multiformatMessageString"},
            "properties": {"$ref": "propertyBag"},
        },
        "required": ["id"],
    },
    "multiformatMessageString": _MESSAGE_STRING,
    "invocation": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "executionSuccessful": {"type": "boolean"},
            "properties": {"$ref": "propertyBag"},
        },
        "required": ["executionSuccessful"],
    },
    "result": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "ruleId": {"type": "string"},
            "ruleIndex": {"type": "integer", "minimum": -1},
            "level": {"type": "string", "enum": ["none", "note", "warning", "error"]},
            "message": {"$ref": "message"},
            "locations": {"type": "array", "items": {"$ref": "location"}},
            "properties": {"$ref": "propertyBag"},
        },
        "required": ["message"],
    },
    "message": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "text": {"type": "string"},
            "markdown": {"type": "string"},
            "id": {"type": "string"},
            "properties": {"$ref": "propertyBag"},
        },
        "anyOf": [{"required": ["text"]}, {"required": ["id"]}],
    },
    "location": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "physicalLocation": {"$ref": "physicalLocation"},
            "logicalLocations": {
                "type": "array",
                "uniqueItems": True,
                "items": {"$ref": "logicalLocation"},
            },
            "message": {"$ref": "message"},
            "properties": {"$ref": "propertyBag"},
        },
    },
    "physicalLocation": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "artifactLocation": {"$ref": "artifactLocation"},
            "region": {"$ref": "region"},
            "properties": {"$ref": "propertyBag"},
        },
        "anyOf": [{"required": ["address"]}, {"required": ["artifactLocation"]}],
    },
    "artifactLocation": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "uri": {"type": "string", "format": "uri-reference"},
            "uriBaseId": {"type": "string"},
            "properties": {"$ref": "propertyBag"},
        },
    },
    "region": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "startLine": {"type": "integer", "minimum": 1},
            "startColumn": {"type": "integer", "minimum": 1},
            "endLine": {"type": "integer", "minimum": 1},
            "properties": {"$ref": "propertyBag"},
        },
        "anyOf": [
            {"required": ["startLine"]},
            {"required": ["charOffset"]},
            {"required": ["byteOffset"]},
        ],
    },
    "logicalLocation": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string"},
            "fullyQualifiedName": {"type": "string"},
            "kind": {"type": "string"},
            "properties": {"$ref": "propertyBag"},
        },
    },
    "propertyBag": {
        "type": "object",
        "additionalProperties": True,
        "properties": {"tags": {"type": "array", "uniqueItems": True, "items": {"type": "string"}}},
    },
}

_TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "null": type(None),
}


def errors(value: Any, schema: dict[str, Any] | None = None, path: str = "$") -> list[str]:
    """Every way ``value`` breaks the schema (``sarifLog`` by default), each with its path."""
    schema = DEFINITIONS["sarifLog"] if schema is None else schema
    if "$ref" in schema:
        return errors(value, DEFINITIONS[schema["$ref"]], path)
    found: list[str] = []
    kinds = schema.get("type")
    if kinds is not None:
        allowed = [kinds] if isinstance(kinds, str) else kinds
        if not any(_is(value, kind) for kind in allowed):
            return [f"{path}: expected {allowed}, got {type(value).__name__}"]
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{path}: {value!r} is not one of {schema['enum']}")
    if "minimum" in schema and _is(value, "integer") and value < schema["minimum"]:
        found.append(f"{path}: {value} is below {schema['minimum']}")
    if schema.get("format") == "uri" and not urlsplit(value).scheme:
        found.append(f"{path}: {value!r} is not an absolute URI")
    if schema.get("format") == "uri-reference" and any(c in value for c in ' \\"<>{}|^`'):
        found.append(f"{path}: {value!r} is not a URI reference")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                found.append(f"{path}: missing required {name!r}")
        if "anyOf" in schema and not any(
            all(name in value for name in option["required"]) for option in schema["anyOf"]
        ):
            found.append(f"{path}: none of {schema['anyOf']} holds")
        for name, item in value.items():
            if name in properties:
                found += errors(item, properties[name], f"{path}.{name}")
            elif schema.get("additionalProperties") is False:
                found.append(f"{path}: property {name!r} is not in the schema")
    if isinstance(value, list):
        if schema.get("uniqueItems") and len({repr(v) for v in value}) != len(value):
            found.append(f"{path}: items are not unique")
        for i, item in enumerate(value):
            found += errors(item, schema.get("items", {}), f"{path}[{i}]")
    return found


def _is(value: Any, kind: str) -> bool:
    if kind == "integer":
        return type(value) is int
    if kind == "number":
        return type(value) in (int, float)
    return type(value) is _TYPES[kind]
