"""Webhooks: post the summary as JSON, or as a Slack or Microsoft Teams incoming-webhook message.

Text in Slack messages is escaped as Slack asks (&, <, >), so an inventory value can never
become a link or a mention; Teams cards use plain TextBlocks. Each request has one overall
deadline (connecting, TLS, sending, and reading the answer, however slowly the server
trickles it), and at most `MAX_ANSWER_BYTES` of the answer are read, uncompressed. Any
failure becomes one DeliveryError line (exit 5) that shows the URL's scheme and host only
(webhook URLs carry their secret). httpx is imported only when a webhook is configured.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from vcaudit.advice import (
    first_in_natural_order,
    group,
    hits_worst_first,
    next_steps,
    plural,
    reference_url,
    to_review,
    upgrade_advice,
)
from vcaudit.deadline import Watchdog
from vcaudit.errors import DeliveryError
from vcaudit.models import AuditReport, Group, Risk
from vcaudit.notify import digest as digest_mod
from vcaudit.notify.changes import Changes
from vcaudit.notify.digest import Digest
from vcaudit.notify.kinds import WEBHOOK_TIMEOUT, WebhookFormat, shown_url
from vcaudit.sanitize import terminal_safe

if TYPE_CHECKING:
    from vcaudit.notify.interface import NotifySettings, Outbox, Outcome

MAX_LINES = 20
DEFAULT_TIMEOUT = WEBHOOK_TIMEOUT
MAX_ANSWER_BYTES = 64 * 1024
"""What is read of a webhook's answer: enough for any error text, never a flood."""


STEP_WIDTH = 600
"""A next step names up to five hosts: room for them and the whole advice."""


MAX_HOSTS = 20
"""Hosts named per finding; the count says how many more."""
MAX_LINKS = 5
"""Advisories linked per finding; the rest are counted."""


@dataclass(frozen=True, slots=True)
class FindingItem:
    """One group with something to do, as every webhook kind lists it."""

    group: Group
    text: str
    """One line: risk, status, product, version, platform, hosts, advice."""
    hosts: tuple[str, ...]
    """Up to `MAX_HOSTS` host names, in natural order."""
    advisories: tuple[tuple[str, str], ...]
    """(id, link) of the advisories that apply, worst first; the link may be ""."""

    @property
    def more_hosts(self) -> int:
        return self.group.hosts - len(self.hosts)

    @property
    def hosts_text(self) -> str:
        more = f" +{self.more_hosts:,} more" if self.more_hosts > 0 else ""
        return ", ".join(self.hosts) + more


def finding_items(report: AuditReport) -> list[FindingItem]:
    """The groups with something to do, worst first, with their hosts and advisory links."""
    out = []
    for g in group(report):
        a = g.assessment
        if a.risk <= Risk.NONE:
            continue
        advice = upgrade_advice(a, short=True)
        text = (
            f"{a.risk.label} {a.status.value}: {g.product} {g.version} ({g.platform.value}), "
            f"{plural(g.hosts, 'host')}" + (f", {advice}" if advice else "")
        )
        hosts = tuple(first_in_natural_order(g.host_names, MAX_HOSTS))
        links = tuple((hit.advisory.id, reference_url(hit.advisory)) for hit in hits_worst_first(a))
        out.append(FindingItem(g, text, hosts, links))
    return out


def finding_lines(report: AuditReport) -> list[str]:
    """One line per group with something to do, worst first."""
    return [item.text for item in finding_items(report)]


def _finding_json(item: FindingItem) -> dict[str, Any]:
    g, a = item.group, item.group.assessment
    return {
        "text": item.text,
        "risk": a.risk.label,
        "status": a.status.value,
        "product": g.product,
        "version": g.version,
        "platform": g.platform.value,
        "owner": g.owner,
        "installations": g.installations,
        "hosts": g.hosts,
        "host_names": list(item.hosts),
        "more_hosts": max(item.more_hosts, 0),
        "advice": upgrade_advice(a, short=True),
        "advisories": [{"id": ident, "url": url} for ident, url in item.advisories],
    }


def json_body(report: AuditReport, digest: Digest, changes: Changes | None) -> dict[str, Any]:
    """The generic JSON webhook body: counts, changes, next steps, findings, review items."""
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
        "next_steps": [step.text for step in next_steps(report)],
        "findings": [_finding_json(item) for item in finding_items(report)],
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
            for item in to_review(report)
        ],
    }


Body = Callable[[AuditReport, Digest, "Changes | None"], dict[str, Any]]
"""What one webhook kind posts: a JSON body made from the report and its digest."""


class WebhookChannel:
    """Posts one kind of body to every `--webhook` URL (when `--webhook-format` is its kind)."""

    def __init__(self, kind: WebhookFormat, body: Body) -> None:
        self.kind = kind
        self.body = body

    def wanted(self, settings: NotifySettings) -> bool:
        return any(kind is self.kind for kind, _url in settings.hooks())

    def send(self, outbox: Outbox, outcome: Outcome) -> None:
        report, settings = outbox.report, outbox.settings
        body = self.body(report, digest_mod.build(report, outbox.changes), outbox.changes)
        for url in (url for kind, url in settings.hooks() if kind is self.kind):
            try:
                post(url, body, settings.webhook_timeout)
                outcome.sent.append("posted a webhook")
            except DeliveryError as exc:
                outcome.failures.append(str(exc))


def payload(
    fmt: WebhookFormat, report: AuditReport, digest: Digest, changes: Changes | None
) -> dict[str, Any]:
    """The JSON body for one webhook kind (its channel in `notify.channels.CHANNELS`)."""
    from vcaudit.notify.channels import webhook_channel

    return webhook_channel(fmt).body(report, digest, changes)


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
