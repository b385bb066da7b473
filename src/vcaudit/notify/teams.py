"""The Microsoft Teams webhook: an Adaptive Card of plain TextBlocks (no markup is read from
them, https://adaptivecards.io/explorer/TextBlock.html)."""

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

_ZWSP = "\u200b"
_LIVE = (("](", f"]{_ZWSP}("), ("://", f":{_ZWSP}//"), ("www.", f"www{_ZWSP}."))
"""What Teams' TextBlock Markdown would turn into a link: `[text](url)`, a bare URL, `www.`.
A zero-width space keeps the text as it reads and makes it plain text."""


def _inert(text: str, limit: int = 300) -> str:
    """`text` safe for a TextBlock: controls escaped, nothing that becomes a link."""
    safe = terminal_safe(text, limit)
    for live, dead in _LIVE:
        safe = safe.replace(live, dead)
    return safe


def _text_block(text: str, limit: int = 300, **style: object) -> dict[str, Any]:
    """An Adaptive Card TextBlock of untrusted text, made inert."""
    return {"type": "TextBlock", "text": _inert(text, limit), "wrap": True, **style}


def _finding(item: FindingItem) -> list[dict[str, Any]]:
    blocks = [_text_block(item.text, isSubtle=True)]
    if item.hosts:
        blocks.append(_text_block(f"hosts: {item.hosts_text}", 1200, isSubtle=True))
    if item.advisories:
        # The links are vcaudit's own Markdown: an id made inert, a URL reference_url admits
        # (no spaces, brackets or parentheses).
        links = ", ".join(
            f"[{_inert(i, 80)}]({u})" if u else _inert(i, 80)
            for i, u in item.advisories[:MAX_LINKS]
        )
        more = len(item.advisories) - MAX_LINKS
        text = f"advisories: {links}" + (f" +{more} more" if more > 0 else "")
        blocks.append({"type": "TextBlock", "text": text, "wrap": True, "isSubtle": True})
    return blocks


def body(report: AuditReport, digest: Digest, changes: Changes | None) -> dict[str, Any]:
    """The card: the subject, what to do, the findings, the advisories to review."""
    del changes  # the subject says what changed
    items = finding_items(report)
    more = f"... and {len(items) - MAX_LINES} more" if len(items) > MAX_LINES else ""
    steps = [s.text for s in next_steps(report)]
    facts = [_text_block(digest.subject, weight="Bolder", size="Medium")]
    facts += [_text_block(f"To do: {step}", STEP_WIDTH) for step in steps[:MAX_LINES]]
    for item in items[:MAX_LINES]:
        facts += _finding(item)
    if more:
        facts.append({"type": "TextBlock", "text": more, "isSubtle": True})
    facts += [
        _text_block(f"To review (affected versions not published yet): {item.text}", STEP_WIDTH)
        for item in to_review(report)[:MAX_LINES]
    ]
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": facts,
                },
            }
        ],
    }
