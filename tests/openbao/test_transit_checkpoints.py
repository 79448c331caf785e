"""Audit checkpoints signed by OpenBao's transit engine: the signing key never leaves OpenBao,
socbot's broker policy may sign and verify with it, and a checkpoint it did not sign fails."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from bot.audit.checkpoints import load_checkpoints
from bot.audit.keys import AuditKey, TransitSigner
from bot.audit.seals import verify_against_checkpoints
from bot.openbao.provision import TRANSIT_KEY
from tests.support.bao_server import BaoServer

from .helpers import MakeRuntime


def test_checkpoints_signed_by_transit_verify_and_forgeries_do_not(
    make_runtime: MakeRuntime, bao: BaoServer, tmp_path: Path
) -> None:
    key_file = tmp_path / "audit.pem"
    AuditKey.generate(key_file)
    runtime = make_runtime(
        seed=False,
        openbao_addr=bao.addr,
        openbao_token=bao.broker_token(),
        audit_key_file=key_file,
        audit_transit_key=TRANSIT_KEY,
        audit_checkpoint_file=tmp_path / "checkpoints.jsonl",
        audit_checkpoint_events=3,
    )
    for i in range(7):
        runtime.audit.record("task.start", task_id="task_transit", data={"i": i})
    tamper = runtime.tamper
    assert tamper is not None and isinstance(tamper.signer, TransitSigner)
    checkpoints = load_checkpoints(tmp_path / "checkpoints.jsonl")
    assert [c.seq for c in checkpoints] == [3, 6]
    assert all(c.signature.startswith("vault:v1:") for c in checkpoints)
    assert all(c.key_id == f"transit:transit/{TRANSIT_KEY}" for c in checkpoints)

    report = verify_against_checkpoints(runtime.engine, tamper.key, tamper.signer, checkpoints)
    assert report.ok, report.reason

    moved = dataclasses.replace(checkpoints[1], seq=7)  # a signature reused for another head
    local = dataclasses.replace(
        checkpoints[1], signature="vault:v1:" + tamper.key.sign(checkpoints[1].message())
    )
    for forged in (moved, local):
        report = verify_against_checkpoints(
            runtime.engine, tamper.key, tamper.signer, [checkpoints[0], forged]
        )
        assert not report.ok and "signature" in report.reason
