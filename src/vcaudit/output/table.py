"""The human report (`--format table`): summary first, then groups worst first, then steps.

Every value from the inventory or the feed passes through `terminal_safe` and is placed in
rich `Text` objects (never markup), so no input can style, move or rewrite the terminal.
"""

from __future__ import annotations

import heapq
import io
import textwrap

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from vcaudit.advice import (
    group,
    next_steps,
    plural,
    review_ids,
    short_ids,
    to_review,
    upgrade_advice,
    upgrade_target,
    verdict_words,
)
from vcaudit.console import make_console
from vcaudit.models import Assessment, AuditReport, Platform, Risk, Status
from vcaudit.output import RenderOptions
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
"""From this width on, groups are a table; narrower terminals get two lines per group."""


def _safe(text: str, limit: int = 60) -> Text:
    return Text(terminal_safe(text, limit))


def _summary(report: AuditReport) -> list[Text]:
    s = report.summary
    feed = report.feed
    head = Text("vcaudit", style="bold")
    head.append(f": {plural(s.hosts, 'host')}, {plural(s.installations, 'installation')}")
    if feed.generated_at is not None:
        head.append(f"; feed of {feed.generated_at.date().isoformat()}")
    statuses = Text("  ")
    for status, count in s.by_status:
        if count:
            if len(statuses) > 2:
                statuses.append(", ")
            statuses.append(f"{count} {status.value}", style=STATUS_STYLE[status])
    risks = Text("  risk: ")
    first = True
    for risk, count in s.by_risk:
        if count:
            if not first:
                risks.append(", ")
            first = False
            risks.append(f"{count} {risk.label}", style=RISK_STYLE[risk])
    lines = [head, statuses, risks] if s.installations else [head]
    for read in report.read[:_MAX_READ]:
        lines.append(Text(f"  read {terminal_safe(read, 200)}", style="dim"))
    if len(report.read) > _MAX_READ:
        lines.append(Text(f"  read {len(report.read) - _MAX_READ} more inputs", style="dim"))
    if s.ignored:
        lines.append(
            Text(
                f"  {plural(s.ignored, 'installation')} with advisories ignored by the policy "
                "(see --details or the JSON report)",
                style="dim",
            )
        )
    if s.review:
        lines.append(
            Text(
                f"  {plural(s.review, 'installation')} with advisories to review (affected "
                "versions not published yet)",
                style="yellow",
            )
        )
    return lines


_OS = {Platform.WINDOWS: "win", Platform.MACOS: "mac", Platform.LINUX: "linux"}


def _why(a: Assessment) -> str:
    """The short reason shown in the table, then the advisories to review; the JSON report
    carries the full sentence."""
    why = _reason(a)
    review = review_ids(a, _MAX_IDS)
    return f"{why}; {review}" if why and review else why or review


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


def _groups_table(report: AuditReport) -> Table:
    table = Table(
        box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold", expand=True
    )
    table.add_column("Risk", no_wrap=True)
    table.add_column("Status", no_wrap=True)
    table.add_column("Product", overflow="fold", min_width=7, ratio=2)
    table.add_column("Version", overflow="fold", min_width=7, ratio=2)
    table.add_column("OS", no_wrap=True)
    table.add_column("Hosts", justify="right", no_wrap=True)
    table.add_column("Upgrade to", overflow="fold", min_width=7, ratio=2)
    table.add_column("Owner", overflow="fold", min_width=5, ratio=2)
    table.add_column("Why", overflow="fold", min_width=10, ratio=5)
    for g in group(report):
        a = g.assessment
        table.add_row(
            Text(a.risk.label, style=RISK_STYLE[a.risk]),
            Text(a.status.value, style=STATUS_STYLE[a.status]),
            _safe(g.product, 40),
            _safe(g.version, 30),
            Text(_OS[g.platform]),
            Text(str(g.hosts)),
            _safe(upgrade_target(a), 40),
            _safe(g.owner, 40),
            _safe(_why(a), 120),
        )
    return table


def _groups_list(report: AuditReport, *, styled: bool = True) -> list[Text | str]:
    """The same groups as two short lines each, for terminals narrower than the table
    (plain strings when there is no colour to show)."""
    lines: list[Text | str] = []
    for g in group(report):
        a = g.assessment
        risk, status = f"{a.risk.label:<9}", f"{a.status.value:<12}"
        name = terminal_safe(g.product, 60)
        rest = f" {terminal_safe(g.version, 40)} ({g.platform.value})"
        rest += f", {plural(g.hosts, 'host')}"
        if g.owner:
            rest += f", owner {terminal_safe(g.owner, 60)}"
        advice = upgrade_advice(a, short=True)
        detail = " " * 21 + (f"{terminal_safe(advice, 60)}; " if advice else "")
        detail += terminal_safe(_why(a), 160)
        if styled:
            head = Text(risk, style=RISK_STYLE[a.risk])
            head.append(status, style=STATUS_STYLE[a.status])
            head.append(name, style="bold")
            head.append(rest)
            lines.extend((head, Text(detail)))
        else:
            lines.extend((risk + status + name + rest, detail))
    return lines


MAX_DETAILS = 10_000
"""Installations `--details` lists, worst first: more is no longer read at a terminal."""


def _details_table(report: AuditReport) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
    for name in ("Host", "Product", "Version", "OS", "Status", "Risk", "Fix", "Owner", "Source"):
        # Short words stay whole; names, versions and paths fold.
        table.add_column(name, overflow="fold", no_wrap=name in ("OS", "Status", "Risk"))
    # The worst first; a fleet's first MAX_DETAILS only (nsmallest keeps sorted()'s order
    # and holds no more than that many rows).
    order = heapq.nsmallest(
        MAX_DETAILS,
        report.findings,
        key=lambda f: (-f.assessment.risk, f.assessment.status.rank, f.installation.host),
    )
    for f in order:
        inst = f.installation
        a = f.assessment
        name = f.display_name
        table.add_row(
            _safe(inst.host, 40),
            _safe(name, 40),
            _safe(inst.version, 30),
            Text(_OS[inst.platform]),
            Text(a.status.value, style=STATUS_STYLE[a.status]),
            Text(a.risk.label, style=RISK_STYLE[a.risk]),
            _safe(upgrade_target(a), 30),
            _safe(f.owner, 40),
            _safe(f"{inst.source.file}:{inst.source.line}", 60),
        )
    return table


def _print_lines(
    console: Console, buffer: io.StringIO, lines: list[Text | str], options: RenderOptions
) -> None:
    """Print lines as rich would, without rich for the plain ones (rich's cost is per line,
    and a fleet has many groups): without colour, a line of printable ASCII no wider than
    the page is written as it is; runs of other lines go to rich, one call per run."""
    run: list[Text] = []
    for line in lines:
        text = line if isinstance(line, str) else line.plain
        if (
            not options.color
            and len(text) <= options.width
            and text.isascii()
            and text.isprintable()
        ):
            if run:
                console.print(Text("\n").join(run))
                run = []
            buffer.write(text + "\n")
        else:
            run.append(Text(line) if isinstance(line, str) else line)
    if run:
        console.print(Text("\n").join(run))


def render(report: AuditReport, options: RenderOptions) -> str:
    """The report as terminal text (with ANSI styles when `options.color`)."""
    buffer = io.StringIO()
    console = make_console(buffer, color=options.color, width=options.width)
    for line in _summary(report):
        console.print(line)
    if report.findings:
        console.print()
        if options.details:
            console.print(_details_table(report))
            more = len(report.findings) - MAX_DETAILS
            if more > 0:
                console.print(
                    Text(
                        f"... and {more:,} more installations: the CSV and JSON reports "
                        "list every one"
                    )
                )
        elif options.width >= WIDE:
            console.print(_groups_table(report))
        else:
            _print_lines(console, buffer, _groups_list(report, styled=options.color), options)
    _items(console, "Next steps", [step.text for step in next_steps(report)], options.width)
    _items(
        console,
        "To review (affected versions not published yet)",
        [item.text for item in to_review(report)],
        options.width,
    )
    console.print()
    word, rest = verdict_words(report.verdict)
    verdict = Text(word, style="bold green" if report.verdict.passed else "bold red")
    verdict.append(f": {rest}")
    console.print(verdict)
    return buffer.getvalue()


def _items(console: Console, title: str, texts: list[str], width: int) -> None:
    """A titled list of items, each wrapped with a hanging indent so a long one stays a
    readable item at any width (host names keep their hyphens whole)."""
    if not texts:
        return
    console.print()
    console.print(Text(title, style="bold"))
    for text in texts:
        lines = textwrap.wrap(
            terminal_safe(text, 600),
            width=max(width, 40),
            initial_indent="  - ",
            subsequent_indent="    ",
            break_on_hyphens=False,
        )
        console.print(Text("\n".join(lines)))
