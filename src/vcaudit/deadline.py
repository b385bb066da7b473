"""An overall deadline for one network exchange (a feed download, an SMTP session, a webhook
request).

Socket timeouts bound each read, not the exchange: a server that answers one byte a second
never trips them. `Watchdog` bounds the whole exchange instead. The client registers each
socket it connects (`watch`); when the deadline passes, the watchdog shuts the connection
down, so whatever call is blocked on it (a read, a send, a TLS handshake) returns at once
with an error, and `expired` tells the caller why. The watchdog keeps a duplicate of the
socket's descriptor, so wrapping the socket in TLS later (STARTTLS) does not hide it.

Name resolution happens before there is a socket to shut down: it is bounded by the
system's resolver, not by this deadline.
"""

from __future__ import annotations

import contextlib
import math
import socket
import threading
import time
from types import TracebackType

MAX_SECONDS = 86_400.0
"""The longest deadline accepted (a day): longer ones are a mistake, and too large for a wait."""


def check_seconds(value: float, what: str) -> float:
    """`value` if it is a usable deadline, else ValueError with the sentence to show."""
    if not math.isfinite(value) or not 0 < value <= MAX_SECONDS:
        raise ValueError(f"{what}: expected a number of seconds above 0 and at most 86400")
    return value


class Watchdog:
    """Cuts every watched connection when `seconds` have passed since entering the block."""

    def __init__(self, seconds: float) -> None:
        self.seconds = check_seconds(seconds, "deadline")
        self._at = 0.0
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._expired = False
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def expired(self) -> bool:
        """Whether the deadline passed (and the connections were cut)."""
        return self._expired

    @property
    def deadline(self) -> float:
        """When the deadline passes, on the `time.monotonic()` clock."""
        return self._at

    def remaining(self) -> float:
        """Seconds left, at least a millisecond (a socket timeout of 0 would mean non-blocking)."""
        return max(self._at - time.monotonic(), 0.001)

    def watch(self, sock: socket.socket) -> None:
        """Cut `sock`'s connection when the deadline passes (at once if it has passed)."""
        try:
            duplicate = sock.dup()
        except OSError:
            return
        with self._lock:
            self._sockets.append(duplicate)
            if self._expired:
                _cut(duplicate)

    def __enter__(self) -> Watchdog:
        self._at = time.monotonic() + self.seconds
        self._thread = threading.Thread(target=self._run, name="vcaudit-deadline", daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join()
        with self._lock:
            for duplicate in self._sockets:
                duplicate.close()
            self._sockets.clear()

    def _run(self) -> None:
        if self._done.wait(self.remaining()):
            return
        with self._lock:
            self._expired = True
            for duplicate in self._sockets:
                _cut(duplicate)


def _cut(sock: socket.socket) -> None:
    # shutdown() acts on the connection, not the descriptor: the client's own socket (or the
    # TLS socket wrapping it) sees the end of the stream at once, also in a blocked call.
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
