"""Pictures for the HTML report, drawn as inline SVG: the installations by risk and by status,
the spread of each product's versions across the fleet with its latest release marked, and
(with `scan --state`) the open findings of each run the state file remembers.

An SVG written into the page needs no script and no external file, and it takes its colours
from the page's stylesheet by class (never a `style` attribute), so the page's Content Security
Policy, which allows only its own style and script by hash, covers it. Each chart is an image
whose title names it and whose description says every number; each bar carries its words and
its count, so nothing is told by colour alone. Text from the inventory (products, versions) is
escaped like everywhere else in the page.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from vcaudit import versioning
from vcaudit.advice import plural
from vcaudit.models import Group, Platform, Risk, RunTally, Status, Summary
from vcaudit.output import SinceLastRun
from vcaudit.sanitize import terminal_safe

BAR_WIDTH = 320
"""Pixels of the longest bar."""
_ROW = 24
_LABEL_CHARS = 34
"""Characters of a bar's label before it is shortened (its tooltip keeps all of it)."""
MAX_VERSIONS = 12
"""Versions of one product drawn one by one; the older rest share one bar."""

STATUS_CLASS = {
    Status.VULNERABLE: "s-vulnerable",
    Status.EOL: "s-eol",
    Status.UNSUPPORTED: "s-unsupported",
    Status.UNAPPROVED: "s-unapproved",
    Status.OUTDATED: "s-outdated",
    Status.CURRENT: "s-current",
    Status.UNKNOWN: "s-unknown",
}
"""The class (a colour in the page's stylesheet) of each status's bar."""


def escape(text: str, limit: int = 300) -> str:
    """Escaped for HTML (and SVG) text and attributes, controls made visible."""
    return html.escape(terminal_safe(text, limit), quote=True)


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar: its label (plain text), its count, its class and a note after the count."""

    label: str
    count: int
    kind: str = ""
    """A class of the page's stylesheet (a fixed word of vcaudit's, never inventory text)."""
    note: str = ""
    """Plain text after the count (`latest`)."""


def _short(label: str) -> str:
    return label if len(label) <= _LABEL_CHARS else label[: _LABEL_CHARS - 1] + "…"


def bar_chart(
    ident: str,
    title: str,
    bars: Sequence[Bar],
    unit: tuple[str, str],
    *,
    top: int = 0,
    label_chars: int = 0,
) -> str:
    """A horizontal bar chart as one `<svg>` element; `ident` makes its ids unique in the page
    and `unit` is the singular and plural of what the bars count (`host`, `hosts`). Charts
    drawn side by side share a scale when given the same `top` (the count of a whole bar) and
    line up when given the same `label_chars`."""
    labels = [terminal_safe(b.label, 200) for b in bars]
    label_chars = max(label_chars, *(len(_short(label)) for label in labels), 4)
    label_width = 12 + 7 * label_chars
    top = max(top, *(b.count for b in bars), 0)
    width = label_width + BAR_WIDTH + 200
    height = _ROW * len(bars) + 8
    said = [
        f"{label}: {plural(b.count, *unit)}" + (f" ({b.note})" if b.note else "")
        for label, b in zip(labels, bars, strict=True)
    ]
    out = [
        f'<svg class="chart" role="img" aria-labelledby="{ident}-t" aria-describedby="{ident}-d" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
        f'<title id="{ident}-t">{escape(title)}</title>',
        f'<desc id="{ident}-d">{escape("; ".join(said), 0)}</desc>',
    ]
    for i, (label, bar, words) in enumerate(zip(labels, bars, said, strict=True)):
        y = 4 + _ROW * i
        length = round(BAR_WIDTH * bar.count / top) if top else 0
        if bar.count and not length:
            length = 1  # a bar of one among millions still shows
        count = f"{bar.count:,}" + (f" · {bar.note}" if bar.note else "")
        kind = f"bar {bar.kind}".rstrip()
        out.append(
            f"<g><title>{escape(words, 0)}</title>"
            f'<text class="label" x="{label_width - 8}" y="{y + 16}">{escape(_short(label), 0)}'
            f'</text><rect class="{kind}" x="{label_width}" y="{y + 3}" '
            f'width="{length}" height="16"></rect>'
            f'<text x="{label_width + length + 6}" y="{y + 16}">{escape(count, 0)}</text></g>'
        )
    out.append("</svg>")
    return "".join(out)


def risk_chart(summary: Summary) -> str:
    """Installations by risk, every level from critical down to none."""
    counts = dict(summary.by_risk)
    bars = [Bar(r.label, counts.get(r, 0), r.label) for r in sorted(Risk, reverse=True)]
    return bar_chart("risk", "Installations by risk", bars, ("installation", "installations"))


def status_chart(summary: Summary) -> str:
    """Installations by status, the statuses that occur, most serious first."""
    bars = [Bar(s.value, n, STATUS_CLASS[s]) for s, n in summary.by_status if n]
    return bar_chart("status", "Installations by status", bars, ("installation", "installations"))


@dataclass(slots=True)
class _Version:
    """One version of one product across the fleet."""

    hosts: set[str] = field(default_factory=set)
    unnamed: int = 0
    """Hosts of groups that kept no names (counted, not named)."""
    platforms: set[Platform] = field(default_factory=set)
    latest_on: set[Platform] = field(default_factory=set)
    ahead: bool = False
    key: tuple[int, ...] | None = None

    @property
    def count(self) -> int:
        return len(self.hosts) + self.unnamed


def _at_latest(g: Group) -> bool:
    """Whether the group's version is the latest release on its platform."""
    a = g.assessment
    if a.status is Status.CURRENT and not a.ahead_of_feed:
        return True
    if not a.latest or a.product is None:
        return False
    if g.version == a.latest:
        return True
    scheme = a.product.version_scheme
    mine = versioning.parse(scheme, g.version, g.platform)
    latest = versioning.parse_feed_version(scheme, a.latest)
    return mine is not None and latest is not None and versioning.same(mine, latest) is True


def _note(v: _Version, platforms: set[Platform]) -> str:
    """`latest`, or `latest on linux` when the product is on several platforms (whose latest
    releases may differ); what is newer than the feed knows is said too."""
    if v.latest_on:
        if len(platforms) == 1:
            return "latest"
        return "latest on " + ", ".join(sorted(p.value for p in v.latest_on))
    return "newer than the feed's latest" if v.ahead else ""


def natural_key(text: str) -> tuple[tuple[int, int, str], ...]:
    """Orders the numbers in a text by value (`pc-2` before `pc-10`, `b9` before `b10`),
    never converting them (they may be any length)."""
    return tuple(
        (0, len(part.lstrip("0")), part.lstrip("0")) if part.isdecimal() else (1, 0, part)
        for part in _DIGITS.split(text)
        if part
    )


_DIGITS = re.compile(r"([0-9]+)")


@dataclass(frozen=True, slots=True)
class Spread:
    """The versions of one product across the fleet, newest first."""

    product: str
    bars: tuple[Bar, ...]


def version_spread(groups: Iterable[Group]) -> list[Spread]:
    """Per identified product (add-ins and unknown products left out), how many hosts run
    each version, newest first, the latest release marked; past `MAX_VERSIONS` versions the
    older rest share one bar."""
    products: dict[str, dict[str, _Version]] = {}
    for g in groups:
        a = g.assessment
        if a.product is None or a.not_client:
            continue
        v = products.setdefault(g.product, {}).setdefault(g.version, _Version())
        if g.host_names:
            v.hosts.update(g.host_names)
        else:
            v.unnamed += g.hosts
        v.platforms.add(g.platform)
        if _at_latest(g):
            v.latest_on.add(g.platform)
        v.ahead = v.ahead or a.ahead_of_feed
        if v.key is None:
            parsed = versioning.parse(a.product.version_scheme, g.version, g.platform)
            v.key = versioning.sort_key(parsed) if parsed is not None else ()
    out = []
    for name in sorted(products, key=str.casefold):
        versions = sorted(
            products[name].items(),
            key=lambda item: (item[1].key or (), natural_key(item[0])),
            reverse=True,
        )
        platforms = {p for _text, v in versions for p in v.platforms}
        bars = [
            Bar(text or "(no version)", v.count, "latest" * bool(v.latest_on), _note(v, platforms))
            for text, v in versions[:MAX_VERSIONS]
        ]
        rest = versions[MAX_VERSIONS:]
        if rest:
            hosts: set[str] = set()
            for _text, v in rest:
                hosts.update(v.hosts)
            count = len(hosts) + sum(v.unnamed for _text, v in rest)
            bars.append(Bar(f"{plural(len(rest), 'older version')}", count, "other"))
        out.append(Spread(name, tuple(bars)))
    return out


def spread_charts(spreads: Sequence[Spread]) -> list[str]:
    """Each product's versions as a chart, all on one scale (the most hosts on one version)
    and with their labels lined up."""
    top = max((b.count for s in spreads for b in s.bars), default=0)
    chars = max((len(_short(b.label)) for s in spreads for b in s.bars), default=0)
    return [
        bar_chart(
            f"versions-{i}",
            f"{spread.product}: hosts by version",
            spread.bars,
            ("host", "hosts"),
            top=top,
            label_chars=chars,
        )
        for i, spread in enumerate(spreads, 1)
    ]


def open_chart(since: SinceLastRun) -> str:
    """Open findings by risk at the last run and now, side by side per risk."""
    before, after = dict(since.before), dict(since.after)
    bars = [
        bar
        for risk in sorted(Risk, reverse=True)
        if risk > Risk.NONE
        for bar in (
            Bar(f"{risk.label}, last run", before.get(risk, 0), f"{risk.label} before"),
            Bar(f"{risk.label}, now", after.get(risk, 0), risk.label),
        )
    ]
    return bar_chart("open", "Open findings by risk, last run and now", bars, FINDINGS)


def change_chart(since: SinceLastRun) -> str:
    """How many findings are new, resolved and riskier since the last run."""
    bars = [
        Bar("new", len(since.new), "s-vulnerable"),
        Bar("riskier", len(since.rose), "s-outdated"),
        Bar("resolved", len(since.resolved), "s-current"),
    ]
    return bar_chart("changes", "Changes since the last run", bars, FINDINGS)


FINDINGS = ("finding", "findings")


MAX_RUNS = 90
"""Runs the findings over time draw, the last ones (as many as the state file keeps)."""
HISTORY_HEIGHT = 160
"""Pixels of the tallest column of the findings over time."""
_HISTORY_WIDTH = 640
"""Pixels the columns share (each at most 80, so a few runs each show their date, and at
least 4: 90 runs take 630)."""
_HEADROOM = 24
"""Pixels above the top of the value axis: room for the count over the tallest column (12px
text set 4 pixels above it), which the frame would otherwise clip."""
_STACK = (Risk.CRITICAL, Risk.HIGH, Risk.MEDIUM, Risk.LOW)
"""The risks of a column from the bottom up: the worst on the baseline, where it reads best."""


def run_name(run: RunTally) -> str:
    """A run as the page names it: its time, or `now` for the run being reported."""
    return terminal_safe(run.run_at, 40) if run.run_at else "now"


def _run_words(run: RunTally) -> str:
    """Everything the history knows of a run, in words (a column's tooltip)."""
    counts = dict(run.by_risk)
    words = f"{run_name(run)}: {plural(run.open, 'open finding')}: " + ", ".join(
        f"{counts.get(r, 0):,} {r.label}" for r in _STACK
    )
    statuses = [f"{n:,} {s.value}" for s, n in run.by_status if n]
    if statuses:
        words += "; " + ", ".join(statuses)
    if run.new is not None and run.resolved is not None:
        words += f"; {run.new:,} new, {run.resolved:,} resolved"
    if run.installations is not None and run.hosts is not None:
        words += f"; {plural(run.installations, 'installation')} on {plural(run.hosts, 'host')}"
    return words


def _tick(top: int) -> int:
    """The step of the value axis: the smallest 1, 2, 3, 4 or 5 times a power of ten that
    reaches `top` in four steps."""
    wanted, power = max(1, -(-top // 4)), 1
    while True:
        for m in (1, 2, 3, 4, 5):
            if m * power >= wanted:
                return m * power
        power *= 10


def history_chart(runs: Sequence[RunTally]) -> str:
    """Open findings of each run, oldest first, as columns stacked by risk: the value axis
    and the dates in words, a legend naming each risk, each column's numbers in its tooltip,
    and every run's numbers in the description (the last `MAX_RUNS` runs)."""
    runs = runs[-MAX_RUNS:]
    tick = _tick(max((r.open for r in runs), default=0))
    top = 4 * tick
    left = max(44, 12 + 7 * len(f"{top:,}"))
    step = max(4, min(80, _HISTORY_WIDTH // max(len(runs), 1)))
    col = max(3, min(32, step * 2 // 3))
    base = _HEADROOM + HISTORY_HEIGHT
    plot = step * len(runs)
    legend = left + plot + 20 + 7 * len(f"{runs[-1].open:,}" if runs else "")
    width, height = legend + 90, base + 30
    said = [
        f"{run_name(r)}: {r.open:,} ("
        + ", ".join(f"{dict(r.by_risk).get(k, 0):,} {k.label}" for k in _STACK)
        + ")"
        for r in runs
    ]
    out = [
        f'<svg class="chart" role="img" aria-labelledby="history-t" aria-describedby="history-d" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
        '<title id="history-t">Open findings per run, by risk</title>',
        f'<desc id="history-d">Open findings per run, oldest first: {escape("; ".join(said), 0)}'
        "</desc>",
    ]
    for i in range(5):
        y = base - HISTORY_HEIGHT * i // 4
        out.append(
            f'<rect class="other" x="{left}" y="{y}" width="{plot}" height="1"></rect>'
            f'<text class="label" x="{left - 6}" y="{y + 4}">{i * tick:,}</text>'
        )
    every = -(-80 // step)  # columns from one date to the next, so that none overlap
    for i, run in enumerate(runs):
        x = left + i * step + (step - col) // 2
        middle = x + col / 2
        counts, below = dict(run.by_risk), 0
        parts = [f"<g><title>{escape(_run_words(run), 0)}</title>"]
        for risk in _STACK:
            n = counts.get(risk, 0)
            bottom = base - round(HISTORY_HEIGHT * below / top)
            upper = base - round(HISTORY_HEIGHT * (below + n) / top)
            if n and upper == bottom:
                upper -= 1  # one finding among millions still shows
            below += n
            if n:
                parts.append(
                    f'<rect class="{risk.label}" x="{x}" y="{upper}" width="{col}" '
                    f'height="{bottom - upper}"></rect>'
                )
        last = i == len(runs) - 1
        y = base - round(HISTORY_HEIGHT * run.open / top)
        if step >= 28:  # the count over each column, when there is room for it
            parts.append(
                f'<text x="{middle:g}" y="{y - 4}" text-anchor="middle">{run.open:,}</text>'
            )
        elif last:  # else beside the last one
            parts.append(f'<text x="{x + col + 3}" y="{min(y + 4, base)}">{run.open:,}</text>')
        if last or (i % every == 0 and len(runs) - 1 - i >= every):
            label = run_name(run)[:10]
            parts.append(
                f'<text x="{middle:g}" y="{base + 18}" text-anchor="middle">{escape(label, 0)}'
                "</text>"
            )
        out.append("".join(parts) + "</g>")
    for j, risk in enumerate(reversed(_STACK)):  # top down, as the columns stack
        y = 10 + 20 * j
        out.append(
            f'<rect class="{risk.label}" x="{legend}" y="{y}" width="12" height="12"></rect>'
            f'<text x="{legend + 18}" y="{y + 11}">{risk.label}</text>'
        )
    out.append("</svg>")
    return "".join(out)
