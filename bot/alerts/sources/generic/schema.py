"""JSON Schema of a generic mappings file: the shape every mapping must have before it is
compiled. What a schema cannot say (regexes that compile, templates that parse, exactly one
value source per field) is checked by bot.alerts.sources.generic.load."""

from __future__ import annotations

from typing import Any

IDENTITY_KINDS = ["person", "service_account", "access_key", "oauth_app", "unknown"]
OUTCOMES = ["success", "failure", "unknown"]
SEVERITIES = ["info", "low", "medium", "high", "critical", "unknown"]
TIME_FORMATS_DESCRIPTION = (
    "auto, iso8601, epoch_s, epoch_ms, epoch_us, epoch_ns, or a strptime pattern such as "
    "'%d/%m/%Y %H:%M:%S'"
)

_SCALAR = {"type": ["string", "number", "boolean"]}
_PATH = {
    "type": "string",
    "pattern": r"^[^.\s]+(\.[^.\s]+)*$",
    "description": "a dotted path such as data.user.email (list items by number: items.0)",
}
_VALUE_MAP = {"type": "object", "additionalProperties": _SCALAR}

_VALUE = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "path": {"oneOf": [_PATH, {"type": "array", "items": _PATH, "minItems": 1}]},
        "template": {"type": "string", "minLength": 1},
        "const": _SCALAR,
        "pattern": {"type": "string", "minLength": 1},
        "map": _VALUE_MAP,
        "map_regex": _VALUE_MAP,
        "keep_unmapped": {"type": "boolean"},
        "format": {"type": "string", "minLength": 1, "description": TIME_FORMATS_DESCRIPTION},
    },
}

_FIELD = {
    "oneOf": [
        _PATH,
        {"$ref": "#/$defs/value"},
        {
            "type": "array",
            "minItems": 1,
            "items": {"oneOf": [_PATH, {"$ref": "#/$defs/value"}]},
        },
    ]
}

_IDENTITY = {
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "properties": {
        "kind": {"oneOf": [{"enum": IDENTITY_KINDS}, {"$ref": "#/$defs/value"}]},
        "provider_id": {"$ref": "#/$defs/field"},
        "email": {"$ref": "#/$defs/field"},
        "arn": {"$ref": "#/$defs/field"},
        "name": {"$ref": "#/$defs/field"},
    },
}

_IDENTITIES = {
    "oneOf": [
        {"$ref": "#/$defs/identity"},
        {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/identity"}},
    ]
}

_GEO = {
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "properties": {
        key: {"$ref": "#/$defs/field"}
        for key in ("country", "region", "city", "latitude", "longitude")
    },
}

_MATCH = {
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "properties": {
        "require": {"type": "array", "items": _PATH, "minItems": 1},
        "equals": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": {
                "oneOf": [_SCALAR, {"type": "array", "items": _SCALAR, "minItems": 1}]
            },
        },
        "regex": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": {"type": "string", "minLength": 1},
        },
        "any": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/match"}},
        "none": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/match"}},
    },
}

_FIELDS = {
    "type": "object",
    "additionalProperties": False,
    "required": ["event_type", "occurred_at"],
    "properties": {
        "event_type": {"$ref": "#/$defs/field"},
        "occurred_at": {"$ref": "#/$defs/field"},
        "vendor_event_id": {"$ref": "#/$defs/field"},
        "source_ip": {"$ref": "#/$defs/field"},
        "user_agent": {"$ref": "#/$defs/field"},
        "outcome": {"$ref": "#/$defs/field"},
        "vendor_severity": {"$ref": "#/$defs/field"},
        "actor": _IDENTITIES,
        "target": _IDENTITIES,
        "geo": _GEO,
    },
}

_MAPPING = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "match", "fields"],
    "properties": {
        "name": {
            "type": "string",
            "pattern": r"^[a-z0-9][a-z0-9_\-]{0,62}$",
            "description": "lower-case letters, digits, _ and - (at most 63), such as duo_auth",
        },
        "vendor": {"type": "string", "minLength": 1},
        "description": {"type": "string"},
        "match": {"$ref": "#/$defs/match"},
        "decode_json": {"type": "array", "items": _PATH, "minItems": 1},
        "title": {"type": "string", "minLength": 1},
        "missing_time": {"enum": ["reject", "received"]},
        "fields": _FIELDS,
    },
}

MAPPINGS_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "required": ["version", "mappings"],
    "properties": {
        "version": {"const": 1},
        "mappings": {"type": "array", "items": {"$ref": "#/$defs/mapping"}},
    },
    "$defs": {
        "mapping": _MAPPING,
        "match": _MATCH,
        "fields": _FIELDS,
        "field": _FIELD,
        "value": _VALUE,
        "identity": _IDENTITY,
    },
}
