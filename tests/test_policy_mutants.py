"""vcaudit.policy, verdict by verdict, on products built for each case: the reason each
status gives (in its words), how risk is raised and by what, which ignore rules and
personal-device rules apply, due dates and the day they fall on, and when only an advisory to
review fails a run."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from tests.conftest import TODAY
from vcaudit import versioning
from vcaudit.matching import Matcher
from vcaudit.models import (
    Advisory,
    AffectedRange,
    Assessment,
    Feed,
    LatestRelease,
    Lifecycle,
    MinimumVersion,
    Platform,
    Product,
    Release,
    Risk,
    Status,
)
from vcaudit.policy import (
    DeviceRules,
    IgnoreRule,
    LagRule,
    Policy,
    RowContext,
    VersionSpec,
    assess,
    fails_for_review_only,
    not_identified,
    rule_warnings,
    unknown_product,
)

WIN, MAC = Platform.WINDOWS, Platform.MACOS
ALL = frozenset(Platform)


def advisory(
    id: str,
    *ranges: AffectedRange,
    severity: Risk = Risk.HIGH,
    published: dt.date | None = dt.date(2025, 1, 1),
    known: bool = True,
) -> Advisory:
    return Advisory(
        id=id,
        aliases=(),
        title=id,
        published=published,
        severity=severity,
        cvss=None,
        kev=False,
        server_side=False,
        affected=ranges,
        references=("https://example.com/" + id,),
        range_known=known,
        platforms=ALL,
    )


def affected(introduced: str = "0", fixed: str = "", last_affected: str = "") -> AffectedRange:
    return AffectedRange(ALL, introduced, fixed, last_affected)


def product(
    feed: Feed,
    *advisories: Advisory,
    latest: tuple[tuple[Platform, LatestRelease], ...] | None = None,
    lifecycle: Lifecycle | None = None,
    releases: tuple[Release, ...] = (),
    minimum_versions: tuple[MinimumVersion, ...] = (),
) -> Product:
    """A dotted product, latest 6.2.5 (2025-12-01) everywhere unless given, with these
    advisories."""
    base = feed.product("slackish")
    assert base is not None
    everywhere = tuple(
        (p, LatestRelease("6.2.5", dt.date(2025, 12, 1), "https://example.com/rn"))
        for p in Platform
    )
    return replace(
        base,
        id="widget",
        name="Widget",
        advisories=advisories,
        latest=everywhere if latest is None else latest,
        lifecycle=lifecycle or base.lifecycle,
        releases=releases,
        minimum_versions=minimum_versions,
    )


def verdict(
    item: Product,
    version: str,
    policy: Policy | None = None,
    *,
    today: dt.date = TODAY,
    platform: Platform = WIN,
    context: RowContext | None = None,
) -> Assessment:
    match = Matcher(today).match(item, platform, version)
    return assess(match, policy or Policy(), today, context or RowContext())


# Reasons -----------------------------------------------------------------------------------


def test_the_reason_of_each_vulnerable_verdict(test_feed: Feed) -> None:
    one = product(test_feed, advisory("W-1", affected("0", "6.0")))
    assert verdict(one, "5.0").reason == "1 advisory applies; fixed in 6.0"
    two = product(test_feed, advisory("W-1", affected("0", "6.0")), advisory("W-2", affected("0")))
    found = verdict(two, "5.0")
    assert found.reason == "2 advisories apply; no fixed version is known"
    assert (found.status, found.fixed_in, found.upgrade_to) == (Status.VULNERABLE, "", "")


def test_the_reason_of_a_version_that_cannot_be_placed(test_feed: Feed) -> None:
    item = product(test_feed)
    found = verdict(item, "  banana ")
    assert (found.status, found.risk) == (Status.UNKNOWN, Risk.NONE)
    assert found.reason == "version 'banana' is not a Widget version vcaudit can place"
    assert verdict(item, "  ").reason == "the inventory reports no version"
    unapproved = verdict(item, "", Policy(approved=frozenset({"other"})))
    assert (unapproved.status, unapproved.risk, unapproved.reason) == (
        Status.UNAPPROVED,
        Risk.MEDIUM,
        "not on the approved list; the inventory reports no version",
    )


def test_a_coarse_version_names_at_most_three_advisories(test_feed: Feed) -> None:
    meetly = test_feed.product("meetly")
    assert meetly is not None
    ranges = [advisory(f"W-{i}", affected("6.2.3", "7.0")) for i in range(1, 5)]
    item = replace(meetly, advisories=tuple(ranges))
    found = verdict(item, "6.2.47000")  # 6.2.x: below 6.2.3 or not
    assert (found.status, found.risk) == (Status.UNKNOWN, Risk.NONE)
    assert found.reason == "version '6.2.47000' is too coarse to tell whether W-1, W-2, W-3 applies"


def test_the_reason_without_a_latest_release(test_feed: Feed) -> None:
    found = verdict(product(test_feed, latest=()), "5.0")
    assert (found.status, found.reason) == (
        Status.UNKNOWN,
        "no advisory applies, but the feed has no latest release for this platform to tell "
        "whether it is current",
    )


def test_a_current_client_has_no_reason(test_feed: Feed) -> None:
    found = verdict(product(test_feed), "6.2.5")
    assert (found.status, found.risk, found.reason) == (Status.CURRENT, Risk.NONE, "")
    assert (found.fixed_in, found.minimum, found.latest_clean) == ("", "", True)


def test_where_a_build_was_placed_is_part_of_the_reason(test_feed: Feed) -> None:
    meetly = test_feed.product("meetly")
    assert meetly is not None
    builds = (
        Release("6.2.3", ((WIN, "47507"),), None, ("x",)),
        Release("6.2.5", ((WIN, "48000"), (WIN, "48100")), None, ("x",)),
    )
    item = replace(meetly, releases=builds)
    between = verdict(item, "6.2.47800")
    assert between.status is Status.UNKNOWN
    assert between.reason == (
        "no advisory applies, but it cannot be told whether it is behind the latest release "
        "6.2.5; placed between 6.2.3 and 6.2.5 by build number"
    )
    within = verdict(item, "6.2.48050")
    assert (within.status, within.reason) == (
        Status.CURRENT,
        "placed at 6.2.5 by build number (between two of its builds)",
    )


def test_end_of_life_from_its_day_with_its_successor(test_feed: Feed) -> None:
    life = Lifecycle(eol=True, eol_date=TODAY, successor="Meetly")
    item = product(test_feed, lifecycle=life)
    found = verdict(item, "6.2.5")
    assert (found.status, found.risk, found.reason) == (
        Status.EOL,
        Risk.HIGH,
        f"end of life since {TODAY.isoformat()}; replace with Meetly",
    )
    assert verdict(item, "6.2.5", today=TODAY - dt.timedelta(days=1)).status is Status.CURRENT
    bare = product(test_feed, lifecycle=Lifecycle(eol=True))
    assert verdict(bare, "6.2.5").reason == "end of life"


# Risk ------------------------------------------------------------------------------------


def test_an_unapproved_vulnerable_client_is_at_least_medium(test_feed: Feed) -> None:
    item = product(test_feed, advisory("W-1", affected("0", "6.0"), severity=Risk.LOW))
    assert verdict(item, "5.0").risk is Risk.LOW
    found = verdict(item, "5.0", Policy(approved=frozenset()))
    assert (found.status, found.risk) == (Status.VULNERABLE, Risk.MEDIUM)
    high = product(test_feed, advisory("W-1", affected("0", "6.0"), severity=Risk.HIGH))
    assert verdict(high, "5.0", Policy(approved=frozenset())).risk is Risk.HIGH


@pytest.mark.parametrize(
    ("version", "normal", "raised"),
    [("6.2.5", Risk.NONE, Risk.NONE), ("6.2.3", Risk.LOW, Risk.MEDIUM), ("5.0", Risk.CRITICAL,
                                                                          Risk.CRITICAL)],
)  # fmt: skip
def test_personal_devices_raise_risk_one_level(
    test_feed: Feed, version: str, normal: Risk, raised: Risk
) -> None:
    item = product(test_feed, advisory("W-1", affected("0", "6.0"), severity=Risk.CRITICAL))
    policy = Policy(personal=DeviceRules(raise_risk=True))
    assert verdict(item, version, policy).risk is normal  # a company device
    personal = RowContext(personal=True)
    assert verdict(item, version, policy, context=personal).risk is raised
    assert verdict(item, version, Policy(personal=DeviceRules()), context=personal).risk is normal


# Outdated and lag ------------------------------------------------------------------------


def test_lag_in_days_counts_from_the_latest_release(test_feed: Feed) -> None:
    item = product(test_feed)
    age = (TODAY - dt.date(2025, 12, 1)).days
    on_the_day = verdict(item, "6.2.3", Policy(lag_default=LagRule(days=age)))
    assert (on_the_day.risk, on_the_day.reason) == (Risk.LOW, "behind the latest release 6.2.5")
    late = verdict(item, "6.2.3", Policy(lag_default=LagRule(days=age - 1)))
    assert (late.risk, late.reason) == (
        Risk.MEDIUM,
        f"behind the latest release 6.2.5; 6.2.5 is {age} days old (allowed {age - 1})",
    )


def test_both_lags_are_named(test_feed: Feed) -> None:
    table = tuple(Release(v, ((WIN, "1"),), None, ("x",)) for v in ("6.2.3", "6.2.4", "6.2.5"))
    item = product(test_feed, releases=table)
    found = verdict(item, "6.2.3", Policy(lag_default=LagRule(days=1, releases=1)))
    assert found.reason.endswith("; 2 releases behind (allowed 1)")
    assert "; 6.2.5 is 45 days old (allowed 1); 2 releases" in found.reason


def test_outdated_advice_is_the_latest_alone(test_feed: Feed) -> None:
    found = verdict(product(test_feed), "6.2.3")
    assert (found.upgrade_to, found.or_later, found.also_clean) == ("6.2.5", True, "")


@pytest.mark.parametrize(
    ("product_rule", "personal_rule", "expected"),
    [
        (None, LagRule(days=5), LagRule(days=5)),
        (LagRule(days=3), LagRule(days=5), LagRule(days=3)),
        (LagRule(days=9), LagRule(days=5), LagRule(days=5)),
        (LagRule(releases=2), LagRule(days=5), LagRule(days=5, releases=2)),
        (LagRule(days=4, releases=1), LagRule(releases=3), LagRule(days=4, releases=1)),
        (LagRule(days=4, releases=6), LagRule(days=8, releases=3), LagRule(days=4, releases=3)),
    ],
)
def test_the_stricter_lag_on_personal_devices(
    product_rule: LagRule | None, personal_rule: LagRule, expected: LagRule
) -> None:
    policy = Policy(
        lag_by_product=(("widget", product_rule),) if product_rule else (),
        personal=DeviceRules(lag=personal_rule),
    )
    assert policy.lag_for("widget", personal=True) == expected
    assert policy.lag_for("widget", personal=False) == product_rule
    assert Policy(personal=DeviceRules()).lag_for("widget", personal=True) is None


def test_owners_default_to_nobody() -> None:
    policy = Policy(owners_by_product=(("widget", "it@example.com"),))
    assert policy.owner_for("other", ["tag"]) == ""
    assert policy.owner_for("widget", []) == "it@example.com"


# Ignore rules ------------------------------------------------------------------------------


def test_an_ignored_advisory_keeps_its_rule(test_feed: Feed) -> None:
    item = product(test_feed, advisory("W-1", affected("0", "6.0")))
    until = TODAY + dt.timedelta(days=10)
    rule = IgnoreRule("W-1", "accepted", until=until, index=7)
    found = verdict(item, "5.0", context=RowContext(ignores=(rule,)))
    assert found.status is Status.OUTDATED
    ((hit, reason, kept_until, index),) = [
        (i.hit, i.reason, i.until, i.rule) for i in found.ignored
    ]
    assert (hit.advisory.id, hit.fixed, reason, kept_until, index) == ("W-1", "6.0", "accepted",
                                                                       until, 7)  # fmt: skip


def test_an_ignored_review_item_keeps_its_rule(test_feed: Feed) -> None:
    item = product(test_feed, advisory("W-9", known=False))
    until = TODAY + dt.timedelta(days=30)
    rule = IgnoreRule("W-9", "watching it", until=until, index=3)
    found = verdict(item, "6.2.5", context=RowContext(ignores=(rule,)))
    assert found.review == ()
    ((ignored),) = found.ignored
    assert (ignored.hit.advisory.id, ignored.hit.fixed) == ("W-9", "")
    assert (ignored.reason, ignored.until, ignored.rule) == ("watching it", until, 3)
    assert [a.id for a in verdict(item, "6.2.5").review] == ["W-9"]


def test_expired_rules_are_named_in_the_warning(test_feed: Feed) -> None:
    rules = (
        IgnoreRule("W-1", "r", until=TODAY - dt.timedelta(days=1), where="vcaudit.yaml:4", index=0),
        IgnoreRule("W-2", "r", where="vcaudit.yaml:6", index=1),
        IgnoreRule("W-3", "r", until=TODAY, where="vcaudit.yaml:8", index=2),
    )
    assert rule_warnings(Policy(ignores=rules), {2}, TODAY) == [
        f"ignore rule for W-1 (vcaudit.yaml:4) expired on {(TODAY - dt.timedelta(days=1))}; "
        "it no longer suppresses anything",
        "ignore rule for W-2 (vcaudit.yaml:6) matched nothing",
    ]


# Version specs -------------------------------------------------------------------------------


def test_a_bound_without_an_operator_is_equality(test_feed: Feed) -> None:
    spec = VersionSpec.parse(" 5.16.9 ")
    assert spec == VersionSpec((("==", "5.16.9"),))
    meetly = test_feed.product("meetly")
    assert meetly is not None
    exact = versioning.parse(meetly.version_scheme, "5.16.9")
    assert spec is not None
    assert spec.contains(meetly, exact)


@pytest.mark.parametrize("text", [">=6.2.3", ">6.2.3", "<6.2.3", "<=6.2.3", "==6.2.3"])
def test_a_prefix_is_never_certainly_in_scope(test_feed: Feed, text: str) -> None:
    meetly = test_feed.product("meetly")
    assert meetly is not None
    prefix = versioning.parse(meetly.version_scheme, "6.2.47000", WIN)  # 6.2.x
    assert prefix is not None
    assert not prefix.exact
    spec = VersionSpec.parse(text)
    assert spec is not None
    assert spec.contains(meetly, prefix) is False


# Due dates -------------------------------------------------------------------------------


def test_due_is_the_day_the_problem_became_known_plus_the_sla(test_feed: Feed) -> None:
    sla = ((Risk.HIGH, 30), (Risk.MEDIUM, 10), (Risk.LOW, 90), (Risk.NONE, 1))
    item = product(
        test_feed,
        advisory("W-1", affected("0", "5.0"), published=dt.date(2025, 3, 1)),
        advisory("W-2", affected("0", "5.0"), published=None),
        minimum_versions=(MinimumVersion("6.0", ALL, dt.date(2025, 6, 1), "x"),),
    )
    vulnerable = verdict(item, "4.0", Policy(sla=sla))
    assert vulnerable.due == dt.date(2025, 3, 31)
    assert vulnerable.overdue
    unsupported = verdict(item, "5.5", Policy(sla=sla))
    assert unsupported.status is Status.UNSUPPORTED
    assert unsupported.due == dt.date(2025, 7, 1)
    outdated = verdict(item, "6.2.3", Policy(sla=sla))
    assert outdated.due == dt.date(2026, 3, 1)
    assert not outdated.overdue
    assert verdict(item, "6.2.5", Policy(sla=sla)).due is None  # current: nothing to fix
    unapproved = verdict(item, "6.2.5", Policy(sla=sla, approved=frozenset()))
    assert (unapproved.status, unapproved.due) == (Status.UNAPPROVED, None)


def test_a_vulnerable_client_without_a_publication_date_has_no_due_date(test_feed: Feed) -> None:
    item = product(test_feed, advisory("W-2", affected("0", "5.0"), published=None))
    assert verdict(item, "4.0", Policy(sla=((Risk.HIGH, 30),))).due is None


def test_a_finding_due_today_is_not_overdue(test_feed: Feed) -> None:
    item = product(test_feed, advisory("W-1", affected("0", "5.0"), published=TODAY))
    found = verdict(item, "4.0", Policy(sla=((Risk.HIGH, 0),)))
    assert (found.due, found.overdue) == (TODAY, False)
    later = verdict(item, "4.0", Policy(sla=((Risk.HIGH, 0),)), today=TODAY + dt.timedelta(1))
    assert later.overdue


def test_the_minimum_is_named(test_feed: Feed) -> None:
    item = product(test_feed, minimum_versions=(MinimumVersion("6.0", ALL, None, "x"),))
    assert verdict(item, "5.5").minimum == "6.0"
    assert verdict(item, "6.2.3").minimum == ""


# Verdicts of rows that are no client -------------------------------------------------------


def test_unknown_and_unidentified_rows() -> None:
    assert unknown_product("FooChat") == Assessment(
        product=None,
        status=Status.UNKNOWN,
        risk=Risk.NONE,
        reason="'FooChat' is not a product in the feed",
    )
    helper = not_identified("an add-in of Widget", not_client=True)
    assert (helper.reason, helper.not_client, helper.status) == (
        "an add-in of Widget",
        True,
        Status.UNKNOWN,
    )
    assert not_identified("no match").not_client is False


# A run failing only for an advisory to review ----------------------------------------------


@pytest.mark.parametrize(
    ("risk", "review_severity", "fail_on", "strict", "review", "expected"),
    [
        (Risk.NONE, Risk.HIGH, Risk.HIGH, False, True, True),
        (Risk.NONE, Risk.HIGH, Risk.HIGH, False, False, False),
        (Risk.HIGH, Risk.HIGH, Risk.HIGH, False, True, False),  # fails anyway
        (Risk.NONE, Risk.MEDIUM, Risk.HIGH, False, True, False),
        (Risk.NONE, Risk.HIGH, Risk.NONE, False, True, False),
        (Risk.LOW, Risk.CRITICAL, Risk.MEDIUM, False, True, True),
    ],
)
def test_fails_for_review_only(
    test_feed: Feed,
    risk: Risk,
    review_severity: Risk,
    fail_on: Risk,
    strict: bool,
    review: bool,
    expected: bool,
) -> None:
    item = product(test_feed)
    assessment = Assessment(
        product=item,
        status=Status.CURRENT if risk is Risk.NONE else Status.OUTDATED,
        risk=risk,
        review=(advisory("W-9", severity=review_severity, known=False),),
    )
    assert fails_for_review_only(assessment, fail_on, strict, review) is expected


def test_an_unknown_row_under_strict_does_not_fail_for_review_only(test_feed: Feed) -> None:
    unknown = Assessment(
        product=product(test_feed),
        status=Status.UNKNOWN,
        risk=Risk.NONE,
        review=(advisory("W-9", known=False),),
    )
    assert fails_for_review_only(unknown, Risk.HIGH, True, True) is False
    assert fails_for_review_only(unknown, Risk.HIGH, False, True) is True
