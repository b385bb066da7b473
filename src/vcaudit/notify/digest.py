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
    advisories_worst_first,
    first_in_natural_order,
    group,
    hits_worst_first,
    hosts_named,
    next_steps,
    plural,
    reference_url,
    to_review,
    upgrade_advice,
    upgrade_target,
)
from vcaudit.models import Advisory, Assessment, AuditReport, Group, Risk, Status, Step
from vcaudit.notify.changes import Changes, Entry
from vcaudit.report import data_protection_brief
from vcaudit.sanitize import terminal_safe

_MAX_IDS = 4
"""Advisory ids named per group; the rest are counted."""
_WHY_WIDTH = 160
"""Characters of a finding's reason and advisory ids in the text part: ids are never cut, as
many whole ones as fit are named, then how many more."""
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
    detail = (f"{_t(advice, 80)}; " if advice else "") + _why(a)
    return head, detail


def group_hosts(g: Group) -> str:
    """The group's hosts, up to `MAX_HOSTS` in natural order, then how many more."""
    return hosts_named(g.host_names, MAX_HOSTS) if g.host_names else ""


def _ids(ids: Sequence[str], room: int) -> str:
    """Up to `_MAX_IDS` whole ids, as many as fit in `room` characters (the first always),
    then how many more: `ZSB-26014, ZSB-25030 +57 more`."""
    shown: list[str] = []
    for ident in ids[:_MAX_IDS]:
        text = _t(ident, 80)
        if shown and len(", ".join([*shown, text])) > room:
            break
        shown.append(text)
    rest = len(ids) - len(shown)
    return ", ".join(shown) + (f" +{rest:,} more" if rest else "")


def _why(a: Assessment) -> str:
    """The advisories that apply, worst first (else the reason), then those to review, in
    about `_WHY_WIDTH` characters, never cutting an id."""
    applies = [hit.advisory.id for hit in hits_worst_first(a)]
    why = _ids(applies, _WHY_WIDTH) if applies else _t(a.reason, _WHY_WIDTH)
    review = [advisory.id for advisory in advisories_worst_first(a.review)]
    if review:
        room = _WHY_WIDTH - len(why) - len("; review: ")
        why = (f"{why}; " if why else "") + "review: " + _ids(review, room)
    return why


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
        out += [f"<li>{_review_item_html(item)}</li>" for item in review]
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
                )
            )
            + "</tr>"
        )
        # The advisories (or the reason) take a row of their own under each finding, the
        # table's whole width: a ninth column left too little room at 1000 px.
        top = "padding:4px 8px 0;text-align:left;vertical-align:top"
        for g in groups[:MAX_GROUPS]:
            a = g.assessment
            colour = RISK_COLOURS[a.risk]
            out.append(
                f'<tr><td rowspan="2" style="{cell};color:{colour};font-weight:bold">'
                f"{a.risk.label}</td>"
                f'<td style="{top}">{a.status.value}</td><td style="{top}">{_h(g.product)}</td>'
                f'<td style="{top}">{_version_html(g.version)}</td>'
                f'<td style="{top}">{g.platform.value}</td>'
                f'<td style="{top}">{g.hosts:,}{_host_list(g)}</td>'
                f'<td style="{top}">{_owner_html(g.owner)}</td>'
                f'<td style="{top}">{_upgrade_html(a)}</td></tr>'
                f'<tr><td colspan="7" style="{cell}">{_why_html(a)}</td></tr>'
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


_WHOLE = "white-space:nowrap"
"""The inline style that keeps an id, a host or a piece of an address on one line (a mail
reader broke `CVE-2024-` / `39823` and `LAPTOP-` / `7F3K2J9Q.corp.example.com` at 1000 px)."""


def _whole(escaped: str) -> str:
    return f'<span style="{_WHOLE}">{escaped}</span>'


def _host_list(g: Group) -> str:
    """The group's hosts as `group_hosts` names them, each on one line."""
    if not g.host_names:
        return ""
    first = first_in_natural_order(g.host_names, MAX_HOSTS)
    # hosts_named of one host is that host as every message shows it (a name past 120
    # characters shortened in its middle).
    names = ", ".join(_whole(_h(hosts_named((host,), 1), 0)) for host in first)
    rest = len(g.host_names) - len(first)
    names += f" +{rest:,} more" if rest > 0 else ""
    return f'<br><span style="color:#57606a">{names}</span>'


def _id_html(advisory: Advisory) -> str:
    """An advisory id on one line, linked to its first web reference."""
    url = reference_url(advisory)
    text = _h(advisory.id, 80)
    if not url:
        return _whole(text)
    return f'<a href="{html.escape(url, quote=True)}" rel="noreferrer" style="{_WHOLE}">{text}</a>'


def _ids_html(advisories: Sequence[Advisory]) -> str:
    shown = [_id_html(advisory) for advisory in advisories[:_MAX_IDS]]
    rest = len(advisories) - len(shown)
    return ", ".join(shown) + (f" +{rest:,} more" if rest > 0 else "")


def _why_html(a: Assessment) -> str:
    """The advisories that apply, worst first and linked (else the reason), then those to
    review."""
    applies = [hit.advisory for hit in hits_worst_first(a)]
    why = _ids_html(applies) if applies else _h(a.reason, 200)
    review = advisories_worst_first(a.review)
    if review:
        why = (f"{why}; " if why else "") + "review: " + _ids_html(review)
    return why


def _review_item_html(item: ReviewItem) -> str:
    """An advisory to review in words, its id (which starts them) linked."""
    text, ident = item.text, item.advisory.id
    if not text.startswith(ident):
        return _h(text, _STEP_WIDTH)
    return _id_html(item.advisory) + _h(text[len(ident) :], _STEP_WIDTH)


def _version_html(version: str) -> str:
    """A version that may wrap only after its dots, and only when longer than nine
    characters (a Teams build number), so it does not widen its column."""
    escaped = _h(version, 60)  # escapes hold no dot
    pieces = escaped.split(".") if len(version) > 9 else [escaped]
    return "<wbr>".join(
        _whole(piece + ("." if i < len(pieces) - 1 else "")) for i, piece in enumerate(pieces)
    )


def _upgrade_html(a: Assessment) -> str:
    target = upgrade_target(a)
    if a.upgrade_to and target.startswith(a.upgrade_to):
        return _version_html(a.upgrade_to) + _h(target[len(a.upgrade_to) :])
    return _h(target)


def _owner_html(owner: str) -> str:
    """An owner: each word whole, an address free to wrap only before its `@`."""
    words = []
    for word in _h(owner).split(" "):
        local, at, domain = word.partition("@")
        pieces = [local, at + domain] if at and local else [word]
        words.append("<wbr>".join(_whole(piece) for piece in pieces if piece))
    return " ".join(words) if owner else ""
