"""The summary people read in a mail or a chat message: subject, plain text and HTML.

Built from the same groups and next steps as the table, worst first, with the changes since
the last run when a state file is used. Every value is made inert for its medium: control
characters escaped in text, HTML-escaped (inline styles only) in HTML. The subject is made
only of counts and words vcaudit chose, so no inventory value reaches a mail header.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from vcaudit.advice import (
    ReviewItem,
    group,
    hosts_named,
    next_steps,
    plural,
    review_ids,
    short_ids,
    to_review,
    upgrade_advice,
    upgrade_target,
)
from vcaudit.models import Assessment, AuditReport, Group, Risk, Status, Step
from vcaudit.notify.changes import Changes, Entry
from vcaudit.report import data_protection_brief
from vcaudit.sanitize import terminal_safe

_MAX_IDS = 4
"""Advisory ids named per group; the rest are counted."""
MAX_GROUPS = 50
_STEP_WIDTH = 600
"""A next step names up to five hosts: room for them and the whole advice."""
MAX_CHANGES = 25
MAX_HOSTS = 20
"""Hosts named per finding; the attached report lists them all."""

RISK_COLOURS = {
    Risk.CRITICAL: "#a40e26",
    Risk.HIGH: "#cf222e",
    Risk.MEDIUM: "#9a6700",
    Risk.LOW: "#0969da",
    Risk.NONE: "#1a7f37",
}


@dataclass(frozen=True, slots=True)
class Digest:
    """One message's content."""

    subject: str
    text: str
    html: str


def _t(value: str, limit: int = 120) -> str:
    return terminal_safe(value, limit)


def _h(value: str, limit: int = 120) -> str:
    return html.escape(terminal_safe(value, limit), quote=True)


def subject(report: AuditReport, changes: Changes | None) -> str:
    """The verdict and the counts the body lists, e.g. `[vcaudit] FAIL, 7 at or above high:
    2 critical, 5 high, 1 low; 8 of 30 need action`. Every risk level with installations is
    named, so the counts add up to those that need action."""
    s = report.summary
    counts = [f"{n:,} {risk.label}" for risk, n in s.by_risk if n and risk > Risk.NONE]
    action = sum(n for risk, n in s.by_risk if risk > Risk.NONE)
    verdict = report.verdict
    head = (
        f"FAIL, {verdict.failing:,} at or above {verdict.fail_on.label}"
        if verdict.failing
        else "PASS"
    )
    if counts:
        need = "needs" if action == 1 else "need"
        of = f"{action:,} of {s.installations:,} {need} action"
        text = f"[vcaudit] {head}: {', '.join(counts)}; {of}"
    else:
        every = plural(s.installations, "installation")
        text = f"[vcaudit] {head}: nothing needs action ({every})"
    unknown = dict(s.by_status).get(Status.UNKNOWN, 0)
    if unknown:
        text += f"; {unknown:,} not identified"
    review = len(to_review(report))
    if review:
        text += f"; {plural(review, 'advisory', 'advisories')} to review"
    if changes is not None and changes.any:
        parts = [f"{len(changes.new)} new"] if changes.new else []
        parts += [f"{len(changes.resolved)} resolved"] if changes.resolved else []
        parts += [f"{len(changes.rose)} riskier"] if changes.rose else []
        text += f" ({', '.join(parts)})"
    return text


def _entry_line(entry: Entry, names: Mapping[str, str]) -> str:
    """One change; the state remembers the feed's product id, people read the product's name."""
    ids = ", ".join(entry.advisories[:3]) + (" ..." if len(entry.advisories) > 3 else "")
    tail = f": {ids}" if ids else ""
    product = names.get(entry.product, entry.product)
    return (
        f"{entry.risk.label:<9}{_t(product, 60)} {_t(entry.version, 40)} on "
        f"{_t(entry.host, 60)} ({entry.platform}), {entry.status}{_t(tail, 100)}"
    )


def _group_line(g: Group) -> tuple[str, str]:
    a = g.assessment
    head = (
        f"{a.risk.label:<9}{a.status.value:<12}{_t(g.product, 60)} {_t(g.version, 40)} "
        f"({g.platform.value}), {plural(g.hosts, 'host')}"
        + (f", owner {_t(g.owner, 60)}" if g.owner else "")
    )
    advice = upgrade_advice(a, short=True)
    why = _why(a)
    detail = (f"{_t(advice, 80)}; " if advice else "") + _t(why, 160)
    return head, detail


def group_hosts(g: Group) -> str:
    """The group's hosts, up to `MAX_HOSTS` in natural order, then how many more."""
    return hosts_named(g.host_names, MAX_HOSTS) if g.host_names else ""


def _why(a: Assessment) -> str:
    """The advisories that apply (else the reason), then those to review."""
    why = short_ids(a, _MAX_IDS) or a.reason
    review = review_ids(a, _MAX_IDS)
    return f"{why}; {review}" if why and review else why or review


_REVIEW_INTRO = (
    "To review: these advisories concern your installations, but their affected versions "
    "are not published yet. They are not counted as vulnerabilities; check them against the "
    "vendor's advisory."
)


def _changes_text(changes: Changes, names: Mapping[str, str]) -> list[str]:
    since = f" since {changes.previous_run}" if changes.previous_run else " (first run)"
    lines = [
        f"Changes{since}: {len(changes.new)} new, {len(changes.resolved)} resolved, "
        f"{len(changes.rose)} riskier, {len(changes.still_open)} still open",
    ]
    for title, entries in (
        ("New", changes.new),
        ("Riskier", changes.rose),
        ("Resolved", changes.resolved),
    ):
        if entries:
            lines.append(f"{title}:")
            lines += [f"  - {_entry_line(e, names)}" for e in entries[:MAX_CHANGES]]
            if len(entries) > MAX_CHANGES:
                lines.append(f"  ... and {len(entries) - MAX_CHANGES} more")
    return lines


def build(report: AuditReport, changes: Changes | None, audience: str = "") -> Digest:
    """Subject, text and HTML for one recipient group."""
    s = report.summary
    as_of = report.as_of.isoformat() if report.as_of else ""
    need = sum(n for risk, n in s.by_risk if risk > Risk.NONE)
    intro = (
        f"vcaudit summary{f' for {as_of}' if as_of else ''}: {need} of {s.installations} "
        f"installations on {s.hosts} hosts need action (worst risk: {s.worst.label})."
    )
    if audience:
        intro += f" This message lists the products {_t(audience, 80)} answers for."
    every = [g for g in group(report) if g.assessment.status is not Status.CURRENT]
    groups = [g for g in every if g.assessment.risk > Risk.NONE]
    unjudged = [g for g in every if g.assessment.risk <= Risk.NONE]
    steps = next_steps(report)
    review = to_review(report)
    names = dict(report.product_names)
    text = [intro, ""]
    if changes is not None:
        text += [*_changes_text(changes, names), ""]
    if steps:
        text.append("What to do:")
        text += [f"  - {_t(step.text, _STEP_WIDTH)}" for step in steps]
        text.append("")
    if review:
        text.append(_REVIEW_INTRO)
        text += [f"  - {_t(item.text, _STEP_WIDTH)}" for item in review]
        text.append("")
    for title, listed in (
        (f"Findings, worst first ({plural(need, 'installation')} need action)", groups),
        (_unjudged_title(unjudged), unjudged),
    ):
        if not listed:
            continue
        text.append(f"{title}:")
        for g in listed[:MAX_GROUPS]:
            head, detail = _group_line(g)
            text += [f"  {head}", f"      {detail}"]
            hosts = group_hosts(g)
            if hosts:
                text.append(f"      hosts: {_t(hosts, 0)}")
        if len(listed) > MAX_GROUPS:
            text.append(
                f"  ... and {len(listed) - MAX_GROUPS} more groups (see the attached report)"
            )
        text.append("")
    if report.data_protection.products:
        text.append("Data protection (where the calls' data goes; vcaudit product ID for sources):")
        text += [
            f"  - {_t(data_protection_brief(e, report.data_protection), 400)}"
            for e in report.data_protection.products
        ]
        text.append("")
    if report.read:
        text.append("Inputs:")
        text += [f"  - {_t(r, 300)}" for r in report.read]
        text.append("")
    if report.warnings:
        text.append("Warnings:")
        text += [f"  - {_t(w, 300)}" for w in report.warnings]
        text.append("")
    feed = report.feed
    feed_date = feed.generated_at.date().isoformat() if feed.generated_at else "unknown"
    text.append(f"Feed of {feed_date}. Sent by vcaudit {report.tool_version}.")
    return Digest(
        subject(report, changes),
        "\n".join(text) + "\n",
        _html(report, changes, intro, groups + unjudged, steps, feed_date, review, names),
    )


def _unjudged_title(groups: list[Group]) -> str:
    count = sum(g.installations for g in groups)
    return (
        f"Not judged ({plural(count, 'installation')}: product or version not identified, "
        "or set aside by the policy)"
    )


def _html(
    report: AuditReport,
    changes: Changes | None,
    intro: str,
    groups: list[Group],
    steps: Sequence[Step],
    feed_date: str,
    review: list[ReviewItem],
    names: Mapping[str, str],
) -> str:
    cell = "padding:4px 8px;border-bottom:1px solid #d0d7de;text-align:left;vertical-align:top"
    out = [
        '<!DOCTYPE html><html><body style="font-family:Arial,Helvetica,sans-serif;'
        'font-size:14px;color:#1b1f24">',
        f'<p style="font-size:16px"><b>{_h(intro, 400)}</b></p>',
    ]
    if changes is not None:
        out.append(f"<p>{_h(_changes_text(changes, names)[0], 300)}</p>")
        for title, entries in (
            ("New", changes.new),
            ("Riskier", changes.rose),
            ("Resolved", changes.resolved),
        ):
            if entries:
                out.append(f'<p style="margin:8px 0 2px"><b>{title}</b></p><ul>')
                out += [f"<li>{_h(_entry_line(e, names), 400)}</li>" for e in entries[:MAX_CHANGES]]
                out.append("</ul>")
    if steps:
        out.append('<p style="margin:12px 0 2px"><b>What to do</b></p><ul>')
        out += [f"<li>{_h(step.text, _STEP_WIDTH)}</li>" for step in steps]
        out.append("</ul>")
    if review:
        out.append(f'<p style="margin:12px 0 2px"><b>{_h(_REVIEW_INTRO, 400)}</b></p><ul>')
        out += [f"<li>{_h(item.text, _STEP_WIDTH)}</li>" for item in review]
        out.append("</ul>")
    if groups:
        out.append(
            '<table style="border-collapse:collapse;margin-top:12px"><tr>'
            + "".join(
                f'<th style="{cell};background:#f6f8fa">{h}</th>'
                for h in (
                    "Risk",
                    "Status",
                    "Product",
                    "Version",
                    "Platform",
                    "Hosts",
                    "Owner",
                    "Upgrade to",
                    "Advisories / reason",
                )
            )
            + "</tr>"
        )
        for g in groups[:MAX_GROUPS]:
            a = g.assessment
            why = _why(a)
            colour = RISK_COLOURS[a.risk]
            out.append(
                f'<tr><td style="{cell};color:{colour};font-weight:bold">{a.risk.label}</td>'
                f'<td style="{cell}">{a.status.value}</td><td style="{cell}">{_h(g.product)}</td>'
                f'<td style="{cell}">{_h(g.version)}</td><td style="{cell}">{g.platform.value}</td>'
                f'<td style="{cell}">{g.hosts:,}{_host_list(g)}</td>'
                f'<td style="{cell}">{_h(g.owner)}</td>'
                f'<td style="{cell}">{_h(upgrade_target(a))}</td>'
                f'<td style="{cell}">{_h(why, 200)}</td></tr>'
            )
        out.append("</table>")
    if report.data_protection.products:
        out.append(
            '<p style="margin:12px 0 2px"><b>Data protection</b> (where the calls&#x27; data '
            "goes; vcaudit product ID for sources)</p><ul>"
        )
        out += [
            f"<li>{_h(data_protection_brief(e, report.data_protection), 400)}</li>"
            for e in report.data_protection.products
        ]
        out.append("</ul>")
    if report.read:
        out.append('<p style="margin:12px 0 2px"><b>Inputs</b></p><ul>')
        out += [f"<li>{_h(r, 300)}</li>" for r in report.read]
        out.append("</ul>")
    if report.warnings:
        out.append('<p style="margin:12px 0 2px"><b>Warnings</b></p><ul>')
        out += [f"<li>{_h(w, 300)}</li>" for w in report.warnings]
        out.append("</ul>")
    out.append(
        f'<p style="color:#57606a;font-size:12px">Feed of {_h(feed_date)}. Sent by vcaudit '
        f"{_h(report.tool_version)}.</p></body></html>"
    )
    return "\n".join(out) + "\n"


def _host_list(g: Group) -> str:
    hosts = group_hosts(g)
    return f'<br><span style="color:#57606a">{_h(hosts, 0)}</span>' if hosts else ""
