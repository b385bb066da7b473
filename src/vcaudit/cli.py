"""The command line: translate flags into settings, wire the parts, write, exit.

Only this module imports typer. `main(argv)` is callable from tests and returns the exit code;
errors of vcaudit's own become one line on stderr and their exit code (see `ExitCode`), any
other exception becomes exit 70 with a request to report it (the trace only with --debug).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn, TextIO

import typer

from vcaudit import __version__
from vcaudit.console import ColorMode, use_color
from vcaudit.errors import UsageError, VcauditError
from vcaudit.inventory.sources import InputFormat
from vcaudit.models import ExitCode, Feed, Risk
from vcaudit.output import OutputFormat, RenderOptions, formatter_for
from vcaudit.sanitize import terminal_safe

app = typer.Typer(
    name="vcaudit",
    help="Audit installed videoconferencing clients against a sourced advisory feed.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

REPORT_ISSUES = "https://github.com/vcaudit/vcaudit/issues"
_DEFAULT_WIDTH = 100


class _State:
    debug = False


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"vcaudit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version_callback,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show a traceback for internal errors.")
    ] = False,
) -> None:
    """vcaudit: is any conferencing client in the fleet vulnerable, outdated or end-of-life?"""
    _State.debug = debug


def _fail(error: VcauditError) -> NoReturn:
    typer.echo(f"vcaudit: error: {error}", err=True)
    if error.hint:
        typer.echo(f"Tip: {error.hint}", err=True)
    raise typer.Exit(int(error.exit_code))


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except VcauditError as error:
        _fail(error)


def _load_feed(path: Path | None) -> Feed:
    from dataclasses import replace

    from vcaudit.feed.load import load_feed

    feed = load_feed(path)
    return replace(feed, info=replace(feed.info, location=str(path) if path else "bundled"))


def _today(as_of: str | None) -> dt.date:
    if as_of is None:
        return dt.datetime.now(dt.UTC).date()
    try:
        return dt.date.fromisoformat(as_of)
    except ValueError:
        raise UsageError(f"--as-of: expected a date like 2026-01-31, got {as_of!r}") from None


def _emit(text: str, output: Path | None, inputs: Sequence[str]) -> None:
    if output is None or str(output) == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    from vcaudit.files import atomic_write

    atomic_write(output, text, inputs=inputs)


def _width(stream: TextIO) -> int:
    isatty = getattr(stream, "isatty", None)
    if isatty and isatty():
        return shutil.get_terminal_size((_DEFAULT_WIDTH, 24)).columns
    return _DEFAULT_WIDTH


FeedOption = Annotated[
    Path | None,
    typer.Option(
        "--feed",
        envvar="VCAUDIT_FEED",
        metavar="PATH",
        help="Feed directory to use instead of the bundled feed.",
    ),
]


@app.command()
def scan(
    inventory: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="INVENTORY",
            help="Inventory files (CSV, JSON, JSON Lines, YAML); '-' reads stdin.",
        ),
    ] = None,
    feed: FeedOption = None,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="Report format.")
    ] = OutputFormat.TABLE,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Write the report to FILE (atomically) instead of stdout.",
        ),
    ] = None,
    fail_on: Annotated[
        str,
        typer.Option(
            "--fail-on",
            envvar="VCAUDIT_FAIL_ON",
            metavar="LEVEL",
            help="Exit 1 when a finding reaches LEVEL: none|low|medium|high|critical "
            "('none' never fails).",
        ),
    ] = "high",
    details: Annotated[
        bool, typer.Option("--details", help="One row per installation instead of groups.")
    ] = False,
    strict: Annotated[
        bool, typer.Option("--strict", help="Unknown products and versions fail the run.")
    ] = False,
    color: Annotated[
        ColorMode, typer.Option("--color", help="Colour the table (NO_COLOR is honoured).")
    ] = ColorMode.AUTO,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Table format: print only the verdict line.")
    ] = False,
    input_format: Annotated[
        InputFormat, typer.Option("--input-format", help="Force the inventory format.")
    ] = InputFormat.AUTO,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            metavar="DATE",
            help="Judge as of DATE (YYYY-MM-DD) instead of today, for reproducible reports.",
        ),
    ] = None,
) -> None:
    """Audit inventories and print the risk report."""
    with _errors():
        from vcaudit.audit import run_audit
        from vcaudit.inventory.sources import read_inventories
        from vcaudit.policy import Policy, decide_exit

        try:
            threshold = Risk.from_label(fail_on)
        except ValueError:
            raise UsageError(
                f"--fail-on: expected none, low, medium, high or critical, got {fail_on!r}"
            ) from None
        names = list(inventory or [])
        if not names:
            raise UsageError(
                "give at least one inventory file, or '-' for standard input",
                hint="vcaudit scan examples/fleet.csv",
            )
        today = _today(as_of)
        loaded = _load_feed(feed)
        policy = Policy(fail_on=threshold, strict=strict)
        report = run_audit(
            read_inventories(names, input_format),
            loaded,
            policy,
            today,
            inputs=tuple(names),
            tool_version=__version__,
        )
        target = sys.stdout
        colored = output is None and use_color(color, target, "NO_COLOR" in os.environ)
        options = RenderOptions(
            color=colored,
            width=_width(target) if output is None else _DEFAULT_WIDTH,
            details=details,
        )
        text = formatter_for(output_format)(report, options)
        if quiet and output_format is OutputFormat.TABLE:
            text = text.rstrip("\n").rsplit("\n", 1)[-1] + "\n"
        _emit(text, output, names)
        code = decide_exit(report.findings, policy)
    raise typer.Exit(int(code))


@app.command()
def products(
    feed: FeedOption = None,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="table or json.")
    ] = OutputFormat.TABLE,
) -> None:
    """List the feed's products: lifecycle, latest version per platform, advisories."""
    with _errors():
        from vcaudit.output import products as products_output

        loaded = _load_feed(feed)
        if output_format is OutputFormat.JSON:
            text = products_output.render_json(loaded)
        else:
            colored = use_color(ColorMode.AUTO, sys.stdout, "NO_COLOR" in os.environ)
            text = products_output.render_table(loaded, colored, _width(sys.stdout))
        _emit(text, None, ())


feed_app = typer.Typer(
    help="Check, describe and export the advisory feed.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(feed_app, name="feed")


class ExportFormat(StrEnum):
    """`vcaudit feed export --format` choices."""

    OSV = "osv"


@feed_app.command("validate")
def feed_validate(
    path: Annotated[
        Path | None,
        typer.Argument(metavar="[PATH]", help="Feed directory (default: the bundled feed)."),
    ] = None,
) -> None:
    """Validate a feed: the JSON Schema, then checks across records. Exit 4 if invalid."""
    with _errors():
        from vcaudit.feed.load import bundled_feed_dir
        from vcaudit.feed.validate import schema_problems, semantic_problems

        directory = path or bundled_feed_dir()
        loaded = _load_feed(path)
        problems = list(schema_problems(directory))
        problems.extend(semantic_problems(loaded, _today(None)))
        for problem in problems:
            typer.echo(terminal_safe(str(problem), 0), err=True)
        advisories = sum(len(p.advisories) for p in loaded.products)
        if problems:
            typer.echo(f"vcaudit: feed is invalid: {len(problems)} problem(s)", err=True)
            raise typer.Exit(int(ExitCode.FEED))
        typer.echo(
            f"feed is valid: {len(loaded.products)} products, {advisories} advisories "
            f"({terminal_safe(loaded.info.location, 0)})"
        )


@feed_app.command("info")
def feed_info(feed: FeedOption = None) -> None:
    """Which feed is in use, how old it is, and what it covers."""
    with _errors():
        loaded = _load_feed(feed)
        info = loaded.info
        lines = [f"source:       {terminal_safe(info.location, 0)}"]
        if info.generated_at is not None:
            age = (dt.datetime.now(dt.UTC) - info.generated_at).days
            lines.append(f"generated at: {info.generated_at.isoformat()} ({age} days ago)")
        lines.append(f"publisher:    {terminal_safe(info.publisher, 0)}")
        if info.kev_catalog_date:
            lines.append(f"CISA KEV:     catalog of {info.kev_catalog_date.isoformat()}")
        total = sum(len(p.advisories) for p in loaded.products)
        lines.append(f"products:     {len(loaded.products)}, advisories: {total}")
        for product in loaded.products:
            state = "end of life" if product.lifecycle.eol else "supported"
            lines.append(f"  {product.id:<16} {len(product.advisories):>4} advisories  {state}")
        typer.echo("\n".join(lines))


@feed_app.command("export")
def feed_export(
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="Folder to write into.")],
    export_format: Annotated[
        ExportFormat, typer.Option("--format", "-f", help="Export format.")
    ] = ExportFormat.OSV,
    feed: FeedOption = None,
) -> None:
    """Write the feed in another format: one OSV JSON file per advisory."""
    with _errors():
        from vcaudit.errors import OutputError
        from vcaudit.feed import osv
        from vcaudit.files import atomic_write

        loaded = _load_feed(feed)
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"{directory}: cannot create: {exc.strerror}") from None
        files = osv.export(loaded)
        for name, text in files.items():
            atomic_write(directory / name, text)
        typer.echo(f"wrote {len(files)} OSV records to {directory}")


@app.command("advisory")
def advisory_command(
    advisory_id: Annotated[str, typer.Argument(metavar="ID", help="Vendor id or CVE.")],
    feed: FeedOption = None,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="table or json.")
    ] = OutputFormat.TABLE,
) -> None:
    """Show one advisory (by vendor id or CVE alias): ranges per platform and sources."""
    with _errors():
        from vcaudit.output import advisories as advisory_output

        loaded = _load_feed(feed)
        found = advisory_output.find(loaded, advisory_id)
        if not found:
            raise UsageError(
                f"no advisory {advisory_id!r} in the feed",
                hint="ids are vendor ids (ZSB-24008, cisco-sa-...) or CVE ids",
            )
        if output_format is OutputFormat.JSON:
            text = advisory_output.render_json(found)
        else:
            text = advisory_output.render_text(found)
        _emit(text, None, ())


def main(argv: Sequence[str] | None = None) -> int:
    """Run vcaudit with `argv` (default: sys.argv[1:]) and return the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        # Standalone mode lets typer report usage errors itself (exit 2); every exit, ours
        # included, arrives here as SystemExit.
        app(args=args, prog_name="vcaudit", standalone_mode=True)
    except SystemExit as done:
        code = done.code
        if code is None:
            return 0
        return code if isinstance(code, int) else int(ExitCode.USAGE)
    except KeyboardInterrupt:
        typer.echo("vcaudit: interrupted", err=True)
        return 130
    except Exception as exc:
        if _State.debug or "--debug" in args:
            traceback.print_exc()
        typer.echo(
            f"vcaudit: internal error ({type(exc).__name__}). This is a bug; please report it "
            f"at {REPORT_ISSUES} (run again with --debug for details).",
            err=True,
        )
        return int(ExitCode.INTERNAL)
    return 0
