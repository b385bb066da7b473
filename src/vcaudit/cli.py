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
from typing import TYPE_CHECKING, Annotated, NoReturn, TextIO

import typer

from vcaudit import __version__
from vcaudit.console import ColorMode, use_color
from vcaudit.errors import UsageError, VcauditError
from vcaudit.inventory.sources import InputFormat
from vcaudit.models import ExitCode, Feed, Risk

if TYPE_CHECKING:
    from vcaudit.config import LoadedConfig
    from vcaudit.policy import Policy
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
    typer.echo(f"vcaudit: error: {terminal_safe(str(error), 0)}", err=True)
    if error.hint:
        typer.echo(f"Tip: {terminal_safe(error.hint, 0)}", err=True)
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
    reports: Annotated[
        list[str] | None,
        typer.Option(
            "--report",
            metavar="FORMAT=PATH",
            help="Also write a report in FORMAT to PATH; repeatable (json=out.json, sarif=...).",
        ),
    ] = None,
    fail_on: Annotated[
        str | None,
        typer.Option(
            "--fail-on",
            envvar="VCAUDIT_FAIL_ON",
            metavar="LEVEL",
            help="Exit 1 when a finding reaches LEVEL: none|low|medium|high|critical "
            "('none' never fails). Default: the policy file's fail_on, else high.",
        ),
    ] = None,
    details: Annotated[
        bool, typer.Option("--details", help="One row per installation instead of groups.")
    ] = False,
    strict: Annotated[
        bool | None,
        typer.Option("--strict/--no-strict", help="Unknown products and versions fail the run."),
    ] = None,
    config: ConfigOption = None,
    max_feed_age: Annotated[
        int | None,
        typer.Option(
            "--max-feed-age",
            metavar="DAYS",
            min=0,
            help="Exit 4 when the feed is older than DAYS (after writing the report).",
        ),
    ] = None,
    color: Annotated[
        ColorMode, typer.Option("--color", help="Colour the table (NO_COLOR is honoured).")
    ] = ColorMode.AUTO,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet", "-q", help="Table format: print only the verdict line; no warnings."
        ),
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
        from dataclasses import replace

        from vcaudit.audit import run_audit
        from vcaudit.inventory.sources import read_inventories
        from vcaudit.policy import decide_exit

        names = list(inventory or [])
        if not names:
            raise UsageError(
                "give at least one inventory file, or '-' for standard input",
                hint="vcaudit scan examples/fleet.csv",
            )
        extra = _parse_reports(reports or [])
        today = _today(as_of)
        loaded_config = _load_config(config)
        policy = loaded_config.policy if loaded_config else _default_policy()
        if fail_on is not None:
            policy = replace(policy, fail_on=_risk_flag(fail_on))
        if strict is not None:
            policy = replace(policy, strict=strict)
        if max_feed_age is not None:
            policy = replace(policy, max_feed_age_days=max_feed_age)
        loaded = _load_feed(feed)
        warnings = list(_policy_warnings(loaded_config, loaded))
        stale = _staleness(loaded, policy, today)
        if stale:
            warnings.append(stale)
        report = run_audit(
            read_inventories(names, input_format),
            loaded,
            policy,
            today,
            inputs=tuple(names),
            tool_version=__version__,
            warnings=tuple(warnings),
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
        file_options = RenderOptions(width=_DEFAULT_WIDTH, details=details)
        for fmt, path in extra:
            _emit(formatter_for(fmt)(report, file_options), path, names)
        if not quiet:
            for warning in report.warnings:
                typer.echo(f"vcaudit: warning: {terminal_safe(warning, 0)}", err=True)
        code = decide_exit(report)
        if _too_old(loaded, policy, today):
            typer.echo(f"vcaudit: error: {terminal_safe(stale, 0)}", err=True)
            code = ExitCode.FEED
    raise typer.Exit(int(code))


def _default_policy() -> Policy:
    from vcaudit.policy import Policy

    return Policy()


def _risk_flag(text: str) -> Risk:
    try:
        return Risk.from_label(text)
    except ValueError:
        raise UsageError(
            f"--fail-on: expected none, low, medium, high or critical, got {text!r}"
        ) from None


def _parse_reports(values: list[str]) -> list[tuple[OutputFormat, Path]]:
    out: list[tuple[OutputFormat, Path]] = []
    for value in values:
        fmt, sep, path = value.partition("=")
        if not sep or not path:
            raise UsageError(f"--report: expected FORMAT=PATH, got {value!r}")
        try:
            out.append((OutputFormat(fmt.strip().lower()), Path(path)))
        except ValueError:
            choices = ", ".join(f.value for f in OutputFormat)
            raise UsageError(f"--report: unknown format {fmt!r} (one of {choices})") from None
    return out


def _load_config(explicit: str | None) -> LoadedConfig | None:
    from vcaudit.config import find_config, load_policy

    path = find_config(explicit, os.environ, Path.cwd())
    return load_policy(path) if path is not None else None


def _policy_warnings(loaded_config: LoadedConfig | None, feed: Feed) -> list[str]:
    if loaded_config is None:
        return []
    from vcaudit.config import check_known_products

    return check_known_products(loaded_config, {p.id for p in feed.products})


STALE_WARN_DAYS = 30
"""Without max_feed_age_days, a feed older than this only warns."""


def _feed_age(feed: Feed, today: dt.date) -> int | None:
    generated = feed.info.generated_at
    return None if generated is None else (today - generated.date()).days


def _too_old(feed: Feed, policy: Policy, today: dt.date) -> bool:
    age = _feed_age(feed, today)
    limit = policy.max_feed_age_days
    return age is not None and limit is not None and age > limit


def _staleness(feed: Feed, policy: Policy, today: dt.date) -> str:
    age = _feed_age(feed, today)
    if age is None:
        return ""
    limit = policy.max_feed_age_days
    if limit is not None and age > limit:
        return f"the feed is {age} days old, older than the allowed {limit} (max_feed_age_days)"
    if limit is None and age > STALE_WARN_DAYS:
        return f"the feed is {age} days old; newer advisories may be missing"
    return ""


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


config_app = typer.Typer(
    help="Write or check a policy file (vcaudit.yaml).",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(config_app, name="config")


@config_app.command("init")
def config_init(
    path: Annotated[Path, typer.Argument(metavar="[PATH]", help="Where to write it.")] = Path(
        "vcaudit.yaml"
    ),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented example policy file."""
    with _errors():
        from vcaudit.config import EXAMPLE
        from vcaudit.errors import OutputError
        from vcaudit.files import atomic_write

        if path.exists() and not force:
            raise OutputError(f"{path}: already exists (use --force to overwrite)")
        atomic_write(path, EXAMPLE)
        typer.echo(f"wrote {path}; edit it, then run: vcaudit config check {path}")


@config_app.command("check")
def config_check(
    path: Annotated[
        str | None,
        typer.Argument(metavar="[PATH]", help="Policy file (default: as scan finds it)."),
    ] = None,
    feed: FeedOption = None,
) -> None:
    """Validate a policy file; exit 3 with file, line and key when it is wrong."""
    with _errors():
        loaded_config = _load_config(path)
        if loaded_config is None:
            raise UsageError(
                "no policy file: give a path, set VCAUDIT_CONFIG or create vcaudit.yaml",
                hint="vcaudit config init",
            )
        warnings = _policy_warnings(loaded_config, _load_feed(feed))
        for warning in warnings:
            typer.echo(f"vcaudit: warning: {terminal_safe(warning, 0)}", err=True)
        policy = loaded_config.policy
        typer.echo(
            f"{terminal_safe(loaded_config.path, 0)} is valid: fail_on {policy.fail_on.label}, "
            f"{len(policy.ignores)} ignore rule(s), "
            f"{len(policy.approved) if policy.approved is not None else 'no'} approved "
            f"product(s), {len(policy.owners_by_product) + len(policy.owners_by_tag)} owner(s)"
        )


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
