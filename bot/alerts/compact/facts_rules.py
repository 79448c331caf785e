"""The key-name heuristics behind alert facts: which keys hold which fact, and where.

Keys are compared normalized (`user_name`, `userName` → `username`); a key pattern may be
`*suffix`, `prefix*` or `*part*` (see compact_match). Vendors spell the same fact many ways;
the tables below are the spellings seen across identity providers, cloud audit logs and
security alert feeds.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.alerts.compact.flatten import Leaf
from bot.alerts.compact.match import (
    Rule,
    is_identity,
    is_ip,
    is_outcome,
    is_text,
    is_time,
    looks_like_outcome,
)
from bot.alerts.compact.prune import normalize_key

ACTOR_CONTEXTS = frozenset(
    {"actor", "initiatedby", "useridentity", "authenticationinfo", "principal", "caller",
     "requester", "auth", "identity", "performedby", "actoruser"}
)  # fmt: skip
USER_CONTEXTS = frozenset({"user", "useraccount", "account", "userinfo"})
TARGET_CONTEXTS = frozenset(
    {"target", "targets", "targetresources", "targetresource", "targetuser", "targetusers",
     "targetidentity", "member", "members"}
)  # fmt: skip
RESOURCE_CONTEXTS = frozenset({"resource", "resources", "affectedresources"})
REQUEST_CONTEXTS = frozenset(
    {"requestparameters", "request", "requestbody", "body", "parameters", "params", "query",
     "response", "responseelements"}
)  # fmt: skip
# Changed properties describe what moved, not who or what was acted on.
CHANGE_CONTEXTS = frozenset({"modifiedproperties", "changes", "changedproperties"})
NOT_ACTOR = TARGET_CONTEXTS | RESOURCE_CONTEXTS | CHANGE_CONTEXTS

IDENTITY_KEYS = (
    "arn", "alternateid", "userprincipalname", "principalemail", "email", "emailaddress", "upn",
    "login", "username", "user", "accountname", "name", "displayname", "userid", "principalid",
    "invokedby", "appid", "id",
)  # fmt: skip
PERSON_KEYS = frozenset(
    {"alternateid", "userprincipalname", "principalemail", "email", "emailaddress", "upn",
     "login", "username"}
)  # fmt: skip
TARGET_IDENTITY_KEYS = (
    "alternateid", "userprincipalname", "email", "emailaddress", "upn", "login", "username",
    "arn", "name", "displayname", "userid", "id",
)  # fmt: skip
GEO_KEYS = (
    "city", "state", "statename", "province", "countryorregion", "country", "countryname",
    "countrycode", "countrylettercode",
)  # fmt: skip
PLACE_KEYS = frozenset(GEO_KEYS) - {"state", "statename", "province"}

ACTOR_KEYS = (
    "actor", "actoruser", "actoralternateid", "actoremail", "actoruserprincipalname",
    "actorlogin", "actorusername", "actorname", "actordisplayname", "actoruserid", "actorid",
    "caller", "initiatedby", "performedby",
)  # fmt: skip
ACTOR_RULES = (
    Rule(ACTOR_KEYS, outside=NOT_ACTOR, accept=is_identity),
    Rule(IDENTITY_KEYS, within=ACTOR_CONTEXTS, outside=NOT_ACTOR, accept=is_identity),
    Rule(IDENTITY_KEYS, within=USER_CONTEXTS, outside=NOT_ACTOR | REQUEST_CONTEXTS,
         accept=is_identity),
    Rule(("userprincipalname", "principalemail", "useremail", "username", "userlogin", "login",
          "email", "emailaddress", "userid", "user", "accountname", "principalid"),
         outside=NOT_ACTOR | REQUEST_CONTEXTS, accept=is_identity),
    # Last resort, e.g. a sign-in attempt that names only the user signing in.
    Rule(tuple(sorted(PERSON_KEYS)), outside=REQUEST_CONTEXTS, accept=is_identity),
)  # fmt: skip

IP_KEYS = (
    "sourceipaddress", "sourceip", "srcip", "clientip", "clientipaddress", "callerip",
    "calleripaddress", "remoteip", "remoteipaddress", "remoteaddr", "actorip", "userip",
    "ipaddress", "ip", "ipaddr", "ipv4", "ipaddressv4", "ipv6", "ipaddressv6",
)  # fmt: skip
TIME_KEYS = (
    "eventtime", "published", "timestamp", "time", "eventtimestamp", "createdat", "creationtime",
    "createddatetime", "activitydatetime", "date", "isotimestamp", "utctimestamp", "occurredat",
    "firstactivitydatetime", "eventfirstseen", "starttime", "createdate", "when",
)  # fmt: skip
ACTION_KEYS = (
    "eventname", "eventtype", "action", "operationname", "operation", "methodname",
    "activitydisplayname", "activity", "activitytype", "eventaction", "eventtypeid",
)  # fmt: skip
REASON_KEYS = (
    "reason", "outcomereason", "failurereason", "resultreason", "resultdescription",
    "errormessage", "statusreason", "statusmessage",
)  # fmt: skip
APP_KEYS = (
    "appdisplayname", "appname", "applicationname", "clientappname", "clientname",
    "oauthclientname", "oauthappname", "application", "app",
)  # fmt: skip
APP_CONTEXTS = frozenset({"application", "app", "client", "clientapp", "oauthclient"})
SEVERITY_KEYS = (
    "severity", "severityname", "severitylevel", "alertseverity", "risklevel", "riskseverity",
    "risklevelaggregated", "risklevelduringsignin",
)  # fmt: skip

SCALAR_RULES: dict[str, tuple[Rule, ...]] = {
    "action": (
        # An "action" deep inside (a policy delta's ADD) is not what the event did.
        Rule(ACTION_KEYS, outside=frozenset({"metadata"}) | REQUEST_CONTEXTS, shallow_first=True),
        Rule(("name", "type"), within=frozenset({"events", "event"}), max_depth=2),
        Rule(("name", "type", "title"), max_depth=0),
    ),
    "outcome": (
        Rule(("result", "outcome", "resulttype", "resultstatus", "errorcode", "success",
              "succeeded", "issuccess"), outside=REQUEST_CONTEXTS, accept=is_outcome),
        Rule(("code",), within=frozenset({"status", "error"}), accept=is_outcome),
        Rule(("status", "statuscode", "category", "type", "state"), accept=looks_like_outcome),
    ),
    "reason": (
        Rule(REASON_KEYS),
        Rule(("message",), within=frozenset({"status", "error"})),
    ),
    "time": (Rule(TIME_KEYS, accept=is_time),),
    "source_ip": (
        Rule(IP_KEYS, accept=is_ip),
        Rule(("*ip", "*ipaddress*", "*ipv4", "*ipv6"), accept=is_ip),
    ),
    "user_agent": (
        Rule(("rawuseragent", "useragent", "callersupplieduseragent", "httpuseragent",
              "useragentstring", "clientuseragent")),
    ),
    "severity": (Rule(SEVERITY_KEYS),),
    "app": (
        Rule(APP_KEYS),
        Rule(("name", "displayname"), within=APP_CONTEXTS),
        Rule(("productname", "servicename", "eventsource", "servicesource")),
    ),
}  # fmt: skip

MFA_KEYS = frozenset(
    {"authenticationmethod", "authenticationmethods", "authmethod", "credentialtype",
     "authenticationrequirement", "loginchallengemethod", "authenticationmethodsused",
     "secondfactor", "otp"}
)  # fmt: skip
RISK_KEYS = frozenset({"behaviors", "isproxy", "istor", "isanonymous", "issuspicious"})
TARGET_KEYS = frozenset(
    {"targetuser", "targetusername", "targetuseremail", "targetemail", "targetname", "target",
     "targetid", "targetlogin", "useremail", "member", "memberemail", "members", "invitee",
     "inviteeemail", "objectid", "object", "user"}
)  # fmt: skip
REQUEST_TARGET_KEYS = frozenset(
    {"username", "user", "useremail", "email", "userprincipalname", "login", "members",
     "member", "principal", "principalemail", "userid"}
)  # fmt: skip
RESOURCE_KEYS = frozenset(
    {"resource", "resourcename", "resourceid", "resourcearn", "repo", "repository",
     "bucketname", "bucket", "objectname", "project", "projectid", "functionname", "secretid"}
)  # fmt: skip


def _has(leaf: Leaf, contexts: frozenset[str]) -> bool:
    return bool(set(leaf.ancestors) & contexts)


def _mfa(leaf: Leaf) -> bool:
    key = normalize_key(leaf.key)
    fits = "mfa" in key or "factor" in key or key in MFA_KEYS
    return fits or any("mfa" in name for name in leaf.ancestors)


def _risk(leaf: Leaf) -> bool:
    key = normalize_key(leaf.key)
    fits = "risk" in key or "threat" in key or key in RISK_KEYS
    return fits or any("risk" in name for name in leaf.ancestors)


def _target(leaf: Leaf) -> bool:
    key = normalize_key(leaf.key)
    if _has(leaf, ACTOR_CONTEXTS | CHANGE_CONTEXTS) or not is_text(leaf.value):
        return False
    in_request = _has(leaf, REQUEST_CONTEXTS) and key in REQUEST_TARGET_KEYS
    in_resource = _has(leaf, RESOURCE_CONTEXTS) and key in PERSON_KEYS
    return key in TARGET_KEYS or in_request or in_resource


def _resource(leaf: Leaf) -> bool:
    key = normalize_key(leaf.key)
    if _has(leaf, ACTOR_CONTEXTS | CHANGE_CONTEXTS) or not is_text(leaf.value):
        return False
    named = _has(leaf, RESOURCE_CONTEXTS) and key in {"arn", "name", "resourcename"}
    requested = _has(leaf, REQUEST_CONTEXTS) and key.endswith(("name", "names", "arn", "id"))
    return key in RESOURCE_KEYS or named or requested


def _word_rule(*words: str, unless: tuple[str, ...] = ()) -> Callable[[Leaf], bool]:
    def fits(leaf: Leaf) -> bool:
        key = normalize_key(leaf.key)
        found = any(word in key for word in words) and not any(bad in key for bad in unless)
        return found and is_text(leaf.value) and not _has(leaf, CHANGE_CONTEXTS)

    return fits


MULTI_RULES: dict[str, Callable[[Leaf], bool]] = {
    "mfa": _mfa,
    "risk": _risk,
    "roles": _word_rule("role", unless=("resourcerole", "roletype")),
    "groups": _word_rule("group", unless=("resourcegroup", "loggroup", "grouptype")),
    "scopes": _word_rule("scope", unless=("scopetype",)),
    "permissions": _word_rule("permission", "privilege", "policyarn", "policyname"),
    "targets": _target,
    "resources": _resource,
}
