"""HTML: one self-contained page, summary and pictures first, sortable tables, every value
escaped.

No external assets: the style, the small sorting script and the pictures (inline SVG,
`html_charts`) are in the page, and its Content Security Policy allows only that exact style
and script (by hash), so even a value that escaped escaping could not run code or restyle the
page. Without script the page reads the same, only unsorted: long advisory lists fold into a
`<details>` element, which needs none.
"""

from __future__ import annotations

import base64
import hashlib
import heapq
from collections.abc import Iterable

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
    upgrade_target,
    verdict_words,
    web_url,
)
from vcaudit.models import (
    Advisory,
    Assessment,
    AuditReport,
    Fact,
    Finding,
    Group,
    Product,
    Risk,
    RunTally,
    Verdict,
)
from vcaudit.output import RenderOptions, SinceLastRun
from vcaudit.output.html_charts import (
    MAX_RUNS,
    change_chart,
    escape,
    history_chart,
    open_chart,
    risk_chart,
    run_name,
    spread_charts,
    status_chart,
    version_spread,
)
from vcaudit.report import (
    DATA_PROTECTION_FACTS,
    DATA_PROTECTION_NOTE,
    DATA_PROTECTION_WHERE,
    data_protection_policy,
    data_protection_where,
)

MAX_ROWS = 10_000
"""Installations listed one by one: a page a browser (or a mail) can still carry."""
MAX_IDS = 5
"""Advisory ids shown in a cell; the rest fold under "N more"."""
MAX_HOSTS = 20
"""Hosts a group names before it counts the rest."""
MAX_CHANGES = 500
"""Changes since the last run listed one by one (the mail and the state file have all)."""

_e = escape

# Sorts the table whose header is clicked by that header's column (`cellIndex`, so each table
# counts its own columns). A cell sorts by its `data-key` when it has one (risk and status by
# rank, counts by number), else by its text; keys compare in natural order, numbers by value
# and the rest case-insensitively, so versions sort as versions (5.9.3 before 5.17.11.34827)
# and hosts as people number them (pc-2 before pc-10). Equal keys keep their order.
_SCRIPT = """
(function () {
  "use strict";
  function parts(text) {
    return text.trim().toLowerCase().split(/([0-9]+)/).filter(function (p) { return p; });
  }
  function compare(a, b) {
    for (var i = 0; i < a.length && i < b.length; i++) {
      var p = a[i], q = b[i];
      if (p === q) { continue; }
      var dp = /^[0-9]/.test(p), dq = /^[0-9]/.test(q);
      if (dp && dq) {
        p = p.replace(/^0+(?=[0-9])/, "");
        q = q.replace(/^0+(?=[0-9])/, "");
        if (p.length !== q.length) { return p.length - q.length; }
        if (p !== q) { return p < q ? -1 : 1; }
      } else if (dp !== dq) {
        return dp ? -1 : 1;
      } else {
        return p < q ? -1 : 1;
      }
    }
    return a.length - b.length;
  }
  function key(cell) {
    return parts(cell.hasAttribute("data-key") ? cell.getAttribute("data-key") : cell.textContent);
  }
  function sortBy(table, th) {
    var column = th.cellIndex;
    var up = th.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (h) {
      h.removeAttribute("aria-sort");
    });
    th.setAttribute("aria-sort", up ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.map.call(body.rows, function (row, i) {
      return { row: row, key: key(row.cells[column]), i: i };
    });
    rows.sort(function (a, b) { return (up ? 1 : -1) * compare(a.key, b.key) || a.i - b.i; });
    var sorted = document.createDocumentFragment();
    rows.forEach(function (r) { sorted.appendChild(r.row); });
    body.appendChild(sorted);
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
      var button = document.createElement("button");
      button.type = "button";
      while (th.firstChild) { button.appendChild(th.firstChild); }
      th.appendChild(button);
      button.addEventListener("click", function () { sortBy(table, th); });
    });
  });
})();
"""

_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:1.5em 1em;color:#1b1f24}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0;width:100%}
th,td{border-bottom:1px solid #d0d7de;padding:.35em .45em;text-align:left;vertical-align:top}
th{background:#f6f8fa}
th button{font:inherit;color:inherit;background:none;border:0;padding:0;cursor:pointer}
th[aria-sort=ascending] button:after{content:" \\25B2"}
th[aria-sort=descending] button:after{content:" \\25BC"}
td.n{text-align:right}
.critical{background:#a40e26;color:#fff}.high{color:#a40e26;font-weight:600}
.medium{color:#9a6700}.low{color:#0969da}.none{color:#1a7f37}
.verdict{font-weight:700;padding:.5em 1em;display:inline-block}
.fail{background:#ffebe9}.pass{background:#dafbe1}
code{font-family:ui-monospace,monospace}
.names{display:block;color:#57606a;font-size:.9em}
.names span,code,a,.id,.owner span{white-space:nowrap}
#installations td:first-child,#changes td:nth-child(3){white-space:nowrap}
td.why{min-width:16em}
table.summary{width:auto}
details{display:inline}summary{cursor:pointer;color:#0969da}
.legend{color:#57606a}
.charts{display:flex;flex-wrap:wrap;gap:1em 3em;align-items:flex-start}
figure{margin:0}figcaption{font-weight:600;margin:.5em 0}
svg.chart{max-width:100%;height:auto;font:12px system-ui,sans-serif}
svg.chart text{fill:#1b1f24}svg.chart text.label{text-anchor:end}
svg.chart rect{fill:#8c959f}
svg.chart rect.critical{fill:#a40e26}svg.chart rect.high{fill:#d1242f}
svg.chart rect.medium{fill:#bf8700}svg.chart rect.low{fill:#0969da}
svg.chart rect.none{fill:#1a7f37}
svg.chart rect.s-vulnerable{fill:#a40e26}svg.chart rect.s-eol{fill:#6e3630}
svg.chart rect.s-unsupported{fill:#d1242f}svg.chart rect.s-unapproved{fill:#bc4c00}
svg.chart rect.s-outdated{fill:#bf8700}svg.chart rect.s-current{fill:#1a7f37}
svg.chart rect.s-unknown{fill:#8c959f}
svg.chart rect.latest{fill:#1a7f37;stroke:#0b3d1a;stroke-width:2}
svg.chart rect.other{fill:#d0d7de}svg.chart rect.before{fill-opacity:.45}
"""


def _sha256(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()


_CSP = (
    f"default-src 'none'; style-src 'sha256-{_sha256(_STYLE)}'; "
    f"script-src 'sha256-{_sha256(_SCRIPT)}'; base-uri 'none'; form-action 'none'"
)
"""Nothing loads, nothing but the page's own style and script applies or runs, no form posts
and no `<base>` redirects its links (neither falls back to `default-src`)."""


def _count(n: int, word: str) -> str:
    """`1 host`, `12,000 hosts`."""
    return f"{n:,} {word if n == 1 else word + 's'}"


def _risk_cell(risk: Risk) -> str:
    return f'<td class="{risk.label}" data-key="{int(risk)}">{risk.label}</td>'


def _fact_url(fact: Fact) -> str:
    """The web page a known fact was read from ("" for an unknown fact, or a source that is
    not a plain http or https address)."""
    return web_url(fact.source) if fact.known else ""


def _source_link(fact: Fact, text: str) -> str:
    """`text` (HTML) linked to the web page `fact` was read from, with the day it was read
    in its tooltip; `text` alone when the fact has no such source (unknown, or not a web
    address)."""
    url = _fact_url(fact)
    if not url:
        return text
    read = f", read {fact.read.isoformat()}" if fact.read else ""
    return f'<a href="{_e(url, 0)}" rel="noreferrer" title="source{read}">{text}</a>'


def _advisory_link(advisory: Advisory) -> str:
    """The advisory's id, never broken across lines, linked to its first web reference."""
    url = reference_url(advisory, escaped=True)
    text = _e(advisory.id, 80)
    if not url:
        return f'<span class="id">{text}</span>'
    return f'<a href="{_e(url, 0)}" rel="noreferrer">{text}</a>'


def _review_links(a: Assessment) -> str:
    """The advisories to review, worst first, the first `MAX_IDS` linked, as `review: ZSB-1,
    ZSB-2 +1` ("" when there is none)."""
    links = [_advisory_link(advisory) for advisory in advisories_worst_first(a.review)]
    if not links:
        return ""
    more = f" +{len(links) - MAX_IDS:,}" if len(links) > MAX_IDS else ""
    return "review: " + ", ".join(links[:MAX_IDS]) + more


def _review_item(item: ReviewItem) -> str:
    """An advisory to review in words, its id (which starts them) linked."""
    text, ident = item.text, item.advisory.id
    if not text.startswith(ident):
        return _e(text, 600)
    return _advisory_link(item.advisory) + _e(text[len(ident) :], 600)


def _advisories_cell(a: Assessment) -> str:
    """The advisories that apply, worst first (the first `MAX_IDS` linked to their reference,
    the rest folded), else the reason, then the advisories to review."""
    links = [_advisory_link(hit.advisory) for hit in hits_worst_first(a)]
    head = ", ".join(links[:MAX_IDS]) or _e(a.reason)
    to_check = _review_links(a)
    cell = f"{head}; {to_check}" if head and to_check else head or to_check
    rest = links[MAX_IDS:]
    if rest:
        more = plural(len(rest), "more advisory", "more advisories")
        cell += f"<details><summary>{more}</summary>{', '.join(rest)}</details>"
    return cell


WHOLE_VERSION = 9
"""Characters of a version never broken across lines; a longer one may wrap after a dot."""


def _version(text: str) -> str:
    """A version in code type: whole up to `WHOLE_VERSION` characters, else in pieces that may
    wrap only after a dot (`24215.` `1007.` `3082.` `1590`), so a long build number does not
    widen its column, and no other character (a hyphen) ever breaks it."""
    escaped = _e(text, 80)  # escapes hold no dot: the dots are the version's own
    if len(text) <= WHOLE_VERSION or "." not in escaped:
        return f"<code>{escaped}</code>"
    pieces = escaped.split(".")
    return "<wbr>".join(
        f"<code>{piece}{'.' if i < len(pieces) - 1 else ''}</code>"
        for i, piece in enumerate(pieces)
    )


def _upgrade_cell(a: Assessment) -> str:
    """The upgrade advice, its version laid out as a version (`_version`)."""
    target = upgrade_target(a)
    if a.upgrade_to and target.startswith(a.upgrade_to):
        return _version(a.upgrade_to) + _e(target[len(a.upgrade_to) :])
    return _e(target)


def _owner(text: str) -> str:
    """An owner (an address, a team's name): each word whole, an address free to wrap only
    before its `@` (never after the hyphen of `it-collab@example.com`)."""
    words = []
    for word in _e(text, 120).split(" "):
        local, at, domain = word.partition("@")
        pieces = [local, at + domain] if at and local else [word]
        words.append("<wbr>".join(f"<span>{piece}</span>" for piece in pieces if piece))
    return f'<span class="owner">{" ".join(words)}</span>' if text else ""


def _hosts_cell(g: Group) -> str:
    """The number of hosts, then the first `MAX_HOSTS` of them in natural order and how many
    more (a name is never broken across lines; past 120 characters it is shortened in its
    middle, as every report names hosts: `hosts_named` of one host)."""
    first = first_in_natural_order(g.host_names, MAX_HOSTS)
    names = ", ".join(f"<span>{_e(hosts_named((name,), 1), 0)}</span>" for name in first)
    if len(g.host_names) > len(first):
        names += f" +{len(g.host_names) - len(first):,} more"
    listed = f'<span class="names">{names}</span>' if names else ""
    return f'<td data-key="{g.hosts}">{g.hosts:,}{listed}</td>'


def _fails_words(verdict: Verdict) -> str:
    return (
        f"at or above --fail-on {verdict.fail_on.label}"
        + (" or unknown (--strict)" if verdict.strict else "")
        + (" or with an advisory to review at that level" if verdict.review else "")
    )


def _findings(report: AuditReport, groups: list[Group]) -> list[str]:
    out = ["<h2>Findings</h2>"]
    if any(report.fails(g.assessment) for g in groups):
        out.append(
            '<p class="legend"><span aria-hidden="true">⚠</span> marks the findings that fail '
            f"this run: {_fails_words(report.verdict)}.</p>"
        )
    out.append(
        '<table class="sortable" id="findings"><thead><tr><th>risk</th><th>status</th>'
        "<th>product</th><th>version</th><th>platform</th><th>hosts</th><th>upgrade to</th>"
        "<th>owner</th><th>advisories / reason</th></tr></thead><tbody>"
    )
    for g in groups:
        a = g.assessment
        failing = ' <span title="fails this run">⚠</span>' if report.fails(a) else ""
        out.append(
            f"<tr>{_risk_cell(a.risk)}"
            f'<td data-key="{a.status.rank}">{a.status.value}{failing}</td>'
            f"<td>{_e(g.product)}</td><td>{_version(g.version)}</td>"
            f"<td>{g.platform.value}</td>{_hosts_cell(g)}"
            f"<td>{_upgrade_cell(a)}</td><td>{_owner(g.owner)}</td>"
            f'<td class="why">{_advisories_cell(a)}</td></tr>'
        )
    out.append("</tbody></table>")
    return out


def _distribution(report: AuditReport) -> list[str]:
    """The installations by risk and by status, as pictures."""
    if not report.summary.installations:
        return []
    return [
        '<div class="charts">',
        f"<figure><figcaption>By risk</figcaption>{risk_chart(report.summary)}</figure>",
        f"<figure><figcaption>By status</figcaption>{status_chart(report.summary)}</figure>",
        "</div>",
    ]


def _versions(groups: list[Group]) -> list[str]:
    """Each product's versions across the fleet, as pictures."""
    spreads = version_spread(groups)
    if not spreads:
        return []
    out = [
        "<h2>Versions across the fleet</h2>",
        "<p>Hosts on each version of each product, newest first; the latest release is marked.</p>",
        '<div class="charts">',
    ]
    out += [
        f"<figure><figcaption>{_e(spread.product)}</figcaption>{chart}</figure>"
        for spread, chart in zip(spreads, spread_charts(spreads), strict=True)
    ]
    out.append("</div>")
    return out


def _product_names(report: AuditReport) -> dict[str, str]:
    """Product name by feed id: every product of the feed (a resolved finding's product may
    have left the fleet), else those of the report's groups."""
    names = {
        g.assessment.product.id: g.assessment.product.name
        for g in report.groups
        if g.assessment.product is not None
    }
    names.update(report.product_names)
    return names


def _since_last_run(report: AuditReport, since: SinceLastRun) -> list[str]:
    """What changed since the run the state file remembers: pictures, then each change."""
    new, rose, resolved = len(since.new), len(since.rose), len(since.resolved)
    out = ["<h2>Since the last run</h2>"]
    if since.previous_run:
        out.append(
            f"<p>Compared with the run of {_e(since.previous_run, 40)} that the state file "
            f"remembers: {new:,} new, {rose:,} riskier, {resolved:,} resolved.</p>"
        )
    else:
        out.append(
            f"<p>The state file holds no earlier run: every open finding is new ({new:,}).</p>"
        )
    out += [
        '<div class="charts">',
        f"<figure><figcaption>Open findings</figcaption>{open_chart(since)}</figure>",
        f"<figure><figcaption>Changes</figcaption>{change_chart(since)}</figure>",
        "</div>",
    ]
    changes = [
        *(("new", e) for e in since.new),
        *(("riskier", e) for e in since.rose),
        *(("resolved", e) for e in since.resolved),
    ]
    if not changes:
        return out
    if len(changes) > MAX_CHANGES:
        out.append(f"<p>The first {MAX_CHANGES:,} of {len(changes):,} changes.</p>")
    names = _product_names(report)
    out.append(
        '<table class="sortable" id="changes"><thead><tr><th>change</th><th>risk</th>'
        "<th>host</th><th>product</th><th>platform</th><th>version</th><th>status</th>"
        "</tr></thead><tbody>"
    )
    for change, e in changes[:MAX_CHANGES]:
        out.append(
            f"<tr><td>{change}</td>{_risk_cell(e.risk)}<td>{_e(e.host)}</td>"
            f"<td>{_e(names.get(e.product, e.product))}</td><td>{_e(e.platform)}</td>"
            f"<td><code>{_e(e.version)}</code></td><td>{_e(e.status)}</td></tr>"
        )
    out.append("</tbody></table>")
    return out


def _over_time(runs: tuple[RunTally, ...]) -> list[str]:
    """The open findings of each run the state file remembers, and now: a picture, then the
    numbers of each run (folded)."""
    runs = runs[-MAX_RUNS:]
    if not runs:
        return []
    out = ["<h2>Findings over time</h2>"]
    if len(runs) == 1:
        out.append(
            "<p>The history starts now: the state file remembers no earlier run, and each "
            "later run with it adds one.</p>"
        )
        return out
    first, last = runs[0], runs[-1]
    out += [
        f"<p>Open findings at each of the last {len(runs):,} runs, oldest first: "
        f"{first.open:,} at {_e(run_name(first), 40)}, {last.open:,} "
        f"{'now' if not last.run_at else 'at ' + _e(run_name(last), 40)}.</p>",
        f"<figure><figcaption>Open findings per run</figcaption>{history_chart(runs)}</figure>",
        "<details><summary>The numbers of each run</summary>",
        '<table class="summary" id="history"><thead><tr><th>run</th><th>open</th>'
        + "".join(f"<th>{r.label}</th>" for r in sorted(Risk, reverse=True) if r > Risk.NONE)
        + "<th>new</th><th>resolved</th><th>installations</th><th>hosts</th></tr></thead><tbody>",
    ]

    def cell(n: int | None) -> str:
        return f'<td class="n">{n:,}</td>' if n is not None else "<td>unknown</td>"

    for run in runs:
        risks = dict(run.by_risk)
        out.append(
            f"<tr><td>{_e(run_name(run), 40)}</td>{cell(run.open)}"
            + "".join(cell(risks.get(r, 0)) for r in sorted(Risk, reverse=True) if r > Risk.NONE)
            + "".join(cell(n) for n in (run.new, run.resolved, run.installations, run.hosts))
            + "</tr>"
        )
    out.append("</tbody></table></details>")
    return out


def _data_protection(report: AuditReport) -> list[str]:
    """The products found in the fleet: hosts, the yes/no facts of their data-protection
    sheets (and the policy's verdict), then where their content and recordings go."""
    section = report.data_protection
    if not section.products:
        return []
    policy = bool(section.required)
    headings = ["product", "hosts", *(heading for _, heading in DATA_PROTECTION_FACTS)]
    headings += ["policy"] if policy else []
    out = [
        "<h2>Data protection</h2>",
        f"<p>{_e(DATA_PROTECTION_NOTE, 0)}</p>",
        '<table class="sortable" id="data-protection"><thead><tr>'
        + "".join(f"<th>{_e(h)}</th>" for h in headings)
        + "</tr></thead><tbody>",
    ]
    for entry in section.products:
        product = entry.product
        cells = [
            f"<td>{_e(product.name, 80)}</td>",
            f'<td class="n" data-key="{entry.hosts}">{entry.hosts:,}</td>',
            *(
                f"<td>{_source_link(product.fact(name), _e(product.fact(name).shown, 40))}</td>"
                for name, _ in DATA_PROTECTION_FACTS
            ),
        ]
        if policy:
            cells.append(f"<td>{_e(data_protection_policy(entry, section), 300)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table><ul>")
    out += [f"<li>{_e(e.product.name, 80)}: {_where(e.product)}</li>" for e in section.products]
    out.append("</ul>")
    return out


def _where(product: Product) -> str:
    """Where a product's content and recordings go (`data_protection_where`), each fact
    followed by a link to its source."""
    if not product.data_protection:
        return _e(data_protection_where(product), 1200)
    parts = []
    for name in DATA_PROTECTION_WHERE:
        fact = product.fact(name)
        label = f"{name.label[0].lower()}{name.label[1:]}"
        part = f"{_e(label)}: {_e(fact.shown, 400)}"
        if _fact_url(fact):
            part += f" ({_source_link(fact, 'source')})"
        parts.append(part)
    return "; ".join(parts)


def _worst(finding: Finding) -> tuple[int, int, str]:
    """Worst first, as `--details` lists installations: by risk, status, then host."""
    a = finding.assessment
    return (-a.risk, a.status.rank, finding.installation.host)


def _installations(report: AuditReport) -> list[str]:
    """Every installation in input order; past `MAX_ROWS`, the worst `MAX_ROWS` of them, worst
    first, so the rows left out are never those that most need action."""
    total = len(report.findings)
    out = ["<h2>Installations</h2>"]
    listed: Iterable[Finding] = report.findings
    if total > MAX_ROWS:
        # nsmallest keeps sorted()'s order and holds no more than MAX_ROWS rows.
        listed = heapq.nsmallest(MAX_ROWS, report.findings, key=_worst)
        out.append(
            f"<p>The worst {MAX_ROWS:,} of {total:,} installations, worst first (by risk, "
            "status, then host); the JSON and CSV reports list every one.</p>"
        )
    out.append(
        '<table class="sortable" id="installations"><thead><tr><th>host</th><th>product</th>'
        "<th>version</th><th>platform</th><th>status</th><th>risk</th><th>owner</th><th>due</th>"
        "<th>source</th></tr></thead><tbody>"
    )
    for f in listed:
        inst = f.installation
        a = f.assessment
        due = a.due.isoformat() if a.due else ""
        if a.overdue:
            due += " (overdue)"
        out.append(
            f"<tr><td>{_e(inst.host)}</td><td>{_e(f.display_name)}</td>"
            f"<td>{_version(inst.version)}</td><td>{inst.platform.value}</td>"
            f'<td data-key="{a.status.rank}">{a.status.value}</td>{_risk_cell(a.risk)}'
            f"<td>{_owner(f.owner)}</td><td>{_e(due)}</td>"
            f"<td>{_e(inst.source.file)}:{inst.source.line}</td></tr>"
        )
    out.append("</tbody></table>")
    return out


def render(report: AuditReport, options: RenderOptions) -> str:
    """The report as one HTML page (with what changed since the last run, given `--state`)."""
    s = report.summary
    feed = report.feed
    feed_date = feed.generated_at.date().isoformat() if feed.generated_at else "unknown"
    as_of = report.as_of.isoformat() if report.as_of else "unknown"
    word, rest = verdict_words(report.verdict)
    verdict = f'<p class="verdict {word.lower()}">{word}: {_e(rest)}</p>'
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="referrer" content="no-referrer">',
        "<title>vcaudit report</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>vcaudit report</h1>",
        verdict,
        f"<p>{_count(s.hosts, 'host')}, {_count(s.installations, 'installation')}; "
        f"feed of {_e(feed_date)}; "
        f"judged as of {_e(as_of)}.</p>",
        '<table class="summary"><thead><tr><th>status</th><th>installations</th></tr></thead>'
        "<tbody>",
    ]
    out += [
        f'<tr><td>{status.value}</td><td class="n">{count:,}</td></tr>'
        for status, count in s.by_status
        if count
    ]
    if s.ignored:
        out.append(f'<tr><td>with ignored advisories</td><td class="n">{s.ignored:,}</td></tr>')
    if s.review:
        out.append(f'<tr><td>with advisories to review</td><td class="n">{s.review:,}</td></tr>')
    out.append("</tbody></table>")
    groups = group(report)
    out += _distribution(report)
    if options.since is not None:
        out += _over_time(options.since.history)
        out += _since_last_run(report, options.since)
    steps = next_steps(report)
    if steps:
        out.append("<h2>Next steps</h2><ul>")
        out += [f"<li>{_e(step.text, 600)}</li>" for step in steps]
        out.append("</ul>")
    review = to_review(report)
    if review:
        fails = (
            ", but they fail the run at --fail-on (review: fail)" if report.fail_on_review else ""
        )
        out.append(
            "<h2>To review</h2><p>Affected versions not published yet: never counted as a "
            f"vulnerability{fails}.</p><ul>"
        )
        out += [f"<li>{_review_item(item)}</li>" for item in review]
        out.append("</ul>")
    if groups:
        out += _findings(report, groups)
        out += _versions(groups)
    out += _data_protection(report)
    if len(report.findings):
        out += _installations(report)
    if report.read:
        out.append("<h2>Inputs</h2><ul>")
        out += [f"<li>{_e(r, 300)}</li>" for r in report.read]
        out.append("</ul>")
    if report.warnings:
        out.append("<h2>Warnings</h2><ul>")
        out += [f"<li>{_e(w, 500)}</li>" for w in report.warnings]
        out.append("</ul>")
    out += [f"<script>{_SCRIPT}</script>", "</body></html>", ""]
    return "\n".join(out)
