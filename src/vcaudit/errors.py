"""The errors vcaudit reports to its users.

Each error's `str()` is the sentence the user reads; `hint` is an optional next step. The CLI
catches these (and only these) and maps them to an exit code through `exit_code`.
"""

from __future__ import annotations

import errno

from vcaudit.models import ExitCode


class VcauditError(Exception):
    """Base of every error vcaudit reports as one line."""

    exit_code: ExitCode = ExitCode.INTERNAL

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


def _where(file: str, line: int | None, field: str) -> str:
    parts = [file]
    if line:
        parts.append(f"line {line}")
    text = ", ".join(parts)
    return f"{text}: {field}: " if field else f"{text}: "


class UsageError(VcauditError):
    """The command line itself is wrong."""

    exit_code = ExitCode.USAGE


class LocatedError(VcauditError):
    """An error in a file, naming the file, the line and the field."""

    def __init__(
        self, file: str, problem: str, *, line: int | None = None, field: str = "", hint: str = ""
    ) -> None:
        super().__init__(_where(file, line, field) + problem, hint=hint)
        self.file = file
        self.line = line
        self.field = field


class InputError(LocatedError):
    """An inventory or configuration file cannot be used."""

    exit_code = ExitCode.BAD_INPUT


class FeedError(LocatedError):
    """The advisory feed is invalid, stale or failed verification."""

    exit_code = ExitCode.FEED


class DeliveryError(VcauditError):
    """A report could not be delivered (email, webhook)."""

    exit_code = ExitCode.DELIVERY


class OutputError(VcauditError):
    """A report could not be written."""

    exit_code = ExitCode.BAD_INPUT


WRITE_FAILURES = frozenset({errno.ENOSPC, errno.EPIPE, errno.EDQUOT, errno.EFBIG})
"""Errors only a write gives: printing to a full disk or a closed pipe."""


NAME_FAILURES = frozenset({errno.ENAMETOOLONG, errno.ELOOP})
"""Errors about a path's name (too long, a loop of links): the path given is unusable."""


def exit_code_for(error: BaseException) -> ExitCode:
    """The exit code of a run that stopped on `error`: vcaudit's own errors carry theirs;
    an interrupt is 130; an output that cannot be written (a full disk, a closed pipe) or a
    path whose name cannot be used (too long, a loop of links) is bad input, not a bug;
    anything else is an internal error."""
    if isinstance(error, VcauditError):
        return error.exit_code
    if isinstance(error, KeyboardInterrupt):
        return ExitCode.INTERRUPTED
    if isinstance(error, OSError) and error.errno in WRITE_FAILURES | NAME_FAILURES:
        return ExitCode.BAD_INPUT
    return ExitCode.INTERNAL
