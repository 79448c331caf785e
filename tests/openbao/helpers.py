"""Runtimes whose credential backend is the OpenBao lease ledger on the session's server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.openbao.leases import OpenBaoLease, OpenBaoLeaseLedger
from bot.runtime import Runtime
from bot.tasks.runner import TaskLimits
from tests.support.bao_server import BaoServer

MakeRuntime = Callable[..., Runtime]
READ = frozenset({"directory:read"})
LIMITS = TaskLimits(model_turns=5, tool_calls=5, tokens=10_000, seconds=120)


def openbao_env(bao: BaoServer, token: str | None = None) -> dict[str, str]:
    return {
        "SOCBOT_CREDENTIAL_BACKEND": "openbao",
        "SOCBOT_OPENBAO_ADDR": bao.addr,
        "SOCBOT_OPENBAO_TOKEN": token or bao.broker_token(),
    }


def openbao_runtime(make_runtime: MakeRuntime, bao: BaoServer, **overrides: Any) -> Runtime:
    return make_runtime(
        seed=False,
        credential_backend="openbao",
        openbao_addr=bao.addr,
        openbao_token=overrides.pop("openbao_token", None) or bao.broker_token(),
        **overrides,
    )


def ledger_of(runtime: Runtime) -> OpenBaoLeaseLedger:
    backend = runtime.broker._backend
    assert isinstance(backend, OpenBaoLeaseLedger)
    return backend


def accessor_of(runtime: Runtime, credential_id: str) -> str:
    with runtime.engine.connect() as conn:
        row = conn.execute(
            OpenBaoLease.__table__.select().where(  # type: ignore[attr-defined]
                OpenBaoLease.__table__.c.credential_id == credential_id  # type: ignore[attr-defined]
            )
        ).first()
    assert row is not None, f"no OpenBao lease recorded for {credential_id}"
    return str(row.accessor)


def held_in_openbao(bao: BaoServer, accessor: str) -> dict[str, Any] | None:
    """What OpenBao itself says about the lease, asked as its operator (root)."""
    try:
        return dict(bao.root().auth.token.lookup_accessor(accessor)["data"])
    except Exception as exc:
        if "invalid accessor" in str(exc):
            return None
        raise
