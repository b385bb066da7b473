"""Delivering a finished report through every channel asked for, and the state for change
detection.

`deliver` raises only before anything is sent (a state that cannot be used, a state held by
another run). After that it never raises for a delivery problem: each channel (see
`channels.CHANNELS`: routed email, then the webhooks) tries every message and returns one
line per failure, so the caller can still write every other output and exit 5. The new state
is staged before the first message and put in place only when every delivery succeeded, so a
failed run is reported again next time and nothing is lost.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path

from vcaudit.errors import DeliveryError
from vcaudit.models import AuditReport, RunTally
from vcaudit.notify import changes as changes_mod
from vcaudit.notify.channels import CHANNELS
from vcaudit.notify.interface import STATE_WAIT, NotifySettings, Outbox, Outcome, ReportWriter

__all__ = ["STATE_WAIT", "NotifySettings", "Result", "deliver"]


@dataclass(frozen=True, slots=True)
class Result:
    """What delivery did."""

    failures: tuple[str, ...]
    sent: tuple[str, ...]
    """One line per message or webhook delivered (or written, in a dry run)."""
    skipped: str = ""
    notes: tuple[str, ...] = ()
    """Owners not mailed, and why (their findings went to the default recipients)."""


def deliver(
    report: AuditReport,
    settings: NotifySettings,
    *,
    now: dt.datetime,
    password: str = "",
    write: ReportWriter | None = None,
) -> Result:
    """Send or write every message, post every webhook, then remember this run. `write`
    writes the attachments (`output.write_attachment`)."""
    if settings.state is None:
        return _deliver(Outbox(report, settings, password, write), now, None)
    changes_mod.check_state_path(settings.state)
    with changes_mod.locked(settings.state, settings.state_wait):
        kept = changes_mod.load_state(settings.state)
        outbox = Outbox(
            report, settings, password, write, previous=kept.entries, previous_run=kept.run_at
        )
        return _deliver(outbox, now, settings.state, kept.history)


def _deliver(
    outbox: Outbox,
    now: dt.datetime,
    state: Path | None,
    history: tuple[RunTally, ...] = (),
) -> Result:
    if not outbox.report.rows:
        raise ValueError("delivery needs the report's rows: this report kept only its counts")
    current = changes_mod.open_entries(outbox.report.findings)
    staged = None
    if state is not None:
        overall = changes_mod.compare(outbox.previous, current, outbox.previous_run)
        run = changes_mod.this_run(outbox.report, current, overall, now.isoformat())
        history = changes_mod.extend_history(history, run)
        if outbox.settings.only_changes and not overall.any:
            changes_mod.write_state(state, current, now, history)
            return Result((), (), "nothing changed since the last run: no message sent")
        outbox = replace(outbox, changes=overall, current=current)
        # Before anything is sent: a state that cannot be written stops the run here.
        staged = changes_mod.StagedState(state, current, now, history)
    else:
        outbox = replace(outbox, current=current)
    outcome = Outcome()
    try:
        for channel in CHANNELS.values():
            if channel.wanted(outbox.settings):
                channel.send(outbox, outcome)
    except BaseException:
        if staged is not None:
            staged.discard()
        raise
    if staged is not None:
        if outcome.failures:
            staged.discard()
        else:
            try:
                staged.commit(after_sending=True)
            except DeliveryError as exc:
                outcome.failures.append(str(exc))
    return Result(tuple(outcome.failures), tuple(outcome.sent), notes=tuple(outcome.notes))
