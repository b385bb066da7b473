"""Writing files so that nothing is lost: a temporary file beside the target, then a rename;
and reading a small file so that nothing hangs.

A crash or a full disk leaves the previous file as it was; an output path that is one of the
run's inputs is refused rather than truncated. `read_regular` reads a regular file up to a
limit, never a FIFO or a device (a link to /dev/zero, a FIFO nobody writes to).
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from vcaudit.errors import OutputError, UsageError

STDIO = "-"
"""An output or input named `-`: standard output or standard input."""
_STDIN_FILE = "standard input's file"


def atomic_write(path: Path, data: str | bytes, *, inputs: Iterable[str] = ()) -> None:
    """Replace `path` with `data` atomically."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_stream(path, inputs=inputs, binary=True) as handle:
        handle.write(payload)


@contextlib.contextmanager
def atomic_stream(path: Path, *, inputs: Iterable[str] = (), binary: bool = False) -> Iterator[Any]:
    """A stream to write `path` through: the file appears, whole, only when the block ends
    without an error; otherwise the previous file stays as it was."""
    target = path.expanduser()
    for name in inputs:
        if name != STDIO and _same_file(Path(name), target):
            raise OutputError(f"{path}: refusing to overwrite an input file with the report")
        stdin_file = _stream_file(sys.stdin) if name == STDIO else None
        if stdin_file is not None and _identity(target) == stdin_file:
            raise OutputError(
                f"{path}: is standard input's file; refusing to overwrite an input file with "
                "the report"
            )
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(f"{path}: the folder {parent} does not exist")
    if target.is_dir():
        raise OutputError(f"{path}: is a directory")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write: {exc.strerror}") from None
    try:
        mode = "wb" if binary else "w"
        encoding = None if binary else "utf-8"
        with os.fdopen(
            fd, mode, buffering=1 << 20, encoding=encoding, newline=None if binary else ""
        ) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(OSError):
            os.chmod(tmp, _mode_for(target))
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise OutputError(f"{path}: cannot write: {exc.strerror}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _mode_for(target: Path) -> int:
    try:
        return target.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def _identity(path: Path) -> tuple[str, object]:
    """What names one file: device and inode where it exists, else the resolved path (the
    one that would be created: symlinks and `..` followed)."""
    target = path.expanduser()
    try:
        found = target.stat()
    except OSError:
        return "path", target.resolve()
    return "file", (found.st_dev, found.st_ino)


def _stream_file(stream: TextIO | Any) -> tuple[str, object] | None:
    """The identity of the regular file behind a standard stream; None for a terminal, a
    pipe or a stream without a descriptor (a test's capture)."""
    try:
        found = os.fstat(stream.fileno())
    except (OSError, ValueError, AttributeError):
        return None
    if not stat.S_ISREG(found.st_mode):
        return None
    return "file", (found.st_dev, found.st_ino)


def check_outputs(outputs: Sequence[Path | None], inputs: Sequence[str]) -> None:
    """Refuse, before anything is read, outputs that would overwrite each other or an input.

    `outputs` are the run's report targets (None or `-`: standard output). Two outputs are
    one file when their device and inode match where they exist, or their resolved paths
    otherwise (a usage error: exit 2); an output that is an input file, the file standard
    input reads, or (for standard output) a file the run reads is refused (exit 3)."""
    seen: dict[tuple[str, object], str] = {}
    for output in outputs:
        shown = STDIO if output is None or str(output) == STDIO else str(output)
        key = ("stdout", None) if shown == STDIO else _identity(Path(shown))
        earlier = seen.get(key)
        if earlier == STDIO:
            raise UsageError("two reports would be written to standard output; give one a file")
        if earlier is not None:
            same = f"{shown!r} is named twice" if earlier == shown else f"{earlier!r} and {shown!r}"
            raise UsageError(f"{same}: two reports would be written to one file")
        seen[key] = shown
    read: dict[tuple[str, object], str] = {}
    for name in inputs:
        if name == STDIO:
            found = _stream_file(sys.stdin)
            if found is not None:
                read[found] = _STDIN_FILE
        elif Path(name).exists():
            read[_identity(Path(name))] = name
    if not read:
        return
    for key, shown in seen.items():
        if shown == STDIO:
            key = _stream_file(sys.stdout) or key
        what = read.get(key)
        if what is None:
            continue
        if shown == STDIO:
            raise OutputError(
                f"standard output: is {what if what == _STDIN_FILE else 'the input ' + what};"
                " refusing to write the report into an input file"
            )
        if what == _STDIN_FILE:
            raise OutputError(
                f"{shown}: is standard input's file; refusing to overwrite an input file "
                "with the report"
            )
        raise OutputError(f"{shown}: refusing to overwrite an input file with the report")


def read_regular(path: Path, limit: int) -> bytes:
    """The bytes of the regular file at `path` (a symbolic link to one is followed), at most
    `limit` of them.

    The file is opened without blocking and refused unless it is a regular file, and at most
    `limit` + 1 bytes are read whatever `stat` says: /dev/zero, or a FIFO that never ends or
    that no writer opens, cannot hang or fill memory. Raises OSError (FileNotFoundError when
    there is none) or ValueError with the sentence to show.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)  # non-blocking: opening a FIFO must not wait for a writer
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        os.close(fd)
        raise
    if not stat.S_ISREG(mode):
        os.close(fd)
        kind = "a folder" if stat.S_ISDIR(mode) else "a FIFO, device or socket"
        raise ValueError(f"not a regular file ({kind})")
    with os.fdopen(fd, "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"larger than the {_size(limit)} limit")
    return data


def _size(limit: int) -> str:
    if limit >= 1024 * 1024:
        return f"{limit // (1024 * 1024)} MiB"
    return f"{limit // 1024} KiB" if limit >= 1024 else f"{limit}-byte"
