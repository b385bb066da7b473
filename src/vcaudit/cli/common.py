"""What several commands share: error handling, the feed and policy file, report writing,
options, progress and the reading context."""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, TextIO

import typer

from vcaudit.errors import OutputError, VcauditError
from vcaudit.models import AuditReport, Feed

if TYPE_CHECKING:
    from vcaudit.config import LoadedConfig
from vcaudit.output import OutputFormat, RenderOptions
from vcaudit.sanitize import terminal_safe

_DEFAULT_WIDTH = 100


def _fail(error: VcauditError) -> NoReturn:
    # Several bad rows of one file are each named on a line of their own, then summed up.
    for problem in getattr(error, "problems", ()):
        typer.echo(f"vcaudit: error: {terminal_safe(str(problem), 0)}", err=True)
    typer.echo(f"vcaudit: error: {terminal_safe(str(error), 0)}", err=True)
    if error.hint:
        typer.echo(f"Tip: {terminal_safe(error.hint, 0)}", err=True)
    raise typer.Exit(int(error.exit_code))


def _warn(warning: str) -> None:
    """`vcaudit: warning: ...` on standard error (see `_say`)."""
    _say(f"vcaudit: warning: {terminal_safe(warning, 0)}")


def _say(line: str) -> None:
    """A line of vcaudit's own on standard error: on a terminal, wrapped to its width like
    the report (words whole, continuation lines indented); elsewhere (a CI log, a script
    reading it) one line, as written."""
    if sys.stderr.isatty():
        from vcaudit.console import terminal_width
        from vcaudit.output.layout import message

        line = message(line, terminal_width(sys.stderr, os.environ, _DEFAULT_WIDTH))
    typer.echo(line, err=True)


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except VcauditError as error:
        _fail(error)


def _load_feed(
    location: str | Path | None,
    cache_dir: Path | None = None,
    loaded_config: LoadedConfig | None = None,
) -> Feed:
    from dataclasses import replace

    from vcaudit.feed import store

    if location is None:
        # --cache-dir or VCAUDIT_CACHE_DIR: a folder chosen, so an unsafe one is an error.
        chosen = store.feed_in_use(store.environ_cache_dir(cache_dir), explicit=bool(cache_dir))
        for warning in chosen.warnings:
            _warn(warning)
        return chosen.feed
    text = str(location)
    if text.startswith(("https://", "http://")):
        from vcaudit.feed.update import FetchOptions, fetch_for_run

        key = loaded_config.feed_public_key if loaded_config else None
        return fetch_for_run(text, public_key=key, options=FetchOptions())
    from vcaudit.feed.load import load_feed

    feed = load_feed(Path(text))
    return replace(feed, info=replace(feed.info, location=text))


@contextmanager
def _stdout_report() -> Iterator[None]:
    """Writing a report to standard output: a full disk or a closed pipe is one line and
    exit 3, like a report file that cannot be written (README, exit codes)."""
    try:
        yield
        sys.stdout.flush()
    except OSError as exc:
        _silence_stdout()
        raise OutputError(
            f"standard output: cannot write the report: {exc.strerror or exc}"
        ) from None


def _silence_stdout() -> None:
    """Point standard output at /dev/null once writing to it failed, so the interpreter's
    last flush of what is still buffered does not fail again on the way out."""
    with suppress(OSError, ValueError):
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, sys.stdout.fileno())
        finally:
            os.close(null)


def _emit(text: str, output: Path | None, inputs: Sequence[str]) -> None:
    if output is None or str(output) == "-":
        with _stdout_report():
            sys.stdout.write(text)
        return
    from vcaudit.files import atomic_write

    atomic_write(output, text, inputs=inputs)


def _write_report(
    fmt: OutputFormat,
    report: AuditReport,
    options: RenderOptions,
    output: Path | None,
    inputs: Sequence[str],
    *,
    quiet: bool = False,
) -> None:
    """Stream a report to stdout, or atomically to a file."""
    from vcaudit.output import writer_for

    write = writer_for(fmt)
    if output is None or str(output) == "-":
        with _stdout_report():
            write(report, options, sys.stdout)
        return
    from vcaudit.files import atomic_stream
    from vcaudit.inventory.aggregate import RereadFindings

    findings = report.findings
    if not isinstance(findings, RereadFindings):
        with atomic_stream(output, inputs=inputs) as stream:
            write(report, options, stream)
        return
    # Rows read again while writing: count them (shown only once a format reads them).
    with _progress_rows(quiet, f"writing {output.name}") as progress:
        findings.progress = progress
        try:
            with atomic_stream(output, inputs=inputs) as stream:
                write(report, options, stream)
        finally:
            findings.progress = None


def _width(stream: TextIO) -> int:
    """COLUMNS, else the terminal's width, else 100 (piped output honours COLUMNS too)."""
    from vcaudit.console import terminal_width

    return terminal_width(stream, os.environ, _DEFAULT_WIDTH)


ConfigOption = Annotated[
    str | None,
    typer.Option(
        "--config",
        envvar="VCAUDIT_CONFIG",
        metavar="PATH",
        help="Policy file (default: ./vcaudit.yaml when it exists).",
    ),
]


FeedOption = Annotated[
    str | None,
    typer.Option(
        "--feed",
        envvar="VCAUDIT_FEED",
        metavar="PATH|URL",
        help="Feed to use: a directory of YAML files, a bundle file, or a bundle URL "
        "(verified like feed update). Default: the newer of the installed and bundled feeds.",
    ),
]


CacheDirOption = Annotated[
    Path | None,
    typer.Option(
        "--cache-dir",
        envvar="VCAUDIT_CACHE_DIR",
        metavar="DIR",
        help="Where updated feeds are installed (default: the user's cache folder).",
    ),
]


AllowPartialOption = Annotated[
    bool,
    typer.Option(
        "--allow-partial",
        help="Read an export that says it is incomplete (a Jamf, Graph or Fleet page) with a "
        "warning instead of exit 3.",
    ),
]


@contextmanager
def _collection_paused() -> Iterator[None]:
    """A command makes many short-lived objects (rows, parts of rows, report lines) and no
    reference cycles to speak of: the cyclic garbage collector would scan them again and
    again for nothing (about a tenth of a large scan's time). Memory is still freed by
    reference counting, and the collector is back on when the command returns."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def _progress_rows(
    quiet: bool, doing: str = "reading inventories"
) -> Iterator[Callable[[int], None] | None]:
    """A row counter on stderr for long inputs (or long reports written from inputs read
    again) when stderr is a terminal that can wipe it away again (not TERM=dumb); else
    nothing."""
    from vcaudit.console import can_redraw, make_console

    if quiet or not can_redraw(sys.stderr, os.environ):
        yield None
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn

    console = make_console(sys.stderr, color=True)
    label = terminal_safe(doing, 80).replace("{", "{{").replace("}", "}}")  # a format string
    columns = (SpinnerColumn(), TextColumn(label + ": {task.completed:,} rows", markup=False))
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("rows", total=None, visible=False)

        def update(rows: int) -> None:
            bar.update(task, completed=rows, visible=True)

        yield update


def _load_config(explicit: str | None) -> LoadedConfig | None:
    from vcaudit.settings import load_config

    return load_config(explicit, os.environ, Path.cwd())


class ListFormat(StrEnum):
    """Formats of the listing commands (`products`, `advisory`)."""

    TABLE = "table"
    JSON = "json"


ListFormatOption = Annotated[ListFormat, typer.Option("--format", "-f", help="table or json.")]
