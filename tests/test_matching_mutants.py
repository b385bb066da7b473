"""vcaudit.matching at its edges, on products built for each case: ranges a prefix straddles,
backports a prefix may be, what a match says about the latest release and the minimum, the
releases behind, and the upgrade advice (the latest as the only clean release, an empty
range, a clean release below an affected minimum, a feed whose latest is stale)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from tests.conftest import TODAY
from vcaudit import matching
from vcaudit.matching import Matcher, Upgrade
from vcaudit.models import (
    Advisory,
    AffectedRange,
    Feed,
    LatestRelease,
    MinimumVersion,
    Platform,
    Product,
    Release,
    Risk,
)

WIN, MAC, LINUX = Platform.WINDOWS, Platform.MACOS, Platform.LINUX
ALL = frozenset(Platform)


def advisory(id: str, *ranges: AffectedRange) -> Advisory:
    return Advisory(
        id=id,
        aliases=(),
        title=id,
        published=dt.date(2025, 1, 1),
        severity=Risk.HIGH,
        cvss=None,
        kev=False,
        server_side=False,
        affected=ranges,
        references=("https://example.com/" + id,),
        platforms=frozenset().union(*(r.platforms for r in ranges)),
    )


def affected(
    introduced: str = "0",
    fixed: str = "",
    last_affected: str = "",
    excluded: tuple[str, ...] = (),
) -> AffectedRange:
    return AffectedRange(ALL, introduced, fixed, last_affected, excluded)


def latest_everywhere(
    version: str, day: dt.date | None = dt.date(2025, 12, 1)
) -> tuple[tuple[Platform, LatestRelease], ...]:
    return tuple((p, LatestRelease(version, day, "https://example.com/rn")) for p in Platform)


def product(
    feed: Feed,
    *advisories: Advisory,
    releases: tuple[Release, ...] = (),
    minimum_versions: tuple[MinimumVersion, ...] = (),
    latest: tuple[tuple[Platform, LatestRelease], ...] | None = None,
) -> Product:
    """A dotted-version product (no release table, no minimum, latest 6.2.5 unless given)
    with these advisories."""
    base = feed.product("slackish")
    assert base is not None
    return replace(
        base,
        id="widget",
        advisories=advisories,
        releases=releases,
        minimum_versions=minimum_versions,
        latest=latest_everywhere("6.2.5") if latest is None else latest,
    )


def meetly(feed: Feed) -> Product:
    found = feed.product("meetly")
    assert found is not None
    return found


# Ranges ------------------------------------------------------------------------------------


def test_a_prefix_straddling_where_a_range_starts_is_ambiguous(test_feed: Feed) -> None:
    widget = product(test_feed, advisory("W-1", affected("6.2.3", "7.0")))
    widget = replace(widget, version_scheme=meetly(test_feed).version_scheme)
    found = Matcher(TODAY).match(widget, WIN, "6.2.47000")  # 6.2.x: below 6.2.3 or not
    assert found.version is not None
    assert not found.version.exact
    assert (found.hits, [a.id for a in found.ambiguous]) == ((), ["W-1"])


def test_a_prefix_that_may_be_a_backport_is_ambiguous(test_feed: Feed) -> None:
    widget = product(test_feed, advisory("W-1", affected("6.0", "7.0", excluded=("6.2.3",))))
    widget = replace(widget, version_scheme=meetly(test_feed).version_scheme)
    found = Matcher(TODAY).match(widget, WIN, "6.2.47000")
    assert (found.hits, [a.id for a in found.ambiguous]) == ((), ["W-1"])
    certain = Matcher(TODAY).match(widget, WIN, "6.2.4")
    assert [h.advisory.id for h in certain.hits] == ["W-1"]


def test_a_range_without_a_start_starts_at_zero(test_feed: Feed) -> None:
    widget = product(test_feed, advisory("W-1", affected("", "1.5")))
    assert [h.advisory.id for h in Matcher(TODAY).match(widget, WIN, "0.1").hits] == ["W-1"]
    assert Matcher(TODAY).match(widget, WIN, "1.5").hits == ()


def test_a_hit_names_the_fixed_version_of_its_range(test_feed: Feed) -> None:
    found = Matcher(TODAY).match(meetly(test_feed), WIN, "5.16.9")
    assert [(h.advisory.id, h.fixed) for h in found.hits] == [("MSB-001", "5.16.10")]


def test_feed_versions_not_seen_before_are_read(
    test_feed: Feed, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(matching, "_FEED_VERSIONS", {})
    found = Matcher(TODAY).match(meetly(test_feed), WIN, "5.16.9")
    assert [h.advisory.id for h in found.hits] == ["MSB-001"]
    assert found.fixed_in == "5.16.10"


def test_a_feed_version_that_cannot_be_read_is_an_error(
    test_feed: Feed, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(matching, "_FEED_VERSIONS", {})
    widget = product(test_feed, advisory("W-1", affected("0", "soon")))
    with pytest.raises(ValueError, match=r"^widget: feed version 'soon' does not parse$"):
        Matcher(TODAY).match(widget, WIN, "1.0")


# What a match says about the latest release ------------------------------------------------


def test_the_latest_release_of_a_version_that_cannot_be_placed(test_feed: Feed) -> None:
    found = Matcher(TODAY).match(meetly(test_feed), WIN, "latest")
    assert found.version is None
    assert found.raw_version == "latest"
    assert (found.latest, found.latest_date, found.latest_clean) == (
        "6.2.5",
        dt.date(2025, 12, 1),
        True,
    )


def test_the_latest_release_of_a_placed_version(test_feed: Feed) -> None:
    found = Matcher(TODAY).match(meetly(test_feed), LINUX, "6.2.3")
    assert found.raw_version == "6.2.3"
    assert (found.latest, found.latest_date, found.latest_clean) == (
        "6.2.4",
        dt.date(2025, 11, 1),
        True,
    )
    assert (found.behind_latest, found.ahead_of_latest) == (True, False)
    assert found.fix == Upgrade()  # nothing applies: nothing to fix


def test_without_a_latest_release_nothing_is_behind_or_ahead(test_feed: Feed) -> None:
    widget = product(test_feed, latest=())
    found = Matcher(TODAY).match(widget, WIN, "1.0")
    assert found.behind_latest is None
    assert found.ahead_of_latest is False
    assert (found.latest, found.latest_date, found.latest_clean) == ("", None, False)
    assert found.releases_behind is None


# The enforced minimum ----------------------------------------------------------------------


def minimum(
    version: str, platforms: frozenset[Platform], effective: dt.date | None
) -> MinimumVersion:
    return MinimumVersion(version, platforms, effective, "https://example.com/minimum")


def test_every_minimum_of_the_platform_in_force_counts(test_feed: Feed) -> None:
    widget = product(
        test_feed,
        minimum_versions=(
            minimum("9.0", frozenset({MAC}), None),  # another platform
            minimum("8.0", ALL, dt.date(2099, 1, 1)),  # not in force yet
            minimum("5.0", frozenset({WIN}), None),
        ),
    )
    found = Matcher(TODAY).match(widget, WIN, "4.0")
    assert found.below_minimum is not None
    assert found.below_minimum.version == "5.0"
    assert Matcher(TODAY).match(widget, MAC, "4.0").below_minimum == widget.minimum_versions[0]


def test_a_minimum_is_in_force_on_its_day(test_feed: Feed) -> None:
    widget = product(test_feed, minimum_versions=(minimum("5.0", ALL, TODAY),))
    assert Matcher(TODAY).match(widget, WIN, "4.0").below_minimum == widget.minimum_versions[0]
    yesterday = TODAY - dt.timedelta(days=1)
    assert Matcher(yesterday).match(widget, WIN, "4.0").below_minimum is None


def test_a_clean_release_below_an_affected_minimum_is_not_the_way_to_it(test_feed: Feed) -> None:
    # From 2027 the Windows minimum is 5.15.0, which MSB-001 affects; the backport 5.14.14 is
    # clean but below it, 5.15.12 is the first clean release from the minimum on.
    found = Matcher(dt.date(2027, 2, 1)).match(meetly(test_feed), WIN, "5.14.14")
    assert found.below_minimum is not None
    assert found.minimum_fix.smallest == "5.15.12"
    assert found.hits == ()


# Releases behind ---------------------------------------------------------------------------


def releases(*versions: str) -> tuple[Release, ...]:
    return tuple(Release(v, ((WIN, str(100 + i)),), None, ("x",)) for i, v in enumerate(versions))


@pytest.mark.parametrize(
    ("installed", "behind"),
    [("6.2.3", 1), ("6.2.5", 0), ("5.16.10", 2), ("5.0", 3), ("6.2.4", 1), ("7.0", 0)],
)
def test_releases_behind_count_the_table_up_to_the_latest(
    test_feed: Feed, installed: str, behind: int
) -> None:
    widget = product(
        test_feed, releases=releases("5.16.10", "6.2.3", "6.2.3.0", "6.2.5", "6.3.0", "4.0")
    )
    assert Matcher(TODAY).match(widget, WIN, installed).releases_behind == behind


def test_releases_behind_need_a_table_and_a_latest(test_feed: Feed) -> None:
    assert Matcher(TODAY).match(product(test_feed), WIN, "5.0").releases_behind is None
    widget = product(test_feed, releases=releases("6.2.5"), latest=())
    assert Matcher(TODAY).match(widget, WIN, "5.0").releases_behind is None


# Upgrade advice ----------------------------------------------------------------------------


def test_the_latest_as_the_only_clean_release(test_feed: Feed) -> None:
    widget = product(test_feed, advisory("W-1", affected("0", last_affected="6.0")))
    found = Matcher(TODAY).match(widget, WIN, "5.0")
    assert found.fix == Upgrade("6.2.5", holds=True, to="6.2.5")
    assert found.fix.or_later


def test_fixed_in_the_latest_holds(test_feed: Feed) -> None:
    widget = product(test_feed, advisory("W-1", affected("0", "6.2.5")))
    assert Matcher(TODAY).match(widget, WIN, "6.0").fix == Upgrade("6.2.5", holds=True, to="6.2.5")


def test_an_empty_range_breaks_no_upgrade(test_feed: Feed) -> None:
    widget = product(
        test_feed,
        advisory("W-1", affected("0", "6.0")),
        advisory("W-2", affected("7.0", "6.1")),  # fixed before it starts: affects nothing
        advisory("W-3", affected("7.0", last_affected="6.1")),
    )
    found = Matcher(TODAY).match(widget, WIN, "5.0")
    assert [h.advisory.id for h in found.hits] == ["W-1"]
    assert found.fix == Upgrade("6.0", holds=True, to="6.0")


def test_a_range_after_the_fix_is_named(test_feed: Feed) -> None:
    widget = product(
        test_feed,
        advisory("W-1", affected("0", "6.0")),
        advisory("W-2", affected("6.2", "6.2.4")),
    )
    found = Matcher(TODAY).match(widget, WIN, "5.0")
    assert found.fix == Upgrade(
        "6.0", holds=False, affected_from="6.2", to="6.2.5", later_affected=True
    )
    assert found.fix.or_later


def test_past_a_stale_latest_any_later_range_counts(test_feed: Feed) -> None:
    # The feed's latest is 6.2.5, yet 6.3.0 is installed (the feed is stale) and affected.
    widget = product(
        test_feed,
        advisory("W-1", affected("6.3.0", "6.3.5")),
        advisory("W-2", affected("6.4.0")),  # no fix yet
    )
    found = Matcher(TODAY).match(widget, WIN, "6.3.0")
    assert found.ahead_of_latest
    assert found.fix == Upgrade(
        "6.3.5", holds=False, affected_from="6.4.0", to="6.3.5", later_affected=True
    )


def test_a_range_without_an_end_affects_every_later_version(test_feed: Feed) -> None:
    widget = product(test_feed, advisory("W-1", affected("6.0")))
    assert [h.advisory.id for h in Matcher(TODAY).match(widget, WIN, "7.0").hits] == ["W-1"]
    assert Matcher(TODAY).match(widget, WIN, "5.9").hits == ()


def test_a_clean_minimum_is_the_way_to_it(test_feed: Feed) -> None:
    widget = product(test_feed, minimum_versions=(minimum("5.0", ALL, None),))
    found = Matcher(TODAY).match(widget, WIN, "4.0")
    assert found.minimum_fix == Upgrade("5.0", holds=True, to="5.0")


def test_an_empty_range_below_the_latest_breaks_no_upgrade(test_feed: Feed) -> None:
    widget = product(
        test_feed,
        advisory("W-1", affected("0", "6.0")),
        advisory("W-2", affected("6.2", "6.1")),
        advisory("W-3", affected("6.2", last_affected="6.1")),
    )
    assert Matcher(TODAY).match(widget, WIN, "5.0").fix == Upgrade("6.0", holds=True, to="6.0")


def test_a_range_that_ended_before_the_fix_breaks_no_upgrade(test_feed: Feed) -> None:
    widget = product(
        test_feed,
        advisory("W-1", affected("0", "6.0")),
        advisory("W-2", affected("5.0", last_affected="5.5")),
    )
    found = Matcher(TODAY).match(widget, WIN, "5.8")
    assert [h.advisory.id for h in found.hits] == ["W-1"]
    assert found.fix == Upgrade("6.0", holds=True, to="6.0")


def test_a_range_past_the_latest_breaks_no_upgrade(test_feed: Feed) -> None:
    widget = product(
        test_feed,
        advisory("W-1", affected("0", "6.0")),
        advisory("W-2", affected("7.0")),  # a future release, beyond the latest 6.2.5
    )
    assert Matcher(TODAY).match(widget, WIN, "5.0").fix == Upgrade("6.0", holds=True, to="6.0")


def test_only_releases_of_the_platform_are_advised(test_feed: Feed) -> None:
    table = (
        Release("6.0.5", ((MAC, "100"),), None, ("x",)),
        Release("6.1", ((WIN, "200"),), None, ("x",)),
    )
    widget = product(test_feed, advisory("W-1", affected("0", last_affected="6.0")), releases=table)
    assert Matcher(TODAY).match(widget, WIN, "5.0").fixed_in == "6.1"
    assert Matcher(TODAY).match(widget, MAC, "5.0").fixed_in == "6.0.5"


def test_a_fix_that_another_advisory_affects_is_not_advised(test_feed: Feed) -> None:
    widget = product(
        test_feed,
        advisory("W-1", affected("0", "6.0")),
        advisory("W-2", affected("6.0", "6.2")),
    )
    found = Matcher(TODAY).match(widget, WIN, "5.0")
    assert found.fix == Upgrade("6.2", holds=True, to="6.2")


def test_an_affected_latest_release_is_not_clean(test_feed: Feed) -> None:
    widget = product(test_feed, advisory("W-1", affected("6.2", "7.0")))
    found = Matcher(TODAY).match(widget, WIN, "6.0")
    assert found.latest_clean is False
    assert Matcher(TODAY).match(product(test_feed), WIN, "6.0").latest_clean is True


def test_a_range_around_a_backport_names_no_start(test_feed: Feed) -> None:
    widget = product(test_feed, advisory("W-1", affected("5.0", "7.0", excluded=("6.0",))))
    found = Matcher(TODAY).match(widget, WIN, "5.5")
    assert found.fix == Upgrade("6.0", holds=False, affected_from="", to="6.0", later_affected=True)
