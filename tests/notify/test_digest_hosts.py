"""The mail digest names the hosts of every finding, and its subject's counts are the body's."""

from __future__ import annotations

import re

from tests.conftest import TODAY, make_installation
from vcaudit.audit import run_audit
from vcaudit.models import AuditReport, Feed, Installation, Risk
from vcaudit.notify.digest import MAX_HOSTS, build
from vcaudit.policy import Policy

CRITICAL = "5.16.9"  # MSB-001 in the test feed
LOW = "6.2.3"  # outdated only


def fleet(feed: Feed, rows: list[Installation]) -> AuditReport:
    return run_audit(rows, feed, Policy(), TODAY)


def critical_hosts(count: int) -> list[Installation]:
    return [
        make_installation("meetly", CRITICAL, host=f"pc-{n}", line=n + 1)
        for n in range(count, 0, -1)  # reversed: the digest orders them
    ]


def test_each_finding_names_its_hosts_in_natural_order(test_feed: Feed) -> None:
    report = fleet(test_feed, critical_hosts(MAX_HOSTS + 5))
    text = build(report, None).text
    named = ", ".join(f"pc-{n}" for n in range(1, MAX_HOSTS + 1))
    assert f"      hosts: {named} +5 more\n" in text


def test_a_small_group_names_every_host_and_no_count(test_feed: Feed) -> None:
    report = fleet(test_feed, critical_hosts(3))
    digest = build(report, None)
    assert "      hosts: pc-1, pc-2, pc-3\n" in digest.text
    assert "more" not in digest.text.split("hosts:")[1].splitlines()[0]
    whole = ", ".join(f'<span style="white-space:nowrap">pc-{n}</span>' for n in (1, 2, 3))
    assert f"{whole}</span>" in digest.html


def test_host_names_are_inert_in_the_html(test_feed: Feed) -> None:
    rows = [make_installation("meetly", CRITICAL, host="<img src=x onerror=alert(1)>")]
    html = build(fleet(test_feed, rows), None).html
    assert "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_the_subject_counts_are_those_the_body_lists_and_the_run_fails_on(
    test_feed: Feed,
) -> None:
    rows = [
        *critical_hosts(4),
        make_installation("meetly", LOW, host="pc-9", line=20),
        make_installation("FooChat", "1.0", host="pc-10", line=21),
    ]
    report = fleet(test_feed, rows)
    digest = build(report, None)
    # 4 critical fail the run at the default threshold (high); 1 low needs action too.
    assert report.summary.failing == 4
    assert digest.subject == (
        "[vcaudit] FAIL, 4 at or above high: 4 critical, 1 low; 5 of 6 need action; "
        "1 not identified"
    )
    findings = digest.text.split("Findings, worst first (5 installations need action):\n")[1]
    listed = findings.split("\n\n")[0]
    counts = [int(n) for n in re.findall(r", (\d+) hosts?", listed)]
    assert sum(counts) == 5  # the groups listed add up to the subject's count
    assert "FooChat" not in listed  # not identified: listed apart, not as a finding
    unjudged = digest.text.split("Not judged (1 installation")[1]
    assert "FooChat 1.0" in unjudged


def test_a_passing_run_with_nothing_to_do_says_so(test_feed: Feed) -> None:
    rows = [make_installation("meetly", "6.2.5", host="pc-1")]  # the latest
    report = fleet(test_feed, rows)
    assert report.summary.worst is Risk.NONE
    assert build(report, None).subject == "[vcaudit] PASS: nothing needs action (1 installation)"
