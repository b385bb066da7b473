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
from vcaudit.notify.webhook import MAX_LINES, STEP_WIDTH, FindingItem, finding_items
from vcaudit.sanitize import terminal_safe

MAX_LINKS = 5
"""Advisories linked per finding; the rest are counted."""


def _escape(text: str, limit: int = 300) -> str:
    return (
        terminal_safe(text, limit).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    )


_SECTION = 3000
"""Slack's limit on a section's text."""


def _section(text: str) -> dict[str, Any]:
    """A Slack mrkdwn section (Slack caps a section at 3000 characters)."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:_SECTION]}}


def _sections(title: str, entries: list[str]) -> list[dict[str, Any]]:
    """`entries` under `title`, in as many sections as Slack's limit asks, never cutting an
    entry (a link cut in half would show its markup)."""
    out: list[dict[str, Any]] = []
    current = title
    for entry in entries:
        if len(current) + 1 + len(entry) > _SECTION and current != title:
            out.append(_section(current))
            current = ""
        current = f"{current}\n{entry}" if current else entry
    out.append(_section(current))
    return out


def _link(ident: str, url: str) -> str:
    # reference_url admits no character Slack reads in `<url|text>` (no |, <, > or spaces).
    return f"<{url}|{_escape(ident, 80)}>" if url else _escape(ident, 80)


def _finding(item: FindingItem) -> str:
    lines = [f"• {_escape(item.text)}"]
    if item.hosts:
        lines.append(f"    hosts: {_escape(item.hosts_text, 1200)}")
    if item.advisories:
        links = ", ".join(_link(i, u) for i, u in item.advisories[:MAX_LINKS])
        more = len(item.advisories) - MAX_LINKS
        lines.append(f"    advisories: {links}" + (f" +{more} more" if more > 0 else ""))
    return "\n".join(lines)


def body(report: AuditReport, digest: Digest, changes: Changes | None) -> dict[str, Any]:
    """The message: a header, what to do, the findings, the advisories to review."""
    del changes  # the subject says what changed
    items = finding_items(report)
    listed = [_finding(item) for item in items[:MAX_LINES]]
    if len(items) > MAX_LINES:
        listed.append(f"... and {len(items) - MAX_LINES} more")
    steps = [s.text for s in next_steps(report)]
    review = to_review(report)
    todo = "\n".join(f"• {_escape(step, STEP_WIDTH)}" for step in steps[:MAX_LINES])
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": digest.subject[:150]}},
    ]
    if todo:
        blocks.append(_section(f"*What to do*\n{todo}"))
    if listed:
        blocks += _sections("*Findings*", listed)
    if review:
        todo = "\n".join(f"• {_escape(item.text, STEP_WIDTH)}" for item in review[:MAX_LINES])
        blocks.append(_section(f"*To review* (affected versions not published yet)\n{todo}"))
    return {"text": digest.subject, "blocks": blocks}
