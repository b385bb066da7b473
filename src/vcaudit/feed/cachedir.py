"""The cache folder: whose it is, reading and writing its files, one installer at a time.

The folder holds the installed feed (which then decides every verdict) and a compiled copy
of the bundled feed. Whoever can write there chooses what vcaudit believes, so the folder
must belong to the user running vcaudit and be writable by nobody else, and so must every
file read from it. Files are opened without following symbolic links and must be regular
files; what is written there is created readable by the user only.

On Windows, where permissions are ACLs rather than mode bits, the checks of owner and mode
are skipped: the default folder is inside the user's profile, which others cannot write.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

LOCK_NAME = ".lock"
_POSIX = os.name == "posix"


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a folder or file of the cache is not trusted, and how to fix it."""

    text: str
    fix: str


class Untrusted(Exception):
    """A cache file that must not be read (see `Problem`)."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.text)
        self.problem = problem


def _owner_problem(info: os.stat_result, path: Path) -> Problem | None:
    if not _POSIX:
        return None
    if info.st_uid != os.geteuid():
        return Problem(
            f"belongs to another user (uid {info.st_uid})",
            f"use a folder of your own (--cache-dir), or remove {path}",
        )
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o022:
        return Problem(
            f"is writable by {'others' if mode & 0o002 else 'its group'} (mode {mode:04o})",
            f"chmod go-w {path}",
        )
    return None


def folder_problem(folder: Path) -> Problem | None:
    """Why `folder` must not be trusted; None when it can be, or does not exist yet."""
    try:
        info = os.stat(folder)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return Problem(f"cannot be read: {exc.strerror}", f"check {folder}")
    if not stat.S_ISDIR(info.st_mode):
        return Problem("is not a folder", f"remove {folder} or choose another --cache-dir")
    return _owner_problem(info, folder)


def make_folder(folder: Path) -> None:
    """Create the folder (readable by the user only) if it does not exist."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)


def read_private(path: Path, limit: int) -> bytes:
    """The bytes of a cache file, at most `limit`; raises FileNotFoundError or Untrusted."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    flags |= getattr(os, "O_NONBLOCK", 0)  # a FIFO planted here must not block the open
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise
    except OSError as exc:
        if exc.errno == errno.ELOOP or path.is_symlink():
            raise Untrusted(
                Problem("is a symbolic link; vcaudit does not follow it", f"remove {path}")
            ) from None
        raise Untrusted(Problem(f"cannot be read: {exc.strerror}", f"check {path}")) from None
    # Checked before the descriptor becomes a file object: opening a folder as one raises
    # IsADirectoryError (a folder named like a cache file would end in a traceback).
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise Untrusted(Problem("is not a regular file", f"remove {path}"))
    with os.fdopen(fd, "rb") as handle:
        problem = _owner_problem(info, path)
        if problem is not None:
            raise Untrusted(problem)
        data = _read_up_to(handle, limit)
    if len(data) > limit:
        raise Untrusted(Problem(f"is larger than {limit} bytes", f"remove {path}"))
    return data


def _read_up_to(handle: IO[bytes], limit: int) -> bytes:
    try:
        return handle.read(limit + 1)
    except OSError as exc:
        raise Untrusted(Problem(f"cannot be read: {exc.strerror}", "check the file")) from None


def write_private(path: Path, data: bytes) -> None:
    """Replace `path` with `data` in one rename, readable by the user only (raises OSError).

    The temporary file (`.NAME.*.tmp`) is removed on failure; one a kill leaves behind is
    removed by the next run (see `store.tidy`).
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    """Make a rename durable (POSIX); a crash after this keeps the new file."""
    if not _POSIX:
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class Busy(Exception):
    """Another vcaudit holds the lock."""


@contextlib.contextmanager
def locked(folder: Path, *, wait: float) -> Iterator[None]:
    """Hold the folder's lock (waiting up to `wait` seconds, 0 for not at all) or raise Busy.

    An operating-system lock on `.lock`: it ends with the process that holds it, so a kill
    never leaves the folder locked.
    """
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(folder / LOCK_NAME, flags, 0o600)
    try:
        deadline = time.monotonic() + wait
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                raise Busy
            time.sleep(0.05)
        try:
            yield
        finally:
            _unlock(fd)
    finally:
        os.close(fd)


def _try_lock(fd: int) -> bool:
    if _POSIX:
        import fcntl

        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                return False
            raise
        return True
    import msvcrt  # pragma: no cover - Windows

    try:  # pragma: no cover - Windows
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]  # Windows only
    except OSError:  # pragma: no cover - Windows
        return False
    return True  # pragma: no cover - Windows


def _unlock(fd: int) -> None:
    if _POSIX:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_UN)
        return
    import msvcrt  # pragma: no cover - Windows

    os.lseek(fd, 0, os.SEEK_SET)  # pragma: no cover - Windows
    msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]  # pragma: no cover
