"""The command line: translate flags into settings, wire the parts, write, exit.

Only this module imports typer. `main(argv)` is callable from tests and returns the exit code;
errors of vcaudit's own become one line on stderr and their exit code (see `ExitCode`), any
other exception becomes exit 70 with a request to report it (the trace only with --debug).
"""

from __future__ import annotations

import datetime as dt
import errno
import gc
import os
import shutil
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, BinaryIO, NoReturn, TextIO

import typer

from vcaudit import __version__
from vcaudit.console import ColorMode, use_color
from vcaudit.errors import InputError, OutputError, UsageError, VcauditError
from vcaudit.inventory.formats import InputFormat
from vcaudit.inventory.writer import InventoryFormat
from vcaudit.models import AuditReport, ExitCode, Feed, Installation, Ownership, Platform, Risk
from vcaudit.notify.kinds import Security, WebhookFormat

if TYPE_CHECKING:
    from vcaudit.config import InventoryConfig, LoadedConfig
    from vcaudit.inventory.context import ReadContext
    from vcaudit.inventory.discover import Discovery
    from vcaudit.notify.deliver import NotifySettings
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
    # Several bad rows of one file are each named on a line of their own, then summed up.
    for problem in getattr(error, "problems", ()):
        typer.echo(f"vcaudit: error: {terminal_safe(str(problem), 0)}", err=True)
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
            typer.echo(f"vcaudit: warning: {terminal_safe(warning, 0)}", err=True)
        return chosen.feed
    text = str(location)
    if text.startswith(("https://", "http://")):
        from vcaudit.feed.update import FetchOptions, fetch_for_run

        key = loaded_config.feed_public_key if loaded_config else None
        return fetch_for_run(text, public_key=key, options=FetchOptions())
    from vcaudit.feed.load import load_feed

    feed = load_feed(Path(text))
    return replace(feed, info=replace(feed.info, location=text))


def _today(as_of: str | None) -> dt.date:
    if as_of is None:
        return dt.datetime.now(dt.UTC).date()
    try:
        return dt.date.fromisoformat(as_of)
    except ValueError:
        raise UsageError(f"--as-of: expected a date like 2026-01-31, got {as_of!r}") from None


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


_WRITE_FAILURES = frozenset({errno.ENOSPC, errno.EPIPE, errno.EDQUOT, errno.EFBIG})
"""Errors only a write gives: printing to a full disk or a closed pipe."""


def _emit(text: str, output: Path | None, inputs: Sequence[str]) -> None:
    if output is None or str(output) == "-":
        with _stdout_report():
            sys.stdout.write(text)
        return
    from vcaudit.files import atomic_write

    atomic_write(output, text, inputs=inputs)


_ROW_FORMATS = {fmt for fmt in OutputFormat if fmt.capabilities.lists_rows}
"""Formats with a line per installation (their capability in `output.FORMATTERS`); the others
are written from groups and counts."""


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

ColumnsOption = Annotated[
    str | None,
    typer.Option(
        "--columns",
        metavar="FIELD=HEADER,...",
        help="Map a CSV's own headers to vcaudit's fields, e.g. "
        "'host=Computer,product=App,version=Ver' (fields: host, platform, product, version, "
        "publisher, owner, ownership, user, tags, last_seen). Common headers (Hostname, Computer "
        "Name, Application, Display Version, OS, ...) are recognised without it.",
    ),
]
PlatformOption = Annotated[
    Platform | None,
    typer.Option(
        "--platform",
        help="Platform of rows that give none and whose product does not say (a bundle id, an "
        ".app or a package name does).",
    ),
]
AllowEmptyOption = Annotated[
    bool,
    typer.Option(
        "--allow-empty",
        help="Accept an inventory that yields no installation (exit 3 otherwise).",
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


@app.command()
def scan(
    inventory: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="INVENTORY",
            help="Inventories or exports (native CSV/JSON/JSONL/YAML, osquery, Fleet, Intune, "
            "Jamf, ConfigMgr, dpkg/rpm/flatpak/snap); '-' reads stdin; none: this machine.",
        ),
    ] = None,
    feed: FeedOption = None,
    cache_dir: CacheDirOption = None,
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
        bool,
        typer.Option(
            "--details", help="One row per installation instead of groups (the worst 10,000)."
        ),
    ] = False,
    strict: Annotated[
        bool | None,
        typer.Option("--strict/--no-strict", help="Unknown products and versions fail the run."),
    ] = None,
    fail_on_review: Annotated[
        bool | None,
        typer.Option(
            "--fail-on-review/--no-fail-on-review",
            help="An advisory to review (affected versions not published yet) fails the run "
            "when its severity reaches --fail-on. Default: the policy file's review.",
        ),
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
    host: Annotated[
        str | None,
        typer.Option(
            "--host",
            metavar="NAME",
            help="Host name for exports that carry none (osqueryi, dpkg-query...); "
            "default: the file name.",
        ),
    ] = None,
    allow_partial: AllowPartialOption = False,
    columns: ColumnsOption = None,
    platform: PlatformOption = None,
    allow_empty: AllowEmptyOption = False,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            metavar="DATE",
            help="Judge as of DATE (YYYY-MM-DD) instead of today, for reproducible reports.",
        ),
    ] = None,
    email_to: Annotated[
        list[str] | None,
        typer.Option("--email-to", metavar="ADDR", help="Mail the summary to ADDR; repeatable."),
    ] = None,
    email_from: Annotated[
        str | None, typer.Option("--email-from", metavar="ADDR", help="Sender address.")
    ] = None,
    smtp_host: Annotated[str | None, typer.Option("--smtp-host", metavar="HOST")] = None,
    smtp_port: Annotated[
        int | None, typer.Option("--smtp-port", metavar="PORT", min=1, max=65535)
    ] = None,
    smtp_security: Annotated[
        Security | None,
        typer.Option("--smtp-security", help="starttls (default), tls or none."),
    ] = None,
    smtp_user: Annotated[str | None, typer.Option("--smtp-user", metavar="USER")] = None,
    smtp_password_file: Annotated[
        str | None,
        typer.Option(
            "--smtp-password-file",
            metavar="FILE",
            help="File holding the SMTP password (else $VCAUDIT_SMTP_PASSWORD).",
        ),
    ] = None,
    smtp_ca_file: Annotated[
        str | None,
        typer.Option("--smtp-ca-file", metavar="PEM", help="CA certificates for a private relay."),
    ] = None,
    smtp_timeout: Annotated[
        float | None,
        typer.Option(
            "--smtp-timeout",
            metavar="SECONDS",
            min=0.1,
            max=86400,
            help="Overall deadline of each SMTP session: connecting, TLS, login and sending, "
            "however slowly the server answers (default 30).",
        ),
    ] = None,
    email_attach: Annotated[
        list[Attachment] | None,
        typer.Option("--email-attach", help="Attach the report as json or csv; repeatable."),
    ] = None,
    email_dry_run: Annotated[
        Path | None,
        typer.Option("--email-dry-run", metavar="DIR", help="Write .eml files instead of sending."),
    ] = None,
    state: Annotated[
        Path | None,
        typer.Option(
            "--state",
            metavar="FILE",
            help="Remember findings between runs here (locked while a run uses it).",
        ),
    ] = None,
    state_wait: Annotated[
        float | None,
        typer.Option(
            "--state-wait",
            metavar="SECONDS",
            min=0,
            max=86400,
            help="Wait this long for another run using --state, then give up (default 30).",
        ),
    ] = None,
    only_changes: Annotated[
        bool,
        typer.Option(
            "--only-changes", help="Send only when findings are new, resolved or riskier."
        ),
    ] = False,
    webhooks: Annotated[
        list[str] | None,
        typer.Option("--webhook", metavar="URL", help="Post the summary to URL; repeatable."),
    ] = None,
    webhook_format: Annotated[
        WebhookFormat | None,
        typer.Option("--webhook-format", help="json (default), slack or teams."),
    ] = None,
    webhook_timeout: Annotated[
        float | None,
        typer.Option(
            "--webhook-timeout",
            metavar="SECONDS",
            min=0.1,
            max=86400,
            help="Overall deadline of each webhook request, reading the answer included "
            "(default 15).",
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
        stdin_stream: BinaryIO | None = None
        piped_note = ""
        piped = None
        if not names:
            from vcaudit.inventory.piped import piped_input

            piped = piped_input()
            if piped.stream is not None:
                names, stdin_stream = ["-"], piped.stream
            piped_note = piped.note
        extra = _parse_reports(reports or [])
        from vcaudit.files import check_outputs

        check_outputs([output, *(path for _fmt, path in extra)], names)
        today = _today(as_of)
        loaded_config = _load_config(config)
        policy = loaded_config.policy if loaded_config else _default_policy()
        if fail_on is not None:
            policy = replace(policy, fail_on=_risk_flag(fail_on))
        if strict is not None:
            policy = replace(policy, strict=strict)
        if fail_on_review is not None:
            policy = replace(policy, fail_on_review=fail_on_review)
        if max_feed_age is not None:
            policy = replace(policy, max_feed_age_days=max_feed_age)
        loaded = _load_feed(feed, cache_dir, loaded_config)
        warnings = list(_policy_warnings(loaded_config, loaded))
        stale = _staleness(loaded, policy, today)
        if stale:
            warnings.append(stale)
        notify = _notify_settings(
            loaded_config,
            email_to=email_to,
            email_from=email_from,
            smtp_host=smtp_host,
            smtp_port=smtp_port,
            smtp_security=smtp_security,
            smtp_user=smtp_user,
            smtp_ca_file=smtp_ca_file,
            smtp_timeout=smtp_timeout,
            email_attach=email_attach,
            email_dry_run=email_dry_run,
            state=state,
            state_wait=state_wait,
            only_changes=only_changes,
            webhooks=webhooks,
            webhook_format=webhook_format,
            webhook_timeout=webhook_timeout,
        )
        if piped_note:
            warnings.append(piped_note)
        context = _read_context(loaded, host, allow_partial)
        inventory_config = loaded_config.inventory if loaded_config else None
        _row_options(context, columns, platform, inventory_config)
        allow_empty = allow_empty or bool(inventory_config and inventory_config.allow_empty)
        formats = {output_format, *(fmt for fmt, _ in extra)}
        deliver_to = notify if notify is not None and notify.active else None
        keep = details or deliver_to is not None or bool(formats & _ROW_FORMATS)
        with _progress_rows(quiet) as progress:
            context.progress = progress
            from vcaudit.inventory import sources

            if (
                names
                and not any(rule.hosts for rule in policy.ignores)
                and (not keep or sources.rereadable(names, input_format))
            ):
                # Count rows instead of keeping them; what lists installations one by one
                # reads the files again.
                from vcaudit.audit import run_audit_counts

                report = run_audit_counts(
                    sources.aggregate_inventories(names, input_format, stdin_stream, ctx=context),
                    loaded,
                    policy,
                    today,
                    inputs=tuple(names),
                    tool_version=__version__,
                    warnings=tuple(warnings),
                    reopen=sources.reopen_counted if keep else None,
                )
            else:
                installations: Iterable[Installation]
                if names:
                    installations = _counted(
                        read_inventories(names, input_format, stdin_stream, ctx=context),
                        progress,
                    )
                else:
                    found = _discover(context, Ownership.COMPANY, "")
                    warnings.extend(found.failures)
                    installations = found.installations
                report = run_audit(
                    installations,
                    loaded,
                    policy,
                    today,
                    inputs=tuple(names),
                    tool_version=__version__,
                    warnings=tuple(warnings),
                    keep_findings=keep,
                )
        if not allow_empty:
            _refuse_empty(context)
        read = [r.describe() for r in context.reads]
        if not names:
            read.append(f"this machine: {report.summary.installations} installations found")
        report = replace(
            report,
            warnings=(*report.warnings, *_reading_notes(context)),
            read=tuple(read),
        )
        target = sys.stdout
        colored = output is None and use_color(color, target, "NO_COLOR" in os.environ)
        options = RenderOptions(
            color=colored,
            width=_width(target) if output is None else _DEFAULT_WIDTH,
            details=details,
        )
        if quiet and output_format is OutputFormat.TABLE:
            text = formatter_for(output_format)(report, options)
            _emit(text.rstrip("\n").rsplit("\n", 1)[-1] + "\n", output, names)
        else:
            _write_report(output_format, report, options, output, names, quiet=quiet)
        file_options = RenderOptions(width=_DEFAULT_WIDTH, details=details)
        for fmt, path in extra:
            _write_report(fmt, report, file_options, path, names, quiet=quiet)
        if not quiet:
            for warning in report.warnings:
                typer.echo(f"vcaudit: warning: {terminal_safe(warning, 0)}", err=True)
        if piped is not None and piped.sent_late():
            # The report above is of this machine; an inventory piped too late must not pass
            # for having been audited (nor be mailed as such).
            raise InputError(
                "<stdin>",
                "sent an inventory after the wait for it, so it was not audited: the report "
                "is of this machine",
                hint="name the input '-' (vcaudit scan -) to wait for a slow producer",
            )
        delivery_failed = False
        if deliver_to is not None:
            from vcaudit.notify.deliver import deliver
            from vcaudit.notify.email import read_password

            password_file = smtp_password_file or (
                loaded_config.mail.password_file if loaded_config else ""
            )
            password = read_password(os.environ.get("VCAUDIT_SMTP_PASSWORD"), password_file)
            now = dt.datetime.now(dt.UTC).replace(microsecond=0)
            result = deliver(report, deliver_to, now=now, password=password)
            for line in result.sent:
                if not quiet:
                    typer.echo(f"vcaudit: {terminal_safe(line, 0)}", err=True)
            if result.skipped and not quiet:
                typer.echo(f"vcaudit: {result.skipped}", err=True)
            # Owners not mailed: the default recipients' mail lists them; without one, or
            # without -q, they are said here too.
            for note in result.notes if not quiet or not deliver_to.email_to else ():
                typer.echo(f"vcaudit: warning: {terminal_safe(note, 0)}", err=True)
            for failure in result.failures:
                typer.echo(f"vcaudit: error: {terminal_safe(failure, 0)}", err=True)
            delivery_failed = bool(result.failures)
        too_old = _too_old(loaded, policy, today)
        if too_old:
            typer.echo(f"vcaudit: error: {terminal_safe(stale, 0)}", err=True)
        code = decide_exit(report, feed_too_old=too_old, delivery_failed=delivery_failed)
    raise typer.Exit(int(code))


class Attachment(StrEnum):
    """`--email-attach` choices."""

    JSON = "json"
    CSV = "csv"


def _notify_settings(
    loaded_config: LoadedConfig | None,
    *,
    email_to: list[str] | None,
    email_from: str | None,
    smtp_host: str | None,
    smtp_port: int | None,
    smtp_security: Security | None,
    smtp_user: str | None,
    smtp_ca_file: str | None,
    smtp_timeout: float | None,
    email_attach: list[Attachment] | None,
    email_dry_run: Path | None,
    state: Path | None,
    state_wait: float | None = None,
    only_changes: bool,
    webhooks: list[str] | None,
    webhook_format: WebhookFormat | None,
    webhook_timeout: float | None = None,
) -> NotifySettings | None:
    """Flags over the policy file's email and webhooks sections; None when there is
    nothing to deliver or remember (and mail code is not even loaded)."""
    from vcaudit.config import MailConfig

    mail = loaded_config.mail if loaded_config else MailConfig()
    recipients = tuple(email_to) if email_to else mail.to
    sender = email_from or mail.sender
    if not (recipients or sender or webhooks or mail.webhooks or state or only_changes):
        return None

    from vcaudit.notify.changes import check_state_path
    from vcaudit.notify.deadline import check_seconds
    from vcaudit.notify.deliver import STATE_WAIT, NotifySettings
    from vcaudit.notify.email import DEFAULT_TIMEOUT, SmtpSettings, check_address
    from vcaudit.notify.kinds import webhook_url_problem
    from vcaudit.notify.webhook import DEFAULT_TIMEOUT as WEBHOOK_TIMEOUT

    if recipients and not sender:
        raise UsageError("--email-to needs --email-from (or email.from in vcaudit.yaml)")
    for address in recipients:
        check_address(address, "--email-to")
    if sender:
        check_address(sender, "--email-from")
    if only_changes and state is None:
        raise UsageError("--only-changes needs --state FILE to know what changed")
    if state is not None:
        check_state_path(state)  # before anything is audited or sent
    security = smtp_security or (Security(mail.security) if mail.security else Security.STARTTLS)
    for url in webhooks or mail.webhooks:
        problem = webhook_url_problem(url)
        if problem:
            raise UsageError(f"--webhook: {problem}: {url!r}")
    seconds = {
        "--smtp-timeout": smtp_timeout or mail.timeout or DEFAULT_TIMEOUT,
        "--webhook-timeout": webhook_timeout or mail.webhook_timeout or WEBHOOK_TIMEOUT,
    }
    for what, value in seconds.items():
        try:
            check_seconds(value, what)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    if state_wait is not None and not 0 <= state_wait <= 86400:  # also refuses nan
        raise UsageError("--state-wait: expected a number of seconds from 0 to 86400")
    return NotifySettings(
        email_to=recipients,
        email_from=sender,
        smtp=SmtpSettings(
            host=smtp_host or mail.smtp_host or "localhost",
            port=smtp_port or mail.smtp_port,
            security=security,
            user=smtp_user or mail.user,
            ca_file=smtp_ca_file or mail.ca_file,
            timeout=seconds["--smtp-timeout"],
        ),
        attach=tuple(a.value for a in email_attach) if email_attach else mail.attach,
        dry_run_dir=email_dry_run,
        route_to_owners=mail.route_to_owners,
        allowed_domains=mail.allowed_domains,
        state=state,
        only_changes=only_changes,
        state_wait=STATE_WAIT if state_wait is None else state_wait,
        webhooks=tuple(webhooks) if webhooks else mail.webhooks,
        webhook_format=webhook_format
        or (WebhookFormat(mail.webhook_format) if mail.webhook_format else WebhookFormat.JSON),
        webhook_timeout=seconds["--webhook-timeout"],
    )


def _read_context(feed: Feed, host: str | None, allow_partial: bool = False) -> ReadContext:
    """What readers need: which exported rows are clients (add-ins and helpers are counted
    apart), the host of exports that name none, and how native rows are read."""
    from dataclasses import replace

    from vcaudit.inventory.context import ReadContext
    from vcaudit.inventory.identify import Identifier

    identifier = Identifier(feed.products)
    context = ReadContext(
        relevant=identifier.relevant, host=host or "", allow_partial=allow_partial
    )
    context.rows = replace(context.rows, platform_of=identifier.platform_of, warn=context.note)
    context.not_clients = identifier.not_clients_seen
    return context


def _row_options(
    context: ReadContext,
    columns: str | None,
    platform: Platform | None,
    config: InventoryConfig | None,
) -> None:
    """How native rows are read: columns and platform from the flags, else the policy file;
    a row's own product name can also tell its platform."""
    from dataclasses import replace

    mapped = dict(config.columns) if config is not None else {}
    if columns is not None:
        mapped = _parse_columns(columns)
    default = platform
    if default is None and config is not None and config.platform:
        default = Platform(config.platform)
    context.rows = replace(context.rows, columns=mapped, platform=default)


def _parse_columns(text: str) -> dict[str, str]:
    from vcaudit.config import INVENTORY_FIELDS

    mapped: dict[str, str] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        field_name, sep, header = part.partition("=")
        field_name = field_name.strip().casefold()
        if not sep or not header.strip():
            raise UsageError(f"--columns: expected FIELD=HEADER, got {part.strip()!r}")
        if field_name not in INVENTORY_FIELDS:
            raise UsageError(
                f"--columns: unknown field {field_name!r} "
                f"(expected one of: {', '.join(INVENTORY_FIELDS)})"
            )
        mapped[field_name] = header.strip()
    return mapped


def _refuse_empty(context: ReadContext) -> None:
    """An inventory named on the command line that yields nothing is an error, saying what
    was read and how it was understood: never a quiet PASS."""
    for read in context.reads:
        if read.installations == 0:
            raise InputError(
                read.name,
                read.describe().removeprefix(f"{read.name}: ") + "; nothing to audit",
                hint="check the file's format (--input-format forces one) and its header; "
                "--allow-empty accepts an inventory without conferencing clients",
            )


def _reading_notes(context: ReadContext) -> list[str]:
    notes = list(context.notes)
    if context.dropped:
        one = context.dropped == 1
        notes.append(
            f"{context.dropped} row{'' if one else 's'} of the exports {'was' if one else 'were'} "
            f"other software, not conferencing clients, and {'was' if one else 'were'} skipped"
        )
    helpers = sorted(context.not_clients)
    if helpers:
        more = f"; and {len(helpers) - 5} more" if len(helpers) > 5 else ""
        notes.append(
            "add-ins and helpers of conferencing products among them, not audited: "
            + "; ".join(helpers[:5])
            + more
        )
    return notes


PROGRESS_EVERY = 20_000


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
    again) when stderr is a terminal; else nothing."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn

    from vcaudit.console import make_console

    console = make_console(sys.stderr, color=True)
    label = terminal_safe(doing, 80).replace("{", "{{").replace("}", "}}")  # a format string
    columns = (SpinnerColumn(), TextColumn(label + ": {task.completed:,} rows", markup=False))
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("rows", total=None, visible=False)

        def update(rows: int) -> None:
            bar.update(task, completed=rows, visible=True)

        yield update


def _counted(
    rows: Iterable[Installation], progress: Callable[[int], None] | None
) -> Iterator[Installation]:
    """Rows, telling `progress` how many have passed now and then."""
    if progress is None:
        yield from rows
        return
    for count, row in enumerate(rows, start=1):
        if count % PROGRESS_EVERY == 0:
            progress(count)
        yield row


def _discover(context: ReadContext, ownership: Ownership, owner: str) -> Discovery:
    from vcaudit.inventory import discover

    probes = discover.probes_for(discover.this_platform())
    return discover.discover(
        probes, context, discover.this_host(), ownership=ownership, owner=owner
    )


@app.command("discover")
def discover_command(
    output_format: Annotated[
        InventoryFormat, typer.Option("--format", "-f", help="Inventory format to print.")
    ] = InventoryFormat.CSV,
    ownership: Annotated[
        Ownership, typer.Option("--ownership", help="Who owns this machine.")
    ] = Ownership.COMPANY,
    owner: Annotated[
        str, typer.Option("--owner", metavar="WHO", help="Who answers for its clients.")
    ] = "",
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="FILE", help="Write to FILE (atomically)."),
    ] = None,
    feed: FeedOption = None,
    cache_dir: CacheDirOption = None,
) -> None:
    """Print this machine's conferencing clients as a native inventory."""
    with _errors():
        from vcaudit.inventory.writer import render

        loaded = _load_feed(feed, cache_dir)
        context = _read_context(loaded, None)
        found = _discover(context, ownership, owner)
        for line in (*found.notes, *found.failures):
            typer.echo(f"vcaudit: note: {terminal_safe(line, 0)}", err=True)
        _emit(render(found.installations, output_format), output, ())
        typer.echo(
            f"vcaudit: found {len(found.installations)} conferencing client(s) on this machine",
            err=True,
        )


@app.command("import")
def import_command(
    source_format: Annotated[
        InputFormat,
        typer.Argument(
            metavar="FORMAT",
            help="osquery, osquery-log, fleet, intune, jamf, "
            "configmgr, dpkg, rpm, flatpak, snap (or auto).",
        ),
    ],
    export: Annotated[str, typer.Argument(metavar="FILE", help="The export; '-' for stdin.")],
    output_format: Annotated[
        InventoryFormat, typer.Option("--format", "-f", help="Inventory format to write.")
    ] = InventoryFormat.CSV,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="FILE", help="Write to FILE (atomically)."),
    ] = None,
    host: Annotated[
        str | None,
        typer.Option("--host", metavar="NAME", help="Host for exports that carry none."),
    ] = None,
    allow_partial: AllowPartialOption = False,
    feed: FeedOption = None,
    cache_dir: CacheDirOption = None,
) -> None:
    """Convert an inventory tool's export into a native inventory of conferencing clients."""
    with _errors():
        from vcaudit.inventory.sources import read_inventory
        from vcaudit.inventory.writer import render

        loaded = _load_feed(feed, cache_dir)
        context = _read_context(loaded, host, allow_partial)
        rows = list(read_inventory(export, source_format, ctx=context))
        _emit(render(rows, output_format), output, (export,))
        for note in _reading_notes(context):
            typer.echo(f"vcaudit: note: {terminal_safe(note, 0)}", err=True)


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


class ListFormat(StrEnum):
    """Formats of the listing commands (`products`, `advisory`)."""

    TABLE = "table"
    JSON = "json"


ListFormatOption = Annotated[ListFormat, typer.Option("--format", "-f", help="table or json.")]


@app.command()
def products(
    feed: FeedOption = None,
    cache_dir: CacheDirOption = None,
    output_format: ListFormatOption = ListFormat.TABLE,
) -> None:
    """List the feed's products: lifecycle, latest version per platform, advisories."""
    with _errors():
        from vcaudit.output import products as products_output

        loaded = _load_feed(feed, cache_dir)
        if output_format is ListFormat.JSON:
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
        from vcaudit.feed.validate import feed_warnings, schema_problems, semantic_problems

        directory = path or bundled_feed_dir()
        loaded = _load_feed(directory)
        problems = list(schema_problems(directory))
        now = dt.datetime.now(dt.UTC)
        problems.extend(semantic_problems(loaded, now.date(), now=now))
        for problem in problems:
            typer.echo(terminal_safe(str(problem), 0), err=True)
        # Warnings never make a feed invalid: a stale latest release is still a usable feed.
        warnings = feed_warnings(loaded)
        for warning in warnings:
            typer.echo(f"vcaudit: warning: {terminal_safe(str(warning), 0)}", err=True)
        advisories = sum(len(p.advisories) for p in loaded.products)
        if problems:
            typer.echo(f"vcaudit: feed is invalid: {len(problems)} problem(s)", err=True)
            raise typer.Exit(int(ExitCode.FEED))
        warned = f", {len(warnings)} warning(s)" if warnings else ""
        typer.echo(
            f"feed is valid: {len(loaded.products)} products, {advisories} advisories{warned} "
            f"({terminal_safe(loaded.info.location, 0)})"
        )


@feed_app.command("info")
def feed_info(feed: FeedOption = None, cache_dir: CacheDirOption = None) -> None:
    """Which feed is in use, from where, how old it is, how it was verified."""
    with _errors():
        from vcaudit.feed import store

        loaded = _load_feed(feed, cache_dir)
        info = loaded.info
        lines = [f"source:       {terminal_safe(info.location, 0)}"]
        if info.generated_at is not None:
            age = (dt.datetime.now(dt.UTC) - info.generated_at).days
            lines.append(f"generated at: {info.generated_at.isoformat()} ({age} days ago)")
        lines.append(f"publisher:    {terminal_safe(info.publisher, 0)}")
        if feed is None:
            state = store.State.read(store.environ_cache_dir(cache_dir))
            if info.location.startswith("installed") and state is not None:
                check = "checksum and Ed25519 signature" if state.signed else "checksum"
                lines.append(
                    f"verified:     {check} on install ({state.installed_at}), "
                    f"sha256 {state.sha256}"
                )
                lines.append(f"fetched from: {terminal_safe(state.source, 0)}")
            elif info.location == "bundled":
                lines.append("verified:     shipped inside vcaudit")
        total = sum(len(p.advisories) for p in loaded.products)
        unchecked = sum(a.kev_unchecked for p in loaded.products for a in p.advisories)
        if info.kev_catalog_date:
            version = info.kev_catalog_version and f" {terminal_safe(info.kev_catalog_version, 0)}"
            lines.append(
                f"CISA KEV:     checked against catalog{version} of "
                f"{info.kev_catalog_date.isoformat()}; {unchecked} advisories published after "
                "it have their KEV status unchecked"
            )
            if info.kev_catalog_source:
                lines.append(f"              {terminal_safe(info.kev_catalog_source, 0)}")
        else:
            lines.append("CISA KEV:     no catalog named; every advisory's KEV status is unchecked")
        lines.append(f"products:     {len(loaded.products)}, advisories: {total}")
        for product in loaded.products:
            life = "end of life" if product.lifecycle.eol else "supported"
            lines.append(f"  {product.id:<16} {len(product.advisories):>4} advisories  {life}")
        typer.echo("\n".join(lines))


@feed_app.command("build")
def feed_build(
    output: Annotated[
        Path, typer.Option("--output", "-o", metavar="DIR", help="Folder for the bundle.")
    ],
    source: Annotated[
        Path | None,
        typer.Option("--source", metavar="DIR", help="Feed directory (default: bundled)."),
    ] = None,
    sign_key: Annotated[
        Path | None,
        typer.Option("--sign-key", metavar="PEM", help="Ed25519 private key to sign with."),
    ] = None,
    generated_at: Annotated[
        str | None,
        typer.Option(
            "--generated-at",
            metavar="TIME",
            help="Stamp this ISO time instead of now (for reproducible bundles).",
        ),
    ] = None,
) -> None:
    """Build one bundle file of the whole feed, its .sha256 and optionally a .sig."""
    with _errors():
        from vcaudit.feed.load import bundled_feed_dir
        from vcaudit.feed.update import build

        stamp = dt.datetime.now(dt.UTC).replace(microsecond=0)
        if generated_at is not None:
            try:
                stamp = dt.datetime.fromisoformat(generated_at)
            except ValueError:
                raise UsageError(
                    f"--generated-at: expected an ISO time, got {generated_at!r}"
                ) from None
            if stamp.tzinfo is None:
                stamp = stamp.replace(tzinfo=dt.UTC)
        written = build(source or bundled_feed_dir(), output, sign_key, stamp)
        for path in written:
            typer.echo(f"wrote {path}")


AllowHttp = Annotated[
    bool, typer.Option("--allow-http", help="Allow plain http to hosts other than loopback.")
]
AllowDowngrade = Annotated[
    bool,
    typer.Option("--allow-downgrade", help="Install a feed older than the one in use."),
]
PublicKeyOption = Annotated[
    Path | None,
    typer.Option(
        "--public-key",
        metavar="PEM",
        help="Ed25519 public key the feed must be signed with (default: vcaudit.yaml feed).",
    ),
]


def _public_key(option: Path | None, loaded_config: LoadedConfig | None) -> str | None:
    if option is not None:
        try:
            return option.read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--public-key: cannot read {option}: {exc.strerror}") from None
    if loaded_config is not None and loaded_config.feed_public_key:
        return loaded_config.feed_public_key
    return os.environ.get("VCAUDIT_FEED_PUBLIC_KEY") or None


@feed_app.command("update")
def feed_update(
    url: Annotated[
        str | None,
        typer.Option(
            "--url",
            envvar="VCAUDIT_FEED_URL",
            metavar="URL",
            help="Bundle URL (default: vcaudit.yaml feed.url); its checksum is URL.sha256.",
        ),
    ] = None,
    cache_dir: CacheDirOption = None,
    config: ConfigOption = None,
    public_key: PublicKeyOption = None,
    allow_http: AllowHttp = False,
    allow_downgrade: AllowDowngrade = False,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout",
            min=0.1,
            metavar="SECONDS",
            help="Deadline for the whole update: the bundle, its .sha256 and .sig, redirects "
            "and retries (at most 86400).",
        ),
    ] = 30.0,
    retries: Annotated[
        int, typer.Option("--retries", min=0, help="Retries on connection errors and 5xx.")
    ] = 3,
    backoff: Annotated[
        float,
        typer.Option("--backoff", min=0.0, metavar="SECONDS", help="First retry delay; doubles."),
    ] = 0.5,
    max_size: Annotated[
        int, typer.Option("--max-size", min=1024, metavar="BYTES", help="Largest bundle.")
    ] = 32 * 1024 * 1024,
) -> None:
    """Fetch a newer feed, verify it and install it; the previous feed stays on failure."""
    with _errors():
        from vcaudit.feed import store
        from vcaudit.feed.update import FetchOptions, update

        loaded_config = _load_config(config)
        target = url or (loaded_config.feed_url if loaded_config else "")
        if not target:
            raise UsageError(
                "no feed URL: give --url, set VCAUDIT_FEED_URL or feed.url in vcaudit.yaml"
            )
        with _progress() as progress:
            outcome = update(
                target,
                store.environ_cache_dir(cache_dir),
                public_key=_public_key(public_key, loaded_config),
                allow_downgrade=allow_downgrade,
                options=FetchOptions(
                    timeout=timeout,
                    retries=retries,
                    backoff=backoff,
                    max_bytes=max_size,
                    allow_http=allow_http,
                    progress=progress,
                ),
            )
        typer.echo(outcome.message)


@feed_app.command("import")
def feed_import(
    bundle: Annotated[
        Path, typer.Argument(metavar="FILE", help="Bundle file; FILE.sha256 must be beside it.")
    ],
    cache_dir: CacheDirOption = None,
    config: ConfigOption = None,
    public_key: PublicKeyOption = None,
    allow_downgrade: AllowDowngrade = False,
) -> None:
    """Verify and install a bundle from disk, for machines without network access."""
    with _errors():
        from vcaudit.feed import store
        from vcaudit.feed.update import import_file

        loaded_config = _load_config(config)
        outcome = import_file(
            bundle,
            store.environ_cache_dir(cache_dir),
            public_key=_public_key(public_key, loaded_config),
            allow_downgrade=allow_downgrade,
        )
        typer.echo(outcome.message)


@contextmanager
def _progress() -> Iterator[Callable[[int, int | None], None] | None]:
    """A download progress bar on stderr when it is a terminal; nothing otherwise."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.progress import DownloadColumn, Progress, TransferSpeedColumn

    from vcaudit.console import make_console

    console = make_console(sys.stderr, color=True)
    with Progress(
        *Progress.get_default_columns(), DownloadColumn(), TransferSpeedColumn(), console=console
    ) as bar:
        task = bar.add_task("feed", total=None)

        def advance(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        yield advance


@feed_app.command("export")
def feed_export(
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="Folder to write into.")],
    export_format: Annotated[
        ExportFormat, typer.Option("--format", "-f", help="Export format.")
    ] = ExportFormat.OSV,
    feed: FeedOption = None,
    cache_dir: CacheDirOption = None,
) -> None:
    """Write the feed in another format: one OSV JSON file per advisory."""
    with _errors():
        from vcaudit.errors import OutputError
        from vcaudit.feed import osv
        from vcaudit.files import atomic_write

        loaded = _load_feed(feed, cache_dir)
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"{directory}: cannot create: {exc.strerror}") from None
        files = osv.export(loaded)
        for name, text in files.items():
            atomic_write(directory / name, text)
        typer.echo(f"wrote {len(files)} OSV records to {directory}")


@app.command("identify")
def identify_command(
    name: Annotated[
        str,
        typer.Argument(
            metavar="NAME",
            help="The product as an inventory names it: a DisplayName, app, bundle id, package.",
        ),
    ],
    platform: Annotated[
        Platform | None, typer.Option("--platform", help="The row's platform.")
    ] = None,
    version: Annotated[
        str, typer.Option("--version", metavar="VERSION", help="The row's version, as reported.")
    ] = "",
    publisher: Annotated[
        str, typer.Option("--publisher", metavar="TEXT", help="The row's publisher (vendor).")
    ] = "",
    feed: FeedOption = None,
    cache_dir: CacheDirOption = None,
) -> None:
    """Say which product and release an inventory row resolves to, by which rule, and why
    other products' rules did not take it."""
    with _errors():
        from vcaudit import versioning
        from vcaudit.inventory.identify import Identified, Identifier

        if not name.strip():
            raise UsageError("identify: NAME must not be empty")
        loaded = _load_feed(feed, cache_dir)
        identifier = Identifier(loaded.products)
        found = identifier.resolve(name, publisher, platform, version)
        shown = [f"name {name!r}"]
        if publisher:
            shown.append(f"publisher {publisher!r}")
        if platform is not None:
            shown.append(f"platform {platform.value}")
        if version:
            shown.append(f"version {version!r}")
        lines = ["Row: " + ", ".join(shown)]
        if isinstance(found, Identified):
            product = found.product
            lines.append(f"Product: {product.name} ({product.id}), by {found.rule}")
            if found.installer:
                lines.append("  a deployment helper of the client, counted apart from it")
            if found.note:
                lines.append(f"  note: {found.note}")
            if version and platform is not None:
                table = versioning.BuildTable(product.releases)
                placed = versioning.parse(product.version_scheme, version, platform, table)
                lines.append(
                    f"Release: {placed}" + (f" (build {placed.build})" if placed.build else "")
                    if placed is not None
                    else f"Release: {version!r} is not a {product.name} version vcaudit can place"
                )
            elif version:
                lines.append("Release: give --platform to place the version (builds differ)")
        else:
            lines.append(f"Product: none: {found.reason}")
        considered = identifier.explain(name, publisher, platform, version)
        lines.append("Rules that matched the name:" if considered else "No rule matched the name.")
        lines += [f"  - {line}" for line in considered]
        for line in lines:
            typer.echo(terminal_safe(line, 0))


@app.command("advisory")
def advisory_command(
    advisory_id: Annotated[str, typer.Argument(metavar="ID", help="Vendor id or CVE.")],
    feed: FeedOption = None,
    cache_dir: CacheDirOption = None,
    output_format: ListFormatOption = ListFormat.TABLE,
) -> None:
    """Show one advisory (by vendor id or CVE alias): ranges per platform and sources."""
    with _errors():
        from vcaudit.output import advisories as advisory_output

        loaded = _load_feed(feed, cache_dir)
        found = advisory_output.find(loaded, advisory_id)
        if not found:
            raise UsageError(
                f"no advisory {advisory_id!r} in the feed",
                hint="ids are vendor ids (ZSB-24008, cisco-sa-...) or CVE ids",
            )
        if output_format is ListFormat.JSON:
            text = advisory_output.render_json(found)
        else:
            text = advisory_output.render_text(found, loaded.info.kev_catalog_date)
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
    cache_dir: CacheDirOption = None,
) -> None:
    """Validate a policy file; exit 3 with file, line and key when it is wrong."""
    with _errors():
        loaded_config = _load_config(path)
        if loaded_config is None:
            raise UsageError(
                "no policy file: give a path, set VCAUDIT_CONFIG or create vcaudit.yaml",
                hint="vcaudit config init",
            )
        warnings = _policy_warnings(loaded_config, _load_feed(feed, cache_dir, loaded_config))
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
        with _collection_paused():
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
        if isinstance(exc, OSError) and exc.errno in _WRITE_FAILURES:
            # Printing failed (`vcaudit ... > /dev/full`, a closed pipe): the command's
            # output is lost, which the user must hear about, but it is no bug.
            _silence_stdout()
            typer.echo(f"vcaudit: error: cannot write the output: {exc.strerror}", err=True)
            return int(ExitCode.BAD_INPUT)
        if _State.debug or "--debug" in args:
            traceback.print_exc()
        typer.echo(
            f"vcaudit: internal error ({type(exc).__name__}). This is a bug; please report it "
            f"at {REPORT_ISSUES} (run again with --debug for details).",
            err=True,
        )
        return int(ExitCode.INTERNAL)
    return 0
