"""Argument types the tools share, so every tool bounds an identity or a reason the same way.

The descriptions and limits here are what the model reads in each tool's JSON Schema.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

# Ids, emails, display names and ARNs: letters (any script), digits, spaces and . @ : / + = , ' -
NAME_PATTERN = r"^[\w .@:/+=,'-]+$"

IdentityRef = Annotated[
    str,
    Field(
        min_length=1,
        max_length=200,
        pattern=NAME_PATTERN,
        description=("The identity: its id, email, display name, AWS ARN or Slack user id (U…)."),
    ),
]

GroupRef = Annotated[
    str,
    Field(
        min_length=1,
        max_length=200,
        pattern=NAME_PATTERN,
        description="The group's id or name, as get_identity lists it.",
    ),
]

AccessKeyId = Annotated[
    str,
    Field(
        min_length=16,
        max_length=128,
        pattern=r"^[A-Za-z0-9]+$",
        description="The access key id (AKIA…), as list_access_keys shows it.",
    ),
]

GrantId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=128,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$",
        description="The OAuth grant id (grant-…), as list_oauth_grants shows it.",
    ),
]

ActionReason = Annotated[
    str,
    Field(
        min_length=3,
        max_length=500,
        description=(
            "Why this action is needed, in one or two sentences citing the evidence; "
            "approvers read it and the audit log keeps it."
        ),
    ),
]
