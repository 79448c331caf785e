"""A threaded HTTP server on 127.0.0.1 for the suite's stand-ins (OpenAI, Slack Web API, …),
and the start/stop lifecycle every stand-in shares."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self


class LoopbackServer:
    """Serves handler on a free loopback port in a daemon thread until stop()."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self.port = int(self._httpd.server_address[1])
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


class LoopbackStandIn:
    """A stand-in served on loopback: `with StandIn(...) as s:` starts it, leaving stops it.

    Subclasses give the request handler class; the handler reaches the stand-in through the
    class attribute named by `handler_attribute`."""

    handler_attribute = "standin"

    def __init__(self) -> None:
        self._server: LoopbackServer | None = None
        self._port: int | None = None

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        raise NotImplementedError

    def start(self) -> Self:
        base = self.handler_class()
        handler = type(f"{type(self).__name__}Handler", (base,), {self.handler_attribute: self})
        self._server = LoopbackServer(handler)
        self._port = self._server.port
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port it listens on; still known after stop, when connections to it are refused."""
        if self._port is None:
            raise RuntimeError(
                f"{type(self).__name__} was never started: use it as a context manager"
            )
        return self._port
