"""The policy schema that ships with socbot is itself a valid JSON Schema (checked here once,
not by every process at start-up)."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from bot.policy import policy_schema


def test_the_shipped_policy_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(policy_schema())


def test_the_check_would_catch_a_broken_schema() -> None:
    broken = {**policy_schema(), "type": "mapping"}
    with pytest.raises(SchemaError):
        Draft202012Validator.check_schema(broken)
