"""Writing files so that nothing is lost: a temporary file beside the target, then a rename.

A crash or a full disk leaves the previous file as it was; an output path that is one of the
run's inputs is refused rather than truncated.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from vcaudit.errors import OutputError


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
        if name != "-" and _same_file(Path(name), target):
            raise OutputError(f"{path}: refusing to overwrite an input file with the report")
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
