"""/healthz says when OpenBao, which holds the credential leases, stops accepting socbot."""

from __future__ import annotations

from bot.slack.server import create_http_app
from tests.support.bao_server import BaoServer
from tests.support.slack import http_request, serving

from .helpers import MakeRuntime, openbao_runtime


def test_healthz_is_503_when_openbao_refuses_socbots_token(
    make_runtime: MakeRuntime, bao: BaoServer
) -> None:
    token = bao.broker_token()
    runtime = openbao_runtime(make_runtime, bao, openbao_token=token)
    _ = runtime.broker, runtime.policies.current
    with serving(create_http_app(runtime, None)) as url:
        healthy = http_request("GET", url + "/healthz")
        bao.root().auth.token.revoke(token)  # an operator pulls socbot's access
        refused = http_request("GET", url + "/healthz")
    assert healthy.status == 200 and "openbao" not in healthy.json()
    assert refused.status == 503
    assert refused.json()["openbao"] == "OpenBao refused or did not answer: Forbidden"
