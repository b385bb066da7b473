"""Matching against the synthetic feed: ranges, exclusions, platforms, server-side fixes."""

from __future__ import annotations

import pytest

from tests.conftest import TODAY
from vcaudit.matching import Matcher
from vcaudit.models import Feed, Platform, Product


def meetly(feed: Feed) -> Product:
    product = feed.product("meetly")
    assert product is not None
    return product


def hit_ids(feed: Feed, version: str, platform: Platform = Platform.WINDOWS) -> set[str]:
    match = Matcher(TODAY).match(meetly(feed), platform, version)
    return {h.advisory.id for h in match.hits}


@pytest.mark.parametrize(
    ("version", "platform", "expected"),
    [
        ("5.16.9", Platform.WINDOWS, {"MSB-001"}),
        ("5.16.10", Platform.WINDOWS, set()),  # the fixed version itself is clean
        ("5.14.14", Platform.WINDOWS, set()),  # excluded backport
        ("5.15.12", Platform.MACOS, set()),  # excluded backport, any platform
        ("5.15.11", Platform.MACOS, {"MSB-001"}),
        ("6.1.0", Platform.WINDOWS, {"MSB-002"}),  # introduced boundary is affected
        ("5.99.0", Platform.WINDOWS, set()),  # before introduced 6.0.0
        ("6.1.0", Platform.LINUX, set()),  # MSB-002 is Windows-only
        ("6.1.5", Platform.MACOS, {"MSB-004"}),  # last_affected range
        ("6.1.9 (47000)", Platform.MACOS, {"MSB-004"}),  # last_affected is inclusive
        ("6.1.10", Platform.MACOS, set()),
        ("6.2.3", Platform.WINDOWS, set()),
        ("6.2.47507", Platform.WINDOWS, set()),  # MSI spelling of 6.2.3
    ],
)
def test_ranges(test_feed: Feed, version: str, platform: Platform, expected: set[str]) -> None:
    assert hit_ids(test_feed, version, platform) == expected


def test_server_side_and_withdrawn_advisories_never_flag_a_client(test_feed: Feed) -> None:
    # MSB-003 (fixed on the servers) and MSB-005 (withdrawn) "affect" everything below 9.9.9.
    for version in ("5.0.0", "6.2.5", "6.1.0"):
        ids = hit_ids(test_feed, version)
        assert "MSB-003" not in ids
        assert "MSB-005" not in ids


def test_fixed_in_is_the_smallest_version_clearing_every_advisory(test_feed: Feed) -> None:
    matcher = Matcher(TODAY)
    # 5.14.10 is affected by MSB-001; the backport 5.14.14 clears it and nothing else applies.
    assert matcher.match(meetly(test_feed), Platform.WINDOWS, "5.14.10").fixed_in == "5.14.14"
    # 6.1.0 on Windows: MSB-002 fixed in 6.2.3.
    assert matcher.match(meetly(test_feed), Platform.WINDOWS, "6.1.0").fixed_in == "6.2.3"
    # 6.1.5 on macOS: MSB-004 has no fixed version (last affected 6.1.9); the release table's
    # first macOS release after it clears it, below the latest 6.2.5.
    assert matcher.match(meetly(test_feed), Platform.MACOS, "6.1.5").fixed_in == "6.2.3"
    # Linux has no 6.2.3 build in the table: without any range on Linux, 5.16.10 clears MSB-001.
    assert matcher.match(meetly(test_feed), Platform.LINUX, "5.16.9").fixed_in == "5.16.10"


def test_coarse_msi_version_is_ambiguous_not_guessed(test_feed: Feed) -> None:
    # 6.2.47000 is not in the release table and lies below its first 6.2 build (47507), so
    # nothing places it: 6.2.x may or may not be below 6.2.3 (MSB-002). (A build between two
    # listed ones is placed between them: tests/feed/test_zoom_builds.py.)
    match = Matcher(TODAY).match(meetly(test_feed), Platform.WINDOWS, "6.2.47000")
    assert match.version is not None
    assert not match.version.exact
    assert match.hits == ()
    assert [a.id for a in match.ambiguous] == ["MSB-002"]


def test_latest_and_minimum(test_feed: Feed) -> None:
    matcher = Matcher(TODAY)
    old = matcher.match(meetly(test_feed), Platform.WINDOWS, "5.9.0")
    assert old.below_minimum is not None
    assert old.below_minimum.version == "5.10.0"  # the 5.15.0 minimum is not in force yet
    current = matcher.match(meetly(test_feed), Platform.WINDOWS, "6.2.5")
    assert current.behind_latest is False
    assert current.below_minimum is None
    newer = matcher.match(meetly(test_feed), Platform.LINUX, "6.3.0")
    assert newer.ahead_of_latest


def test_unparseable_version_has_no_verdict(test_feed: Feed) -> None:
    match = Matcher(TODAY).match(meetly(test_feed), Platform.WINDOWS, "latest")
    assert match.version is None
    assert match.hits == ()


def test_matches_are_cached_per_distinct_key(test_feed: Feed) -> None:
    matcher = Matcher(TODAY)
    first = matcher.match(meetly(test_feed), Platform.WINDOWS, "5.16.9")
    assert matcher.match(meetly(test_feed), Platform.WINDOWS, "5.16.9") is first
    assert matcher.match(meetly(test_feed), Platform.MACOS, "5.16.9") is not first
