"""A TCP relay on 127.0.0.1 in front of the test database server, which a test can cut.

Tests use it to break a client's connections the way a restart or a network fault would,
without touching other connections to the same server.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager


def _shut(*sockets: socket.socket) -> None:
    for sock in sockets:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)  # wakes the relay thread blocked on recv
        sock.close()


class CutProxy:
    """Relays 127.0.0.1:`port` to `target`.

    cut_all(): every relayed connection ends now, both sides.
    cut_next_reply(): the next bytes any server sends are dropped and that connection ends,
        so the server did the work and the client never hears of it.
    refusing: while True, new connections are accepted and closed at once.
    """

    def __init__(self, target: tuple[str, int]) -> None:
        self._target = target
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._lock = threading.Lock()
        self._drop_next_reply = threading.Event()
        self.refusing = False
        threading.Thread(target=self._accept, daemon=True).start()

    def cut_all(self) -> None:
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for pair in pairs:
            _shut(*pair)

    def cut_next_reply(self) -> None:
        self._drop_next_reply.set()

    def close(self) -> None:
        _shut(self._listener)
        self.cut_all()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.refusing:
                _shut(client)
                continue
            server = socket.create_connection(self._target, timeout=10)
            server.settimeout(None)
            with self._lock:
                self._pairs.append((client, server))
            for source, sink, from_server in ((client, server, False), (server, client, True)):
                args = (source, sink, from_server)
                threading.Thread(target=self._relay, args=args, daemon=True).start()

    def _relay(self, source: socket.socket, sink: socket.socket, from_server: bool) -> None:
        while True:
            try:
                data = source.recv(65536)
                if not data or (from_server and self._take_drop()):
                    break
                sink.sendall(data)
            except OSError:
                break
        _shut(source, sink)

    def _take_drop(self) -> bool:
        with self._lock:
            dropping = self._drop_next_reply.is_set()
            self._drop_next_reply.clear()
        return dropping


@contextmanager
def cut_proxy(host: str, port: int) -> Iterator[CutProxy]:
    proxy = CutProxy((host, port))
    try:
        yield proxy
    finally:
        proxy.close()
