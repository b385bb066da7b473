"""The mail digest as people read it: changes since the last run name products by their names
(the state remembers feed ids), and in the HTML part advisory ids are linked to their first
reference and no id or host breaks across lines; the plain text part names whole ids only,
then how many more."""

from __future__ import annotations

from tests.conftest import TODAY, make_installation
from vcaudit.audit import run_audit
from vcaudit.models import AuditReport, Feed, Installation, Risk
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
