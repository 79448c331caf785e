"""An hvac adapter that logs in again with AppRole when OpenBao refuses socbot's token.

An AppRole token expires (token_ttl, token_max_ttl) while `socbot serve` keeps running; every
call would then be refused. On a 403 the adapter logs in once more and repeats the request
once. A 403 that is a real policy refusal is repeated once and then raised as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import hvac
from hvac.adapters import JSONAdapter


class ReloginAdapter(JSONAdapter):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.relogin: Callable[[], object] | None = None
        self._logging_in = False

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().request(method, url, *args, **kwargs)
        except hvac.exceptions.Forbidden:
            if self.relogin is None or self._logging_in:
                raise
            self._logging_in = True
            try:
                self.relogin()
            finally:
                self._logging_in = False
            return super().request(method, url, *args, **kwargs)
