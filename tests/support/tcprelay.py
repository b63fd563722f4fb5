"""A TCP relay in front of a real server (PostgreSQL, Redis) that a test can make misbehave the way
a hung server does: the kernel still accepts connections and data, nothing comes back."""

from __future__ import annotations

import contextlib
import socket
import threading


class Relay:
    """Passes bytes both ways until told otherwise:

    - ``hang()``: every connection, old and new, is accepted and answered with nothing;
    - ``answer_nothing_after(marker)``: the client's bytes go on, and from the first chunk that
      contains ``marker`` (``b"COMMIT"``) the server's answers are dropped: the server did the
      work, the client never hears of it;
    - ``accept_and_ignore()``: new connections are accepted and never answered, old ones work;
    - ``resume()``: the server is back; the connections opened before are closed, as a server
      that recovers drops the clients that gave up on it.
    """

    def __init__(self, target_port: int, host: str = "127.0.0.1") -> None:
        self.target = (host, target_port)
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(200)
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.sockets: list[socket.socket] = []
        self.hung = False
        self.ignore_new = False
        self.silent_after: bytes | None = None
        self.silenced = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                self.sockets.append(client)
                if self.hung or self.ignore_new or self.silenced:
                    continue  # accepted, never answered
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.sockets.append(upstream)
            threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, from_client: bool) -> None:
        try:
            while data := source.recv(65536):
                with self.lock:
                    passing = not self.hung and not (self.silenced and not from_client)
                    if from_client and self.silent_after and self.silent_after in data:
                        self.silenced = True
                if passing:
                    sink.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                sink.shutdown(socket.SHUT_WR)

    def hang(self) -> None:
        with self.lock:
            self.hung = True

    def answer_nothing_after(self, marker: bytes) -> None:
        with self.lock:
            self.silent_after = marker

    def accept_and_ignore(self) -> None:
        with self.lock:
            self.ignore_new = True

    def resume(self) -> None:
        with self.lock:
            old, self.sockets = self.sockets, []
            self.hung = self.ignore_new = self.silenced = False
            self.silent_after = None
        for sock in old:
            with contextlib.suppress(OSError):
                sock.close()

    def close(self) -> None:
        self.listener.close()
        self.resume()
