"""Generic YAML mappings: the bundled ones read their vendors' events right, a site's own file
adds and overrides mappings, and a broken file is refused naming file and line."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.alerts.intake.normalize import known_sources, normalize_event
from bot.alerts.model import Alert
from bot.alerts.sources.generic import source as generic
from bot.alerts.sources.generic.load import load_mapping_text
from bot.clock import utcnow
from bot.errors import AlertRejected, ConfigError, MappingFileError, MissingEventTime

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "alerts" / "generic"
FIXTURE_FILES = sorted(FIXTURES.glob("*.json"))
BUNDLED = ["onepassword_signin", "duo_auth", "duo_admin", "auth0", "onelogin"]


def load_fixture(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    document = json.loads(path.read_text(encoding="utf-8"))
    return document["expect"], document["event"]


@pytest.fixture
def mapping_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Callable[..., Path]]:
    """Write a mappings file and point SOCBOT_ALERT_MAPPINGS at it."""

    def configure(text: str, name: str = "site-mappings.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        monkeypatch.setenv("SOCBOT_ALERT_MAPPINGS", str(path))
        generic.configure_mappings(path)
        return path

    yield configure
    generic.configure_mappings(None)


# --- bundled mappings ---------------------------------------------------------------------


def test_bundled_mappings_load_in_detection_order() -> None:
    assert [mapping.name for mapping in generic.bundled_mappings()] == BUNDLED
    assert generic.mapping_names() == BUNDLED
    assert {f"generic:{name}" for name in BUNDLED} <= set(known_sources())


def test_every_bundled_mapping_has_a_fixture() -> None:
    covered = {load_fixture(path)[0]["source"] for path in FIXTURE_FILES}
    assert covered == {f"generic:{name}" for name in BUNDLED}


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda path: path.stem)
def test_bundled_mapping_extracts_fixture_fields(path: Path) -> None:
    expect, event = load_fixture(path)
    before = utcnow()
    alert = normalize_event(event)  # no source: detection has to find it
    assert alert.source == expect["source"]
    for name, wanted in expect.items():
        if name == "occurred_at":
            _check_time(alert, wanted, before)
        elif name in ("actor", "target", "geo"):
            part = getattr(alert, name)
            assert part is not None, f"{name} missing"
            assert part.model_dump(exclude_none=True) == wanted, name
        else:
            assert getattr(alert, name) == wanted, name


def _check_time(alert: Alert, wanted: str, before: datetime) -> None:
    assert alert.occurred_at.tzinfo is not None
    assert alert.occurred_at.utcoffset() == timedelta(0)
    if wanted == "received":
        assert before <= alert.occurred_at <= utcnow()
    else:
        assert alert.occurred_at == datetime.fromisoformat(wanted)


def test_decoded_json_is_read_but_raw_keeps_the_text() -> None:
    _expect, event = load_fixture(FIXTURES / "duo_admin_login_error.json")
    alert = normalize_event(event)
    assert alert.source_ip == "203.0.113.250"
    assert isinstance(alert.raw["description"], str)
    assert isinstance(event["description"], str)


def test_time_falls_back_to_the_next_path_that_reads() -> None:
    _expect, event = load_fixture(FIXTURES / "duo_admin_bypass_create.json")
    alert = normalize_event({**event, "isotimestamp": "yesterday"})
    assert alert.occurred_at == datetime.fromtimestamp(event["timestamp"], tz=UTC)
    unreadable = {**event, "isotimestamp": "yesterday", "timestamp": "soon"}
    with pytest.raises(MissingEventTime, match="looked in isotimestamp, timestamp"):
        normalize_event(unreadable, require_event_time=True)
    arrived = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    timed_on_arrival = normalize_event(unreadable, received_at=arrived)
    assert (timed_on_arrival.occurred_at, timed_on_arrival.time_estimated) == (arrived, True)
    assert alert.time_estimated is False


def test_named_mapping_skips_detection() -> None:
    event = {"event_type": "authentication", "user": {"name": "ann"}, "timestamp": 1_700_000_000}
    assert generic.detect(event) is None  # no result or factor: not a Duo shape
    alert = normalize_event(event, "generic:duo_auth")
    assert (alert.event_type, alert.actor and alert.actor.name) == ("authentication", "ann")
    assert alert.occurred_at == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)


def test_unknown_mapping_and_non_objects_are_rejected() -> None:
    with pytest.raises(AlertRejected, match="no generic mapping named 'nope'"):
        generic.normalize({}, "nope")
    with pytest.raises(AlertRejected, match="must be a JSON object"):
        generic.normalize(["a"], "auth0")


def test_missing_required_field_names_where_it_looked() -> None:
    with pytest.raises(AlertRejected) as caught:
        generic.normalize({"data": {"date": "2025-01-01T00:00:00Z"}}, "auth0")
    assert caught.value.source == "generic:auth0"
    assert "no event type (looked in data.type)" in caught.value.reason
    with pytest.raises(AlertRejected, match="no readable event time"):
        generic.normalize({"data": {"type": "s", "date": "not a time"}}, "auth0")


# --- a site's own mappings file ---------------------------------------------------------------

SITE_FILE = """\
version: 1
mappings:
  - name: acme_sso
    vendor: Acme SSO
    match:
      require: [acme.event]
      equals: {acme.version: [2, "2.1"]}
    title: "{vendor}: {event_type} by {actor} ({acme.app})"
    fields:
      event_type: {path: acme.event, map: {login_ok: login}, keep_unmapped: true}
      occurred_at: {path: acme.at_ms, format: epoch_ms}
      outcome: {path: acme.event, map_regex: {'_ok$': success, '_fail$': failure}}
      vendor_severity: {path: acme.risk, map: {"3": high}}
      actor: {kind: person, email: {path: acme.who, pattern: "@"}, name: acme.who}
  - name: onelogin
    vendor: OneLogin (site)
    match:
      require: [event_type_id]
    fields:
      event_type: {template: "ol-{event_type_id}"}
      occurred_at: {path: when, format: "%d/%m/%Y %H:%M:%S %z"}
"""
ACME_EVENT = {"acme": {"event": "login_ok", "version": 2, "at_ms": 1_735_689_600_000,
                       "who": "ravi@example.com", "app": "wiki", "risk": 3}}  # fmt: skip


def test_site_file_adds_a_mapping_tried_first(mapping_file: Callable[..., Path]) -> None:
    mapping_file(SITE_FILE)
    assert generic.mapping_names() == ["acme_sso", "onelogin", *BUNDLED[:-1]]
    alert = normalize_event(ACME_EVENT)
    assert alert.source == "generic:acme_sso"
    assert (alert.event_type, alert.outcome, alert.vendor_severity) == ("login", "success", "high")
    assert alert.occurred_at == datetime(2025, 1, 1, tzinfo=UTC)
    assert alert.title == "Acme SSO: login by ravi@example.com (wiki)"
    unmapped = normalize_event(
        {"acme": {**ACME_EVENT["acme"], "event": "mfa_fail", "version": "2.1"}}
    )
    assert (unmapped.event_type, unmapped.outcome) == ("mfa_fail", "failure")
    with pytest.raises(AlertRejected, match="could not tell which vendor"):
        normalize_event({"acme": {**ACME_EVENT["acme"], "version": 3}})


def test_site_file_overrides_a_bundled_mapping_by_name(mapping_file: Callable[..., Path]) -> None:
    _expect, event = load_fixture(FIXTURES / "onelogin_user_assumed.json")
    assert normalize_event(event).event_type == "user_assumed_user"
    mapping_file(SITE_FILE)
    alert = normalize_event({**event, "when": "21/05/2025 13:07:42 +0200"})
    assert (alert.source, alert.event_type) == ("generic:onelogin", "ol-3")
    assert alert.occurred_at == datetime(2025, 5, 21, 11, 7, 42, tzinfo=UTC)
    assert alert.title == "OneLogin (site): ol-3 by ?"


def test_changing_the_configured_path_reloads(mapping_file: Callable[..., Path]) -> None:
    mapping_file(SITE_FILE)
    assert "acme_sso" in generic.mapping_names()
    mapping_file(SITE_FILE.replace("acme_sso", "acme_two"), name="other.yaml")
    assert generic.mapping_names()[0] == "acme_two"


def test_broken_site_file_is_refused_loudly(mapping_file: Callable[..., Path]) -> None:
    path = mapping_file(SITE_FILE.replace("format: epoch_ms", "format: unix"))
    with pytest.raises(MappingFileError) as caught:
        normalize_event(ACME_EVENT)
    assert isinstance(caught.value, ConfigError)
    assert (caught.value.file, caught.value.line) == (str(path), 11)
    assert str(caught.value).startswith(f"{path}:11: mapping 'acme_sso': ")


def test_missing_site_file_is_refused(mapping_file: Callable[..., Path], tmp_path: Path) -> None:
    mapping_file(SITE_FILE).unlink()
    with pytest.raises(MappingFileError, match="cannot read the mappings file"):
        generic.mapping_names()


# --- refusing broken files --------------------------------------------------------------------

BASE = """\
version: 1
mappings:
  - name: acme
    match:
      require: [who]
    fields:
      event_type: what
      occurred_at: when
"""
BROKEN = {
    "yaml syntax": ("version: 1\nmappings:\n  - name: [acme\n", 4, "YAML syntax error"),
    "duplicate key": (BASE + "      event_type: again\n", 9, "duplicate key 'event_type'"),
    "unknown field": (BASE + "      colour: red\n", 9, "unknown key 'colour'"),
    "misspelt value key": (
        BASE.replace("event_type: what", "event_type: {paht: what}"),
        7,
        "unknown key 'paht'",
    ),
    "two value sources": (
        BASE.replace("event_type: what", "event_type: {path: a, const: b}"),
        7,
        "exactly one of",
    ),
    "bad regex": (BASE.replace("require: [who]", "regex: {who: '(['}"), 5, "regular expression"),
    "outcome not allowed": (
        BASE + "      outcome: {path: r, map: {ok: fine}}\n",
        9,
        "outcome must be one of",
    ),
    "unknown identity kind": (BASE + "      actor: {kind: human, name: who}\n", 9, "person"),
    "identity with no parts": (BASE + "      actor: {kind: person}\n", 9, "at least one of"),
    "bad name": (BASE.replace("name: acme", "name: Acme Corp"), 3, "lower-case letters"),
    "missing occurred_at": (BASE.replace("      occurred_at: when\n", ""), 6, "'occurred_at'"),
    "wrong version": (BASE.replace("version: 1", "version: 2"), 1, "version must be 1"),
    "time format elsewhere": (
        BASE.replace("what", "{path: what, format: epoch_s}"),
        7,
        "only read for occurred_at",
    ),
    "broken template": (BASE.replace("what", "{template: 'x {'}"), 7, "not a valid template"),
    "duplicate mapping name": (BASE + BASE.split("mappings:\n")[1], 9, "used twice"),
    "numeric map key": (BASE + "      outcome: {path: r, map: {5: success}}\n", 9, "in quotes"),
    "empty path step": (BASE.replace("event_type: what", "event_type: 'a..b'"), 7, "dotted path"),
    "empty file": ("", 1, "empty"),
    "not UTF-8": (None, 3, "not UTF-8"),
}


@pytest.mark.parametrize(("text", "line", "says"), BROKEN.values(), ids=list(BROKEN))
def test_broken_file_is_refused_with_file_and_line(
    mapping_file: Callable[..., Path], text: str | None, line: int, says: str
) -> None:
    path = mapping_file(BASE)
    if text is None:
        path.write_bytes(BASE.encode().replace(b"acme", b"acm\xe9"))
    else:
        path.write_text(text, encoding="utf-8")
    generic.forget_loaded()
    with pytest.raises(MappingFileError) as caught:
        generic.mapping_names()
    assert caught.value.file == str(path)
    assert caught.value.line == line, str(caught.value)
    assert says in caught.value.reason
    assert str(caught.value).startswith(f"{path}:{line}: ")


def test_the_bundled_file_passes_its_own_checks_from_text() -> None:
    bundled = Path(generic.__file__).with_name(generic.BUNDLED_FILE).read_text(encoding="utf-8")
    assert [mapping.name for mapping in load_mapping_text(bundled)] == BUNDLED
