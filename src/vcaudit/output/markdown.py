"""Markdown: summary, grouped findings and next steps, for a pull-request comment or a ticket.

Every value passes through `markdown_safe`: it cannot open a link, an HTML tag, a code span
or a new table cell, and cannot become a workflow command in a CI log. The report's own links
are the advisories' first references, each an http(s) URL `advice.reference_url` admits
(nothing in it that could end the link or the table cell), behind the id made safe.
"""

from __future__ import annotations

from vcaudit.advice import (
    advisories_worst_first,
    group,
    hits_worst_first,
    hosts_named,
    next_steps,
    plural,
    reference_url,
    to_review,
    upgrade_target,
    verdict_words,
)
from vcaudit.models import Advisory, Assessment, AuditReport, Group, Status
from vcaudit.output import RenderOptions
from vcaudit.report import (
    DATA_PROTECTION_FACTS,
    DATA_PROTECTION_NOTE,
    data_protection_policy,
    data_protection_where,
)
from vcaudit.sanitize import markdown_safe

MAX_IDS = 5


def _linked(advisory: Advisory) -> str:
    """The advisory's id, linked to its first reference when it has one a reader can open:
    `[ZSB-24019](https://www.zoom.com/en/trust/security-bulletin/ZSB-24019)`."""
    text = markdown_safe(advisory.id, 80)
    url = reference_url(advisory)
    return f"[{text}]({url})" if url else text


def _ids(advisories: list[Advisory]) -> str:
    """The first MAX_IDS ids, worst first, linked, and a count of the rest."""
    text = ", ".join(_linked(advisory) for advisory in advisories[:MAX_IDS])
    if len(advisories) > MAX_IDS:
        text += f" +{len(advisories) - MAX_IDS}"
    return text


def _why(a: Assessment) -> str:
    """The advisories that apply (else the reason), then those to review."""
    why = _ids([hit.advisory for hit in hits_worst_first(a)]) or markdown_safe(a.reason, 200)
    review = _ids(advisories_worst_first(a.review))
    review = f"review: {review}" if review else ""
    return f"{why}; {review}" if why and review else why or review


def _hosts(g: Group) -> str:
    """The group's hosts: up to five by name in natural order, then how many more."""
    return markdown_safe(hosts_named(g.host_names), 0) or f"{g.hosts:,}"


def _data_protection(report: AuditReport) -> list[str]:
    """The products found in the fleet: hosts, the yes/no facts of their data-protection
    sheets (and the policy's verdict on them), then where their content and recordings go."""
    section = report.data_protection
    if not section.products:
        return []
    policy = bool(section.required)
    headings = ["product", "hosts", *(heading for _, heading in DATA_PROTECTION_FACTS)]
    headings += ["policy"] if policy else []
    lines = [
        "## Data protection",
        "",
        markdown_safe(DATA_PROTECTION_NOTE, 0),
        "",
        "| " + " | ".join(headings) + " |",
        "| --- | ---: |" + " --- |" * (len(headings) - 2),
    ]
    for entry in section.products:
        product = entry.product
        cells = [markdown_safe(product.name, 80), str(entry.hosts)]
        cells += [markdown_safe(product.fact(name).shown, 40) for name, _ in DATA_PROTECTION_FACTS]
        if policy:
            cells.append(markdown_safe(data_protection_policy(entry, section), 300))
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    for entry in section.products:
        product = entry.product
        where = data_protection_where(product)
        lines.append(f"- **{markdown_safe(product.name, 80)}**: {markdown_safe(where, 1200)}")
    lines.append("")
    return lines


def render(report: AuditReport, options: RenderOptions) -> str:
    """The report as GitHub-flavoured Markdown."""
    del options
    s = report.summary
    word, rest = verdict_words(report.verdict, code=lambda flag: f"`{flag}`")
    lines = ["# vcaudit report", "", f"**{word}**: {rest}", ""]
    feed = report.feed
    feed_date = feed.generated_at.date().isoformat() if feed.generated_at else "unknown"
    as_of = report.as_of.isoformat() if report.as_of else "unknown"
    lines += [
        f"{s.hosts} hosts, {s.installations} installations; feed of {feed_date}; "
        f"judged as of {as_of}.",
        "",
        "| status | installations |",
        "| --- | ---: |",
    ]
    lines += [f"| {status.value} | {count} |" for status, count in s.by_status if count]
    if s.ignored:
        lines.append(f"| (with ignored advisories) | {s.ignored} |")
    if s.review:
        lines.append(f"| (with advisories to review) | {s.review} |")
    lines.append("")
    groups = [g for g in group(report) if g.assessment.status is not Status.CURRENT]
    if groups:
        lines += [
            "## Findings",
            "",
            "| risk | status | product | version | platform | hosts | upgrade to | owner "
            "| advisories / reason |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for g in groups:
            a = g.assessment
            mark = " ⚠" if report.fails(a) else ""
            why = _why(a)
            lines.append(
                f"| {a.risk.label}{mark} | {a.status.value} | {markdown_safe(g.product, 80)} | "
                f"{markdown_safe(g.version, 60)} | {g.platform.value} | {_hosts(g)} | "
                f"{markdown_safe(upgrade_target(a), 40)} | {markdown_safe(g.owner, 60)} | {why} |"
            )
        lines.append("")
    current = sum(g.installations for g in group(report) if g.assessment.status is Status.CURRENT)
    if current:
        lines += [f"{plural(current, 'installation')} are current.", ""]
    steps = next_steps(report)
    if steps:
        lines += ["## Next steps", ""]
        lines += [f"- {markdown_safe(step.text, 600)}" for step in steps]
        lines.append("")
    review = to_review(report)
    if review:
        lines += [
            "## To review",
            "",
            "Affected versions not published yet: never counted as a "
            "vulnerability"
            + (
                ", but they fail the run at --fail-on (review: fail)."
                if report.fail_on_review
                else "."
            ),
            "",
        ]
        lines += [f"- {markdown_safe(item.text, 600)}" for item in review]
        lines.append("")
    lines += _data_protection(report)
    if report.read:
        lines += ["## Inputs", ""]
        lines += [f"- {markdown_safe(r, 300)}" for r in report.read]
        lines.append("")
    if report.warnings:
        lines += ["## Warnings", ""]
        lines += [f"- {markdown_safe(w, 500)}" for w in report.warnings]
        lines.append("")
    return "\n".join(lines)
