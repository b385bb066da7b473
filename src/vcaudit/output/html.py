"""HTML: one self-contained page, summary first, sortable tables, every value escaped.

No external assets: styles and the small sorting script are inline, and a Content Security
Policy allows only that exact script (by hash), so even a value that escaped escaping could
not run code.
"""

from __future__ import annotations

import base64
import hashlib
import html
from itertools import islice

from vcaudit.advice import (
    group,
    next_steps,
    review_ids,
    to_review,
    upgrade_target,
    verdict_words,
)
from vcaudit.models import AuditReport, Risk
from vcaudit.output import RenderOptions
from vcaudit.sanitize import terminal_safe

MAX_ROWS = 10_000
"""Installations listed one by one: a page a browser (or a mail) can still carry."""

_SCRIPT = """
document.querySelectorAll("table.sortable th").forEach(function (th, index) {
  th.addEventListener("click", function () {
    var table = th.closest("table");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var up = th.getAttribute("aria-sort") !== "ascending";
    table.querySelectorAll("th").forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", up ? "ascending" : "descending");
    rows.sort(function (a, b) {
      var x = a.cells[index].getAttribute("data-key") || a.cells[index].textContent;
      var y = b.cells[index].getAttribute("data-key") || b.cells[index].textContent;
      var nx = parseFloat(x), ny = parseFloat(y);
      var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
      return up ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  });
});
"""
_SCRIPT_HASH = base64.b64encode(hashlib.sha256(_SCRIPT.encode("utf-8")).digest()).decode()

_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#1b1f24}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0;width:100%}
th,td{border-bottom:1px solid #d0d7de;padding:.35em .6em;text-align:left;vertical-align:top}
th{background:#f6f8fa;cursor:pointer;user-select:none}
td.n{text-align:right}
.critical{background:#a40e26;color:#fff}.high{color:#a40e26;font-weight:600}
.medium{color:#9a6700}.low{color:#0969da}.none{color:#1a7f37}
.verdict{font-weight:700;padding:.5em 1em;display:inline-block}
.fail{background:#ffebe9}.pass{background:#dafbe1}
code{font-family:ui-monospace,monospace}
"""


def _e(text: str, limit: int = 300) -> str:
    """Escaped for HTML text and attributes, controls made visible."""
    return html.escape(terminal_safe(text, limit), quote=True)


def _risk_cell(risk: Risk) -> str:
    return f'<td class="{risk.label}" data-key="{int(risk)}">{risk.label}</td>'


def render(report: AuditReport, options: RenderOptions) -> str:
    """The report as one HTML page."""
    del options
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
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        f"style-src 'unsafe-inline'; script-src 'sha256-{_SCRIPT_HASH}'\">",
        "<title>vcaudit report</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>vcaudit report</h1>",
        verdict,
        f"<p>{s.hosts} hosts, {s.installations} installations; feed of {_e(feed_date)}; "
        f"judged as of {_e(as_of)}.</p>",
        '<table class="summary"><thead><tr><th>status</th><th>installations</th></tr></thead>'
        "<tbody>",
    ]
    out += [
        f'<tr><td>{status.value}</td><td class="n">{count}</td></tr>'
        for status, count in s.by_status
        if count
    ]
    if s.ignored:
        out.append(f'<tr><td>with ignored advisories</td><td class="n">{s.ignored}</td></tr>')
    if s.review:
        out.append(f'<tr><td>with advisories to review</td><td class="n">{s.review}</td></tr>')
    out.append("</tbody></table>")
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
        out += [f"<li>{_e(item.text, 600)}</li>" for item in review]
        out.append("</ul>")
    groups = group(report)
    if groups:
        out += [
            "<h2>Findings</h2>",
            '<table class="sortable"><thead><tr><th>risk</th><th>status</th><th>product</th>'
            "<th>version</th><th>platform</th><th>hosts</th><th>upgrade to</th><th>owner</th>"
            "<th>advisories / reason</th></tr></thead><tbody>",
        ]
        for g in groups:
            a = g.assessment
            ids = ", ".join(_e(hit.advisory.id, 80) for hit in a.hits) or _e(a.reason)
            to_check = _e(review_ids(a, 5), 400)
            why = f"{ids}; {to_check}" if ids and to_check else ids or to_check
            failing = " ⚠" if report.fails(a) else ""
            out.append(
                f"<tr>{_risk_cell(a.risk)}"
                f'<td data-key="{a.status.rank}">{a.status.value}{failing}</td>'
                f"<td>{_e(g.product)}</td><td><code>{_e(g.version)}</code></td>"
                f'<td>{g.platform.value}</td><td class="n">{g.hosts}</td>'
                f"<td>{_e(upgrade_target(a))}</td><td>{_e(g.owner)}</td>"
                f"<td>{why}</td></tr>"
            )
        out.append("</tbody></table>")
    if len(report.findings):
        total = len(report.findings)
        out.append("<h2>Installations</h2>")
        if total > MAX_ROWS:
            out.append(
                f"<p>The first {MAX_ROWS:,} of {total:,} installations, in input order; the "
                "JSON and CSV reports list every one.</p>"
            )
        out += [
            '<table class="sortable"><thead><tr><th>host</th><th>product</th><th>version</th>'
            "<th>platform</th><th>status</th><th>risk</th><th>owner</th><th>due</th>"
            "<th>source</th></tr></thead><tbody>",
        ]
        for f in islice(report.findings, MAX_ROWS):
            inst = f.installation
            a = f.assessment
            due = a.due.isoformat() if a.due else ""
            if a.overdue:
                due += " (overdue)"
            out.append(
                f"<tr><td>{_e(inst.host)}</td><td>{_e(f.display_name)}</td>"
                f"<td><code>{_e(inst.version)}</code></td><td>{inst.platform.value}</td>"
                f'<td data-key="{a.status.rank}">{a.status.value}</td>{_risk_cell(a.risk)}'
                f"<td>{_e(f.owner)}</td><td>{_e(due)}</td>"
                f"<td>{_e(inst.source.file)}:{inst.source.line}</td></tr>"
            )
        out.append("</tbody></table>")
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
