"""Markdown that no renderer turns into links: inventory and feed text rendered by GitHub's
own renderer (cmark-gfm, through cmarkgfm, with its autolink extension on) yields no `<a>`,
and leaves no live @mention or #123 reference for GitHub's or GitLab's later passes. The
report's own links (a SARIF rule's sources) stay links."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from html.parser import HTMLParser

import cmarkgfm  # type: ignore[import-untyped]  # ships no type hints
import pytest
from cmarkgfm.cmark import Options  # type: ignore[import-untyped]

from tests.conftest import TODAY, make_installation
from tests.output.test_formats import CASES, build
from vcaudit.advice import reference_url
from vcaudit.audit import run_audit
from vcaudit.models import Feed, Installation, Source
from vcaudit.output import OutputFormat, RenderOptions, formatter_for
from vcaudit.policy import Policy
from vcaudit.sanitize import markdown_safe

LINKY = [
    "https://evil.example/x",
    "HTTP://EVIL.EXAMPLE",
    "ftp://evil.example/f",
    "see http://evil.example.",
    "www.evil.example",
    "WWW.Evil.Example/path",
    "(www.evil.example)",
    "<http://evil.example>",
    "<mailto:me@evil.example>",
    "me@evil.example",
    "mailto:me@evil.example",
    "xmpp:me@evil.example/x",
    "@octocat",
    "cc @org/team",
    "#123",
    "fixes !45",
    "[x](http://evil.example)",
    "![i](http://evil.example/i.png)",
    '<a href="http://evil.example">y</a>',
    "&#64;octocat &#x40;octocat",
    "[x]: http://evil.example",
    "*www.evil.example*",
    "_http://evil.example_",
    "~www.evil.example~",
    '~security ~"needs triage"',
    '%12.4 %"Release 2"',
    "&12 $34",
]
# A mention or reference GitHub or GitLab would link after rendering, at a word start: an
# ASCII @ followed by a name, # ! & or $ followed by a number (issue, merge request, epic,
# snippet), ~ or % followed by a name or a quote (GitLab label, milestone).
LIVE_REFERENCE = re.compile(r"(?<![\w])(@[A-Za-z0-9]|[#!&$]\d|[~%][\w\"])")


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.images: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.links.append(dict(attrs).get("href") or "")
        if tag == "img":
            self.images.append(dict(attrs).get("src") or "")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def rendered(markdown: str) -> _Links:
    """The HTML GitHub makes of `markdown` (cmark-gfm, its extensions: autolink, table,
    strikethrough, tagfilter; raw HTML let through, so an escape that failed would show)."""
    html = cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)
    parser = _Links()
    parser.feed(html)
    parser.close()
    return parser


def test_the_renderer_does_link_these_unescaped() -> None:
    """The check has teeth: raw, most of them become links."""
    found = rendered("\n\n".join(LINKY))
    assert len(found.links) >= 15
    assert found.images


@pytest.mark.parametrize("text", LINKY)
def test_no_value_becomes_a_link(text: str) -> None:
    for markdown in (markdown_safe(text), f"| a | {markdown_safe(text)} |\n| --- | --- |\n"):
        found = rendered(markdown)
        assert found.links == [], (text, markdown)
        assert found.images == [], (text, markdown)
        assert not LIVE_REFERENCE.search("".join(found.text)), (text, found.text)


def _hostile_rows() -> list[Installation]:
    rows = []
    for i, text in enumerate(LINKY):
        base = make_installation("meetly", "5.16.9", host=text, line=2 + 2 * i)
        rows.append(replace(base, owner=text, source=Source(text, 2 + 2 * i)))
        rows.append(make_installation(text, text, host=f"pc-{i}", line=3 + 2 * i))
    return rows


def _own_links(feed: Feed) -> set[str]:
    """The links the report makes itself: each advisory's first reference."""
    return {reference_url(a) for p in feed.products for a in p.advisories} - {""}


def test_the_markdown_report_links_nothing_from_its_input(test_feed: Feed) -> None:
    report = run_audit(_hostile_rows(), test_feed, Policy(), TODAY)
    markdown = formatter_for(OutputFormat.MARKDOWN)(report, RenderOptions())
    assert "evil" in markdown  # the values are there, as text
    found = rendered(markdown)
    assert found.links  # the advisories' own references stay links
    assert set(found.links) <= _own_links(test_feed), found.links
    assert found.images == []
    text = "".join(found.text)
    assert not LIVE_REFERENCE.search(text), LIVE_REFERENCE.findall(text)
    assert "octocat" in text


@pytest.mark.parametrize("case", list(CASES))
def test_no_golden_case_renders_a_link(test_feed: Feed, case: str) -> None:
    markdown = formatter_for(OutputFormat.MARKDOWN)(build(test_feed, case), RenderOptions())
    found = rendered(markdown)
    assert set(found.links) <= _own_links(test_feed), found.links
    assert not LIVE_REFERENCE.search("".join(found.text))


def test_sarif_help_links_the_sources_and_nothing_else(test_feed: Feed) -> None:
    """A title is feed text: it is shown, never linked; the advisory's references are the
    help's links."""
    meetly = next(p for p in test_feed.products if p.id == "meetly")
    title = " ".join(LINKY)
    advisories = tuple(
        replace(a, title=title) if a.id == "MSB-001" else a for a in meetly.advisories
    )
    products = tuple(
        replace(p, advisories=advisories) if p is meetly else p for p in test_feed.products
    )
    feed = replace(test_feed, products=products)
    report = run_audit(_hostile_rows(), feed, Policy(), TODAY)
    doc = json.loads(formatter_for(OutputFormat.SARIF)(report, RenderOptions()))
    (rule,) = [r for r in doc["runs"][0]["tool"]["driver"]["rules"] if r["id"] == "MSB-001"]
    found = rendered(rule["help"]["markdown"])
    assert found.links == ["https://example.com/MSB-001"]
    assert "evil.example" in "".join(found.text)
    assert not LIVE_REFERENCE.search("".join(found.text))
