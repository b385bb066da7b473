"""The command line: translate flags into settings, wire the parts, write, exit.

Only this package imports typer. `main(argv)` is callable from tests and returns the exit
code; errors of vcaudit's own become one line on stderr and their exit code (see
`ExitCode`), any other exception becomes exit 70 with a request to report it (the trace only
with --debug). One module per command group: `scan`, `inventory` (discover, import,
identify), `feed`, `listings` (products, advisory), `config`; `app` holds the typer apps and
`common` what several commands share.
"""

from __future__ import annotations

import importlib
import sys
import traceback
from collections.abc import Sequence
from typing import Any

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

# The exceptions of the click that typer runs on (typer 0.28 and later carry their own copy,
# so `import click` would name other classes than those raised).
_click = importlib.import_module(
    "typer._click.exceptions" if hasattr(typer.core, "_click") else "click.exceptions"
)


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
    args, debug = _take_debug(args)
    _State.debug = debug  # the root option sees it no more: it was taken out here
    try:
        # Not standalone: usage errors come back here and are said in vcaudit's one error
        # style; `typer.Exit(code)` comes back as its code; a SystemExit of ours arrives as is.
        with _collection_paused():
            result = app(args=args, prog_name="vcaudit", standalone_mode=False)
    except _click.UsageError as usage:
        _say_usage_error(usage)
        return int(ExitCode.USAGE)
    except _click.ClickException as failed:
        typer.echo(f"vcaudit: error: {terminal_safe(failed.format_message(), 400)}", err=True)
        return int(failed.exit_code)
    except typer.Abort:
        typer.echo("vcaudit: interrupted", err=True)
        return 130
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
        if _State.debug:
            traceback.print_exc()
        typer.echo(
            f"vcaudit: internal error ({type(exc).__name__}). This is a bug in vcaudit: run the "
            "same command again with --debug and keep what it prints to report it.",
            err=True,
        )
        return int(code)
    return result if isinstance(result, int) else 0


def _take_debug(args: list[str]) -> tuple[list[str], bool]:
    """`args` without `--debug`, and whether it was there: it is a root option, but users
    add it where they noticed the problem, after the subcommand (`vcaudit scan x --debug`).
    Nothing after `--` is touched (it names files)."""
    end = args.index("--") if "--" in args else len(args)
    kept = [arg for arg in args[:end] if arg != "--debug"]
    return kept + args[end:], len(kept) < end


def _say_usage_error(usage: Any) -> None:
    """One line in vcaudit's error style, then where to look (click's own layout puts the
    error last, after a usage line, unlike every other error vcaudit reports)."""
    if isinstance(usage, _click.NoArgsIsHelpError):
        usage.show()  # a group run without its command: its help, as click would
        return
    message = terminal_safe(usage.format_message(), 400)
    typer.echo(f"vcaudit: error: {message}", err=True)
    ctx = usage.ctx
    if ctx is not None:
        typer.echo(ctx.get_usage(), err=True)
    typer.echo(f"Try '{ctx.command_path if ctx else 'vcaudit'} -h' for help.", err=True)
