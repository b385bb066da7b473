"""The HTML report's cells keep every identifier whole: an advisory id, a host and an owner's
address never break inside (each is one unbreakable element), a long version may wrap only
after one of its dots, the advisories to review are linked like the others and named worst
first, and a fleet past the page's limit shows its worst installations, not its first.
How the page then lays out in a browser window is tests/browser/test_html_widths.py."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from tests.output import html_cases
from tests.output.html_cases import TEAMSY_LATEST, WIN, advisory, product
from vcaudit.audit import run_audit
from vcaudit.models import Advisory, Feed, FeedInfo, Installation, Platform, Risk
from vcaudit.output import OutputFormat, RenderOptions, formatter_for
from vcaudit.output import html as html_out
from vcaudit.policy import Policy


def render(rows: list[Installation], feed: Feed = html_cases.FEED) -> str:
    report = run_audit(rows, feed, Policy(), html_cases.TODAY, tool_version="test")
    return formatter_for(OutputFormat.HTML)(report, RenderOptions())


def table(text: str, ident: str) -> list[str]:
    """The rows of one table's body, as HTML."""
    body = text.split(f'<table class="sortable" id="{ident}">')[1].split("</tbody>")[0]
    return body.split("<tr>")[2:]


def cells(row: str) -> list[str]:
    return re.findall(r"<td[^>]*>(.*?)</td>", row)


def text_of(html: str) -> str:
    return re.sub(r"<[^>]*>", "", html)


def test_a_long_version_wraps_only_after_its_dots() -> None:
    text = render(html_cases.rows())
    row = next(r for r in table(text, "findings") if "24100." in r)
    version = cells(row)[3]
    # Every piece is code (unbreakable); the only break opportunities follow a dot.
    assert version == (
        "<code>24100.</code><wbr><code>1.</code><wbr><code>2.</code><wbr><code>3</code>"
    )
    assert text_of(version) == "24100.1.2.3"
    # A short version stays one piece; a version with no dot too, however long.
    short = next(r for r in table(text, "findings") if "5.9.3" in r)
    assert cells(short)[3] == "<code>5.9.3</code>"
    assert html_out._version("build-2024-preview-edition") == (
        "<code>build-2024-preview-edition</code>"
    )
    # The upgrade advice lays its version out the same way, then its words.
    teamsy = next(r for r in table(text, "findings") if "24100." in r)
    assert text_of(cells(teamsy)[6]) == f"{TEAMSY_LATEST} (latest)"
    assert cells(teamsy)[6].startswith("<code>24243.</code><wbr><code>1309.</code><wbr>")


def test_an_escaped_version_never_breaks_inside_an_entity() -> None:
    hostile = '1.2.3.4<b>&"x'
    pieces = html_out._version(hostile)
    assert pieces == (
        "<code>1.</code><wbr><code>2.</code><wbr><code>3.</code><wbr>"
        "<code>4&lt;b&gt;&amp;&quot;x</code>"
    )


def test_an_owner_address_wraps_only_before_its_at_sign() -> None:
    rows = [
        replace(r, owner="it-collab@example.com") if r.host == "lab-10" else r
        for r in html_cases.rows()
    ]
    rows.append(replace(rows[0], host="x-1", owner="Team Collab-Tools", source=rows[0].source))
    text = render(rows)
    finding = next(r for r in table(text, "findings") if "<span>lab-10</span>" in r)
    assert cells(finding)[7] == (
        '<span class="owner"><span>it-collab</span><wbr><span>@example.com</span></span>'
    )
    installation = next(r for r in table(text, "installations") if "lab-10" in r)
    assert '<span class="owner"><span>it-collab</span><wbr><span>@example.com</span>' in (
        installation
    )
    # A team's name wraps between its words, never at its hyphen.
    assert '<span class="owner"><span>Team</span> <span>Collab-Tools</span></span>' in text
    # Each of those pieces, every advisory id and every host is kept whole by the style.
    assert ".names span,code,a,.id,.owner span{white-space:nowrap}" in html_out._STYLE


def review_feed() -> Feed:
    """Demo Meet with advisories of every severity in id order (low first), and three to
    review, the critical one last in the feed."""

    def scored(id_: str, severity: Risk, *, ranged: bool = True) -> Advisory:
        base = advisory(id_)
        if ranged:
            return replace(base, severity=severity)
        return replace(
            base, severity=severity, affected=(), range_known=False, platforms=frozenset(Platform)
        )

    advisories = [
        scored("cisco-sa-a-low", Risk.LOW),
        scored("cisco-sa-b-medium", Risk.MEDIUM),
        scored("cisco-sa-c-critical", Risk.CRITICAL),
        scored("cisco-sa-r1-low", Risk.LOW, ranged=False),
        scored("cisco-sa-r2-medium", Risk.MEDIUM, ranged=False),
        scored("cisco-sa-r3-critical", Risk.CRITICAL, ranged=False),
    ]
    return Feed(
        FeedInfo(1, None, "tests", "synthetic"),
        (product("demo", "Demo Meet", "5.17.11.34827", *advisories),),
    )


def test_advisories_to_review_are_linked_and_named_worst_first() -> None:
    row = Installation(
        host="pc-1",
        platform=WIN,
        product="demo",
        version="5.9.3",
        source=html_cases.row("demo", "5.9.3", "pc-1", 2).source,
    )
    text = render([row], review_feed())
    (finding,) = table(text, "findings")
    why = cells(finding)[-1]
    link = '<a href="https://example.com/advisories/{0}" rel="noreferrer">{0}</a>'
    applies = ", ".join(
        link.format(i) for i in ("cisco-sa-c-critical", "cisco-sa-b-medium", "cisco-sa-a-low")
    )
    review = ", ".join(
        link.format(i) for i in ("cisco-sa-r3-critical", "cisco-sa-r2-medium", "cisco-sa-r1-low")
    )
    assert why == f"{applies}; review: {review}"
    # The list of advisories to review links each id too, then says the rest in words.
    items = text.split("<h2>To review</h2>")[1].split("</ul>")[0]
    assert re.findall(r"<li>(.*?) \(", items) == [
        link.format(i) for i in ("cisco-sa-r3-critical", "cisco-sa-r2-medium", "cisco-sa-r1-low")
    ]


def test_an_id_without_a_web_reference_is_still_kept_whole() -> None:
    text = render(html_cases.rows())
    assert '<span class="id">A-2</span>' in text  # ftp only: no link
    assert ">A-2</a>" not in text


def test_a_fleet_past_the_limit_shows_its_worst_installations(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(html_out, "MAX_ROWS", 14)
    text = render(html_cases.rows())  # 18 rows: 14 high, 1 low, 3 none, mixed in input order
    assert "The worst 14 of 18 installations, worst first" in text
    rows = table(text, "installations")
    assert len(rows) == 14
    assert {text_of(cells(r)[5]) for r in rows} == {"high"}
    # Worst first, then by status and host, as --details lists them.
    hosts = [text_of(cells(r)[0]) for r in rows]
    assert hosts == ["lab-10", "lab-9", *sorted(f"pc-{n}" for n in range(1, 13))]


def test_a_fleet_within_the_limit_keeps_its_input_order() -> None:
    text = render(html_cases.rows())
    assert "The worst" not in text
    hosts = [text_of(cells(r)[0]) for r in table(text, "installations")]
    assert hosts == [r.host for r in html_cases.rows()]


def test_long_host_names_that_differ_only_at_their_end_stay_apart() -> None:
    # VDI pools: alike for 70 characters, different in their last digits. A name is shown
    # whole up to 120 characters, as every report names hosts.
    pool = "vdi-pool-finance-emea-frankfurt-primary-desktops-windows11-enterprise-"
    rows = [html_cases.row("demo", "5.9.3", f"{pool}{n:04}", 40 + n) for n in (1, 2)]
    text = render(rows)
    (finding,) = table(text, "findings")
    assert re.findall(r"<span>(vdi-[^<]*)</span>", finding) == [f"{pool}0001", f"{pool}0002"]
    very = "h" * 150
    (finding,) = table(render([html_cases.row("demo", "5.9.3", very, 2)]), "findings")
    (shown,) = re.findall(r"<span>(h[^<]*)</span>", finding)
    assert len(shown) == 120
    assert "…" in shown
