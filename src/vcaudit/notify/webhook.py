"""Webhooks: post the summary as JSON, or as a Slack or Microsoft Teams incoming-webhook message.

Text in Slack messages is escaped as Slack asks (&, <, >), so an inventory value can never
become a link or a mention; Teams cards use plain TextBlocks. Any failure becomes one
DeliveryError line (exit 5). httpx is imported only when a webhook is configured.
"""

from __future__ import annotations

from typing import Any

from vcaudit.errors import DeliveryError
from vcaudit.models import AuditReport, Risk
from vcaudit.notify.changes import Changes
from vcaudit.notify.digest import Digest
from vcaudit.notify.kinds import WebhookFormat
from vcaudit.output.groups import group, next_steps, to_review, upgrade_advice
from vcaudit.sanitize import terminal_safe

MAX_LINES = 20


_STEP_WIDTH = 600
"""A next step names up to five hosts: room for them and the whole advice."""


def _slack_escape(text: str, limit: int = 300) -> str:
    return (
        terminal_safe(text, limit).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    )


def _lines(report: AuditReport) -> list[str]:
    out = []
    for g in group(report):
        a = g.assessment
        if a.risk <= Risk.NONE:
            continue
        advice = upgrade_advice(a, short=True)
        out.append(
            f"{a.risk.label} {a.status.value}: {g.product} {g.version} ({g.platform.value}), "
            f"{g.hosts} host{'s' if g.hosts != 1 else ''}" + (f", {advice}" if advice else "")
        )
    return out


def _section(text: str) -> dict[str, Any]:
    """A Slack mrkdwn section (Slack caps a section at 3000 characters)."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


def _text_block(text: str, limit: int = 300, **style: object) -> dict[str, Any]:
    """A plain Adaptive Card TextBlock."""
    return {"type": "TextBlock", "text": terminal_safe(text, limit), "wrap": True, **style}


def payload(
    fmt: WebhookFormat, report: AuditReport, digest: Digest, changes: Changes | None
) -> dict[str, Any]:
    """The JSON body for one webhook format."""
    lines = _lines(report)
    steps = [s.text for s in next_steps(report)]
    review = to_review(report)
    if fmt is WebhookFormat.JSON:
        s = report.summary
        return {
            "tool": {"name": "vcaudit", "version": report.tool_version},
            "subject": digest.subject,
            "summary": {
                "hosts": s.hosts,
                "installations": s.installations,
                "worst_risk": s.worst.label,
                "failing": s.failing,
                "by_risk": {risk.label: n for risk, n in s.by_risk},
                "by_status": {status.value: n for status, n in s.by_status},
            },
            "changes": (
                {
                    "new": [e.to_json() for e in changes.new],
                    "resolved": [e.to_json() for e in changes.resolved],
                    "rose": [e.to_json() for e in changes.rose],
                    "still_open": len(changes.still_open),
                }
                if changes is not None
                else None
            ),
            "next_steps": steps,
            "findings": lines,
            # Advisories whose affected versions are not published yet: not findings.
            "review": [
                {
                    "id": item.advisory.id,
                    "aliases": list(item.advisory.aliases),
                    "title": item.advisory.title,
                    "severity": item.advisory.severity_label,
                    "concerns": item.where,
                    "hosts": item.hosts,
                    "installations": item.installations,
                    "text": item.text,
                }
                for item in review
            ],
        }
    shown = lines[:MAX_LINES]
    more = f"... and {len(lines) - MAX_LINES} more" if len(lines) > MAX_LINES else ""
    if fmt is WebhookFormat.SLACK:
        body = "\n".join(f"• {_slack_escape(line)}" for line in shown)
        todo = "\n".join(f"• {_slack_escape(step, _STEP_WIDTH)}" for step in steps[:MAX_LINES])
        blocks: list[dict[str, Any]] = [
            {"type": "header", "text": {"type": "plain_text", "text": digest.subject[:150]}},
        ]
        if todo:
            blocks.append(_section(f"*What to do*\n{todo}"))
        if body:
            blocks.append(_section(f"*Findings*\n{body}\n{more}"))
        if review:
            listed = "\n".join(
                f"• {_slack_escape(item.text, _STEP_WIDTH)}" for item in review[:MAX_LINES]
            )
            blocks.append(_section(f"*To review* (affected versions not published yet)\n{listed}"))
        return {"text": digest.subject, "blocks": blocks}
    facts = [_text_block(digest.subject, weight="Bolder", size="Medium")]
    facts += [_text_block(f"To do: {step}", _STEP_WIDTH) for step in steps[:MAX_LINES]]
    facts += [_text_block(line, isSubtle=True) for line in shown]
    if more:
        facts.append({"type": "TextBlock", "text": more, "isSubtle": True})
    facts += [
        _text_block(f"To review (affected versions not published yet): {item.text}", _STEP_WIDTH)
        for item in review[:MAX_LINES]
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


def post(url: str, body: dict[str, Any], timeout: float = 15.0) -> None:
    """POST the payload; DeliveryError on a connection failure or a non-2xx answer."""
    import httpx

    shown = url.split("?")[0]  # webhook URLs carry their secret in the path or query
    if "/" in shown[8:]:
        shown = shown[: shown.index("/", 8)] + "/..."
    try:
        response = httpx.post(url, json=body, timeout=timeout)
    except httpx.HTTPError as exc:
        raise DeliveryError(f"webhook {shown} failed: {type(exc).__name__}") from None
    if not 200 <= response.status_code < 300:
        raise DeliveryError(f"webhook {shown} answered {response.status_code}")
