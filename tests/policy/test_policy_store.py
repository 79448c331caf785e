"""PolicyStore: edits go live, broken edits never do, and both are reported."""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from bot.errors import AuditWriteError, PolicyError
from bot.policy import PolicyStore

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "policies"
GOOD = (FIXTURES / "good_minimal.yaml").read_text()


class Events:
    def __init__(self) -> None:
        self.seen: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, kind: str, data: dict[str, Any]) -> None:
        self.seen.append((kind, data))

    def kinds(self) -> list[str]:
        return [kind for kind, _data in self.seen]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def replace_atomically(path: Path, text: str) -> None:
    """As a deploy should: readers see the old file or the new one, never half of one."""
    staged = path.with_suffix(".new")
    staged.write_text(text)
    os.replace(staged, path)


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(GOOD)
    return path


def test_first_load_reports_the_version_it_hashed(policy_file: Path) -> None:
    events = Events()
    store = PolicyStore(policy_file, on_event=events)

    assert store.current.version == sha256_of(policy_file)
    assert events.seen == [
        (
            "policy.loaded",
            {"version": sha256_of(policy_file), "path": str(policy_file), "previous_version": None},
        )
    ]


def test_a_broken_file_at_start_raises(policy_file: Path) -> None:
    policy_file.write_text(GOOD.replace("mode: recommend", "mode: maybe"))

    with pytest.raises(PolicyError) as refused:
        PolicyStore(policy_file)
    assert refused.value.line is not None


def test_a_valid_edit_is_picked_up_on_access(policy_file: Path) -> None:
    events = Events()
    store = PolicyStore(policy_file, on_event=events, check_interval_seconds=0)
    old = store.current.version

    policy_file.write_text(GOOD.replace("quorum: 2", "quorum: 1"))

    assert store.current.tools["suspend_identity"].quorum == 1
    assert store.current.version == sha256_of(policy_file) != old
    assert events.seen[-1] == (
        "policy.loaded",
        {"version": store.current.version, "path": str(policy_file), "previous_version": old},
    )


def test_a_broken_edit_keeps_the_old_policy_and_says_where(
    policy_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    events = Events()
    store = PolicyStore(policy_file, on_event=events, check_interval_seconds=0)
    old = store.current
    broken = GOOD.replace("ttl_seconds: 120", "ttl_seconds: 1200")
    policy_file.write_text(broken)

    with caplog.at_level(logging.ERROR, logger="bot.policy.store"):
        assert store.current is old

    kind, data = events.seen[-1]
    expected_line = broken.splitlines().index("    ttl_seconds: 1200") + 1
    assert kind == "policy.rejected"
    assert data["file"] == str(policy_file)
    assert data["line"] == expected_line
    assert data["reason"].startswith("tools.suspend_identity.ttl_seconds is 1200")
    assert data["kept_version"] == old.version
    assert f":{expected_line}:" in caplog.text and old.version[:12] in caplog.text


def test_a_broken_edit_is_reported_once_until_it_changes(policy_file: Path) -> None:
    events = Events()
    store = PolicyStore(policy_file, on_event=events, check_interval_seconds=0)
    policy_file.write_text("tools: [")

    for _ in range(3):
        store.current  # noqa: B018 - each access is a look at the file
    assert events.kinds() == ["policy.loaded", "policy.rejected"]

    store.reload()
    assert events.kinds() == ["policy.loaded", "policy.rejected", "policy.rejected"]


def test_restoring_the_running_policy_is_not_a_new_load(policy_file: Path) -> None:
    events = Events()
    store = PolicyStore(policy_file, on_event=events, check_interval_seconds=0)
    policy_file.write_text("tools: [")
    store.current  # noqa: B018
    policy_file.write_text(GOOD)

    assert store.current.version == sha256_of(policy_file)
    assert events.kinds() == ["policy.loaded", "policy.rejected"]


def test_a_vanished_file_keeps_the_policy(policy_file: Path) -> None:
    events = Events()
    store = PolicyStore(policy_file, on_event=events, check_interval_seconds=0)
    version = store.current.version
    policy_file.unlink()

    assert store.current.version == version
    kind, data = events.seen[-1]
    assert kind == "policy.rejected" and "cannot read the policy file" in data["reason"]


def test_the_file_is_looked_at_only_once_per_interval(policy_file: Path) -> None:
    clock = FakeClock()
    store = PolicyStore(policy_file, check_interval_seconds=5, monotonic=clock)
    old = store.current.version
    policy_file.write_text(GOOD + "# edited\n")

    clock.now += 4.9
    assert store.current.version == old
    clock.now += 0.2
    assert store.current.version == sha256_of(policy_file)


def test_reload_looks_at_once(policy_file: Path) -> None:
    store = PolicyStore(policy_file, check_interval_seconds=3600)
    policy_file.write_text(GOOD + "# edited\n")

    assert store.reload().version == sha256_of(policy_file) == store.current.version


def test_a_change_that_cannot_be_put_on_record_does_not_take_effect(policy_file: Path) -> None:
    audit_up = [True]

    def record(kind: str, data: dict[str, Any]) -> None:
        if not audit_up[0]:
            raise RuntimeError("audit is down")

    store = PolicyStore(policy_file, on_event=record, check_interval_seconds=0)
    running = store.current.version
    policy_file.write_text(GOOD + "# edited\n")
    audit_up[0] = False

    assert store.current.version == running  # readers keep the old policy, and no error
    audit_up[0] = True
    assert store.current.version == sha256_of(policy_file)  # taken up once it is on record


def test_a_policy_that_cannot_be_put_on_record_at_start_is_refused(policy_file: Path) -> None:
    def explode(kind: str, data: dict[str, Any]) -> None:
        raise RuntimeError("audit is down")

    with pytest.raises(AuditWriteError):
        PolicyStore(policy_file, on_event=explode)


def test_readers_on_many_threads_only_ever_see_whole_valid_policies(policy_file: Path) -> None:
    store = PolicyStore(policy_file, check_interval_seconds=0)
    variants = [GOOD + f"# edit {i}\n" for i in range(20)] + ["tools: ["]
    valid = {hashlib.sha256(v.encode()).hexdigest() for v in variants[:-1]}
    valid.add(store.current.version)
    seen: set[str] = set()
    failures: list[BaseException] = []

    def read() -> None:
        try:
            for _ in range(300):
                seen.add(store.current.version)
        except BaseException as error:  # the assertion below reports it
            failures.append(error)

    readers = [threading.Thread(target=read) for _ in range(4)]
    for reader in readers:
        reader.start()
    for variant in variants:
        replace_atomically(policy_file, variant)
    for reader in readers:
        reader.join()

    assert not failures
    assert seen <= valid
