"""The tool registry: one explicit line per tool.

Adding a tool is three edits: its file in tools/, its line here, its rule in policy.yaml.
"""

from tools.assess_blast_radius import assess_blast_radius
from tools.base import Tool
from tools.deactivate_access_key import deactivate_access_key
from tools.get_identity import get_identity
from tools.list_access_keys import list_access_keys
from tools.list_oauth_grants import list_oauth_grants
from tools.list_sessions import list_sessions
from tools.recent_auth_events import recent_auth_events
from tools.remove_from_group import remove_from_group
from tools.reset_mfa import reset_mfa
from tools.revoke_oauth_grant import revoke_oauth_grant
from tools.revoke_sessions import revoke_sessions
from tools.rotate_access_key import rotate_access_key
from tools.suspend_identity import suspend_identity

REGISTRY: dict[str, Tool] = {
    each.name: each
    for each in (
        get_identity,
        list_sessions,
        list_access_keys,
        list_oauth_grants,
        recent_auth_events,
        assess_blast_radius,
        revoke_sessions,
        suspend_identity,
        deactivate_access_key,
        rotate_access_key,
        revoke_oauth_grant,
        reset_mfa,
        remove_from_group,
    )
}


def get_tool(name: str) -> Tool | None:
    return REGISTRY.get(name)
