"""The Microsoft Teams webhook: an Adaptive Card of plain TextBlocks (no markup is read from
them, https://adaptivecards.io/explorer/TextBlock.html)."""

from __future__ import annotations

from typing import Any

from vcaudit.advice import next_steps, to_review
from vcaudit.models import AuditReport
from vcaudit.notify.changes import Changes
from vcaudit.notify.digest import Digest
from vcaudit.notify.webhook import MAX_LINES, STEP_WIDTH, finding_lines
from vcaudit.sanitize import terminal_safe


def _text_block(text: str, limit: int = 300, **style: object) -> dict[str, Any]:
    """A plain Adaptive Card TextBlock."""
    return {"type": "TextBlock", "text": terminal_safe(text, limit), "wrap": True, **style}


def body(report: AuditReport, digest: Digest, changes: Changes | None) -> dict[str, Any]:
    """The card: the subject, what to do, the findings, the advisories to review."""
    del changes  # the subject says what changed
    lines = finding_lines(report)
    shown = lines[:MAX_LINES]
    more = f"... and {len(lines) - MAX_LINES} more" if len(lines) > MAX_LINES else ""
    steps = [s.text for s in next_steps(report)]
    facts = [_text_block(digest.subject, weight="Bolder", size="Medium")]
    facts += [_text_block(f"To do: {step}", STEP_WIDTH) for step in steps[:MAX_LINES]]
    facts += [_text_block(line, isSubtle=True) for line in shown]
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
