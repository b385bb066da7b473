"""Zoom build strings from 5.0 on, against the bundled release table (issue 14).

Every string below is one a real inventory or package history reports, with the page it was
read from. Builds the table does not list are placed between the listed builds of their
platform and minor line, or refused: across a minor line, across the Windows counter reset at
6.5.0, past a line's first or last listed build, on a platform whose builds restart within a
line (Linux), or without a platform.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path

import pytest

from tests.output.json_report import installation_rows
from vcaudit.cli import main
from vcaudit.matching import Matcher
from vcaudit.models import Feed, Platform, Product
from vcaudit.policy import Policy, assess
from vcaudit.versioning import (
    WIDTH,
    BuildTable,
    Scheme,
    Version,
    at_most,
    less_than,
    parse,
    parse_feed_version,
    same,
)

TODAY = dt.date(2026, 1, 15)
WINGET = "https://github.com/microsoft/winget-pkgs/blob"
W, M, L = Platform.WINDOWS, Platform.MACOS, Platform.LINUX


def zoom(feed: Feed) -> Product:
    product = feed.product("zoom")
    assert product is not None
    return product


def table(feed: Feed) -> BuildTable:
    return BuildTable(zoom(feed).releases)


def v(text: str) -> Version:
    parsed = parse_feed_version(Scheme.ZOOM, text)
    assert parsed is not None
    return parsed


def place(feed: Feed, raw: str, platform: Platform | None = W) -> Version:
    parsed = parse(Scheme.ZOOM, raw, platform, table(feed))
    assert parsed is not None
    return parsed


def without(product: Product, release: str, platform: Platform, build: str) -> Product:
    """The product with one build taken out of its release table (to place it by number)."""
    rows = tuple(
        replace(r, builds=tuple(b for b in r.builds if b != (platform, build)))
        if r.version == release
        else r
        for r in product.releases
    )
    assert rows != product.releases, f"{release} has no {platform.value} build {build}"
    return replace(product, releases=rows)


REFERENCE = "shared/reference/inventory-formats.md 4.1"
WINSOFT = (
    "https://github.com/GabrielMoreau/winsoft-main/blob/"
    "362ce144ceafbc374b565aa489a107b7a3063244/zoom/README.md"
)
FLATHUB = "https://github.com/flathub/us.zoom.Zoom/blob/{}/us.zoom.Zoom.json"
SOURCES = {
    "5.0.25694": f"{WINGET}/5e4df806a95232b51ef63d943115b1788655d088/"
    "manifests/z/Zoom/Zoom/5.0.25694/Zoom.Zoom.installer.yaml",
    "5.7.522": f"{WINGET}/5747110d798efa99083c047f3b997ee96a67bec8/"
    "manifests/z/Zoom/Zoom/5.7.522/Zoom.Zoom.installer.yaml",
    "5.11.8425": f"{WINGET}/00261354618ded237dcd485ddfd25c2d6be24fd5/"
    "manifests/z/Zoom/Zoom/5.11.8425/Zoom.Zoom.installer.yaml",
    "5.12.8964": f"{WINGET}/1a66b9ac415ba9861293e667874c262496eaa0d6/"
    "manifests/z/Zoom/Zoom/5.12.8964/Zoom.Zoom.installer.yaml",
    "5.12.9281": f"{WINGET}/08fc2bb782b0b880cbcce8ff1cfd2b7e0013fbea/"
    "manifests/z/Zoom/Zoom/5.12.9281/Zoom.Zoom.installer.yaml",
    "6.7.0 (24657)": f"{WINGET}/001bf438934bb2d16a267de8fb85541178cb6eaf/"
    "manifests/z/Zoom/Zoom/EXE/6.7.0%20(24657)/Zoom.Zoom.EXE.installer.yaml",
    "5.16.10.25689": "https://github.com/lzwme/homebrew-cn/blob/"
    "161bde6842227c40d4993d89420835f096b06f8f/Casks/z/zoom-for-it-admins.rb",
    "5.11.10.10279": "https://github.com/Homebrew/homebrew-cask/blob/"
    "0028d15b32009adab158169aedbf74c61ea74372/Casks/zoom.rb",
    "6.6.0.64511": "https://github.com/Homebrew/homebrew-cask/blob/"
    "001c2189fc69d97921272c61585dc81b3733dda7/Casks/z/zoom-for-it-admins.rb",
}


@pytest.mark.parametrize(
    ("raw", "platform", "release", "source"),
    [
        # Windows MSI DisplayVersion major.minor.build: winget names its MSI manifests by it.
        ("5.0.25694", W, "5.0.4", SOURCES["5.0.25694"]),  # same installer as 5.0.4's manifest
        ("5.7.522", W, "5.7.0", SOURCES["5.7.522"]),  # installer prod/5.7.0.522
        ("5.11.8425", W, "5.11.11", SOURCES["5.11.8425"]),
        ("5.12.8964", W, "5.12.0", SOURCES["5.12.8964"]),
        ("5.12.9281", W, "5.12.2", SOURCES["5.12.9281"]),
        ("6.1.43316", W, "6.1.5", WINSOFT),  # a registry row: Zoom Workplace (64-bit)
        ("6.2.47507", W, "6.2.3", f"{REFERENCE}: choco-bot gist of zoom 6.2.3.47507"),
        ("6.7.30439", W, "6.7.5", WINSOFT),
        # A real MSI version whose build the table lacks (5.17.12): a prefix, never a guess.
        ("5.17.38121", W, "", f"{REFERENCE}: choco-bot gist of zoom 5.17.12.38121"),
        # Windows per-user EXE DisplayVersion `X.Y.Z (BUILD)`.
        ("5.12.2 (9281)", W, "5.12.2", SOURCES["5.12.9281"]),  # its AppsAndFeaturesEntries
        ("6.7.0 (24657)", W, "6.7.0", SOURCES["6.7.0 (24657)"]),
        # macOS CFBundleShortVersionString, CFBundleVersion and Homebrew cask versions.
        ("5.16.10 (25689)", M, "5.16.10", f"{REFERENCE}: a Loki post"),
        ("5.16.10.25689", M, "5.16.10", SOURCES["5.16.10.25689"]),
        ("5.11.10.10279", M, "5.11.10", SOURCES["5.11.10.10279"]),
        ("6.6.0.64511", M, "6.6.0", SOURCES["6.6.0.64511"]),
        # Linux deb and flatpak versions; the build restarts within a line (173 after 4816).
        ("5.8.0.16", L, "5.8.0", FLATHUB.format("fc65fe7696659da422a59fc31accb6286ae4bccc")),
        ("5.12.6.173", L, "5.12.6", FLATHUB.format("ff0efe7cc6c7e3c19166b0da1d9277bcf1436222")),
        ("7.0.5.3034", L, "7.0.5", FLATHUB.format("ce2ee5fecdca74c9ad91196574c292dae07b5860")),
    ],
)
def test_real_build_strings_name_their_release(
    bundled_feed: Feed, raw: str, platform: Platform, release: str, source: str
) -> None:
    parsed = place(bundled_feed, raw, platform)
    if not release:  # a real string whose build the table lacks: a prefix, never a guess
        assert not parsed.exact, source
        assert not parsed.placed, source
        return
    assert parsed.exact, source
    assert parsed.low == v(release).low, source
    assert not parsed.placed, source
    # The build the string carries is the one the table lists for that release and platform.
    rows = [r for r in zoom(bundled_feed).releases if r.version == release]
    assert (platform, parsed.build) in {b for r in rows for b in r.builds}, source


def test_2020_builds_with_a_date_are_not_read_as_patch_numbers(bundled_feed: Feed) -> None:
    # flathub us.zoom.Zoom 2b3381dc (2020-11-09) shipped 5.4.53391.1108: build 53391, date
    # 11-08. No source pairs it with a patch release, so it is 5.4.x, not a "5.4.53391"
    # newer than every 5.4 release.
    linux = place(bundled_feed, "5.4.53391.1108", L)
    assert not linux.exact
    assert linux.build == "53391"
    assert less_than(linux, v("5.4.3")) is None
    assert less_than(linux, v("5.5.0")) is True
    # ITS-Unibas/chocolatey-internal-packages 06ecc2d1: 5.0.24046.0510, an MSI of 5.0.
    assert place(bundled_feed, "5.0.24046.0510").low[:2] == (5, 0)


def test_builds_differ_per_platform(bundled_feed: Feed) -> None:
    # 17213 is the macOS build of 5.14.2; on Windows it lies between 5.14.8 (16213) and
    # 5.14.10 (17221), and is never read as the macOS release.
    assert place(bundled_feed, "5.14.17213", M).low[:3] == (5, 14, 2)
    windows = place(bundled_feed, "5.14.17213", W)
    assert windows.placed == "placed between 5.14.8 and 5.14.10 by build number"
    assert less_than(windows, v("5.14.8")) is False


def test_a_build_between_two_listed_builds_is_placed_between_their_releases(
    bundled_feed: Feed,
) -> None:
    # 5.12.0 is 8964 and 5.12.2 is 9281 on Windows; 9100 is listed nowhere.
    placed = place(bundled_feed, "5.12.9100")
    assert placed.placed == "placed between 5.12.0 and 5.12.2 by build number"
    assert not placed.exact
    assert less_than(placed, v("5.12.3")) is True
    assert less_than(placed, v("5.12.0")) is False
    assert at_most(placed, v("5.12.2")) is True
    assert less_than(v("5.11.11"), placed) is True
    # What the neighbours do not decide stays unknown.
    assert less_than(placed, v("5.12.1")) is None
    assert same(placed, v("5.12.1")) is None
    assert less_than(placed, v("5.12.2")) is None  # 5.12.2 may have had an earlier build
    assert less_than(v("5.12.0"), placed) is None  # and 5.12.0 a later one


def test_between_two_builds_of_one_release_is_that_release(bundled_feed: Feed) -> None:
    # Scoop Extras shipped 5.7.5 as 939 (92375fb2) and as 1020 (074051ff).
    placed = place(bundled_feed, "5.7.1000")
    assert placed.placed == "placed at 5.7.5 by build number (between two of its builds)"
    assert same(placed, v("5.7.5")) is True


def test_a_release_s_earlier_build_is_not_placed_below_it(bundled_feed: Feed) -> None:
    # Windows 5.10.6 was built twice: 5263, then 5889. Without 5263 in the table, 5263 lies
    # between 5.10.4 (5035) and 5.10.6 (5889): the upper release is included, since a build
    # below a release's listed build may still be that release.
    product = without(zoom(bundled_feed), "5.10.6", W, "5263")
    placed = parse(Scheme.ZOOM, "5.10.5263", W, BuildTable(product.releases))
    assert placed is not None
    assert placed.placed == "placed between 5.10.4 and 5.10.6 by build number"
    assert less_than(placed, v("5.10.6")) is None
    assert same(placed, v("5.10.6")) is None
    assert at_most(placed, v("5.10.6")) is True


@pytest.mark.parametrize("platform", [W, M])
def test_every_listed_build_taken_out_is_placed_around_its_real_release(
    bundled_feed: Feed, platform: Platform
) -> None:
    """The table's own data bears the rule out: each build inside its line, taken out of the
    table, is placed between releases that include the release it really is."""
    product = zoom(bundled_feed)
    lines: dict[tuple[int, ...], list[tuple[int, str, str]]] = {}
    for r in product.releases:
        for p, build in r.builds:
            if p is platform:
                lines.setdefault(v(r.version).parts[:2], []).append((int(build), build, r.version))
    checked = 0
    for line, rows in lines.items():
        rows.sort()
        for _number, build, release in rows[1:-1]:
            held_out = BuildTable(without(product, release, platform, build).releases)
            placed = parse(Scheme.ZOOM, f"{line[0]}.{line[1]}.{build}", platform, held_out)
            assert placed is not None, (release, build)
            assert placed.placed, (release, build)
            truth = v(release).low
            assert placed.low <= truth <= placed.high, (release, build, placed.placed)
            checked += 1
    assert checked >= (90 if platform is W else 50)


def test_builds_grow_within_a_line_on_windows_and_macos_not_on_linux(bundled_feed: Feed) -> None:
    unordered = table(bundled_feed).unordered_lines()
    assert all(platform is L for platform, _line in unordered)
    # flathub us.zoom.Zoom: 5.12.2.4816 then 5.12.6.173; 5.13.4.711 then 5.13.5.431.
    assert {(L, (5, 12)), (L, (5, 13))} <= set(unordered)


@pytest.mark.parametrize(
    ("raw", "platform", "why"),
    [
        # Across a minor line: 11000 lies between 5.12.9 (10650) and 5.13.0 (11216).
        ("5.12.11000", W, "past the last listed 5.12 build"),
        ("5.13.11000", W, "before the first listed 5.13 build"),
        # Across the Windows counter reset at 6.5.0 (6.4.12 is 64384, 6.5.0 is 6118).
        ("6.5.62000", W, "a pre-reset number in 6.5"),
        ("6.4.7000", W, "a post-reset number in 6.4"),
        # Past the newest listed build of a line: nothing bounds it from above.
        ("7.2.49000", W, "after 7.2.1 (48556), the newest listed"),
        ("5.0.24046", W, "before 5.0.4 (25694), the oldest listed 5.0"),
        # Linux builds restart within a line, so no Linux build is placed by number.
        ("5.13.1000", L, "between Linux 5.13.7 (683) and 5.13.10 (1208)"),
        # Without a platform: builds differ per platform.
        ("5.12.9100", None, "no platform"),
    ],
)
def test_builds_that_are_not_placed_stay_a_prefix(
    bundled_feed: Feed, raw: str, platform: Platform | None, why: str
) -> None:
    parsed = place(bundled_feed, raw, platform)
    assert not parsed.exact, why
    assert not parsed.placed, why
    assert parsed.low[:3] == (*parsed.parts, 0), why
    assert len(parsed.low) == WIDTH


def test_the_reset_does_not_stop_placement_inside_6_5(bundled_feed: Feed) -> None:
    # 6.5.5 is 8927 and 6.5.6 is 9328, after the reset.
    placed = place(bundled_feed, "6.5.9000")
    assert placed.placed == "placed between 6.5.5 and 6.5.6 by build number"
    assert less_than(placed, v("6.5.7")) is True
    assert less_than(placed, v("6.4.12")) is False


def _hits(product: Product, raw: str, platform: Platform = W) -> tuple[set[str], set[str]]:
    match = Matcher(TODAY).match(product, platform, raw)
    return {h.advisory.id for h in match.hits}, {a.id for a in match.ambiguous}


def test_an_advisory_fixed_within_a_line_now_applies_to_an_msi_build_of_it(
    bundled_feed: Feed,
) -> None:
    product = zoom(bundled_feed)
    # ZSB-22025 and ZSB-22027 are fixed in 5.12.6; 5.12.9281 is 5.12.2.
    first = v("5.13.11").low  # where the table began before it reached back to 5.0
    before = replace(
        product, releases=tuple(r for r in product.releases if v(r.version).low >= first)
    )
    hits, ambiguous = _hits(before, "5.12.9281")
    assert {"ZSB-22025", "ZSB-22027"} <= ambiguous - hits
    hits, ambiguous = _hits(product, "5.12.9281")
    assert {"ZSB-22025", "ZSB-22027"} <= hits
    assert "ZSB-22024" not in hits | ambiguous  # fixed in 5.12.2 itself
    # 5.7.522 was read as a patch number 522, above ZSB-21021's fix 5.7.3: now it is 5.7.0.
    assert "ZSB-21021" in _hits(product, "5.7.522")[0]


def test_an_advisory_applies_to_a_placed_build_and_the_report_says_how(
    bundled_feed: Feed,
) -> None:
    # Windows 5.13.3 is 11494. Taken out of the table, 5.13.11494 lies between 5.13.0 (11216)
    # and 5.13.4 (11835): below CVE-2023-22881's fix 5.13.5, while ZSB-23001 (fixed in 5.13.3,
    # the release it really is) cannot be told.
    product = without(zoom(bundled_feed), "5.13.3", W, "11494")
    hits, ambiguous = _hits(product, "5.13.11494")
    assert "CVE-2023-22881" in hits
    assert "ZSB-23001" in ambiguous
    match = Matcher(TODAY).match(product, W, "5.13.11494")
    verdict = assess(match, Policy(), TODAY)
    assert verdict.reason.endswith("; placed between 5.13.0 and 5.13.4 by build number")


def test_the_scan_report_says_where_a_build_was_placed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Windows 5.13.3 is 11494 and 5.13.4 is 11835 in the bundled table; 11600 is neither.
    fleet = tmp_path / "fleet.csv"
    fleet.write_text(
        "host,platform,product,version\npc-1,windows,Zoom Workplace (64-bit),5.13.11600\n",
        encoding="utf-8",
    )
    code = main(["scan", str(fleet), "--as-of", "2026-01-15", "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 1, err
    row = installation_rows(json.loads(out))[0]
    assert row["status"] == "vulnerable"
    assert "CVE-2023-22881" in {a["id"] for a in row["advisories"]}  # fixed in 5.13.5
    assert "ZSB-23001" not in {a["id"] for a in row["advisories"]}  # fixed in 5.13.3
    assert row["reason"].endswith("; placed between 5.13.3 and 5.13.4 by build number")
