"""The HTML report's data-protection section links each fact to the page it was read from, so
a reader of a mailed report (who cannot run `vcaudit product ID`) can check it: only a plain
http or https address becomes a link, escaped, with no referrer; an unknown fact links
nothing."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace

from tests.output import html_cases
from vcaudit.audit import run_audit
from vcaudit.models import Fact, FactName, Feed, FeedInfo
from vcaudit.output import OutputFormat, RenderOptions, formatter_for
from vcaudit.policy import Policy

READ = dt.date(2026, 11, 20)
SHEET = (
    Fact(FactName.EU_RESIDENCY_OPTION, True, "https://example.com/residency?a=1&b=2", READ),
    Fact(FactName.E2EE_AVAILABLE, True, "javascript:alert(1)", READ),
    Fact(FactName.E2EE_DEFAULT, False, 'https://example.com/"onmouseover="alert(1)', READ),
    Fact(FactName.SELF_HOSTABLE, None),
    Fact(FactName.DPA_AVAILABLE, True, "https://exa\u0430mple.com/dpa", READ),
    Fact(FactName.MEDIA_PROCESSING, "EU data centres <b>only</b>", "https://example.com/media"),
    Fact(FactName.RECORDINGS_LOCATION, None),
    Fact(FactName.OUTSIDE_EU, "support data", "ftp://example.com/outside", READ),
)


def page() -> str:
    demo = replace(html_cases.FEED.products[0], data_protection=SHEET)
    feed = Feed(FeedInfo(1, None, "tests", "synthetic"), (demo,))
    rows = [r for r in html_cases.rows() if r.product == "demo"]
    report = run_audit(rows, feed, Policy(), html_cases.TODAY, tool_version="test")
    return formatter_for(OutputFormat.HTML)(report, RenderOptions())


def section(text: str) -> str:
    return text.split("<h2>Data protection</h2>")[1].split("<h2>")[0]


def test_each_known_fact_links_the_web_page_it_was_read_from() -> None:
    part = section(page())
    row = part.split("<tbody>")[1].split("</tbody>")[0]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
    assert cells[2:] == [
        '<a href="https://example.com/residency?a=1&amp;b=2" rel="noreferrer" '
        'title="source, read 2026-11-20">yes</a>',
        "yes",  # javascript: is no web page
        '<a href="https://example.com/&quot;onmouseover=&quot;alert(1)" rel="noreferrer" '
        'title="source, read 2026-11-20">no</a>',
        "unknown",
        "yes",  # a look-alike letter in the host: no link
    ]


def test_where_the_data_goes_names_each_facts_source() -> None:
    (item,) = re.findall(r"<li>(.*?)</li>", section(page()))
    assert item == (
        "Demo Meet: where meeting media is processed: EU data centres &lt;b&gt;only&lt;/b&gt; "
        '(<a href="https://example.com/media" rel="noreferrer" title="source">source</a>); '
        "where cloud recordings are stored: unknown; "
        "what stays outside the EU/EEA: support data"  # ftp: no link
    )


def test_nothing_but_web_links_leave_the_section() -> None:
    part = section(page())
    assert "javascript:" not in part
    assert "ftp:" not in part
    assert "<b>" not in part
    assert re.findall(r'<a href="([^"]*)"', part) == [
        "https://example.com/residency?a=1&amp;b=2",
        "https://example.com/&quot;onmouseover=&quot;alert(1)",
        "https://example.com/media",
    ]
