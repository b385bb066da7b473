"""Delivering a finished report: routed email, webhooks, and the state for change detection.

`deliver` raises only before anything is sent (a state that cannot be used, a state held by
another run). After that it never raises for a delivery problem: it tries every message and
webhook and returns one line per failure, so the caller can still write every other output
and exit 5. The new state is staged before the first message and put in place only when
every delivery succeeded, so a failed run is reported again next time and nothing is lost.

Owner addresses come from untrusted inventories: an owner is mailed only when the address is
plain (see `addresses`) and its domain is allowed (`allowed_domains`, else the domains of the
sender and the default recipients); the others are named in a note and their findings go to
the default recipients. Routing reads the findings once, so it is linear in the number of
findings and owners.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from vcaudit.errors import DeliveryError
from vcaudit.models import AuditReport, Finding
from vcaudit.notify import attachments as attachments_mod
from vcaudit.notify import changes as changes_mod
from vcaudit.notify import digest as digest_mod
from vcaudit.notify.addresses import domain_allowed, domain_of, parse_address
from vcaudit.notify.email import MailServerError, SmtpSettings, compose, send, write_eml
from vcaudit.notify.kinds import WebhookFormat
from vcaudit.notify.webhook import DEFAULT_TIMEOUT as WEBHOOK_TIMEOUT
from vcaudit.notify.webhook import payload, post
from vcaudit.report import subset

STATE_WAIT = 30.0
"""How long a run waits for another one holding the state (`--state-wait`)."""
MAX_NOTES = 20
"""Skipped owners named one by one; the rest are counted."""


@dataclass(frozen=True, slots=True)
class NotifySettings:
    """Everything `scan` was asked to deliver."""

    email_to: tuple[str, ...] = ()
    email_from: str = ""
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    attach: tuple[str, ...] = ()
    dry_run_dir: Path | None = None
    route_to_owners: bool = True
    allowed_domains: tuple[str, ...] = ()
    """Domains owner mail may go to (`example.com`, `*.example.com`); empty: the domains of
    the sender and of the default recipients."""
    state: Path | None = None
    only_changes: bool = False
    state_wait: float = STATE_WAIT
    webhooks: tuple[str, ...] = ()
    webhook_format: WebhookFormat = WebhookFormat.JSON
    webhook_timeout: float = WEBHOOK_TIMEOUT

    @property
    def active(self) -> bool:
        """Whether there is anything to deliver or remember."""
        return bool(self.email_to or self.webhooks or self.state)

    @property
    def owner_domains(self) -> tuple[str, ...]:
        """The domains owner mail may go to."""
        if self.allowed_domains:
            return self.allowed_domains
        own = {domain_of(parse_address(a)) for a in (self.email_from, *self.email_to) if a}
        return tuple(sorted(own))


@dataclass(frozen=True, slots=True)
class Result:
    """What delivery did."""

    failures: tuple[str, ...]
    sent: tuple[str, ...]
    """One line per message or webhook delivered (or written, in a dry run)."""
    skipped: str = ""
    notes: tuple[str, ...] = ()
    """Owners not mailed, and why (their findings went to the default recipients)."""


@dataclass(slots=True)
class _Routing:
    """Who gets which findings: one pass over the report."""

    domains: tuple[str, ...]
    address_of: dict[str, str] = field(default_factory=dict)
    """Owner text -> the address it is mailed at ("" when it is not mailed)."""
    owned: dict[str, list[Finding]] = field(default_factory=dict)
    """Address -> that owner's findings."""
    skipped: dict[str, str] = field(default_factory=dict)
    """Owner text -> why it is not mailed (only owners that look like addresses)."""

    def address(self, owner: str) -> str:
        """The address `owner` is mailed at, "" when none (cached: owners repeat)."""
        known = self.address_of.get(owner)
        if known is not None:
            return known
        address = ""
        if owner:
            try:
                address = parse_address(owner)
            except ValueError as exc:
                if "@" in owner:
                    self.skipped[owner] = f"not a plain email address: {exc}"
            else:
                if not domain_allowed(domain_of(address), self.domains):
                    self.skipped[owner] = (
                        f"the domain {domain_of(address)} is not in email.allowed_domains"
                    )
                    address = ""
        self.address_of[owner] = address
        return address

    def group_of(self, owner: str) -> str:
        """The message an owner's findings belong to: their address, or "" (the rest)."""
        address = self.address(owner)
        return address if address in self.owned else ""


def _route(report: AuditReport, settings: NotifySettings) -> _Routing:
    routing = _Routing(settings.owner_domains if settings.email_from else ())
    if settings.route_to_owners and settings.email_from:
        for finding in report.findings:
            address = routing.address(finding.owner)
            if address:
                routing.owned.setdefault(address, []).append(finding)
    return routing


def _notes(routing: _Routing, settings: NotifySettings) -> tuple[str, ...]:
    where = ", ".join(settings.email_to) or "no one (no --email-to)"
    lines = [
        f"owner {owner!r} was not mailed ({why}); their findings went to {where}"
        for owner, why in sorted(routing.skipped.items())[:MAX_NOTES]
    ]
    if len(routing.skipped) > MAX_NOTES:
        lines.append(f"... and {len(routing.skipped) - MAX_NOTES} more owners not mailed")
    return tuple(lines)


def _messages(
    report: AuditReport, settings: NotifySettings, routing: _Routing, notes: tuple[str, ...]
) -> Iterator[tuple[str, list[str], AuditReport]]:
    """(group, recipients, their part of the report): each mailed owner gets their own
    findings; everything else goes to the default recipients, with the notes."""
    if not settings.email_from:
        return
    for address in sorted(routing.owned):
        mine = replace(report, findings=tuple(routing.owned[address]))
        yield address, [address], subset(mine, lambda f: True)
    if settings.email_to:
        rest = report
        if routing.owned:
            rest = subset(report, lambda f: routing.group_of(f.owner) == "")
        if notes:
            rest = replace(rest, warnings=(*rest.warnings, *notes))
        yield "", list(settings.email_to), rest


def deliver(
    report: AuditReport,
    settings: NotifySettings,
    *,
    now: dt.datetime,
    password: str = "",
) -> Result:
    """Send or write every message, post every webhook, then remember this run."""
    if settings.state is None:
        return _deliver(report, settings, now, password, None, {}, "")
    changes_mod.check_state_path(settings.state)
    with changes_mod.locked(settings.state, settings.state_wait):
        previous, previous_run = changes_mod.read_state(settings.state)
        return _deliver(report, settings, now, password, settings.state, previous, previous_run)


def _deliver(
    report: AuditReport,
    settings: NotifySettings,
    now: dt.datetime,
    password: str,
    state: Path | None,
    previous: dict[str, changes_mod.Entry],
    previous_run: str,
) -> Result:
    current = changes_mod.open_entries(report.findings)
    overall = None
    staged = None
    if state is not None:
        overall = changes_mod.compare(previous, current, previous_run)
        if settings.only_changes and not overall.any:
            changes_mod.write_state(state, current, now)
            return Result((), (), "nothing changed since the last run: no message sent")
        # Before anything is sent: a state that cannot be written stops the run here.
        staged = changes_mod.StagedState(state, current, now)
    try:
        failures, sent, notes = _send_all(
            report, settings, password, overall, previous, current, previous_run
        )
    except BaseException:
        if staged is not None:
            staged.discard()
        raise
    if staged is not None:
        if failures:
            staged.discard()
        else:
            try:
                staged.commit(after_sending=True)
            except DeliveryError as exc:
                failures.append(str(exc))
    return Result(tuple(failures), tuple(sent), notes=notes)


def _send_all(
    report: AuditReport,
    settings: NotifySettings,
    password: str,
    overall: changes_mod.Changes | None,
    previous: dict[str, changes_mod.Entry],
    current: dict[str, changes_mod.Entry],
    previous_run: str,
) -> tuple[list[str], list[str], tuple[str, ...]]:
    failures: list[str] = []
    sent: list[str] = []
    smtp = replace(settings.smtp, password=password)
    routing = _route(report, settings)
    notes = _notes(routing, settings)
    before = _by_group(previous, routing)
    now_open = _by_group(current, routing)
    server_failed = False
    not_tried = 0
    for index, (group, recipients, part) in enumerate(_messages(report, settings, routing, notes)):
        if part.summary.installations == 0:
            continue
        part_changes = None
        if overall is not None:
            part_changes = changes_mod.compare(
                before.get(group, {}), now_open.get(group, {}), previous_run
            )
            if settings.only_changes and not part_changes.any:
                continue
        if server_failed:
            not_tried += 1
            continue
        try:
            digest = digest_mod.build(part, part_changes, group)
            files = attachments_mod.build(part, settings.attach)
            message = compose(
                digest, settings.email_from, recipients, [f.as_tuple() for f in files]
            )
        except ValueError as exc:
            failures.append(f"cannot write the message to {', '.join(recipients)}: {exc}")
            continue
        try:
            if settings.dry_run_dir is not None:
                path = write_eml(message, settings.dry_run_dir, f"{index + 1:02d}-{_slug(group)}")
                sent.append(f"wrote {path}")
            else:
                send(message, smtp, settings.email_from, recipients)
                sent.append(f"mailed {', '.join(recipients)}")
        except MailServerError as exc:
            failures.append(str(exc))
            server_failed = True
        except DeliveryError as exc:
            failures.append(str(exc))
    if not_tried:
        failures.append(
            f"{not_tried} more message{'s' if not_tried != 1 else ''} not attempted after "
            "the failure above"
        )
    for url in settings.webhooks:
        body = payload(settings.webhook_format, report, digest_mod.build(report, overall), overall)
        try:
            post(url, body, settings.webhook_timeout)
            sent.append("posted a webhook")
        except DeliveryError as exc:
            failures.append(str(exc))
    return failures, sent, notes


def _by_group(
    entries: dict[str, changes_mod.Entry], routing: _Routing
) -> dict[str, dict[str, changes_mod.Entry]]:
    """Entries split by the message they belong to, in one pass."""
    groups: dict[str, dict[str, changes_mod.Entry]] = {}
    for key, entry in entries.items():
        groups.setdefault(routing.group_of(entry.owner), {})[key] = entry
    return groups


def _slug(owner: str) -> str:
    text = owner or "summary"
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)[:60]
