"""Where an inventory is, as CI reports name it: relative to the repository root.

GitHub code scanning shows an alert in the repository only when its SARIF location is a
path relative to the repository root (or an absolute URI under the checkout); GitLab's
security reports name the file relative to the project. The root is resolved once by the
settings (`--sarif-root`, else $GITHUB_WORKSPACE, else the working folder) and handed to the
formatters in `RenderOptions.root`; "" stands for the working folder.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from urllib.parse import quote

STDIN_NAMES = ("<stdin>", "-")
"""How standard input is named in a row's source."""


def _base(root: str) -> str:
    return os.path.abspath(root or os.curdir)


def inside(path: str, root: str) -> bool:
    """Whether the file `path` (relative to the working folder, or absolute) lies under
    `root`."""
    absolute, base = os.path.abspath(path), _base(root)
    try:
        return os.path.commonpath([absolute, base]) == base
    except ValueError:  # pragma: no cover - another drive on Windows
        return False


def relative_path(path: str, root: str) -> str | None:
    """`path` relative to `root` with `/` separators, or None when it is not inside it."""
    if not inside(path, root):
        return None
    relative = os.path.relpath(os.path.abspath(path), _base(root))
    return PurePosixPath(*Path(relative).parts).as_posix()


def artifact_uri(path: str, root: str) -> str:
    """A SARIF artifact URI: the path relative to `root`, percent-encoded, when the file is
    inside it; else its absolute `file:` URI; `stdin` for standard input."""
    if path in STDIN_NAMES:
        return "stdin"
    relative = relative_path(path, root)
    if relative is None:
        return Path(os.path.abspath(path)).as_uri()
    return quote(relative, safe="/")
