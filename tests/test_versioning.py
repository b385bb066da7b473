"""Version schemes against the raw strings real inventories report."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from vcaudit import versioning
from vcaudit.cli import main
from vcaudit.errors import FeedError
from vcaudit.feed import compiled
from vcaudit.feed.load import load_feed
from vcaudit.models import Feed, Platform, Release
from vcaudit.versioning import BuildTable, Scheme, Version, at_most, less_than, parse, same

ZOOM_TABLE = BuildTable(
    [
        Release("6.2.3", ((Platform.WINDOWS, "47507"), (Platform.MACOS, "47510")), None, ("x",)),
        Release("5.17.12", ((Platform.WINDOWS, "38121"),), None, ("x",)),
    ]
)


def v(text: str) -> Version:
    parsed = versioning.parse_feed_version(Scheme.DOTTED, text)
    assert parsed is not None
    return parsed


@pytest.mark.parametrize(
    ("raw", "parts", "build"),
    [
        ("5.16.10 (25689)", (5, 16, 10), "25689"),  # macOS CFBundleShortVersionString
        ("5.16.10.25689", (5, 16, 10), "25689"),  # macOS CFBundleVersion, Chocolatey, Linux
        ("5.12.2 (8964)", (5, 12, 2), "8964"),  # Windows per-user DisplayVersion
        ("7.0.5.3034", (7, 0, 5), "3034"),  # Linux flatpak release
        ("6.2.3", (6, 2, 3), ""),
        ("6.2.47507", (6, 2, 3), "47507"),  # Windows MSI: patch dropped, found in the table
        ("5.17.38121", (5, 17, 12), "38121"),
    ],
)
def test_zoom_spellings_resolve_to_one_release(
    raw: str, parts: tuple[int, ...], build: str
) -> None:
    parsed = parse(Scheme.ZOOM, raw, Platform.WINDOWS, ZOOM_TABLE)
    assert parsed is not None
    assert parsed.exact
    assert parsed.parts == parts
    assert parsed.build == build


def test_zoom_msi_build_missing_from_table_is_a_prefix_not_a_guess() -> None:
    parsed = parse(Scheme.ZOOM, "6.4.62735", Platform.WINDOWS, ZOOM_TABLE)
    assert parsed is not None
    assert not parsed.exact
    assert parsed.parts == (6, 4)
    # Whether 6.4.x is below 6.4.2 depends on the missing patch number.
    assert less_than(parsed, v("6.4.2")) is None
    assert less_than(parsed, v("6.5.0")) is True
    assert less_than(parsed, v("6.3.9")) is False


def test_zoom_msi_build_of_another_release_line_is_not_trusted() -> None:
    # Build 47507 is 6.2.3 in the table; a 5.9.47507 string cannot be that release.
    parsed = parse(Scheme.ZOOM, "5.9.47507", Platform.WINDOWS, ZOOM_TABLE)
    assert parsed is not None
    assert not parsed.exact
    assert parsed.parts == (5, 9)


def test_zoom_platform_builds_differ() -> None:
    mac = parse(Scheme.ZOOM, "6.2.47510", Platform.MACOS, ZOOM_TABLE)
    assert mac is not None
    assert mac.parts == (6, 2, 3)


@pytest.mark.parametrize("raw", ["", "latest", "6", "6.2.3.4.5", "6.2.3 (abc)", "6.2.3.4 (5)"])
def test_zoom_unplaceable_strings_are_unknown(raw: str) -> None:
    assert parse(Scheme.ZOOM, raw, Platform.WINDOWS, ZOOM_TABLE) is None


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("4.41.98.0", "4.41.98"),  # Slack MSI trailing .0
        ("1.6.00.376", "1.6.0.376"),  # classic Teams zero padding
        ("26120.3106.4725.800", "26120.3106.4725.0800"),  # unpadded Teams/Webex builds
        ("1:5.16.10.25689-1", "5.16.10.25689"),  # Debian epoch and revision
        ("6.2.11.4905-1.el9", "6.2.11.4905"),  # RPM release
        ("v1.12.27", "1.12.27"),
    ],
)
def test_dotted_equal_spellings(a: str, b: str) -> None:
    pa = parse(Scheme.DOTTED, a)
    pb = parse(Scheme.DOTTED, b)
    assert pa is not None
    assert pb is not None
    assert same(pa, pb) is True


@pytest.mark.parametrize(
    ("low", "high"),
    [
        ("24215.1007.3082.1590", "26149.1205.4798.6437"),  # Teams
        ("44.2.0.28714", "44.10.0.1"),  # Webex: numeric, not text, order
        ("4.9.0", "4.41.98"),
        ("1.6.00.376", "1.7.0.27855"),
    ],
)
def test_dotted_orders_numerically(low: str, high: str) -> None:
    pl = parse(Scheme.DOTTED, low)
    ph = parse(Scheme.DOTTED, high)
    assert pl is not None
    assert ph is not None
    assert less_than(pl, ph) is True
    assert less_than(ph, pl) is False
    assert at_most(pl, ph) is True


@pytest.mark.parametrize("raw", ["4.41.98-beta1", "4.x", "abc", "4..1", "440000128 beta"])
def test_dotted_refuses_what_it_cannot_place(raw: str) -> None:
    assert parse(Scheme.DOTTED, raw) is None


def test_skype_two_part_windows_version_is_a_prefix() -> None:
    exe = parse(Scheme.SKYPE, "8.133")
    assert exe is not None
    assert not exe.exact
    assert less_than(exe, v("8.133.0.202")) is None
    assert less_than(exe, v("8.134.0.1")) is True
    full = parse(Scheme.SKYPE, "8.133.0.202")
    assert full is not None
    assert full.exact


# One scheme object per vendor scheme: what the feed writes, what the loader accepts


@pytest.mark.parametrize(
    ("scheme", "raw", "parts", "build"),
    [
        (Scheme.DOTTED, "4.41.98", (4, 41, 98), ""),
        # Skype's inventory `8.133` is a prefix; in the feed it is a range bound, exact.
        (Scheme.SKYPE, "8.133", (8, 133), ""),
        (Scheme.SKYPE, "8.133.0.202", (8, 133, 0, 202), ""),
        # Zoom forms the release table would place are exact numbers in the feed.
        (Scheme.ZOOM, "6.2", (6, 2), ""),
        (Scheme.ZOOM, "6.2.47507", (6, 2, 47507), ""),
        (Scheme.ZOOM, "5.4.53391.1108", (5, 4, 53391, 1108), ""),
        (Scheme.ZOOM, "5.16.10.25689", (5, 16, 10), "25689"),
        (Scheme.ZOOM, "5.12.2 (8964)", (5, 12, 2), "8964"),
    ],
)
def test_feed_versions_are_exact_under_every_scheme(
    scheme: Scheme, raw: str, parts: tuple[int, ...], build: str
) -> None:
    parsed = versioning.parse_feed_version(scheme, raw)
    assert parsed is not None
    assert (parsed.parts, parsed.exact, parsed.build) == (parts, True, build)


def test_each_scheme_reads_inventory_versions_its_own_way() -> None:
    # The same string, three schemes: only Skype reads two parts as a prefix, only Zoom
    # places an MSI build with the release table.
    assert parse(Scheme.DOTTED, "8.133") == Version("8.133", (8, 133))
    assert parse(Scheme.SKYPE, "8.133") == Version("8.133", (8, 133), exact=False)
    msi = "6.2.47507"
    assert parse(Scheme.DOTTED, msi, Platform.WINDOWS, ZOOM_TABLE) == Version(msi, (6, 2, 47507))
    assert parse(Scheme.SKYPE, msi, Platform.WINDOWS, ZOOM_TABLE) == Version(msi, (6, 2, 47507))
    zoom = parse(Scheme.ZOOM, msi, Platform.WINDOWS, ZOOM_TABLE)
    assert zoom == Version(msi, (6, 2, 3), build="47507")


PRODUCT_FILE = "id: demo\nname: Demo\nvendor: Example\nversion_scheme: {scheme}\n"
FEED_META = "schema_version: 1\ngenerated_at: '2026-01-01T00:00:00Z'\npublisher: tests\n"


def _feed_dir(tmp_path: Path, scheme: str) -> Path:
    (tmp_path / "feed.yaml").write_text(FEED_META, encoding="utf-8")
    (tmp_path / "demo.yaml").write_text(PRODUCT_FILE.format(scheme=scheme), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("scheme", list(Scheme))
def test_loaded_product_carries_its_scheme_member(tmp_path: Path, scheme: Scheme) -> None:
    (product,) = load_feed(_feed_dir(tmp_path, scheme.value)).products
    assert product.version_scheme is scheme


def test_product_without_a_scheme_is_dotted(tmp_path: Path) -> None:
    (tmp_path / "feed.yaml").write_text(FEED_META, encoding="utf-8")
    (tmp_path / "demo.yaml").write_text("id: demo\nname: D\nvendor: E\n", encoding="utf-8")
    (product,) = load_feed(tmp_path).products
    assert product.version_scheme is Scheme.DOTTED


@pytest.mark.parametrize("name", ["semver", "Zoom"])
def test_unknown_scheme_is_one_line_naming_file_line_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    (tmp_path / "feed").mkdir()
    feed = _feed_dir(tmp_path / "feed", name)
    message = f"demo.yaml, line 4: version_scheme: unknown scheme {name!r}"
    with pytest.raises(FeedError) as caught:
        load_feed(feed)
    assert str(caught.value).endswith(message)
    fleet = tmp_path / "fleet.csv"
    fleet.write_text("host,platform,product,version\nh,windows,demo,1.0\n", encoding="utf-8")
    code = main(["scan", str(fleet), "--feed", str(feed)])
    out, err = capsys.readouterr()
    assert (code, out) == (4, "")
    assert err.count("\n") == 1
    assert message in err


def test_compiled_feed_keeps_the_scheme_member(test_feed: Feed) -> None:
    data = compiled.dumps(test_feed, version="1", source="s")
    schemes = [p.version_scheme for p in compiled.loads(data, version="1", source="s").products]
    assert schemes == [p.version_scheme for p in test_feed.products]
    assert all(type(s) is Scheme for s in schemes)


def test_compiled_feed_with_an_unknown_scheme_is_refused(test_feed: Feed) -> None:
    head, _, payload = compiled.dumps(test_feed, version="1", source="s").partition(b"\n")
    doc = json.loads(payload)
    doc["products"][0]["version_scheme"] = "semver"
    changed = json.dumps(doc).encode()
    header = {**json.loads(head), "payload": hashlib.sha256(changed).hexdigest()}
    forged = json.dumps(header, sort_keys=True).encode() + b"\n" + changed
    with pytest.raises(compiled.Mismatch, match="not a VersionScheme: 'semver'"):
        compiled.loads(forged, version="1", source="s")


BUILD_TABLE = BuildTable(
    [
        Release("5.12.0", ((Platform.WINDOWS, "8964"),), None, ("x",)),
        Release("5.12.2", ((Platform.WINDOWS, "9281"),), None, ("x",)),
    ]
)


@pytest.mark.parametrize(
    ("raw", "parts", "placed"),
    [
        # winget's Zoom.Zoom 5.12.8964 manifest records the per-user DisplayVersion
        # `5.12.2 (8964)`; build 8964 is 5.12.0: the lower is taken, and said.
        ("5.12.2 (8964)", (5, 12, 0), "build 8964 is 5.12.0 in the release table"),
        ("5.12.0 (9281)", (5, 12, 0), ""),  # the row says less than its build: kept
        ("5.12.2 (9281)", (5, 12, 2), ""),  # the two agree
        ("5.12.2 (1234)", (5, 12, 2), ""),  # a build the table does not list
    ],
)
def test_zoom_version_and_build_that_disagree_take_the_lower(
    raw: str, parts: tuple[int, ...], placed: str
) -> None:
    parsed = parse(Scheme.ZOOM, raw, Platform.WINDOWS, BUILD_TABLE)
    assert parsed is not None
    assert parsed.exact
    assert (parsed.raw, parsed.parts, parsed.placed) == (raw, parts, placed)
    assert parsed.build == raw.split("(")[1].rstrip(")")


def test_a_zoom_build_is_placed_on_its_own_platform_only() -> None:
    """Builds differ per platform: Windows' build 8964 says nothing of a Mac's `(8964)`."""
    mac = parse(Scheme.ZOOM, "5.12.2 (8964)", Platform.MACOS, BUILD_TABLE)
    assert mac is not None
    assert (mac.parts, mac.placed) == ((5, 12, 2), "")
