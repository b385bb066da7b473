"""The policy file's rules, applied without the CLI: ignores, approvals, owners, BYOD, lag, SLA."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import TODAY, make_installation
from vcaudit.audit import run_audit
from vcaudit.config import parse_policy
from vcaudit.errors import InputError
from vcaudit.models import (
    AuditReport,
    Feed,
    Finding,
    Installation,
    Ownership,
    Platform,
    Risk,
    Status,
)
from vcaudit.policy import Policy


def policy(text: str) -> Policy:
    return parse_policy(text, "vcaudit.yaml").policy


def audit(feed: Feed, rows: list[Installation], pol: Policy, today: dt.date = TODAY) -> AuditReport:
    return run_audit(rows, feed, pol, today)


def only(report: AuditReport) -> Finding:
    findings = list(report.findings)
    assert len(findings) == 1
    return findings[0]


def test_ignore_by_alias_keeps_the_advisory_visible(test_feed: Feed) -> None:
    pol = policy("ignore:\n  - {id: cve-2099-0001, reason: accepted by CISO}\n")
    finding = only(audit(test_feed, [make_installation("meetly", "5.16.9")], pol))
    a = finding.assessment
    assert a.hits == ()
    assert [i.hit.advisory.id for i in a.ignored] == ["MSB-001"]
    assert a.ignored[0].reason == "accepted by CISO"
    # With the only advisory ignored, the row falls through to its next verdict.
    assert (a.status, a.risk) == (Status.OUTDATED, Risk.LOW)


def test_ignored_counts_and_unused_and_expired_rules(test_feed: Feed) -> None:
    pol = policy(
        "ignore:\n"
        "  - {id: MSB-001, reason: r1}\n"
        "  - {id: MSB-404, reason: never matches}\n"
        "  - {id: MSB-002, reason: old, until: 2025-12-31}\n"
    )
    report = audit(
        test_feed,
        [make_installation("meetly", "5.16.9"), make_installation("meetly", "6.1.0", host="b")],
        pol,
    )
    assert report.summary.ignored == 1
    second = list(report.findings)[1].assessment
    assert [h.advisory.id for h in second.hits] == ["MSB-002"]  # the expired rule no longer hides
    assert any("MSB-404" in w and "matched nothing" in w for w in report.warnings)
    assert any("MSB-002" in w and "expired on 2025-12-31" in w for w in report.warnings)
    assert not any("MSB-001" in w for w in report.warnings)


@pytest.mark.parametrize(
    ("scope", "host", "tags", "version", "suppressed"),
    [
        ("hosts: ['vdi-*']", "vdi-7", (), "5.16.9", True),
        ("hosts: ['vdi-*']", "pc-7", (), "5.16.9", False),
        ("tags: [lab]", "pc-7", ("lab",), "5.16.9", True),
        ("tags: [lab]", "pc-7", ("prod",), "5.16.9", False),
        ("product: meetly, versions: '>=5.16.0, <5.16.10'", "pc", (), "5.16.9", True),
        ("product: meetly, versions: '>=5.16.0, <5.16.10'", "pc", (), "5.15.0", False),
        ("product: chatter", "pc", (), "5.16.9", False),
    ],
)
def test_ignore_scopes(
    test_feed: Feed, scope: str, host: str, tags: tuple[str, ...], version: str, suppressed: bool
) -> None:
    pol = policy(f"ignore:\n  - {{id: MSB-001, reason: r, {scope}}}\n")
    row = Installation(
        host=host,
        platform=Platform.WINDOWS,
        product="meetly",
        version=version,
        source=make_installation("x", "1").source,
        tags=tags,
    )
    finding = only(audit(test_feed, [row], pol))
    assert bool(finding.assessment.ignored) is suppressed


def test_approved_list(test_feed: Feed) -> None:
    pol = policy("approved: [meetly]\n")
    report = audit(
        test_feed,
        [make_installation("slackish", "4.51.180"), make_installation("meetly", "6.2.5", host="b")],
        pol,
    )
    first, second = list(report.findings)
    assert (first.assessment.status, first.assessment.risk) == (Status.UNAPPROVED, Risk.MEDIUM)
    assert first.assessment.reason == "not on the approved list"
    assert second.assessment.status is Status.CURRENT


def test_owners_row_then_tag_then_product(test_feed: Feed) -> None:
    pol = policy(
        "owners:\n  products: {meetly: team-a@example.com}\n  tags: {fin: fin@example.com}\n"
    )
    rows = [
        make_installation("meetly", "6.2.5"),
        Installation(
            "h2",
            Platform.WINDOWS,
            "meetly",
            "6.2.5",
            make_installation("x", "1").source,
            tags=("fin",),
        ),
        Installation(
            "h3",
            Platform.WINDOWS,
            "meetly",
            "6.2.5",
            make_installation("x", "1").source,
            owner="row-owner",
        ),
    ]
    owners = [f.owner for f in audit(test_feed, rows, pol).findings]
    assert owners == ["team-a@example.com", "fin@example.com", "row-owner"]


def test_personal_devices(test_feed: Feed) -> None:
    pol = policy(
        "devices:\n  personal:\n    raise_risk: true\n    not_allowed: [slackish]\n"
        "    outdated: {days: 10}\n"
    )
    personal = Ownership.PERSONAL
    rows = [
        make_installation("meetly", "6.1.0", ownership=personal),  # MSB-002 medium -> high
        make_installation("slackish", "4.51.180", host="b", ownership=personal),
        make_installation("slackish", "4.51.180", host="c"),  # company: allowed
        make_installation("meetly", "6.2.3", host="d", ownership=personal),  # 45 days > 10
    ]
    a, b, c, d = (f.assessment for f in audit(test_feed, rows, pol).findings)
    assert (a.status, a.risk) == (Status.VULNERABLE, Risk.HIGH)
    assert (b.status, b.risk) == (Status.UNAPPROVED, Risk.HIGH)  # medium, raised
    assert b.reason == "not allowed on personal devices"
    assert c.status is Status.CURRENT
    assert (d.status, d.risk) == (Status.OUTDATED, Risk.HIGH)  # medium past lag, raised


def test_lag_in_releases_uses_the_release_table(test_feed: Feed) -> None:
    # meetly's table: 5.16.10, 6.2.3, 6.2.5. 5.16.10 on Windows is two releases behind 6.2.5.
    strict = policy("outdated:\n  products:\n    meetly: {releases: 1}\n")
    easy = policy("outdated:\n  products:\n    meetly: {releases: 2}\n")
    row = [make_installation("meetly", "5.16.10")]
    assert only(audit(test_feed, row, strict)).assessment.risk is Risk.MEDIUM
    assert only(audit(test_feed, row, easy)).assessment.risk is Risk.LOW


def test_sla_due_dates(test_feed: Feed) -> None:
    pol = policy("sla: {critical: 7, high: 30, low: 365}\n")
    rows = [
        make_installation("meetly", "5.16.9"),  # MSB-001 critical, published 2025-02-01
        make_installation("chatter", "8.150.0.1", host="b"),  # eol 2025-05-05, high
        make_installation("meetly", "6.2.3", host="c"),  # outdated low, latest of 2025-12-01
    ]
    a, b, c = (f.assessment for f in audit(test_feed, rows, pol).findings)
    assert a.due == dt.date(2025, 2, 8)
    assert a.overdue
    assert b.due == dt.date(2025, 6, 4)
    assert c.due == dt.date(2026, 12, 1)
    assert not c.overdue


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("fail_on: severe\n", "vcaudit.yaml, line 1: fail_on: expected none, low"),
        ("fial_on: high\n", "vcaudit.yaml, line 1: fial_on: unknown key"),
        ("ignore:\n  - {id: X}\n", "line 2: ignore[0].reason: every ignore rule needs a reason"),
        ("ignore:\n  - {id: X, reason: r, until: someday}\n", "ignore[0].until: expected a date"),
        ("ignore:\n  - {id: X, reason: r, versions: '<1'}\n", "needs the product"),
        ("ignore:\n  - {id: X, reason: r, product: p, versions: 'soon'}\n", "expected comparisons"),
        ("sla: {urgent: 3}\n", "sla.urgent: unknown key"),
        ("outdated:\n  default: {}\n", "give days, releases or both"),
        ("devices:\n  byod: {}\n", "devices.byod: unknown key"),
        ("approved: zoom\nfail_on: high\nfail_on: low\n", "duplicate key 'fail_on'"),
        ("owners:\n  products: {zoom: [a, b]}\n", "owners.products.zoom: expected the owner"),
    ],
)
def test_bad_policy_files(text: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_policy(text, "vcaudit.yaml")
    assert message in str(caught.value)


def test_example_policy_parses() -> None:
    from vcaudit.config import EXAMPLE

    loaded = parse_policy(EXAMPLE, "example")
    assert loaded.policy.fail_on is Risk.HIGH
    assert len(loaded.policy.ignores) == 1
    assert loaded.policy.personal is not None
    assert dict(loaded.policy.sla)[Risk.CRITICAL] == 7
