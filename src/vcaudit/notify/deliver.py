"""Delivering a finished report: routed email, webhooks, and the state for change detection.

`deliver` never raises for a delivery problem: it tries every message and webhook and
returns one line per failure, so the caller can still write every other output and exit 5.
The state file is written only when every delivery succeeded, so a failed run is reported
again next time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from vcaudit.audit import subset
from vcaudit.errors import DeliveryError, UsageError
from vcaudit.models import AuditReport
from vcaudit.notify import changes as changes_mod
from vcaudit.notify import digest as digest_mod
from vcaudit.notify.email import SmtpSettings, check_address, compose, send, write_eml
from vcaudit.notify.kinds import WebhookFormat
from vcaudit.notify.webhook import payload, post


@dataclass(frozen=True, slots=True)
class NotifySettings:
    """Everything `scan` was asked to deliver."""

    email_to: tuple[str, ...] = ()
    email_from: str = ""
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    attach: tuple[str, ...] = ()
    dry_run_dir: Path | None = None
    route_to_owners: bool = True
    state: Path | None = None
    only_changes: bool = False
    webhooks: tuple[str, ...] = ()
    webhook_format: WebhookFormat = WebhookFormat.JSON

    @property
    def active(self) -> bool:
        """Whether there is anything to deliver or remember."""
        return bool(self.email_to or self.webhooks or self.state)


@dataclass(frozen=True, slots=True)
class Result:
    """What delivery did."""

    failures: tuple[str, ...]
    sent: tuple[str, ...]
    """One line per message or webhook delivered (or written, in a dry run)."""
    skipped: str = ""


def _is_address(owner: str) -> bool:
    try:
        check_address(owner, "owner")
    except UsageError:
        return False
    return True


def _messages(
    report: AuditReport, settings: NotifySettings
) -> Iterator[tuple[str, list[str], AuditReport]]:
    """(owner, recipients, their part of the report): each owner with an address gets their
    own findings; everything else goes to the default recipients."""
    if not settings.email_from:
        return
    owners: set[str] = set()
    if settings.route_to_owners:
        owners = {f.owner for f in report.findings if f.owner and _is_address(f.owner)}
    for owner in sorted(owners):
        yield owner, [owner], subset(report, lambda f, o=owner: f.owner == o)  # type: ignore[misc]
    if settings.email_to:
        rest = subset(report, lambda f: f.owner not in owners) if owners else report
        yield "", list(settings.email_to), rest


def _attachments(report: AuditReport, kinds: tuple[str, ...]) -> list[tuple[str, str, bytes]]:
    from vcaudit.output import OutputFormat, RenderOptions, formatter_for

    files = []
    for kind in kinds:
        mime = {"json": "application/json", "csv": "text/csv"}.get(kind, "text/plain")
        text = formatter_for(OutputFormat(kind))(report, RenderOptions())
        files.append((f"vcaudit-report.{kind}", mime, text.encode("utf-8")))
    return files


def deliver(
    report: AuditReport,
    settings: NotifySettings,
    *,
    now: dt.datetime,
    password: str = "",
) -> Result:
    """Send or write every message, post every webhook, then remember this run."""
    previous: dict[str, changes_mod.Entry] = {}
    previous_run = ""
    if settings.state is not None:
        previous, previous_run = changes_mod.read_state(settings.state)
    current = changes_mod.open_entries(report.findings)
    overall = None
    if settings.state is not None:
        overall = changes_mod.compare(previous, current, previous_run)
        if settings.only_changes and not overall.any:
            changes_mod.write_state(settings.state, current, now)
            return Result((), (), "nothing changed since the last run: no message sent")
    failures: list[str] = []
    sent: list[str] = []
    smtp = replace(settings.smtp, password=password)
    routed = {owner for owner, _, _ in _messages(report, settings) if owner}
    for index, (owner, recipients, part) in enumerate(_messages(report, settings)):
        if part.summary.installations == 0:
            continue
        part_changes = None
        if settings.state is not None:
            part_changes = _changes_for(previous, current, previous_run, owner, routed)
            if settings.only_changes and not part_changes.any:
                continue
        digest = digest_mod.build(part, part_changes, owner)
        message = compose(
            digest, settings.email_from, recipients, _attachments(part, settings.attach)
        )
        try:
            if settings.dry_run_dir is not None:
                path = write_eml(message, settings.dry_run_dir, f"{index + 1:02d}-{_slug(owner)}")
                sent.append(f"wrote {path}")
            else:
                send(message, smtp, settings.email_from, recipients)
                sent.append(f"mailed {', '.join(recipients)}")
        except DeliveryError as exc:
            failures.append(str(exc))
    for url in settings.webhooks:
        body = payload(settings.webhook_format, report, digest_mod.build(report, overall), overall)
        try:
            post(url, body)
            sent.append("posted a webhook")
        except DeliveryError as exc:
            failures.append(str(exc))
    if settings.state is not None and not failures:
        changes_mod.write_state(settings.state, current, now)
    return Result(tuple(failures), tuple(sent))


def _slug(owner: str) -> str:
    text = owner or "summary"
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)[:60]


def _changes_for(
    previous: dict[str, changes_mod.Entry],
    current: dict[str, changes_mod.Entry],
    previous_run: str,
    owner: str,
    routed: set[str],
) -> changes_mod.Changes:
    def mine(entry: changes_mod.Entry) -> bool:
        return entry.owner == owner if owner else entry.owner not in routed

    return changes_mod.compare(
        {k: e for k, e in previous.items() if mine(e)},
        {k: e for k, e in current.items() if mine(e)},
        previous_run,
    )
