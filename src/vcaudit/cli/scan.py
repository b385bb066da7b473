"""`vcaudit scan`: flags become settings, one audit, the reports, delivery, the exit code."""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import typer

from vcaudit import __version__
from vcaudit.cli import scan_options as opt
from vcaudit.cli.app import app
from vcaudit.cli.common import (
    _DEFAULT_WIDTH,
    AllowPartialOption,
    CacheDirOption,
    ConfigOption,
    FeedOption,
    _emit,
    _errors,
    _load_feed,
    _progress_rows,
    _warn,
    _width,
    _write_report,
)
from vcaudit.console import ColorMode, use_color
from vcaudit.errors import InputError
from vcaudit.inventory.formats import InputFormat
from vcaudit.models import AuditReport, Feed, Risk
from vcaudit.output import OutputFormat, SinceLastRun, Tracked, formatter_for
from vcaudit.sanitize import terminal_safe

if TYPE_CHECKING:
    from vcaudit.policy import Policy
    from vcaudit.settings import ScanSettings

STALE_WARN_DAYS = 30
"""Without max_feed_age_days, a feed older than this only warns."""


@app.command(
    epilog="--debug, an option of vcaudit itself (vcaudit --debug scan ...), is accepted after "
    "the command too: vcaudit scan fleet.csv --debug shows the traceback of an internal error."
)
def scan(
    inventory: opt.InventoryFlag = None,
    feed: FeedOption = None,
    cache_dir: CacheDirOption = None,
    output_format: opt.OutputFormatFlag = OutputFormat.TABLE,
    output: opt.OutputFlag = None,
    reports: opt.ReportsFlag = None,
    fail_on: opt.FailOnFlag = None,
    details: opt.DetailsFlag = False,
    strict: opt.StrictFlag = None,
    fail_on_review: opt.FailOnReviewFlag = None,
    config: ConfigOption = None,
    max_feed_age: opt.MaxFeedAgeFlag = None,
    color: opt.ColorFlag = ColorMode.AUTO,
    quiet: opt.QuietFlag = False,
    input_format: opt.InputFormatFlag = InputFormat.AUTO,
    host: opt.HostFlag = None,
    allow_partial: AllowPartialOption = False,
    columns: opt.ColumnsOption = None,
    platform: opt.PlatformOption = None,
    encoding: opt.EncodingOption = None,
    allow_empty: opt.AllowEmptyOption = False,
    as_of: opt.AsOfFlag = None,
    email_to: opt.EmailToFlag = None,
    email_from: opt.EmailFromFlag = None,
    smtp_host: opt.SmtpHostFlag = None,
    smtp_port: opt.SmtpPortFlag = None,
    smtp_security: opt.SmtpSecurityFlag = None,
    smtp_user: opt.SmtpUserFlag = None,
    smtp_password_file: opt.SmtpPasswordFileFlag = None,
    smtp_ca_file: opt.SmtpCaFileFlag = None,
    smtp_timeout: opt.SmtpTimeoutFlag = None,
    email_attach: opt.EmailAttachFlag = None,
    email_dry_run: opt.EmailDryRunFlag = None,
    state: opt.StateFlag = None,
    state_wait: opt.StateWaitFlag = None,
    only_changes: opt.OnlyChangesFlag = False,
    webhooks: opt.WebhooksFlag = None,
    webhook_format: opt.WebhookFormatFlag = None,
    webhook_timeout: opt.WebhookTimeoutFlag = None,
    sarif_category: opt.SarifCategoryFlag = None,
    sarif_root: opt.SarifRootFlag = None,
    excel: opt.ExcelFlag = False,
    csv_delimiter: opt.CsvDelimiterFlag = ",",
) -> None:
    """Audit inventories and print the risk report."""
    given = dict(locals())  # every option, as typer parsed it (first: nothing else is local)
    from vcaudit.settings import ScanFlags, resolve_scan

    flags = ScanFlags(
        **cast(
            "dict[str, Any]",
            {k: tuple(v) if isinstance(v, list) else v for k, v in given.items() if v is not None},
        )
    )
    with _errors():
        from vcaudit.audit import run
        from vcaudit.inventory.piped import piped_input
        from vcaudit.policy import decide_exit

        piped = piped_input() if not flags.inventory else None
        settings = resolve_scan(
            flags, os.environ, Path.cwd(), piped=piped, tool_version=__version__
        )
        loaded = _load_feed(settings.feed, settings.cache_dir, settings.config)
        request = settings.audit
        stale = _staleness(loaded, request.policy, request.today)
        warnings = (*_policy_warnings(settings, loaded), *([stale] if stale else []))
        request = replace(request, warnings=(*request.warnings, *warnings))
        with _progress_rows(settings.output.quiet) as progress:
            report = run(request, loaded, progress=progress)
        _write_reports(settings, report)
        if settings.piped is not None and settings.piped.sent_late():
            # The report above is of this machine; an inventory piped too late must not pass
            # for having been audited (nor be mailed as such).
            raise InputError(
                "<stdin>",
                "sent an inventory after the wait for it, so it was not audited: the report "
                "is of this machine",
                hint="name the input '-' (vcaudit scan -) to wait for a slow producer",
            )
        delivery_failed = _deliver(settings, report)
        too_old = _too_old(loaded, request.policy, request.today)
        if too_old:
            typer.echo(f"vcaudit: error: {terminal_safe(stale, 0)}", err=True)
        code = decide_exit(report, feed_too_old=too_old, delivery_failed=delivery_failed)
    raise typer.Exit(int(code))


def _write_reports(settings: ScanSettings, report: AuditReport) -> None:
    """The main report (standard output or `-o`), each `--report`, then the warnings."""
    plan, names = settings.output, list(settings.audit.read.names)
    target = sys.stdout
    colored = plan.path is None and use_color(plan.color, target, os.environ)
    since = _since_last_run(settings, report) if OutputFormat.HTML in plan.formats else None
    options = replace(
        plan.render,
        since=since,
        color=colored,
        width=_width(target) if plan.path is None else _DEFAULT_WIDTH,
        details=plan.details,
    )
    if plan.quiet and plan.format is OutputFormat.TABLE:
        text = formatter_for(plan.format)(report, options)
        # The verdict: the last paragraph (wrapped on a narrow terminal), as one line.
        verdict = text.rstrip("\n").rsplit("\n\n", 1)[-1]
        _emit(" ".join(verdict.split()) + "\n", plan.path, names)
    else:
        _write_report(plan.format, report, options, plan.path, names, quiet=plan.quiet)
    file_options = replace(plan.render, since=since, width=_DEFAULT_WIDTH, details=plan.details)
    for fmt, path in plan.extra:
        _write_report(fmt, report, file_options, path, names, quiet=plan.quiet)
    if not plan.quiet:
        for warning in report.warnings:
            _warn(warning)
        if OutputFormat.SARIF in plan.formats:
            from vcaudit.output.sarif import size_warnings

            for warning in size_warnings(report):
                _warn(warning)


def _since_last_run(settings: ScanSettings, report: AuditReport) -> SinceLastRun | None:
    """What changed since the run `--state` remembers, for the HTML report. Read without the
    lock: delivery reads the state again under it and says what is wrong with a state that
    cannot be read, after every report is written."""
    state = settings.notify.state if settings.notify is not None else None
    if state is None or not report.rows:
        return None
    from vcaudit.notify import changes

    try:
        kept = changes.load_state(state)
    except InputError:
        return None
    previous, previous_run = kept.entries, kept.run_at
    current = changes.open_entries(report.findings)
    diff = changes.compare(previous, current, previous_run)
    # The history as this run will leave it: the runs remembered, then this one (now).
    history = changes.extend_history(kept.history, changes.this_run(report, current, diff, ""))

    def seen(entries: tuple[changes.Entry, ...]) -> tuple[Tracked, ...]:
        return tuple(
            Tracked(e.host, e.product, e.platform, e.version, e.risk, e.status) for e in entries
        )

    def by_risk(entries: dict[str, changes.Entry]) -> tuple[tuple[Risk, int], ...]:
        risks = Counter(e.risk for e in entries.values())
        return tuple((r, risks[r]) for r in sorted(Risk, reverse=True))

    return SinceLastRun(
        previous_run, seen(diff.new), seen(diff.resolved), seen(diff.rose),
        by_risk(previous), by_risk(current), history,
    )  # fmt: skip


def _deliver(settings: ScanSettings, report: AuditReport) -> bool:
    """Mail, webhooks and the state; whether a delivery failed."""
    notify = settings.notify
    if notify is None:
        return False
    from vcaudit.notify.deliver import deliver
    from vcaudit.notify.email import read_password
    from vcaudit.output import write_attachment

    quiet = settings.output.quiet
    password = read_password(os.environ.get(settings.password_env), settings.password_file)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    result = deliver(report, notify, now=now, password=password, write=write_attachment)
    for line in result.sent:
        if not quiet:
            typer.echo(f"vcaudit: {terminal_safe(line, 0)}", err=True)
    if result.skipped and not quiet:
        typer.echo(f"vcaudit: {result.skipped}", err=True)
    # Owners not mailed: the default recipients' mail lists them; without one, or without
    # -q, they are said here too.
    for note in result.notes if not quiet or not notify.email_to else ():
        _warn(note)
    for failure in result.failures:
        typer.echo(f"vcaudit: error: {terminal_safe(failure, 0)}", err=True)
    return bool(result.failures)


def _policy_warnings(settings: ScanSettings, feed: Feed) -> list[str]:
    if settings.config is None:
        return []
    from vcaudit.config import check_known_products

    return check_known_products(settings.config, {p.id for p in feed.products})


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
