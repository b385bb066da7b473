"""The HTML report: advisory links, folded advisory lists, hosts per group, the legend of the
warning mark, the pictures (inline SVG), and a Content Security Policy that allows nothing
but the page's own style and script."""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import replace
from html.parser import HTMLParser

import pytest

from tests.output import html_cases
from tests.output.html_cases import DEMO_LATEST, TEAMSY_LATEST, WIN, advisory
from vcaudit.advice import reference_url
from vcaudit.audit import run_audit
from vcaudit.models import AuditReport, Installation, Platform, Risk, Source, Status
from vcaudit.output import OutputFormat, RenderOptions, formatter_for, html_charts
from vcaudit.output import html as html_out
from vcaudit.policy import Policy

TAGS = {
    "html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "table", "thead",
    "tbody", "tr", "th", "td", "code", "ul", "li", "script", "a", "span", "details",
    "summary", "div", "figure", "figcaption", "svg", "desc", "g", "text", "rect", "strong",
    "wbr",
}  # fmt: skip


class _Page(HTMLParser):
    """The page as the parts a test looks at: tags, attributes, text per element id."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.raw: dict[str, list[str]] = {"style": [], "script": []}
        self._in: str = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in = tag if tag in self.raw else ""

    def handle_endtag(self, tag: str) -> None:
        self._in = ""

    def handle_data(self, data: str) -> None:
        if self._in:
            self.raw[self._in].append(data)


def page(report: AuditReport) -> tuple[str, _Page]:
    text = formatter_for(OutputFormat.HTML)(report, RenderOptions())
    parsed = _Page()
    parsed.feed(text)
    parsed.close()
    return text, parsed


def _rows(text: str, table: str) -> list[str]:
    body = text.split(f'<table class="sortable" id="{table}">')[1].split("</tbody>")[0]
    return body.split("<tr>")[2:]


def test_advisory_ids_link_to_their_first_web_reference_and_nothing_else() -> None:
    text, _ = page(html_cases.report())
    # The first http(s) reference, escaped; a javascript: reference before it is skipped.
    assert '<a href="https://example.com/advisories/A-1?x=1&amp;y=2" rel="noreferrer">A-1</a>' in (
        text
    )
    assert ">A-2</a>" not in text  # ftp only
    assert "A-2" in text
    assert 'href="https://example.com/&quot;onmouseover=&quot;alert(1)"' in text
    assert ">A-4</a>" not in text  # a space, a look-alike letter: no link
    assert "javascript:" not in text
    assert "ftp:" not in text


@pytest.mark.parametrize(
    ("references", "expected"),
    [
        (("https://example.com/x",), "https://example.com/x"),
        (("HTTP://example.com/x",), "HTTP://example.com/x"),
        (("javascript:alert(1)", "http://example.com/y"), "http://example.com/y"),
        (("data:text/html,<script>alert(1)</script>",), ""),
        (("https:///no-host",), ""),
        (("https://example.com/\x1b[2J",), ""),
        (("https://example.com/\u202egnp",), ""),
        (("https://[::1/",), ""),
        (("//example.com/x",), ""),
        (("https://example.com/" + "x" * 3000,), ""),
    ],
)
def test_reference_urls_are_plain_web_addresses(references: tuple[str, ...], expected: str) -> None:
    assert reference_url(advisory("X-1", *references), escaped=True) == expected


def test_a_long_advisory_list_shows_five_and_folds_the_rest() -> None:
    text, _ = page(html_cases.report())
    row = next(r for r in _rows(text, "findings") if "<code>5.9.3</code>" in r)
    cell = row.split("<td>")[-1]
    shown, folded = (re.sub(r"<[^>]*>", " ", part) for part in cell.split("<details>"))
    assert re.findall(r"A-\d", shown) == ["A-1", "A-2", "A-3", "A-4", "A-5"]
    assert "<summary>3 more advisories</summary>" in cell
    assert re.findall(r"A-\d", folded) == ["A-6", "A-7", "A-8"]


def test_each_group_names_its_hosts_in_natural_order_up_to_twenty() -> None:
    extra = [html_cases.row("demo", "5.16.0", f"vm-{n}", 100 + n) for n in range(25, 0, -1)]
    text, _ = page(html_cases.report(extra))
    rows = _rows(text, "findings")
    twelve = next(r for r in rows if "<code>5.9.3</code>" in r)
    names = re.findall(r"<span>(pc-\d+)</span>", twelve)
    assert names == [f"pc-{n}" for n in range(1, 13)]
    assert '<td data-key="12">12<span class="names">' in twelve
    many = next(r for r in rows if "<code>5.16.0</code>" in r)
    assert re.findall(r"<span>(vm-\d+)</span>", many) == [f"vm-{n}" for n in range(1, 21)]
    assert "+5 more</span>" in many


def test_the_warning_mark_has_a_legend_naming_the_threshold() -> None:
    report = html_cases.report()
    text, _ = page(report)
    assert text.count('<span title="fails this run">⚠</span>') == 2  # 5.9.3 and 5.16.9
    assert "marks the findings that fail this run: at or above --fail-on high." in text
    passing, _ = page(replace(report, fail_on=Risk.CRITICAL))
    assert "⚠" not in passing


def test_every_chart_is_an_image_with_a_title_and_its_numbers_in_words() -> None:
    text, parsed = page(html_cases.report())
    svgs = [attrs for tag, attrs in parsed.tags if tag == "svg"]
    assert len(svgs) == 4  # by risk, by status, and one per product
    for attrs in svgs:
        assert attrs["role"] == "img"
        ident = attrs["aria-labelledby"]
        assert ident
        assert f'<title id="{ident}">' in text
        assert f'<desc id="{attrs["aria-describedby"]}">' in text
    assert (
        '<desc id="risk-d">critical: 0 installations; high: 14 installations; medium: 0 '
        "installations; low: 1 installation; none: 3 installations</desc>"
    ) in text
    assert '<desc id="status-d">vulnerable: 14 installations; outdated: 1 installation; ' in text
    # Ids are unique in the page.
    ids = [attrs["id"] for _tag, attrs in parsed.tags if "id" in attrs]
    assert len(ids) == len(set(ids))


def test_the_version_spread_counts_hosts_newest_first_and_marks_the_latest() -> None:
    text, _ = page(html_cases.report())
    assert (
        '<desc id="versions-1-d">'
        f"{DEMO_LATEST}: 1 host (latest); 5.16.9: 2 hosts; 5.9.3: 12 hosts</desc>"
    ) in text
    assert (
        f'<desc id="versions-2-d">{TEAMSY_LATEST}: 2 hosts (latest); 24100.1.2.3: 1 host</desc>'
    ) in text
    # The latest is marked in words beside its bar, not by colour alone.
    assert text.count(" · latest</text>") == 2


def test_a_long_version_spread_draws_the_newest_and_counts_the_rest() -> None:
    extra = [
        html_cases.row("demo", f"5.{n}.0", f"old-{n}", 200 + n)
        for n in range(html_charts.MAX_VERSIONS + 3)
    ]
    spreads = html_charts.version_spread(html_cases.report(extra).groups)
    demo = next(s for s in spreads if s.product == "Demo Meet")
    assert len(demo.bars) == html_charts.MAX_VERSIONS + 1
    assert [b.label for b in demo.bars[:3]] == [DEMO_LATEST, "5.16.9", "5.14.0"]
    # 18 versions: 12 drawn, the 6 oldest (5.0.0 to 5.5.0) share a bar.
    assert demo.bars[-1] == html_charts.Bar("6 older versions", 6, "other")


def test_latest_is_said_per_platform_when_a_product_is_on_several() -> None:
    extra = [
        Installation(
            host="lin-1",
            platform=Platform.LINUX,
            product="demo",
            version="5.16.9",
            source=Source("fleet.csv", 90),
        )
    ]
    spreads = html_charts.version_spread(html_cases.report(extra).groups)
    demo = next(s for s in spreads if s.product == "Demo Meet")
    assert demo.bars[0].note == "latest on windows"
    assert demo.bars[1].note == ""


def test_the_policy_allows_exactly_the_pages_own_style_and_script() -> None:
    _text, parsed = page(html_cases.report())
    csp = next(
        attrs["content"]
        for tag, attrs in parsed.tags
        if tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy"
    )
    assert csp is not None
    assert "unsafe" not in csp
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert directives["form-action"] == "'none'"
    for kind, directive in (("style", "style-src"), ("script", "script-src")):
        (content,) = parsed.raw[kind]
        digest = base64.b64encode(hashlib.sha256(content.encode()).digest()).decode()
        assert directives[directive] == f"'sha256-{digest}'"
    # Nothing a hash does not cover: no style or event-handler attribute anywhere.
    for tag, attrs in parsed.tags:
        assert "style" not in attrs, tag
        assert not any(name.startswith("on") for name in attrs), tag
    assert {tag for tag, _ in parsed.tags} <= TAGS


def test_every_status_and_risk_has_a_bar_colour() -> None:
    assert set(html_charts.STATUS_CLASS) == set(Status)
    for cls in html_charts.STATUS_CLASS.values():
        assert f"rect.{cls}{{" in html_out._STYLE, cls
    for risk in Risk:
        assert f"rect.{risk.label}{{" in html_out._STYLE, risk


def test_hostile_versions_are_escaped_in_the_pictures() -> None:
    hostile = '<script>alert(1)</script>\x1b[2J"'
    text, parsed = page(html_cases.report([html_cases.row("demo", hostile, "h-2", 301)]))
    assert "<script>alert" not in text
    assert "\x1b" not in text
    spread = text.split('<desc id="versions-1-d">')[1].split("</svg>")[0]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;\\x1b[2J&quot;: 1 host" in spread
    assert [tag for tag, _ in parsed.tags].count("script") == 1


def test_a_page_with_nothing_draws_no_picture() -> None:
    empty = run_audit([], html_cases.FEED, Policy(), html_cases.TODAY)
    text, _ = page(empty)
    assert "<svg" not in text
    assert "0 hosts, 0 installations" in text


@pytest.mark.slow
def test_counts_use_thousands_separators_and_keep_numeric_keys() -> None:
    extra = [html_cases.row("teamsy", "24100.1.2.3", f"t-{n}", 1000 + n) for n in range(1200)]
    text, _ = page(html_cases.report(extra))
    assert '<td data-key="1201">1,201<span class="names">' in text
    assert "1,218 installations" in text
    assert " +1,181 more</span>" in text
    assert WIN.value in text
