"""Whether `vcaudit scan` with no inventory was given one on standard input.

`cat fleet.csv | vcaudit scan` and `vcaudit scan < fleet.csv` audit that inventory; a bare
`vcaudit scan` from a terminal, cron, systemd or a CI step audits this machine. Standard input
there may be a terminal, `/dev/null`, closed, or a pipe nobody writes to: none
of those may make vcaudit wait for ever, so a pipe gets a short wait for its first bytes.
"""

from __future__ import annotations

import io
import os
import select
import stat
import sys
from dataclasses import dataclass
from typing import BinaryIO

DEFAULT_WAIT = 10.0
"""Seconds a pipe on standard input has to send its first bytes."""


@dataclass(frozen=True, slots=True)
class Piped:
    """What standard input holds when no inventory was named."""

    stream: BinaryIO | None
    """The inventory on standard input (its first bytes already read, and given back), or
    None when there is none."""
    note: str = ""
    """Why standard input was not read, when that is worth saying."""
    silent_fd: int | None = None
    """A pipe that sent nothing in time: checked again at the end (`sent_late`)."""

    def sent_late(self) -> bool:
        """Whether the silent pipe has sent bytes since: an inventory that came too late
        must not pass for an audit of it."""
        if self.silent_fd is None:
            return False
        try:
            ready, _, _ = select.select([self.silent_fd], [], [], 0)
            return bool(ready) and bool(os.read(self.silent_fd, 1))
        except (OSError, ValueError):
            return False


class _Prefixed(io.RawIOBase):
    """A raw stream that gives `head` first, then the rest of `fd`."""

    def __init__(self, head: bytes, fd: int) -> None:
        self._head = head
        self._fd = fd

    def readable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        # (io.RawIOBase declares the buffer as a WriteableBuffer, which typeshed spells
        # differently across versions.)
        if self._head:
            count = min(len(buffer), len(self._head))
            buffer[:count] = self._head[:count]
            self._head = self._head[count:]
            return count
        data = os.read(self._fd, len(buffer))
        buffer[: len(data)] = data
        return len(data)


def piped_input(stdin: BinaryIO | None = None, wait: float = DEFAULT_WAIT) -> Piped:
    """The inventory on standard input, if any: a regular file or a pipe that sends bytes
    (a pipe gets `wait` seconds for its first ones; a regular file is read even when empty,
    and refused as such); never a terminal, `/dev/null`, a closed input or a closed pipe."""
    stream = stdin if stdin is not None else getattr(sys.stdin, "buffer", None)
    if stream is None:
        return Piped(None)
    try:
        fd = stream.fileno()
        mode = os.fstat(fd).st_mode
    except (OSError, ValueError, AttributeError):
        return Piped(None)  # closed, or not a real file
    if os.isatty(fd) or stat.S_ISCHR(mode) or stat.S_ISDIR(mode):
        return Piped(None)  # a terminal, /dev/null
    if stat.S_ISREG(mode):
        # `vcaudit scan < inventory.csv`: read, even when empty (then refused as empty, as a
        # named empty file is; cron and CI give /dev/null or a pipe, never an empty file).
        return Piped(stream)
    # A pipe, FIFO or socket: wait a little for its first bytes, or its end.
    try:
        ready, _, _ = select.select([fd], [], [], wait)
    except (OSError, ValueError):
        return Piped(stream)  # cannot wait on it here (Windows pipes): read it
    if not ready:
        return Piped(
            None,
            f"standard input sent nothing in {wait:g} s, so this machine was audited; "
            "name the input '-' to wait for standard input",
            silent_fd=fd,
        )
    head = os.read(fd, 65536)
    if not head:
        return Piped(None)  # the pipe was closed without a byte: nothing piped
    return Piped(io.BufferedReader(_Prefixed(head, fd)))
