"""The mail digest as people read it: changes since the last run name products by their names
(the state remembers feed ids), and in the HTML part advisory ids are linked to their first
reference and no id or host breaks across lines; the plain text part names whole ids only,
then how many more."""

from __future__ import annotations

from dataclasses import replace

from tests.conftest import TODAY, make_installation
from tests.output.html_cases import advisory, product
from vcaudit.audit import run_audit
from vcaudit.models import AuditReport, Feed, FeedInfo, Installation, Platform, Risk
from vcaudit.notify.changes import Changes, Entry
from vcaudit.notify.digest import build
from vcaudit.policy import Policy


def fleet(feed: Feed, rows: list[Installation]) -> AuditReport:
    return run_audit(rows, feed, Policy(), TODAY)


def entry(host: str, product: str, risk: Risk = Risk.CRITICAL) -> Entry:
    return Entry(
        key=f"{host}\x1f{product}\x1fwindows",
        host=host,
        product=product,
        platform="windows",
        version="5.16.9",
        risk=risk,
        status="vulnerable",
        advisories=("MSB-001",),
    )


def test_changes_name_products_even_those_that_left_the_fleet(test_feed: Feed) -> None:
    # Meetly left the fleet (resolved); Chatter is new. Neither line shows a feed id.
    report = fleet(test_feed, [make_installation("chatter", "8.150.0.1", host="pc-2")])
    changes = Changes(
        new=(entry("pc-2", "chatter", Risk.HIGH),),
        resolved=(entry("pc-1", "meetly"),),
        rose=(),
        still_open=(),
        previous_run="2026-01-01T00:00:00+00:00",
    )
    digest = build(report, changes)
    new = digest.text.split("New:\n")[1].splitlines()[0]
    resolved = digest.text.split("Resolved:\n")[1].splitlines()[0]
    assert new.startswith("  - high     Chatter 5.16.9 on pc-2 (windows), vulnerable")
    assert resolved.startswith("  - critical Meetly Workplace 5.16.9 on pc-1 (windows)")
    assert "<li>critical Meetly Workplace 5.16.9 on pc-1 (windows), vulnerable" in digest.html
    assert " meetly " not in digest.text + digest.html


def test_a_product_the_feed_does_not_know_keeps_its_inventory_name(test_feed: Feed) -> None:
    report = fleet(test_feed, [])
    changes = Changes((entry("pc-3", "FooChat"),), (), (), (), "")
    assert "critical FooChat 5.16.9 on pc-3" in build(report, changes).text


LONG = [f"cisco-sa-webex-app-client-rce-{n:02}-ufyMMYLC" for n in range(6)]
"""Six advisories with ids of 41 characters, as long as Cisco's (feed order: worst last)."""
REVIEW = [f"cisco-sa-20200108-webex-centers-dos-{n}" for n in range(3)]


def long_id_feed() -> Feed:
    applies = [
        replace(advisory(ident), severity=Risk.LOW if n < 5 else Risk.CRITICAL)
        for n, ident in enumerate(LONG)
    ]
    unranged = [
        replace(advisory(i), affected=(), range_known=False, platforms=frozenset(Platform))
        for i in REVIEW
    ]
    return Feed(
        FeedInfo(1, None, "tests", "synthetic"),
        (product("demo", "Demo Meet", "5.17.11.34827", *applies, *unranged),),
    )


def long_id_report(owner: str = "it-collab@example.com") -> AuditReport:
    rows = [
        replace(
            make_installation("demo", "5.9.3", host=f"LAPTOP-{n}F3K2J9Q.corp.example.com"),
            owner=owner,
        )
        for n in range(3)
    ]
    return run_audit(rows, long_id_feed(), Policy(), TODAY)


def test_the_text_part_names_whole_ids_then_how_many_more(test_feed: Feed) -> None:
    text = build(long_id_report(), None).text
    detail = text.split("hosts: LAPTOP-0F3K2J9Q")[0].rstrip().splitlines()[-1].strip()
    applies, review = detail.split("; review: ")
    assert applies.endswith(" +3 more")
    named = applies.removesuffix(" +3 more").split("; ")[-1].split(", ")
    # Worst first (the critical one is last in the feed), every id whole.
    assert named == [LONG[5], LONG[0], LONG[1]]
    assert review.endswith(" +2 more")
    assert review.removesuffix(" +2 more") == REVIEW[0]  # whole, never `cisco-sa-…`
    assert "…" not in detail


def test_the_html_part_links_ids_and_keeps_ids_hosts_and_addresses_whole() -> None:
    html = build(long_id_report(), None).html
    whole = 'style="white-space:nowrap"'
    link = '<a href="https://example.com/advisories/{0}" rel="noreferrer" ' + whole + ">{0}</a>"
    row = html.split("<table")[1].split("</table>")[0]
    assert (
        ", ".join(link.format(i) for i in (LONG[5], *LONG[:3]))
        + " +2 more; review: "
        + ", ".join(link.format(i) for i in REVIEW)
    ) in row
    hosts = ", ".join(f"<span {whole}>LAPTOP-{n}F3K2J9Q.corp.example.com</span>" for n in range(3))
    assert hosts in row
    assert f"<span {whole}>it-collab</span><wbr><span {whole}>@example.com</span>" in row
    # The list of advisories to review links each id too.
    items = html.split("<b>To review:")[1].split("</ul>")[0]
    assert [f"<li>{link.format(i)} (high)" in items for i in REVIEW] == [True] * 3


def test_a_long_version_in_the_mail_wraps_only_after_its_dots(test_feed: Feed) -> None:
    rows = [make_installation("meetly", "5.16.9", host="pc-1")]
    rows.append(make_installation("meetly", "5.16.9.31580", host="pc-2", line=3))
    html = build(fleet(test_feed, rows), None).html
    whole = '<span style="white-space:nowrap">{}</span>'
    assert whole.format("5.16.9") in html
    pieces = ("5.", "16.", "9.", "31580")
    assert "<wbr>".join(whole.format(p) for p in pieces) in html


def test_hostile_ids_and_references_stay_inert_in_the_html_part() -> None:
    hostile = replace(
        advisory("<b>X-1</b>", 'https://example.com/"><script>alert(1)</script>'),
        severity=Risk.HIGH,
    )
    feed = Feed(FeedInfo(1, None, "t", "t"), (product("demo", "Demo", "6.0", hostile),))
    report = run_audit([make_installation("demo", "5.9.3")], feed, Policy(), TODAY)
    html = build(report, None).html
    assert "<script>" not in html
    assert "<b>X-1" not in html
    assert '<span style="white-space:nowrap">&lt;b&gt;X-1&lt;/b&gt;</span>' in html  # no link
