"""Webhooks: post the summary as JSON, or as a Slack or Microsoft Teams incoming-webhook message.

Text in Slack messages is escaped as Slack asks (&, <, >), so an inventory value can never
become a link or a mention; Teams cards use plain TextBlocks. Each request has one overall
deadline (connecting, TLS, sending, and reading the answer, however slowly the server
trickles it), and at most `MAX_ANSWER_BYTES` of the answer are read, uncompressed. Any
failure becomes one DeliveryError line (exit 5) that shows the URL's scheme and host only
(webhook URLs carry their secret). httpx is imported only when a webhook is configured.
"""

from __future__ import annotations

from typing import Any

from vcaudit.advice import group, next_steps, plural, to_review, upgrade_advice
from vcaudit.deadline import Watchdog
from vcaudit.errors import DeliveryError
from vcaudit.models import AuditReport, Risk
from vcaudit.notify.changes import Changes
from vcaudit.notify.digest import Digest
from vcaudit.notify.kinds import WebhookFormat, shown_url
from vcaudit.sanitize import terminal_safe

MAX_LINES = 20
DEFAULT_TIMEOUT = 15.0
MAX_ANSWER_BYTES = 64 * 1024
"""What is read of a webhook's answer: enough for any error text, never a flood."""


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
            f"{plural(g.hosts, 'host')}" + (f", {advice}" if advice else "")
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


def post(url: str, body: dict[str, Any], timeout: float = DEFAULT_TIMEOUT) -> None:
    """POST the payload within `timeout` seconds in all; DeliveryError on a connection
    failure, the deadline, or a non-2xx answer."""
    import httpx

    shown = shown_url(url)
    with Watchdog(timeout) as watchdog:

        def trace(event: str, info: dict[str, Any]) -> None:
            # httpcore reports each new connection; its socket goes under the watchdog.
            if event == "connection.connect_tcp.complete":
                sock = info["return_value"].get_extra_info("socket")
                if sock is not None:
                    watchdog.watch(sock)

        try:
            status, answer = _exchange(url, body, timeout, trace)
        except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
            if watchdog.expired:
                raise DeliveryError(
                    f"webhook {shown} did not answer within {timeout:g} s "
                    "(--webhook-timeout bounds the whole request); stopped"
                ) from None
            raise DeliveryError(f"webhook {shown} failed: {type(exc).__name__}") from None
    if not 200 <= status < 300:
        detail = terminal_safe(_redact(" ".join(answer.split()), url), 200)
        raise DeliveryError(
            f"webhook {shown} answered {status}" + (f": {detail}" if detail else "")
        )


def _redact(text: str, url: str) -> str:
    """`text` without any piece of the URL's secret (servers often echo the path they
    could not find: "Cannot POST /hook/SECRET")."""
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    secrets = [parts.path, parts.query, parts.username or "", parts.password or ""]
    secrets += [piece for piece in parts.path.split("/") if len(piece) > 3]
    secrets += [piece for piece in parts.query.split("&") if len(piece) > 3]
    for secret in sorted({s for s in secrets if len(s) > 1}, key=len, reverse=True):
        for form in (secret, unquote(secret)):
            text = text.replace(form, "...")
    return text


def _exchange(url: str, body: dict[str, Any], timeout: float, trace: Any) -> tuple[int, str]:
    """The status and the start of the answer (text, when it is not compressed)."""
    import httpx

    # identity: a compressed answer could expand a thousandfold past the read limit.
    headers = {"Accept-Encoding": "identity"}
    with (
        httpx.Client(timeout=timeout, follow_redirects=False) as client,
        client.stream(
            "POST", url, json=body, headers=headers, extensions={"trace": trace}
        ) as response,
    ):
        answer = bytearray()
        for chunk in response.iter_raw(16 * 1024):
            answer += chunk
            if len(answer) >= MAX_ANSWER_BYTES:
                break
        text = ""
        if response.headers.get("Content-Encoding", "identity").lower() == "identity":
            text = bytes(answer[:MAX_ANSWER_BYTES]).decode("utf-8", "replace")
        return response.status_code, text
