"""The command line: translate flags into settings, wire the parts, write, exit.

Only this package imports typer. `main(argv)` is callable from tests and returns the exit
code; errors of vcaudit's own become one line on stderr and their exit code (see
`ExitCode`), any other exception becomes exit 70 with a request to report it (the trace only
with --debug). One module per command group: `scan`, `inventory` (discover, import,
identify), `feed`, `listings` (products, advisory), `config`; `app` holds the typer apps and
`common` what several commands share.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Sequence

import typer

# Each command module registers its commands on the apps when imported.
from vcaudit.cli import config as _config  # noqa: F401  (registers config init/check)
from vcaudit.cli import feed as _feed  # noqa: F401  (registers feed ...)
from vcaudit.cli import inventory as _inventory  # noqa: F401  (discover, import, identify)
from vcaudit.cli import listings as _listings  # noqa: F401  (products, advisory)
from vcaudit.cli import scan as _scan  # noqa: F401  (registers scan)
from vcaudit.cli.app import _State, app
from vcaudit.cli.common import _collection_paused, _silence_stdout
from vcaudit.errors import NAME_FAILURES, exit_code_for
from vcaudit.models import ExitCode
from vcaudit.sanitize import terminal_safe

__all__ = ["app", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run vcaudit with `argv` (default: sys.argv[1:]) and return the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    for arg in args:
        try:
            # What the operating system can hand over: bytes that are not UTF-8 arrive as
            # escapes and go back as they came; anything else is no path, name or value.
            arg.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            typer.echo(f"vcaudit: error: an argument is not text: {arg!a}", err=True)
            return int(ExitCode.USAGE)
    try:
        # Standalone mode lets typer report usage errors itself (exit 2); every exit, ours
        # included, arrives here as SystemExit.
        with _collection_paused():
            app(args=args, prog_name="vcaudit", standalone_mode=True)
    except SystemExit as done:
        code = done.code
        if code is None:
            return 0
        return code if isinstance(code, int) else int(ExitCode.USAGE)
    except KeyboardInterrupt as stop:
        typer.echo("vcaudit: interrupted", err=True)
        return int(exit_code_for(stop))
    except Exception as exc:
        code = exit_code_for(exc)
        if isinstance(exc, OSError) and exc.errno in NAME_FAILURES:
            shown = terminal_safe(str(exc.filename), 120)
            typer.echo(f"vcaudit: error: {shown}: {exc.strerror}", err=True)
            return int(code)
        if code is ExitCode.BAD_INPUT:
            # Printing failed (`vcaudit ... > /dev/full`, a closed pipe): the command's
            # output is lost, which the user must hear about, but it is no bug.
            _silence_stdout()
            strerror = exc.strerror if isinstance(exc, OSError) else str(exc)
            typer.echo(f"vcaudit: error: cannot write the output: {strerror}", err=True)
            return int(code)
        if _State.debug or "--debug" in args:
            traceback.print_exc()
        typer.echo(
            f"vcaudit: internal error ({type(exc).__name__}). This is a bug in vcaudit: run the "
            "same command again with --debug and keep what it prints to report it.",
            err=True,
        )
        return int(code)
    return 0
