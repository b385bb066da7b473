"""The human report (`--format table`): summary first, then groups worst first, then steps.

Laid out for the terminal's width by `output/layout.py`: words wrap at spaces only, so a
version, a host, an owner or an advisory id is never split, and no line is wider than the
width. From `WIDE` columns on, the groups are a table when every column holds its longest
word; otherwise (and on narrower terminals) each group is a hanging item: risk and status,
then what is installed where, then what to do and why. `--details` lists installations the
same two ways, each with what to do and why in the groups' words, and the inventory row it
was read from apart from them.

Every value from the inventory or the feed passes through `terminal_safe` and is placed in
rich `Text` objects (never markup), so no input can style, move or rewrite the terminal.
"""

from __future__ import annotations

import heapq
import io
from collections.abc import Mapping

from vcaudit.advice import (
    group,
    hosts_named,
    next_steps,
    plural,
    replace_with,
    retired,
    review_ids,
    short_ids,
    to_review,
    upgrade_advice,
    upgrade_target,
    verdict_words,
)
from vcaudit.console import make_console
from vcaudit.models import Assessment, AuditReport, Group, Platform, Risk, Source, Status
from vcaudit.output import RenderOptions
from vcaudit.output.layout import (
    MIN_WIDTH,
    Column,
    Line,
    Span,
    Words,
    emit,
    grid,
    hanging,
    words,
)
from vcaudit.report import data_protection_failing, data_protection_summary
from vcaudit.sanitize import terminal_safe

RISK_STYLE = {
    Risk.CRITICAL: "bold white on red",
    Risk.HIGH: "bold red",
    Risk.MEDIUM: "yellow",
    Risk.LOW: "cyan",
    Risk.NONE: "green",
}
STATUS_STYLE = {
    Status.VULNERABLE: "red",
    Status.EOL: "red",
    Status.UNSUPPORTED: "red",
    Status.UNAPPROVED: "yellow",
    Status.OUTDATED: "yellow",
    Status.CURRENT: "green",
    Status.UNKNOWN: "magenta",
}
_MAX_IDS = 3
_MAX_READ = 5
"""Inputs named under the summary line (the rest are counted)."""
WIDE = 110
"""From this width on, groups are a table if it fits; narrower terminals get the list."""
HOST_CAP = 120
"""Cells a host name is shown in, whole: a host is an identifier, and two hosts alike in
their first 40 characters (vdi-pool-finance-emea-frankfurt-primary-0001, -0002) must not
print the same. A real name rarely passes 64; a table that cannot hold one gives way to the
list."""


def _safe(text: str, limit: int = 60) -> str:
    return terminal_safe(text, limit)


def _summary(report: AuditReport, width: int) -> list[Line]:
    s = report.summary
    feed = report.feed
    counts = f"{plural(s.hosts, 'host')}, {plural(s.installations, 'installation')}"
    if feed.generated_at is not None:
        counts += f"; feed of {feed.generated_at.date().isoformat()}"
    paragraphs: list[Words] = [[("vcaudit:", "bold"), *words(counts)]]
    if s.installations:
        statuses = [
            (f"{n:,} {status.value}", STATUS_STYLE[status]) for status, n in s.by_status if n
        ]
        risks = [(f"{n:,} {risk.label}", RISK_STYLE[risk]) for risk, n in s.by_risk if n]
        paragraphs += [_listed(statuses), [("risk:", ""), *_listed(risks)]]
    for read in report.read[:_MAX_READ]:
        paragraphs.append(words(f"read {terminal_safe(read, 200)}", "dim"))
    if len(report.read) > _MAX_READ:
        paragraphs.append(words(f"read {len(report.read) - _MAX_READ:,} more inputs", "dim"))
    if s.ignored:
        paragraphs.append(
            words(
                f"{plural(s.ignored, 'installation')} with advisories ignored by the policy "
                "(see --details or the JSON report)",
                "dim",
            )
        )
    if s.review:
        paragraphs.append(
            words(
                f"{plural(s.review, 'installation')} with advisories to review (affected "
                "versions not published yet)",
                "yellow",
            )
        )
    protection = data_protection_summary(report.data_protection)
    if protection:
        section = report.data_protection
        failing = any(data_protection_failing(e, section) for e in section.products)
        paragraphs.append(words(terminal_safe(protection, 0), "yellow" if failing else ""))
    lines = _paragraph(paragraphs[0], width, 0, 4)
    for paragraph in paragraphs[1:]:
        lines += _paragraph(paragraph, width, 2, 2)
    return lines


def _listed(items: list[Span]) -> Words:
    """Styled items separated by commas, as words."""
    out: Words = []
    for i, (text, style) in enumerate(items):
        out += words(text + ("," if i < len(items) - 1 else ""), style)
    return out


def _paragraph(paragraph: Words, width: int, indent: int, step: int) -> list[Line]:
    return hanging([], [paragraph], width, indent, step)


_OS = {Platform.WINDOWS: "win", Platform.MACOS: "mac", Platform.LINUX: "linux"}


Notes = Mapping[str, str]
"""What the report says of a product beyond its verdict, by product id."""


def _notes(report: AuditReport) -> Notes:
    """The data-protection facts the policy requires that no source states, by product,
    where they are only reported (`data_protection.unknown: report`): the verdict does not
    show them, so the row says them."""
    section = report.data_protection
    if section.unknown_fails:
        return {}
    return {
        entry.product.id: "data_protection.require unknown: "
        + ", ".join(name.value for name in entry.unknown)
        for entry in section.products
        if entry.unknown
    }


def _why(a: Assessment, notes: Notes) -> str:
    """The short reason shown in the table, then the advisories to review and the required
    data-protection facts nobody states; the JSON report carries the full sentence."""
    note = notes.get(a.product.id, "") if a.product is not None else ""
    return "; ".join(part for part in (_reason(a), review_ids(a, _MAX_IDS), note) if part)


def _reason(a: Assessment) -> str:
    product = a.product
    ended = ""
    if product is not None and product.lifecycle.eol:
        date = product.lifecycle.eol_date
        ended = f"end of life {date.isoformat()}" if date else "end of life"
    if a.hits:
        ids = short_ids(a, _MAX_IDS)
        return f"{ended}; {ids}" if ended else ids
    if a.status is Status.EOL and ended:
        return ended
    if a.status is Status.UNSUPPORTED:
        return f"below enforced minimum {a.minimum}"
    if a.status is Status.OUTDATED:
        return "behind the latest release"
    # An unidentified row says why (not in the feed and the closest rule, an add-in, a version
    # that fits none of the products sharing the name).
    return a.reason


def _action(a: Assessment) -> str:
    """What to do about one installation, as the next steps say it: upgrade, replace a
    retired product (with its successor), remove a retired product's installer ("" when
    nothing is to be done, or nothing can be: an unapproved or unknown product)."""
    if retired(a):
        if a.installer:
            return "remove it: it installs a retired client"
        successor = replace_with(a)
        return f"replace with {successor}" if successor else "replace it"
    return upgrade_advice(a, short=True)


def _ignored(a: Assessment) -> str:
    """The advisories the policy ignores for this installation: `ignored: MSB-002 +1`."""
    ids = [item.hit.advisory.id for item in a.ignored]
    if not ids:
        return ""
    more = f" +{len(ids) - _MAX_IDS}" if len(ids) > _MAX_IDS else ""
    return "ignored: " + ", ".join(ids[:_MAX_IDS]) + more


def _fix_and_why(a: Assessment, notes: Notes) -> str:
    """An installation's whole story for `--details`: what to do, then why (the advisory ids
    worst first, end of life, the rule of the policy it breaks, why it is unknown), then the
    advisories to review and those the policy ignores."""
    return "; ".join(part for part in (_action(a), _why(a, notes), _ignored(a)) if part)


def _hosts(g: Group) -> str:
    """The group's hosts: up to five by name in natural order, then how many more."""
    return terminal_safe(hosts_named(g.host_names), 0) or f"{g.hosts:,}"


def _head(a: Assessment) -> Line:
    """A hanging item's head: the risk and the status, in their colours."""
    return [
        (a.risk.label, RISK_STYLE[a.risk]),
        (" " * (9 - len(a.risk.label)), ""),
        (a.status.value, STATUS_STYLE[a.status]),
    ]


def _groups(report: AuditReport, width: int) -> list[Line]:
    """The groups as a table when the terminal is wide enough for every column to hold its
    longest word, else as hanging items."""
    groups = [(g, _hosts(g)) for g in group(report)]
    notes = _notes(report)
    if width >= WIDE:
        table = grid(
            GROUP_COLUMNS,
            [
                [
                    [(g.assessment.risk.label, RISK_STYLE[g.assessment.risk])],
                    [(g.assessment.status.value, STATUS_STYLE[g.assessment.status])],
                    words(_safe(g.product, 120)),
                    words(_safe(g.version, 60)),
                    [(_OS[g.platform], "")],
                    words(hosts),
                    words(_safe(upgrade_target(g.assessment), 60)),
                    words(_safe(g.owner, 60)),
                    words(_safe(_why(g.assessment, notes), 200)),
                ]
                for g, hosts in groups
            ],
            width,
        )
        if table is not None:
            return table
    lines: list[Line] = []
    for g, hosts in groups:
        a = g.assessment
        owner = f", owner {_safe(g.owner, 60)}" if g.owner else ""
        about = words(_safe(g.product, 120), "bold")
        about += words(
            f"{_safe(g.version, 60)} ({g.platform.value}) on {plural(g.hosts, 'host')} "
            f"({hosts}){owner}"
        )
        detail = "; ".join(part for part in (upgrade_advice(a, short=True), _why(a, notes)) if part)
        lines += hanging(_head(a), [about, words(_safe(detail, 240))], width, _INDENT)
    return lines


# A table is chosen only when the product names (up to 60 cells) stay whole on one line and
# the reasons get 32 cells: with less, the hanging list reads better.
GROUP_COLUMNS = (
    Column("Risk"),
    Column("Status"),
    Column("Product", least=60),
    Column("Version"),
    Column("OS"),
    Column("Hosts", cap=HOST_CAP),
    Column("Upgrade to"),
    Column("Owner"),
    Column("Why", least=32),
)
DETAIL_COLUMNS = (
    Column("Host", cap=HOST_CAP),
    Column("Product", least=60),
    Column("Version"),
    Column("OS"),
    Column("Status"),
    Column("Risk"),
    Column("Fix and why", least=32),
    Column("Owner"),
    Column("Source", keep_end=True),
)
_INDENT = 21
"""Where the words of a hanging item start: after the risk and the status."""

MAX_DETAILS = 10_000
"""Installations `--details` lists, worst first: more is no longer read at a terminal."""


def _details(report: AuditReport, width: int) -> list[Line]:
    """Every installation, worst first (up to MAX_DETAILS), each with what to do and why,
    as the groups say it, and the inventory row it was read from: a table when it fits, else
    hanging items."""
    # nsmallest keeps sorted()'s order and holds no more than MAX_DETAILS rows.
    order = heapq.nsmallest(
        MAX_DETAILS,
        report.findings,
        key=lambda f: (-f.assessment.risk, f.assessment.status.rank, f.installation.host),
    )
    notes = _notes(report)
    if width >= WIDE:
        table = grid(
            DETAIL_COLUMNS,
            [
                [
                    words(_safe(f.installation.host, HOST_CAP)),
                    words(_safe(f.display_name, 120)),
                    words(_safe(f.installation.version, 60)),
                    [(_OS[f.installation.platform], "")],
                    [(f.assessment.status.value, STATUS_STYLE[f.assessment.status])],
                    [(f.assessment.risk.label, RISK_STYLE[f.assessment.risk])],
                    words(_safe(_fix_and_why(f.assessment, notes), 400)),
                    words(_safe(f.owner, 60)),
                    words(_safe(_source(f.installation.source), 0)),
                ]
                for f in order
            ],
            width,
        )
        if table is not None:
            return table
    lines: list[Line] = []
    for f in order:
        inst, a = f.installation, f.assessment
        owner = f", owner {_safe(f.owner, 60)}" if f.owner else ""
        about = words(f"{_safe(inst.host, HOST_CAP)}:", "bold")
        about += words(
            f"{_safe(f.display_name, 120)} {_safe(inst.version, 60)} ({inst.platform.value}){owner}"
        )
        # The row it was read from on a line of its own, named as such: never read as part
        # of the advice ("upgrade to 7.2.1 (latest) from fleet.csv:5").
        where = words(f"source: {_safe(_source(inst.source), 0)}", "dim")
        paragraphs = [about, words(_safe(_fix_and_why(a, notes), 400)), where]
        lines += hanging(_head(a), paragraphs, width, _INDENT)
    return lines


def _source(source: Source) -> str:
    return f"{source.file}:{source.line}"


def _items(title: str, texts: list[str], width: int) -> list[Line]:
    """A titled list of items, each wrapped with a hanging indent so a long one stays a
    readable item at any width (a host name, a version or an id is never split)."""
    if not texts:
        return []
    lines: list[Line] = [[], [(title, "bold")]]
    for text in texts:
        lines += hanging([("  -", "")], [words(terminal_safe(text, 600))], width, 4, 0)
    return lines


def render(report: AuditReport, options: RenderOptions) -> str:
    """The report as terminal text (with ANSI styles when `options.color`), laid out for
    `options.width` columns (at least layout.MIN_WIDTH)."""
    width = max(options.width, MIN_WIDTH)
    lines = _summary(report, width)
    if report.findings:
        lines.append([])
        if options.details:
            lines += _details(report, width)
            more = len(report.findings) - MAX_DETAILS
            if more > 0:
                lines += _paragraph(
                    words(
                        f"... and {more:,} more installations: the CSV and JSON reports "
                        "list every one"
                    ),
                    width,
                    0,
                    4,
                )
        else:
            lines += _groups(report, width)
    lines += _items("Next steps", [step.text for step in next_steps(report)], width)
    lines += _items(
        "To review (affected versions not published yet)",
        [item.text for item in to_review(report)],
        width,
    )
    word, rest = verdict_words(report.verdict)
    verdict = [(f"{word}:", "bold green" if report.verdict.passed else "bold red")]
    lines += [[], *_paragraph(verdict + words(rest), width, 0, 4)]
    buffer = io.StringIO()
    emit(lines, buffer, make_console(buffer, color=options.color, width=width), options.color)
    return buffer.getvalue()
