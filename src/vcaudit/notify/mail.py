"""The email channel: a summary per recipient group, owners' findings routed to them.

Owner addresses come from untrusted inventories: an owner is mailed only when the address is
plain (see `addresses`) and its domain is allowed (`allowed_domains`, else the domains of the
sender and the default recipients); the others are named in a note and their findings go to
the default recipients. Routing reads the findings once, so it is linear in the number of
findings and owners. A failure of the mail server itself stops the other messages of the
run (they would fail the same way); every other failure is one line and the rest go on.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from vcaudit.advice import plural
from vcaudit.errors import DeliveryError
from vcaudit.models import AuditReport, Finding
from vcaudit.notify import attachments as attachments_mod
from vcaudit.notify import changes as changes_mod
from vcaudit.notify import digest as digest_mod
from vcaudit.notify.addresses import domain_allowed, domain_of, parse_address
from vcaudit.notify.email import MailServerError, compose, send, write_eml
from vcaudit.notify.interface import NotifySettings, Outbox, Outcome
from vcaudit.report import subset

MAX_NOTES = 20
"""Skipped owners named one by one; the rest are counted."""


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
    findings; the default recipients get the whole run (its subject is the run's verdict),
    with the notes and which owners were mailed their part."""
    if not settings.email_from:
        return
    for address in sorted(routing.owned):
        mine = replace(report, findings=tuple(routing.owned[address]))
        yield address, [address], subset(mine, lambda f: True)
    if settings.email_to:
        yield (
            "",
            list(settings.email_to),
            replace(report, warnings=(*report.warnings, *notes, *_owners_mailed(routing))),
        )


def _owners_mailed(routing: _Routing) -> tuple[str, ...]:
    if not routing.owned:
        return ()
    named = [
        f"{address} ({plural(len(found), 'installation')})"
        for address, found in sorted(routing.owned.items())
    ]
    more = f" and {len(named) - MAX_NOTES} more" if len(named) > MAX_NOTES else ""
    return (f"owners were also mailed their own findings: {', '.join(named[:MAX_NOTES])}{more}",)


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


class EmailChannel:
    """Routed email over SMTP, or .eml files in a dry run."""

    def wanted(self, settings: NotifySettings) -> bool:
        # Routing runs whenever a sender is set: owners not mailed are noted even when there
        # is no default recipient.
        return bool(settings.email_from)

    def send(self, outbox: Outbox, outcome: Outcome) -> None:
        report, settings = outbox.report, outbox.settings
        smtp = replace(settings.smtp, password=outbox.password)
        routing = _route(report, settings)
        notes = _notes(routing, settings)
        outcome.notes.extend(notes)
        before = _by_group(outbox.previous, routing)
        now_open = _by_group(outbox.current, routing)
        server_failed = False
        not_tried = 0
        messages = _messages(report, settings, routing, notes)
        for index, (group, recipients, part) in enumerate(messages):
            if part.summary.installations == 0:
                continue
            part_changes = None
            if outbox.changes is not None:
                # The default recipients' message is the whole run: every change counts.
                part_changes = (
                    outbox.changes
                    if group == ""
                    else changes_mod.compare(
                        before.get(group, {}), now_open.get(group, {}), outbox.previous_run
                    )
                )
                if settings.only_changes and not part_changes.any:
                    continue
            if server_failed:
                not_tried += 1
                continue
            try:
                digest = digest_mod.build(part, part_changes, group)
                files = attachments_mod.build(part, settings.attach, write=outbox.write)
                message = compose(
                    digest, settings.email_from, recipients, [f.as_tuple() for f in files]
                )
            except ValueError as exc:
                outcome.failures.append(
                    f"cannot write the message to {', '.join(recipients)}: {exc}"
                )
                continue
            try:
                if settings.dry_run_dir is not None:
                    name = f"{index + 1:02d}-{_slug(group)}"
                    outcome.sent.append(f"wrote {write_eml(message, settings.dry_run_dir, name)}")
                else:
                    send(message, smtp, settings.email_from, recipients)
                    outcome.sent.append(f"mailed {', '.join(recipients)}")
            except MailServerError as exc:
                outcome.failures.append(str(exc))
                server_failed = True
            except DeliveryError as exc:
                outcome.failures.append(str(exc))
        if not_tried:
            outcome.failures.append(
                f"{not_tried} more message{'s' if not_tried != 1 else ''} not attempted after "
                "the failure above"
            )
