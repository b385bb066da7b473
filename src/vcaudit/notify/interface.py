"""What every notification channel shares: the settings of a delivery, what a channel is
handed (`Outbox`) and what it reports back (`Outcome`), and the `Channel` protocol itself.

A channel is one way a finished report leaves vcaudit (routed email, or one kind of webhook);
`notify.channels.CHANNELS` lists them all. Adding one touches its module and that registry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TextIO

from vcaudit.models import AuditReport
from vcaudit.notify import changes as changes_mod
from vcaudit.notify.addresses import domain_of, parse_address
from vcaudit.notify.kinds import WEBHOOK_TIMEOUT, SmtpSettings, WebhookFormat, split_hook

STATE_WAIT = 30.0
"""How long a run waits for another one holding the state (`--state-wait`)."""


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
    webhook_format: WebhookFormat | None = None
    """`--webhook-format`: the kind of the URLs that name none (`slack=URL` names one); None:
    the kind each URL's host takes, else json (`kinds.split_hook`)."""

    def hooks(self) -> list[tuple[WebhookFormat, str]]:
        """Each webhook's kind and URL."""
        return [split_hook(text, self.webhook_format) for text in self.webhooks]

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


class ReportWriter(Protocol):
    """Writes a report in one of the formats a mail may attach (`json`, `csv`): given by the
    caller, so notification never imports the formatters."""

    def __call__(self, report: AuditReport, kind: str, stream: TextIO) -> None: ...


@dataclass(frozen=True, slots=True)
class Outbox:
    """What a channel is handed: the report, the settings, and what changed since last run."""

    report: AuditReport
    settings: NotifySettings
    password: str = ""
    write: ReportWriter | None = None
    """How attachments are written (None: no attachment can be made)."""
    changes: changes_mod.Changes | None = None
    """What changed since the last run, over the whole report (None without a state)."""
    previous: dict[str, changes_mod.Entry] = field(default_factory=dict)
    current: dict[str, changes_mod.Entry] = field(default_factory=dict)
    previous_run: str = ""


@dataclass(slots=True)
class Outcome:
    """What the channels did, each adding its lines: a channel never raises for a delivery
    problem, it says what failed and goes on."""

    sent: list[str] = field(default_factory=list)
    """One line per message or webhook delivered (or written, in a dry run)."""
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """Owners not mailed, and why."""


class Channel(Protocol):
    """One way a finished report leaves vcaudit."""

    def wanted(self, settings: NotifySettings) -> bool:
        """Whether these settings ask for this channel."""
        ...

    def send(self, outbox: Outbox, outcome: Outcome) -> None:
        """Deliver, adding what was sent and what failed to `outcome`."""
        ...
