"""Tamper evidence that does not depend on the database: rows sealed with a key file, signed
checkpoints published outside the database, and `audit verify --checkpoints` finding what a
database administrator did even after recomputing the unkeyed chain."""

from __future__ import annotations

import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from bot.audit.checkpoints import (
    Checkpointer,
    JsonlSink,
    SyslogSink,
    load_checkpoints,
    stored_checkpoints,
)
from bot.audit.keys import AuditKey
from bot.audit.log import AuditLog, verify
from bot.audit.seals import verify_against_checkpoints
from bot.audit.signed_head import Checkpoint
from bot.clock import utcnow
from bot.errors import AuditIntegrityError, ConfigError
from tests.support.tamper_attacks import forge_insert, rebuild_chain

EVERY = 5


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def key(tmp_path: Path) -> AuditKey:
    return AuditKey.generate(tmp_path / "audit.pem")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def checkpointer(engine: Engine, key: AuditKey, tmp_path: Path, clock: Clock) -> Checkpointer:
    return Checkpointer(
        engine,
        key,
        key,
        every_events=EVERY,
        every_seconds=300,
        sinks=[JsonlSink(tmp_path / "checkpoints.jsonl")],
        clock=clock,
    )


def sealed_log(engine: Engine, key: AuditKey, checkpointer: Checkpointer) -> AuditLog:
    return AuditLog(engine, sealer=key.seal, on_append=checkpointer.on_append)


def write(log: AuditLog, count: int) -> None:
    for i in range(count):
        log.record("tool.call", task_id="task_t", tool="get_identity", data={"i": i})


def published(tmp_path: Path) -> list[Any]:
    return load_checkpoints(tmp_path / "checkpoints.jsonl")


def held(engine: Engine, key: AuditKey, tmp_path: Path) -> Any:
    return verify_against_checkpoints(engine, key, key, published(tmp_path))


def test_checkpoints_are_signed_every_n_events_and_published(
    engine: Engine, key: AuditKey, checkpointer: Checkpointer, tmp_path: Path
) -> None:
    write(sealed_log(engine, key, checkpointer), 12)
    assert [c.seq for c in published(tmp_path)] == [5, 10]
    assert [c.seq for c in stored_checkpoints(engine)] == [5, 10]
    assert all(key.verify(c.message(), c.signature) for c in published(tmp_path))
    report = held(engine, key, tmp_path)
    assert report.ok and report.events_checked == 12, report.reason


def test_a_checkpoint_is_also_written_after_m_minutes(
    engine: Engine, key: AuditKey, checkpointer: Checkpointer, tmp_path: Path, clock: Clock
) -> None:
    log = sealed_log(engine, key, checkpointer)
    write(log, 6)
    clock.now += timedelta(minutes=4)
    write(log, 1)
    assert [c.seq for c in published(tmp_path)] == [5]
    clock.now += timedelta(minutes=2)
    write(log, 1)
    assert [c.seq for c in published(tmp_path)] == [5, 8]


def drop_one(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return rows[:2] + rows[3:]


def rewrite_one(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows[2]["data"] = '{"i":"rewritten"}'
    return rows


def cut_tail(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return rows[:7]


ATTACKS: dict[str, Callable[[list[dict[str, Any]]], list[dict[str, Any]]]] = {
    "rewritten row": rewrite_one,
    "removed row": drop_one,
    "truncated tail": cut_tail,
}


@pytest.mark.parametrize("keep_macs", [True, False], ids=["macs-copied", "macs-cleared"])
@pytest.mark.parametrize("attack", list(ATTACKS))
def test_a_recomputed_chain_passes_plain_verify_but_not_the_checkpoints(
    engine: Engine,
    key: AuditKey,
    checkpointer: Checkpointer,
    tmp_path: Path,
    attack: str,
    keep_macs: bool,
) -> None:
    write(sealed_log(engine, key, checkpointer), 12)
    rebuild_chain(engine, ATTACKS[attack], keep_macs=keep_macs)

    assert verify(engine).ok, "the unkeyed chain cannot see this attack"
    report = held(engine, key, tmp_path)
    assert not report.ok
    assert report.first_bad_seq is not None and report.first_bad_seq <= 10
    assert any(word in report.reason for word in ("sealed", "signed", "cut from the end"))


def test_a_forged_insert_after_the_last_checkpoint_is_caught_at_the_next(
    engine: Engine, key: AuditKey, checkpointer: Checkpointer, tmp_path: Path
) -> None:
    alarms: list[str] = []
    checkpointer.alarms.append(alarms.append)
    log = sealed_log(engine, key, checkpointer)
    write(log, 6)
    forged = forge_insert(engine)
    assert verify(engine).ok, "a well-formed forged row passes the unkeyed chain"

    write(log, 3)  # the 10th event is due a checkpoint, which refuses to sign the forgery
    assert [c.seq for c in published(tmp_path)] == [5]
    assert len(alarms) == 1 and f"seq {forged}" in alarms[0] and "not sealed" in alarms[0]
    write(log, EVERY - 1)
    assert len(alarms) == 1, "not raised again on every append"
    write(log, 1)
    assert len(alarms) == 2, "raised again a batch later"
    with pytest.raises(AuditIntegrityError, match=f"seq {forged}"):
        checkpointer.checkpoint()
    report = held(engine, key, tmp_path)
    assert not report.ok and report.first_bad_seq == forged


def test_an_edited_checkpoint_file_is_caught(
    engine: Engine, key: AuditKey, checkpointer: Checkpointer, tmp_path: Path
) -> None:
    write(sealed_log(engine, key, checkpointer), 10)
    path = tmp_path / "checkpoints.jsonl"
    rows = rebuild_chain  # the attacker rewrites the chain and the published hash with it
    rows(engine, rewrite_one)
    lines = path.read_text().splitlines()
    forged_hash = verify(engine).head_hash
    lines[-1] = lines[-1].replace(published(tmp_path)[-1].hash, forged_hash)
    path.write_text("\n".join(lines) + "\n")
    report = held(engine, key, tmp_path)
    assert not report.ok and "signature" in report.reason


def test_another_key_does_not_verify(
    engine: Engine, key: AuditKey, checkpointer: Checkpointer, tmp_path: Path
) -> None:
    write(sealed_log(engine, key, checkpointer), 5)
    other = AuditKey.generate(tmp_path / "other.pem")
    report = verify_against_checkpoints(engine, other, other, published(tmp_path))
    assert not report.ok and "signature" in report.reason


def test_rows_from_before_sealing_are_accepted_until_the_first_sealed_row(
    engine: Engine, key: AuditKey, checkpointer: Checkpointer, tmp_path: Path
) -> None:
    write(AuditLog(engine), 3)
    write(sealed_log(engine, key, checkpointer), 4)
    assert held(engine, key, tmp_path).ok
    write(AuditLog(engine), 1)  # a writer without the key, after sealing began
    report = verify_against_checkpoints(engine, key, key, [])
    assert not report.ok and report.first_bad_seq == 8


def test_keygen_refuses_to_replace_a_key_and_load_explains_a_bad_file(tmp_path: Path) -> None:
    path = tmp_path / "k.pem"
    AuditKey.generate(path)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    with pytest.raises(ConfigError, match="already exists"):
        AuditKey.generate(path)
    (tmp_path / "bad.pem").write_text("not a key")
    with pytest.raises(ConfigError, match="not a PEM private key"):
        AuditKey.load(tmp_path / "bad.pem")
    with pytest.raises(ConfigError, match="socbot audit keygen"):
        AuditKey.load(tmp_path / "missing.pem")


def test_checkpoints_reach_syslog(
    engine: Engine, key: AuditKey, checkpointer: Checkpointer, tmp_path: Path
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as receiver:
        receiver.bind(("127.0.0.1", 0))
        receiver.settimeout(5)
        host, port = receiver.getsockname()
        checkpointer.sinks.append(SyslogSink(f"{host}:{port}"))
        write(sealed_log(engine, key, checkpointer), EVERY)
        datagram = receiver.recv(65536).decode()
    assert "socbot-audit-checkpoint" in datagram
    line = datagram.split("socbot-audit-checkpoint ", 1)[1].rstrip("\x00\n")
    assert Checkpoint.from_json(line) == published(tmp_path)[0]


def test_threads_appending_at_once_publish_each_checkpoint_once(
    engine: Engine, key: AuditKey, checkpointer: Checkpointer, tmp_path: Path
) -> None:
    log = sealed_log(engine, key, checkpointer)
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda _: write(log, 10), range(4)))
    # An append that finds a checkpoint being written skips it (one at a time per process),
    # so how many the threads wrote depends on timing; none may be published twice.
    checkpointer.checkpoint()
    seqs = [c.seq for c in published(tmp_path)]
    assert len(seqs) == len(set(seqs)) >= 2
    assert seqs[-1] == 40
    assert held(engine, key, tmp_path).ok
