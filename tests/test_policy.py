"""Risk and exit decisions, without the CLI."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import TODAY, make_installation
from vcaudit.audit import Auditor, run_audit
from vcaudit.models import ExitCode, Feed, Platform, Risk, Status
from vcaudit.policy import LagRule, Policy, decide_exit


def verdict(
    feed: Feed,
    product: str,
    version: str,
    platform: Platform = Platform.WINDOWS,
    policy: Policy | None = None,
    today: dt.date = TODAY,
) -> tuple[Status, Risk]:
    auditor = Auditor(feed, policy or Policy(), today)
    a = auditor.assess(make_installation(product, version, platform))
    return a.status, a.risk


@pytest.mark.parametrize(
    ("product", "version", "platform", "status", "risk"),
    [
        ("meetly", "5.16.9", Platform.WINDOWS, Status.VULNERABLE, Risk.CRITICAL),
        ("meetly", "6.1.0", Platform.WINDOWS, Status.VULNERABLE, Risk.MEDIUM),
        # MSB-004 is medium but known exploited: critical.
        ("meetly", "6.1.5", Platform.MACOS, Status.VULNERABLE, Risk.CRITICAL),
        ("meetly", "6.2.3", Platform.WINDOWS, Status.OUTDATED, Risk.LOW),
        ("meetly", "6.2.5", Platform.WINDOWS, Status.CURRENT, Risk.NONE),
        # below its line's first listed build: nothing places it (tests/feed/test_zoom_builds.py)
        ("meetly", "6.2.47000", Platform.WINDOWS, Status.UNKNOWN, Risk.NONE),
        ("meetly", "banana", Platform.WINDOWS, Status.UNKNOWN, Risk.NONE),
        ("chatter", "8.150.0.1", Platform.WINDOWS, Status.EOL, Risk.HIGH),
        ("chatter", "not a version", Platform.WINDOWS, Status.EOL, Risk.HIGH),
        ("nonesuch", "1.0", Platform.WINDOWS, Status.UNKNOWN, Risk.NONE),
        ("slackish", "4.41.97", Platform.LINUX, Status.VULNERABLE, Risk.HIGH),
        ("slackish", "4.41.98.0", Platform.WINDOWS, Status.OUTDATED, Risk.LOW),
    ],
)
def test_status_and_risk(
    test_feed: Feed, product: str, version: str, platform: Platform, status: Status, risk: Risk
) -> None:
    assert verdict(test_feed, product, version, platform) == (status, risk)


def test_below_enforced_minimum_is_unsupported_high(test_feed: Feed) -> None:
    # 5.9.0 is below the 5.10.0 minimum and affected by MSB-001: the advisory decides.
    assert verdict(test_feed, "meetly", "5.9.0") == (Status.VULNERABLE, Risk.CRITICAL)
    # The clean backport 5.14.14 falls below the Windows minimum 5.15.0 once it is in force.
    assert verdict(test_feed, "meetly", "5.14.14") == (Status.OUTDATED, Risk.LOW)
    later = dt.date(2027, 2, 1)
    assert verdict(test_feed, "meetly", "5.14.14", today=later) == (Status.UNSUPPORTED, Risk.HIGH)


def test_eol_only_from_its_date(test_feed: Feed) -> None:
    before = dt.date(2025, 5, 4)
    assert verdict(test_feed, "chatter", "8.150.0.1", today=before) == (Status.CURRENT, Risk.NONE)


def test_outdated_past_allowed_lag_is_medium(test_feed: Feed) -> None:
    strict_lag = Policy(
        lag_default=LagRule(days=30)
    )  # latest 6.2.5 is from 2025-12-01, 45 days old
    assert verdict(test_feed, "meetly", "6.2.3", policy=strict_lag) == (
        Status.OUTDATED,
        Risk.MEDIUM,
    )
    easy_lag = Policy(lag_default=LagRule(days=60))
    assert verdict(test_feed, "meetly", "6.2.3", policy=easy_lag) == (Status.OUTDATED, Risk.LOW)


def _exit(feed: Feed, rows: list[tuple[str, str]], policy: Policy) -> ExitCode:
    report = run_audit((make_installation(p, v) for p, v in rows), feed, policy, TODAY)
    return decide_exit(report)


@pytest.mark.parametrize(
    ("fail_on", "expected"),
    [
        (Risk.CRITICAL, ExitCode.OK),
        (Risk.HIGH, ExitCode.FINDINGS),
        (Risk.LOW, ExitCode.FINDINGS),
        (Risk.NONE, ExitCode.OK),  # 'none' never fails
    ],
)
def test_exit_follows_fail_on(test_feed: Feed, fail_on: Risk, expected: ExitCode) -> None:
    rows = [("chatter", "8.150.0.1"), ("meetly", "6.2.5")]  # one high (eol), one current
    assert _exit(test_feed, rows, Policy(fail_on=fail_on)) is expected


def test_strict_fails_on_unknown_only(test_feed: Feed) -> None:
    rows = [("nonesuch", "1.0"), ("meetly", "6.2.5")]
    assert _exit(test_feed, rows, Policy()) is ExitCode.OK
    assert _exit(test_feed, rows, Policy(strict=True)) is ExitCode.FINDINGS
    assert _exit(test_feed, [("meetly", "6.2.5")], Policy(strict=True)) is ExitCode.OK


def test_report_summary_counts(test_feed: Feed) -> None:
    rows = [("meetly", "5.16.9"), ("meetly", "5.16.9"), ("nonesuch", "1")]
    report = run_audit(
        (make_installation(p, v, host=f"h{i % 2}") for i, (p, v) in enumerate(rows)),
        test_feed,
        Policy(),
        TODAY,
    )
    summary = report.summary
    assert summary.installations == 3
    assert summary.hosts == 2
    assert dict(summary.by_status)[Status.VULNERABLE] == 2
    assert dict(summary.by_status)[Status.UNKNOWN] == 1
    assert summary.worst is Risk.CRITICAL


def test_versions_newer_than_the_feed_warn_that_it_may_be_stale(test_feed: Feed) -> None:
    report = run_audit(
        [
            make_installation("meetly", "6.3.0", Platform.LINUX),
            make_installation("meetly", "6.2.5"),
        ],
        test_feed,
        Policy(),
        TODAY,
    )
    assert report.warnings == (
        "Meetly Workplace 6.3.0 (linux) is newer than the feed's latest release: the feed may "
        "be stale (vcaudit feed update)",
    )


def test_an_end_of_life_product_past_its_last_release_is_no_sign_of_a_stale_feed(
    test_feed: Feed,
) -> None:
    """Chatter's last release is final: a higher number (another numbering, as the Microsoft
    Store's Skype 15.x beside the desktop app's 8.x) is end of life, not a stale feed."""
    report = run_audit(
        [make_installation("chatter", "15.100.3.0", publisher="Example Chat Inc.")],
        test_feed,
        Policy(),
        TODAY,
    )
    assert [g.assessment.status for g in report.groups] == [Status.EOL]
    assert not any("stale" in w for w in report.warnings)
