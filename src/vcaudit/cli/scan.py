"""`vcaudit scan`: flags become settings, one audit, the reports, delivery, the exit code."""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, BinaryIO

import typer

from vcaudit import __version__
from vcaudit.console import ColorMode, use_color
from vcaudit.errors import InputError, UsageError
from vcaudit.inventory.formats import InputFormat
from vcaudit.models import Feed, Installation, Ownership, Platform
from vcaudit.notify.kinds import Security, WebhookFormat

if TYPE_CHECKING:
    from vcaudit.config import InventoryConfig, LoadedConfig
    from vcaudit.inventory.context import ReadContext
    from vcaudit.notify.deliver import NotifySettings
    from vcaudit.policy import Policy
from vcaudit.cli.app import app
from vcaudit.cli.common import (
    _DEFAULT_WIDTH,
    _ROW_FORMATS,
    AllowPartialOption,
    CacheDirOption,
    ConfigOption,
    FeedOption,
    _counted,
    _default_policy,
    _discover,
    _emit,
    _errors,
    _load_config,
    _load_feed,
    _progress_rows,
    _read_context,
    _risk_flag,
    _today,
    _width,
    _write_report,
)
from vcaudit.output import OutputFormat, RenderOptions, formatter_for
from vcaudit.sanitize import terminal_safe

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
            from vcaudit.output import write_attachment

            result = deliver(
                report, deliver_to, now=now, password=password, write=write_attachment
            )
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
