"""Events for property tests of the normalizers: arbitrary JSON, and near misses of each
source's own shape (its key paths, from the keys listed here, its fixtures and, for generic
mappings, the paths the mapping reads) holding values of every type, or deleted."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from bot.alerts.sources import SOURCES
from bot.alerts.sources.generic import source as generic
from bot.alerts.sources.generic.mapping import EventMapping, IdentitySpec
from bot.alerts.sources.generic.spec import FieldSpec, MatchClause

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "alerts"
DELETE = object()  # a replacement that removes the key

# Paths each vendor's events are known by (the vendor's documented field names).
SHAPE_KEYS: dict[str, list[str]] = {
    "okta": ["uuid", "published", "eventType", "actor.alternateId", "actor.id", "actor.type",
             "client.ipAddress", "client.userAgent.rawUserAgent", "outcome.result",
             "target.0.alternateId", "target.0.type", "severity", "displayMessage"],
    "aws_cloudtrail": ["eventVersion", "eventTime", "eventSource", "eventName", "userIdentity.type",
                       "userIdentity.arn", "userIdentity.principalId", "userIdentity.accessKeyId",
                       "sourceIPAddress", "userAgent", "errorCode", "requestParameters.userName",
                       "responseElements.ConsoleLogin", "recipientAccountId", "eventID"],
    "aws_guardduty": ["schemaVersion", "id", "type", "severity", "createdAt", "updatedAt", "title",
                      "resource.accessKeyDetails.userName", "resource.accessKeyDetails.accessKeyId",
                      "service.action.awsApiCallAction.remoteIpDetails.ipAddressV4", "accountId",
                      "detail.type", "detail.severity", "detail-type", "source"],
    "entra_id": ["time", "operationName", "category", "resultType", "callerIpAddress",
                 "properties.userPrincipalName", "properties.ipAddress",
                 "properties.status.errorCode",
                 "properties.initiatedBy.user.userPrincipalName", "properties.createdDateTime",
                 "properties.targetResources.0.userPrincipalName", "CreationTime", "Operation",
                 "Workload", "UserId", "ClientIP", "ResultStatus", "createdDateTime", "title"],
    "azure_activity": ["time", "eventTimestamp", "operationName", "operationName.value", "category",
                       "resultType", "callerIpAddress", "caller", "identity.claims.name",
                       "resourceId", "level", "status.value", "authorization.action"],
    "google_workspace": ["id.time", "id.applicationName", "id.uniqueQualifier", "actor.email",
                         "actor.profileId", "ipAddress", "events.0.name", "events.0.type",
                         "events.0.parameters.0.name", "events.0.parameters.0.value", "kind"],
    "gcp": ["protoPayload.methodName", "protoPayload.serviceName", "protoPayload.@type",
            "protoPayload.authenticationInfo.principalEmail", "protoPayload.status.code",
            "protoPayload.requestMetadata.callerIp", "timestamp", "receiveTimestamp", "logName",
            "resource.type", "severity", "insertId"],
    "github": ["action", "actor", "created_at", "@timestamp", "org", "user", "repo", "business",
               "actor_location.country_code", "_document_id", "actor_ip", "operation_type"],
    "crowdstrike": ["metadata.eventType", "metadata.eventCreationTime", "metadata.offset",
                    "event.OperationName", "event.UserId", "event.UserIp", "event.Success",
                    "event.ServiceName", "event.UTCTimestamp", "event.AuditKeyValues.0.Key"],
}  # fmt: skip
FILE_PREFIXES = {"cloudtrail": "aws_cloudtrail", "guardduty": "aws_guardduty", "entra": "entra_id"}
PLAUSIBLE = [
    "2025-03-04T08:15:42Z", "2025-03-04 08:15:42.123456789", "2025-03-04T08:15:42+14:00",
    "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "1741076142", "1741076142000",
    "", " ", "0", "-1", "²", "9" * 40, "null", "true", "success", "FAILURE", "denied", "High",
    "person@example.com", "198.51.100.7", "::1", "arn:aws:iam::123456789012:user/x",
    '{"ip_address": "192.0.2.1"}', '{"ip_address": 5}', "[1, 2]", "{", "x" * 3000,
]  # fmt: skip
LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([10**20, -(10**19), 2**63, 10**300, 1_741_076_142_000_000]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from(PLAUSIBLE),
)
JSON = st.recursive(
    LEAVES,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
SMALL_JSON = st.recursive(
    LEAVES,
    lambda children: (
        st.lists(children, max_size=2) | st.dictionaries(st.text(max_size=8), children, max_size=2)
    ),
    max_leaves=3,
)
EDGES = [None, "", " ", 0, -1, -90.5, 1.5, 10**30, True, False, [], {}, ["x"], {"x": 1}]
REPLACEMENT = st.one_of(st.sampled_from([*EDGES, DELETE]), LEAVES, SMALL_JSON)


def all_sources() -> list[str]:
    return [*SOURCES, *(f"generic:{name}" for name in generic.mapping_names())]


@cache
def fixture_events() -> tuple[tuple[str, str, dict[str, Any]], ...]:
    """(source, fixture name, raw event) for every fixture whose source is known."""
    return tuple(_read_fixtures())


def _read_fixtures() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path in sorted(FIXTURES.rglob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        wrapped = isinstance(document, dict) and {"expect", "event"} <= set(document)
        event = document["event"] if wrapped else document
        source = _fixture_source(path, document["expect"] if wrapped else {})
        if source is not None and isinstance(event, dict):
            yield source, path.stem, event


def _fixture_source(path: Path, expect: dict[str, Any]) -> str | None:
    if path.parent.name in SOURCES:
        return path.parent.name
    if path.parent.name == "generic":
        return str(expect.get("source"))
    for name in sorted([*SOURCES, *FILE_PREFIXES], key=len, reverse=True):
        if path.stem.startswith(name):
            return FILE_PREFIXES.get(name, name)
    return None


def shape_paths(source: str) -> list[str]:
    paths = set(SHAPE_KEYS.get(source, ()))
    for fixture_source, _name, event in fixture_events():
        if fixture_source == source:
            paths.update(all_paths(event))
    if source.startswith("generic:"):
        paths.update(mapping_paths(generic.mappings().by_name[source.removeprefix("generic:")]))
    return sorted(paths)


def all_paths(value: Any, prefix: str = "") -> Iterator[str]:
    """Every dotted path into value, containers included."""
    if isinstance(value, dict):
        items: Any = value.items()
    else:
        items = enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        path = f"{prefix}.{key}" if prefix else str(key)
        yield path
        yield from all_paths(child, path)


def mapping_paths(mapping: EventMapping) -> Iterator[str]:
    yield from _match_paths(mapping.match)
    specs: list[FieldSpec] = [*mapping.fields.values(), *mapping.geo.values()]
    for identity in (*mapping.actor, *mapping.target):
        specs.extend(_identity_specs(identity))
    for spec in specs:
        for alternative in spec:
            yield from alternative.paths
            yield from alternative.template.names if alternative.template else ()
    yield from mapping.decode_json


def _identity_specs(identity: IdentitySpec) -> list[FieldSpec]:
    return [identity.kind, *identity.parts.values()]


def _match_paths(clause: MatchClause) -> Iterator[str]:
    yield from (*clause.require, *clause.equals, *clause.regex)
    for inner in (*clause.any_of, *clause.none_of):
        yield from _match_paths(inner)


def set_path(event: dict[str, Any], path: str, value: Any) -> None:
    """Put value at path, making the dicts (and lists, for number steps) on the way."""
    steps = path.split(".")
    container: Any = event
    for step, following in zip(steps, [*steps[1:], None], strict=True):
        if following is None:
            _assign(container, step, value)
            return
        child = _child(container, step)
        if not isinstance(child, dict | list):
            child = [{} for _ in range(int(following) + 1)] if following.isdigit() else {}
            if not _assign(container, step, child):
                return
        container = child


def _child(container: Any, step: str) -> Any:
    if isinstance(container, dict):
        return container.get(step)
    if isinstance(container, list) and step.isdigit() and int(step) < len(container):
        return container[int(step)]
    return None


def _assign(container: Any, step: str, value: Any) -> bool:
    if isinstance(container, dict):
        if value is DELETE:
            container.pop(step, None)
        else:
            container[step] = value
        return True
    if isinstance(container, list) and step.isdigit() and int(step) < len(container):
        container[int(step)] = None if value is DELETE else value
        return True
    return False


def edited(base: dict[str, Any], edits: list[tuple[str, Any]]) -> dict[str, Any]:
    event = copy.deepcopy(base)
    for path, value in edits:
        set_path(event, path, value)
    return event


@cache
def near_misses(source: str) -> st.SearchStrategy[dict[str, Any]]:
    """The source's shape built from scratch, or one of its fixtures, with values replaced."""
    paths = shape_paths(source)
    assert paths, f"no shape for {source}: add its keys to SHAPE_KEYS or a fixture"
    built = st.lists(st.tuples(st.sampled_from(paths), SMALL_JSON), min_size=1, max_size=12)
    from_scratch = built.map(lambda edits: edited({}, edits))
    bases = [event for name, _stem, event in fixture_events() if name == source]
    if not bases:
        return from_scratch
    from_fixtures = st.sampled_from(bases).flatmap(_fixture_edits)
    # Edited fixtures get past the first checks, so they are drawn three times as often.
    return st.one_of(from_scratch, from_fixtures, from_fixtures, from_fixtures)


def _fixture_edits(base: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    edits = st.tuples(st.sampled_from(sorted(all_paths(base))), REPLACEMENT)
    return st.lists(edits, min_size=1, max_size=5).map(lambda chosen: edited(base, chosen))
