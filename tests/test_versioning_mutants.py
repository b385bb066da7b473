"""vcaudit.versioning at its edges: the packaging a version may carry, the longest version
and part read, how a prefix is shown and bounded, and how the release table places Zoom
builds (by number, within one platform's minor line, never where builds do not grow)."""

from __future__ import annotations

import pytest

from vcaudit import versioning
from vcaudit.models import Platform, Release
from vcaudit.versioning import (
    MAX_PART_DIGITS,
    WIDTH,
    BuildTable,
    Scheme,
    Version,
    longest_number,
    parse,
    sort_key,
)

WIN, MAC = Platform.WINDOWS, Platform.MACOS


def release(version: str, *builds: tuple[Platform, str]) -> Release:
    return Release(version, builds, None, ("https://example.com/release-notes",))


def exact(text: str) -> Version:
    found = versioning.parse_feed_version(Scheme.DOTTED, text)
    assert found is not None
    return found


@pytest.mark.parametrize(
    ("raw", "parts"),
    [
        ("V5.1", (5, 1)),
        ("v5.1", (5, 1)),
        ("15.2", (15, 2)),  # a leading digit is no `v` to strip
        ("2:15.2-1ubuntu1", (15, 2)),
        ("15.2-3", (15, 2)),
        ("15.2-beta", None),
        ("v", None),
        ("vx1", None),
    ],
)
def test_packaging_around_a_dotted_version(raw: str, parts: tuple[int, ...] | None) -> None:
    found = parse(Scheme.DOTTED, raw)
    assert (found.parts if found else None) == parts


def test_the_longest_version_and_part_read() -> None:
    seven = ".".join(["1"] * (WIDTH - 1))
    assert parse(Scheme.DOTTED, seven) == Version(seven, (1,) * (WIDTH - 1))
    assert parse(Scheme.DOTTED, seven + ".1") is None
    longest = "9" * MAX_PART_DIGITS
    found = parse(Scheme.DOTTED, f"1.{longest}")
    assert found is not None
    assert found.parts == (1, int(longest))
    assert parse(Scheme.DOTTED, f"1.{longest}9") is None


@pytest.mark.parametrize(
    ("raw", "digits"),
    [
        ("1" * MAX_PART_DIGITS, 0),  # short strings are not looked at
        ("12.34", 0),
        ("x" * (MAX_PART_DIGITS + 1), 0),
        ("1" * (MAX_PART_DIGITS + 1), MAX_PART_DIGITS + 1),
        ("12." + "3" * 20 + ".4", 20),
        ("v" + "5" * 25, 25),
    ],
)
def test_longest_number(raw: str, digits: int) -> None:
    assert longest_number(raw) == digits


def test_a_prefix_is_shown_with_x_and_stands_for_its_whole_line() -> None:
    prefix = parse(Scheme.ZOOM, "6.4.62735", WIN)
    assert prefix is not None
    assert str(prefix) == "6.4.x"
    assert str(exact("6.4.2")) == "6.4.2"
    assert prefix.low == (6, 4) + (0,) * (WIDTH - 2)
    assert len(prefix.high) == WIDTH
    assert prefix.high[:3] == (6, 4, 1 << 62)
    assert prefix.high[3:] == (0,) * (WIDTH - 3)


@pytest.mark.parametrize(
    ("version", "key"),
    [("4.41.0.0", (4, 41)), ("1.0.1", (1, 0, 1)), ("4.41.1", (4, 41, 1)), ("0.0", ())],
)
def test_sort_key_drops_only_trailing_zeros(version: str, key: tuple[int, ...]) -> None:
    assert sort_key(exact(version)) == key


# Zoom spellings --------------------------------------------------------------------------

TABLE = BuildTable(
    [
        release("5.7.4", (WIN, "900")),
        release("5.7.5", (WIN, "939"), (WIN, "1020")),
        release("5.7.6", (WIN, "1100"), (MAC, "1200")),
        release("6.1", (WIN, "3000")),
    ]
)


def test_a_two_part_zoom_version_is_a_prefix_with_its_build() -> None:
    assert parse(Scheme.ZOOM, "6.2 (1234)") == Version("6.2 (1234)", (6, 2), False, "1234")
    assert parse(Scheme.ZOOM, "6.2") == Version("6.2", (6, 2), exact=False)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("5.16.10 (25689)", Version("5.16.10 (25689)", (5, 16, 10), build="25689")),
        ("5.16.10", Version("5.16.10", (5, 16, 10))),
        ("5.16.99.1108", Version("5.16.99.1108", (5, 16, 99), build="1108")),
        ("5.7.99", Version("5.7.99", (5, 7, 99))),
    ],
)
def test_zoom_exact_forms_keep_what_the_inventory_said(raw: str, expected: Version) -> None:
    assert parse(Scheme.ZOOM, raw, WIN, TABLE) == expected


@pytest.mark.parametrize("raw", ["5.7.100", "5.7.100.1108"])
def test_a_third_part_of_100_is_a_build_number(raw: str) -> None:
    found = parse(Scheme.ZOOM, raw, WIN, TABLE)
    assert found is not None
    assert (found.parts, found.exact, found.build) == ((5, 7), False, "100")
    assert found.raw == raw


def test_an_msi_build_the_table_lists_is_its_release() -> None:
    assert parse(Scheme.ZOOM, "5.7.1020", WIN, TABLE) == Version(
        "5.7.1020", (5, 7, 5), True, "1020"
    )
    assert parse(Scheme.ZOOM, "6.1.3000", WIN, TABLE) == Version("6.1.3000", (6, 1), True, "3000")


def test_an_msi_build_between_two_listed_builds_is_placed_between_their_releases() -> None:
    found = parse(Scheme.ZOOM, "5.7.950", WIN, TABLE)
    assert found == Version(
        "5.7.950",
        (5, 7),
        False,
        "950",
        placed="placed at 5.7.5 by build number (between two of its builds)",
        span=((5, 7, 5), (5, 7, 5)),
    )
    later = parse(Scheme.ZOOM, "5.7.1050", WIN, TABLE)
    assert later is not None
    assert (later.raw, later.exact, later.build) == ("5.7.1050", False, "1050")
    assert later.placed == "placed between 5.7.5 and 5.7.6 by build number"
    assert later.low == (5, 7, 5) + (0,) * (WIDTH - 3)
    assert later.high == (5, 7, 6) + (0,) * (WIDTH - 3)


def test_an_msi_build_past_its_lines_builds_is_only_a_prefix() -> None:
    assert parse(Scheme.ZOOM, "5.7.5000", WIN, TABLE) == Version(
        "5.7.5000", (5, 7), exact=False, build="5000"
    )


def test_builds_order_as_numbers_whatever_their_digits() -> None:
    table = BuildTable([release("5.7.4", (WIN, "0900")), release("5.7.5", (WIN, "1020"))])
    assert table.between("950", (5, 7), WIN) == ((5, 7, 4), (5, 7, 5))
    assert table.between("0950", (5, 7), WIN) == ((5, 7, 4), (5, 7, 5))


# The release table ----------------------------------------------------------------------


def test_a_listed_build_is_not_placed_between_others() -> None:
    assert TABLE.between("1020", (5, 7), WIN) is None
    assert TABLE.between("939", (5, 7), WIN) is None
    assert TABLE.between("1000", (5, 7), WIN) == ((5, 7, 5), (5, 7, 5))


def test_a_build_on_an_unknown_platform_is_found_on_any() -> None:
    assert TABLE.release_of("1200", (5, 7), None) == (5, 7, 6)
    assert TABLE.release_of("1200", (5, 7), WIN) is None
    assert TABLE.release_of("1200", (5, 7), MAC) == (5, 7, 6)
    assert TABLE.release_of("939", (5, 8), None) is None


def test_releases_the_table_cannot_use_are_skipped_not_the_rest() -> None:
    table = BuildTable(
        [
            release("6", (WIN, "10")),
            release("latest", (WIN, "11")),
            release("6.5", (WIN, "12")),
            release("6.5.1", (WIN, "13")),
        ]
    )
    assert table.release_of("10", (6,), WIN) is None
    assert table.release_of("12", (6, 5), WIN) == (6, 5)
    assert table.release_of("13", (6, 5), None) == (6, 5, 1)


def test_a_build_listed_for_two_releases_makes_its_platform_unordered() -> None:
    table = BuildTable(
        [
            release("5.7.4", (WIN, "939"), (MAC, "500")),
            release("5.7.5", (WIN, "939"), (MAC, "600")),
            release("5.7.6", (WIN, "1100"), (MAC, "700")),
        ]
    )
    assert table.unordered_lines() == ((WIN, (5, 7)),)
    assert table.between("1000", (5, 7), WIN) is None
    assert table.between("650", (5, 7), MAC) == ((5, 7, 5), (5, 7, 6))
    # The first release listed for a build is the one it names.
    assert table.release_of("939", (5, 7), WIN) == (5, 7, 4)
    assert table.release_of("939", (5, 7), None) == (5, 7, 4)


def test_builds_that_go_down_make_their_platform_unordered() -> None:
    table = BuildTable([release("5.12.2", (WIN, "4816")), release("5.12.6", (WIN, "173"))])
    assert table.unordered_lines() == ((WIN, (5, 12)),)
    assert BuildTable([release("5.12.2", (WIN, "173"))]).unordered_lines() == ()
