"""Per-call credential overhead: issue + revoke + verify, lab vs aws sts vs aws iam_user.

    python bench/bench_credentials.py [--runs 30]

Starts a local AWS API (moto_server, request authentication on) on 127.0.0.1 and a lab on a
SQLite file, then for each backend times, per call: minting the credential, the tool's own
call with it (get_identity of one user), revoking it, and the probe that verifies it refused.
The sts runs each use a fresh socbot role: on the local API a revocation deny blocks the whole
role (see docs/providers.md), which would otherwise refuse every later run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.db import make_engine
from bot.schema import create_schema
from bot.tasks.backends import LabCredentialBackend
from tools.base import PresentedCredential
from tools.providers.aws.config import AwsConfig
from tools.providers.aws.credentials import AwsIamUserBackend, AwsStsBackend
from tools.providers.aws.local_api import LocalAwsApi, moto_binary, start_local_api
from tools.providers.aws.provider import AwsProvider
from tools.providers.aws.secrets import StaticSecretSource
from tools.providers.aws.session import client
from tools.providers.aws.setup_docs import base_policy, role_policy, role_trust_policy
from tools.providers.call_scope import CallScope, scoped_call
from tools.providers.lab.provider import LabProvider
from tools.providers.lab.seed import seed_lab

PHASES = ("issue", "tool call", "revoke", "verify")
SCOPES = frozenset({"directory:read"})
Timings = dict[str, list[float]]


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000


def _expires() -> datetime:
    return datetime.now(UTC) + timedelta(seconds=60)


def run_backend(
    backend: Any,
    act: Callable[[PresentedCredential], object],
    runs: int,
    prepare: Callable[[], Any],
) -> Timings:
    timings: Timings = {phase: [] for phase in PHASES}
    for i in range(runs):
        backend = prepare() or backend
        credential_id = f"cred_bench{i:04d}{uuid.uuid4().hex[:6]}"
        start = time.perf_counter()
        secret = backend.mint(credential_id, SCOPES, "task_bench", _expires())
        timings["issue"].append(_ms(start))
        cred = PresentedCredential(credential_id, secret, SCOPES, _expires())
        start = time.perf_counter()
        act(cred)
        timings["tool call"].append(_ms(start))
        start = time.perf_counter()
        backend.revoke(credential_id)
        timings["revoke"].append(_ms(start))
        start = time.perf_counter()
        if backend.is_accepted(credential_id):
            raise SystemExit(f"{credential_id} is still accepted after revocation")
        timings["verify"].append(_ms(start))
    return timings


class AwsBench:
    def __init__(self, api: LocalAwsApi) -> None:
        self.api = api
        self.iam = client(api.config(), api.admin, "iam")
        self.prefix = "b" + uuid.uuid4().hex[:6]
        base = f"{self.prefix}-socbot"
        policy = base_policy(api.config(), api.account, resource_scoped=False)
        self.iam.create_user(UserName=base)
        self.iam.put_user_policy(UserName=base, PolicyName="p", PolicyDocument=json.dumps(policy))
        made = self.iam.create_access_key(UserName=base)["AccessKey"]
        self.secrets = StaticSecretSource(
            {
                "aws/access_key_id": made["AccessKeyId"],
                "aws/secret_access_key": made["SecretAccessKey"],
            }
        )
        self.base_arn = f"arn:aws:iam::{api.account}:user/{base}"
        self.target = f"{self.prefix}-alice"
        self.iam.create_user(UserName=self.target)
        self.roles = 0

    def fresh_role(self) -> AwsConfig:
        self.roles += 1
        name = f"{self.prefix}-role{self.roles}"
        trust = json.dumps(role_trust_policy(self.base_arn))
        self.iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)
        self.iam.put_role_policy(
            RoleName=name, PolicyName="p", PolicyDocument=json.dumps(role_policy())
        )
        return self.api.config(role_arn=f"arn:aws:iam::{self.api.account}:role/{name}")


def summary(name: str, timings: Timings) -> str:
    cells = []
    for phase in PHASES:
        values = sorted(timings[phase])
        p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
        cells.append(f"{statistics.median(values):8.2f} {p95:8.2f}")
    overhead = [
        sum(timings[p][i] for p in ("issue", "revoke", "verify"))
        for i in range(len(timings["issue"]))
    ]
    return f"{name:14} " + " ".join(cells) + f"   {statistics.median(overhead):8.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    binary = moto_binary()
    if binary is None:
        raise SystemExit("moto_server is not installed: pip install -e '.[aws]'")
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{folder}/bench.db")
        create_schema(engine)
        seed_lab(engine)
        lab = LabProvider(engine)
        results = {
            "lab": run_backend(
                LabCredentialBackend(lab),
                lambda c: lab.get_identity(c, "p-maria-chen"),
                args.runs,
                lambda: None,
            )
        }
        api = start_local_api(binary)
        try:
            results.update(aws_runs(AwsBench(api), args.runs))
        finally:
            api.stop()
    header = " ".join(f"{p + ' p50':>8} {'p95':>8}" for p in PHASES)
    print(f"{'backend':14} {header}   {'overhead p50':>12}   (ms, {args.runs} runs each)")
    for name, timings in results.items():
        print(summary(name, timings))
    return 0


def aws_runs(bench: AwsBench, runs: int) -> dict[str, Timings]:
    target = f"arn:aws:iam::{bench.api.account}:user/{bench.target}"
    provider = AwsProvider(bench.api.config())

    def act(cred: PresentedCredential) -> object:
        return provider.get_identity(cred, target)

    iam_user = AwsIamUserBackend(bench.api.config(), bench.secrets)
    state: dict[str, Any] = {}

    def new_sts() -> AwsStsBackend:
        state["backend"] = AwsStsBackend(bench.fresh_role(), bench.secrets)
        return state["backend"]

    with scoped_call(CallScope("aws", "get_identity", (target,))):
        sts = run_backend(None, act, runs, new_sts)
        users = run_backend(iam_user, act, runs, lambda: None)
    return {"aws sts": sts, "aws iam_user": users}


if __name__ == "__main__":
    raise SystemExit(main())
