"""The Slack webhook: an incoming-webhook message of Block Kit sections.

Text is escaped as Slack asks (&, <, >), so an inventory value can never become a link or a
mention (https://api.slack.com/reference/surfaces/formatting#escaping).
"""

from __future__ import annotations

from typing import Any

from vcaudit.advice import next_steps, to_review
from vcaudit.models import AuditReport
from vcaudit.notify.changes import Changes
from vcaudit.notify.digest import Digest
from vcaudit.notify.webhook import MAX_LINES, STEP_WIDTH, finding_lines
from vcaudit.sanitize import terminal_safe


def _escape(text: str, limit: int = 300) -> str:
    return (
        terminal_safe(text, limit).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    )


def _section(text: str) -> dict[str, Any]:
    """A Slack mrkdwn section (Slack caps a section at 3000 characters)."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


def body(report: AuditReport, digest: Digest, changes: Changes | None) -> dict[str, Any]:
    """The message: a header, what to do, the findings, the advisories to review."""
    del changes  # the subject says what changed
    lines = finding_lines(report)
    shown = lines[:MAX_LINES]
    more = f"... and {len(lines) - MAX_LINES} more" if len(lines) > MAX_LINES else ""
    steps = [s.text for s in next_steps(report)]
    review = to_review(report)
    listed = "\n".join(f"• {_escape(line)}" for line in shown)
    todo = "\n".join(f"• {_escape(step, STEP_WIDTH)}" for step in steps[:MAX_LINES])
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": digest.subject[:150]}},
    ]
    if todo:
        blocks.append(_section(f"*What to do*\n{todo}"))
    if listed:
        blocks.append(_section(f"*Findings*\n{listed}\n{more}"))
    if review:
        items = "\n".join(f"• {_escape(item.text, STEP_WIDTH)}" for item in review[:MAX_LINES])
        blocks.append(_section(f"*To review* (affected versions not published yet)\n{items}"))
    return {"text": digest.subject, "blocks": blocks}
