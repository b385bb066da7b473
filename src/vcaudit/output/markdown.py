"""Markdown: summary, grouped findings and next steps, for a pull-request comment or a ticket.

Every value passes through `markdown_safe`: it cannot open a link, an HTML tag, a code span
or a new table cell, and cannot become a workflow command in a CI log.
"""

from __future__ import annotations

from vcaudit.advice import (
    group,
    next_steps,
    plural,
    review_ids,
    to_review,
    upgrade_target,
    verdict_words,
)
from vcaudit.models import Assessment, AuditReport, Status
from vcaudit.output import RenderOptions
from vcaudit.report import (
    DATA_PROTECTION_FACTS,
    DATA_PROTECTION_NOTE,
    data_protection_policy,
    data_protection_where,
)
from vcaudit.sanitize import markdown_safe

MAX_IDS = 5


def _ids(a: Assessment) -> str:
    ids = [markdown_safe(hit.advisory.id, 80) for hit in a.hits]
    text = ", ".join(ids[:MAX_IDS])
    if len(ids) > MAX_IDS:
        text += f" +{len(ids) - MAX_IDS}"
    return text


def _why(a: Assessment) -> str:
    """The advisories that apply (else the reason), then those to review."""
    why = _ids(a) or markdown_safe(a.reason, 200)
    review = markdown_safe(review_ids(a, MAX_IDS), 400)
    return f"{why}; {review}" if why and review else why or review


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
            "| --- | --- | --- | --- | --- | ---: | --- | --- | --- |",
        ]
        for g in groups:
            a = g.assessment
            mark = " ⚠" if report.fails(a) else ""
            why = _why(a)
            lines.append(
                f"| {a.risk.label}{mark} | {a.status.value} | {markdown_safe(g.product, 80)} | "
                f"{markdown_safe(g.version, 60)} | {g.platform.value} | {g.hosts} | "
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
