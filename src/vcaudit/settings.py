"""One scan's settings, resolved once: flags > VCAUDIT_* environment > vcaudit.yaml > defaults.

`resolve_scan` turns what the command line was given into one frozen `ScanSettings`: the
policy (with the flags that override it), what to read and how, which reports to write, what
to deliver, and where the secrets come from. Nothing below reads flags, the environment or
the policy file again. It also decides whether standard input holds the inventory, since
that decides what is read.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from vcaudit.audit import AuditRequest, ReadRequest
from vcaudit.config import (
    ENCODING_EXAMPLES,
    INVENTORY_FIELDS,
    LoadedConfig,
    MailConfig,
    codec_name,
    find_config,
    load_policy,
)
from vcaudit.console import ColorMode
from vcaudit.errors import UsageError
from vcaudit.inventory.formats import InputFormat
from vcaudit.inventory.piped import Piped
from vcaudit.models import Platform, Risk
from vcaudit.notify.interface import NotifySettings
from vcaudit.notify.kinds import Attachment, Security, WebhookFormat
from vcaudit.output import OutputFormat, RenderOptions
from vcaudit.policy import Policy

PASSWORD_ENV = "VCAUDIT_SMTP_PASSWORD"  # noqa: S105  (the variable's name, not a password)
"""Where the SMTP password may come from besides a file (never a flag)."""


@dataclass(frozen=True, slots=True)
class ScanFlags:
    """What `vcaudit scan` was given on its command line (None: not given)."""

    inventory: tuple[str, ...] = ()
    feed: str | None = None
    cache_dir: Path | None = None
    output_format: OutputFormat = OutputFormat.TABLE
    output: Path | None = None
    reports: tuple[str, ...] = ()
    fail_on: str | None = None
    details: bool = False
    strict: bool | None = None
    fail_on_review: bool | None = None
    config: str | None = None
    max_feed_age: int | None = None
    color: ColorMode = ColorMode.AUTO
    quiet: bool = False
    input_format: InputFormat = InputFormat.AUTO
    host: str | None = None
    allow_partial: bool = False
    columns: str | None = None
    platform: Platform | None = None
    encoding: str | None = None
    allow_empty: bool = False
    as_of: str | None = None
    email_to: tuple[str, ...] = ()
    email_from: str | None = None
    smtp_host: str | None = None
    smtp_port: int | None = None
    smtp_security: Security | None = None
    smtp_user: str | None = None
    smtp_password_file: str | None = None
    smtp_ca_file: str | None = None
    smtp_timeout: float | None = None
    email_attach: tuple[Attachment, ...] = ()
    email_dry_run: Path | None = None
    state: Path | None = None
    state_wait: float | None = None
    only_changes: bool = False
    webhooks: tuple[str, ...] = ()
    webhook_format: tuple[WebhookFormat, ...] = ()
    webhook_timeout: float | None = None
    sarif_category: str | None = None
    sarif_root: Path | None = None
    excel: bool = False
    csv_delimiter: str = ","


@dataclass(frozen=True, slots=True)
class OutputPlan:
    """Which reports to write, where, and how the main one looks."""

    format: OutputFormat = OutputFormat.TABLE
    path: Path | None = None
    """None: standard output."""
    extra: tuple[tuple[OutputFormat, Path], ...] = ()
    """`--report FORMAT=PATH`."""
    details: bool = False
    color: ColorMode = ColorMode.AUTO
    quiet: bool = False
    render: RenderOptions = field(default_factory=RenderOptions)
    """What the formats need beyond their layout: the repository root of SARIF and GitLab
    locations, the SARIF category, the CSV byte order mark (color, width and details are
    set where the report is written)."""

    @property
    def formats(self) -> set[OutputFormat]:
        return {self.format, *(fmt for fmt, _ in self.extra)}

    @property
    def paths(self) -> list[Path | None]:
        return [self.path, *(path for _fmt, path in self.extra)]


@dataclass(frozen=True, slots=True)
class ScanSettings:
    """Everything one `vcaudit scan` does, decided before it does any of it."""

    audit: AuditRequest
    output: OutputPlan
    feed: str | None = None
    """A feed folder or URL; None: the installed or bundled feed."""
    cache_dir: Path | None = None
    config: LoadedConfig | None = None
    notify: NotifySettings | None = None
    """None: nothing to deliver or remember (and the mail code is not even loaded)."""
    password_file: str = ""
    password_env: str = PASSWORD_ENV
    piped: Piped | None = field(default=None, compare=False)
    """What standard input held, when no inventory was named."""


def load_config(explicit: str | None, environ: Mapping[str, str], cwd: Path) -> LoadedConfig | None:
    """The policy file: `--config`, else VCAUDIT_CONFIG, else ./vcaudit.yaml if present."""
    path = find_config(explicit, environ, cwd)
    return load_policy(path) if path is not None else None


def today(as_of: str | None) -> dt.date:
    """The day the audit judges as of: `--as-of`, else today (UTC)."""
    if as_of is None:
        return dt.datetime.now(dt.UTC).date()
    try:
        return dt.date.fromisoformat(as_of)
    except ValueError:
        raise UsageError(f"--as-of: expected a date like 2026-01-31, got {as_of!r}") from None


def risk_flag(text: str) -> Risk:
    """A `--fail-on` level."""
    try:
        return Risk.from_label(text)
    except ValueError:
        raise UsageError(
            f"--fail-on: expected none, low, medium, high or critical, got {text!r}"
        ) from None


def text_encoding(name: str) -> str:
    """`--encoding` (or `inventory.encoding`), checked: Python's name for it, "" for none."""
    if not name:
        return ""
    found = codec_name(name)
    if found is None:
        raise UsageError(f"--encoding: {name!r} is not an encoding ({ENCODING_EXAMPLES})")
    return found


def once_each(names: list[str]) -> tuple[list[str], list[str]]:
    """The inventories named, each file once (a shell glob and a name, or two spellings of
    one path, would count every row twice), and a warning for each named again."""
    kept: list[str] = []
    seen: dict[tuple[int, int], str] = {}
    said: list[str] = []
    for name in names:
        try:
            found = os.stat(name) if name != "-" else None
        except OSError:
            found = None  # reading it will say what is wrong
        # An inode number of 0 (some network and Windows file systems) tells nothing.
        key = (found.st_dev, found.st_ino) if found is not None and found.st_ino else None
        if key is not None and key in seen:
            said.append(f"{name} is {seen[key]}, named before: it is read once")
            continue
        if key is not None:
            seen[key] = name
        kept.append(name)
    return kept, said


def resolve_scan(
    flags: ScanFlags,
    environ: Mapping[str, str],
    cwd: Path,
    *,
    piped: Piped | None = None,
    tool_version: str = "",
) -> ScanSettings:
    """The settings of one scan: flags over the environment over vcaudit.yaml over defaults.
    `piped` is what standard input holds when no inventory was named."""
    from vcaudit.files import check_outputs

    names, twice = once_each(list(flags.inventory))
    stdin = None
    if not names and piped is not None and piped.stream is not None:
        names, stdin = ["-"], piped.stream
    root, root_notes = repository_root(flags.sarif_root, environ, cwd)
    output = OutputPlan(
        format=flags.output_format,
        path=flags.output,
        extra=tuple(parse_reports(flags.reports)),
        details=flags.details,
        color=flags.color,
        quiet=flags.quiet,
        render=RenderOptions(
            root=root,
            sarif_category=sarif_category(flags.sarif_category),
            excel=flags.excel,
            csv_delimiter=csv_delimiter(flags.csv_delimiter),
        ),
    )
    check_outputs(output.paths, names)
    config = load_config(flags.config, environ, cwd)
    notify = notify_settings(flags, config.mail if config else MailConfig())
    inventory = config.inventory if config else None
    columns = parse_columns(flags.columns) if flags.columns is not None else None
    if columns is None:
        columns = dict(inventory.columns) if inventory else {}
    platform = flags.platform
    if platform is None and inventory is not None and inventory.platform:
        platform = Platform(inventory.platform)
    encoding = text_encoding(flags.encoding or (inventory.encoding if inventory else ""))
    read = ReadRequest(
        names=tuple(names),
        format=flags.input_format,
        stdin=stdin,
        host=flags.host or "",
        allow_partial=flags.allow_partial,
        allow_empty=flags.allow_empty or bool(inventory and inventory.allow_empty),
        columns=tuple(columns.items()),
        platform=platform,
        encoding=encoding,
    )
    deliver_to = notify if notify is not None and notify.active else None
    keep_rows = (
        flags.details
        or deliver_to is not None
        or any(fmt.capabilities.lists_rows for fmt in output.formats)
    )
    audit = AuditRequest(
        read=read,
        policy=merged_policy(flags, config),
        today=today(flags.as_of),
        keep_rows=keep_rows,
        tool_version=tool_version,
        warnings=(
            *twice,
            *((piped.note,) if piped is not None and piped.note else ()),
            *location_warnings(output, names, cwd, root_notes),
        ),
    )
    return ScanSettings(
        audit=audit,
        output=output,
        feed=flags.feed,
        cache_dir=flags.cache_dir,
        config=config,
        notify=deliver_to,
        password_file=flags.smtp_password_file or (config.mail.password_file if config else ""),
        piped=piped,
    )


CSV_DELIMITERS = {",": ",", ";": ";", "comma": ",", "semicolon": ";", "tab": "\t"}
"""`--csv-delimiter` choices and the character each stands for."""


def csv_delimiter(text: str) -> str:
    """`--csv-delimiter`, checked."""
    try:
        return CSV_DELIMITERS[text]
    except KeyError:
        raise UsageError(
            f"--csv-delimiter: expected comma, semicolon or tab, got {text!r}"
        ) from None


GITHUB_WORKSPACE = "GITHUB_WORKSPACE"
"""Where GitHub Actions checks the repository out: the root code scanning resolves against."""


def repository_root(
    flag: Path | None, environ: Mapping[str, str], cwd: Path
) -> tuple[str, tuple[str, ...]]:
    """The folder SARIF and GitLab locations are relative to: `--sarif-root` when given (a
    flag says what the user means, and is the only way to name a repository checked out
    below the workspace, `actions/checkout` with `path:`), else $GITHUB_WORKSPACE, else the
    working folder; with what to say about the choice."""
    workspace = environ.get(GITHUB_WORKSPACE, "")
    if flag is not None:
        given = cwd / flag
        if not given.is_dir():
            raise UsageError(f"--sarif-root: {str(flag)!r} is not a folder")
        notes: tuple[str, ...] = ()
        if workspace and not given.resolve().is_relative_to(Path(workspace).resolve()):
            notes = (
                f"--sarif-root {given} is outside ${GITHUB_WORKSPACE} ({workspace}): code "
                "scanning will not find the inventory in the repository",
            )
        return str(given), notes
    if workspace:
        return str(Path(workspace).absolute()), ()
    return str(cwd), ()


def sarif_category(text: str | None) -> str:
    """`--sarif-category`, checked ("": none given)."""
    if text is None:
        return ""
    if not text.strip() or not text.isprintable():
        raise UsageError(f"--sarif-category: expected a name such as 'fleet', got {text!r}")
    return text.strip()


def location_warnings(
    output: OutputPlan, names: Sequence[str], cwd: Path, notes: Sequence[str]
) -> tuple[str, ...]:
    """What to say when SARIF or GitLab locations cannot be relative to the repository."""
    located = {OutputFormat.SARIF, OutputFormat.GITLAB} & output.formats
    if not located:
        return ()
    from vcaudit.output.locations import STDIN_NAMES, inside

    root = output.render.root
    outside = [
        f"{name} is outside the repository root {root}: the {' and '.join(sorted(located))} "
        "report names it by its absolute path, so its alerts are not shown against a file of "
        "the repository"
        for name in names
        if name not in STDIN_NAMES and not inside(str(cwd / name), root)
    ]
    return (*notes, *outside)


def merged_policy(flags: ScanFlags, config: LoadedConfig | None) -> Policy:
    """The policy file's policy with the flags that override it."""
    policy = config.policy if config else Policy()
    if flags.fail_on is not None:
        policy = replace(policy, fail_on=risk_flag(flags.fail_on))
    if flags.strict is not None:
        policy = replace(policy, strict=flags.strict)
    if flags.fail_on_review is not None:
        policy = replace(policy, fail_on_review=flags.fail_on_review)
    if flags.max_feed_age is not None:
        policy = replace(policy, max_feed_age_days=flags.max_feed_age)
    return policy


def parse_reports(values: Sequence[str]) -> list[tuple[OutputFormat, Path]]:
    """`--report FORMAT=PATH` values."""
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


def parse_columns(text: str) -> dict[str, str]:
    """`--columns host=Computer,product=App` into field -> header."""
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


def notify_settings(flags: ScanFlags, mail: MailConfig) -> NotifySettings | None:
    """Flags over the policy file's email and webhooks sections; None when there is
    nothing to deliver or remember."""
    recipients = flags.email_to or mail.to
    sender = flags.email_from or mail.sender
    hooks = flags.webhooks or mail.webhooks
    if not (recipients or sender or hooks or flags.state or flags.only_changes):
        return None

    from vcaudit.deadline import check_seconds
    from vcaudit.notify.changes import check_state_path
    from vcaudit.notify.email import check_address
    from vcaudit.notify.interface import STATE_WAIT
    from vcaudit.notify.kinds import (
        DEFAULT_TIMEOUT,
        WEBHOOK_TIMEOUT,
        SmtpSettings,
        shown_url,
        split_hook,
        webhook_url_problem,
    )

    if recipients and not sender:
        raise UsageError("--email-to needs --email-from (or email.from in vcaudit.yaml)")
    for address in recipients:
        check_address(address, "--email-to")
    if sender:
        check_address(sender, "--email-from")
    if flags.only_changes and flags.state is None:
        raise UsageError("--only-changes needs --state FILE to know what changed")
    if flags.state is not None:
        check_state_path(flags.state)  # before anything is audited or sent
    if len(set(flags.webhook_format)) > 1:
        raise UsageError(
            "--webhook-format given more than once, with different kinds: it applies to every "
            "--webhook URL that names none; name each URL's kind instead (--webhook "
            "slack=https://... --webhook teams=https://...)"
        )
    default_kind = next(iter(flags.webhook_format), None) or (
        WebhookFormat(mail.webhook_format) if mail.webhook_format else None
    )
    for text in hooks:
        _kind, url = split_hook(text, default_kind)
        problem = webhook_url_problem(url)
        if problem:
            raise UsageError(f"--webhook: {problem}: {shown_url(url)}")
    seconds = {
        "--smtp-timeout": flags.smtp_timeout or mail.timeout or DEFAULT_TIMEOUT,
        "--webhook-timeout": flags.webhook_timeout or mail.webhook_timeout or WEBHOOK_TIMEOUT,
    }
    for what, value in seconds.items():
        try:
            check_seconds(value, what)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    wait = flags.state_wait
    if wait is not None and not 0 <= wait <= 86400:  # also refuses nan
        raise UsageError("--state-wait: expected a number of seconds from 0 to 86400")
    security = flags.smtp_security or (
        Security(mail.security) if mail.security else Security.STARTTLS
    )
    return NotifySettings(
        email_to=tuple(recipients),
        email_from=sender,
        smtp=SmtpSettings(
            host=flags.smtp_host or mail.smtp_host or "localhost",
            port=flags.smtp_port or mail.smtp_port,
            security=security,
            user=flags.smtp_user or mail.user,
            ca_file=flags.smtp_ca_file or mail.ca_file,
            timeout=seconds["--smtp-timeout"],
        ),
        attach=tuple(a.value for a in flags.email_attach) or mail.attach,
        dry_run_dir=flags.email_dry_run,
        route_to_owners=mail.route_to_owners,
        allowed_domains=mail.allowed_domains,
        state=flags.state,
        only_changes=flags.only_changes,
        state_wait=STATE_WAIT if wait is None else wait,
        webhooks=tuple(hooks),
        webhook_format=default_kind,
        webhook_timeout=seconds["--webhook-timeout"],
    )
