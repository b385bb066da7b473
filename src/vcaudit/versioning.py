"""Per-vendor version schemes: raw inventory strings to comparable versions.

Inventories report one release in several spellings (see shared/reference/inventory-formats.md
section 5). Each scheme turns a raw string into a `Version`: numeric parts, and whether those
parts are the whole version or only a prefix of it. A prefix arises where the inventory drops
information (the Zoom Windows MSI drops the patch number, the Skype EXE reports only
major.minor); comparisons against a prefix answer `None` when the answer depends on the
missing parts. A string a scheme cannot place parses to `None`, never to a guess.

Each `Scheme` member (a product file's `version_scheme`) has one `VendorScheme` object in
`SCHEMES`: how that vendor's inventories and the feed spell its versions. A new scheme is its
member in `models.VersionScheme`, its class here and its entry in `SCHEMES`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from types import MappingProxyType
from typing import Protocol

from vcaudit.models import Platform, Release, VersionScheme

Scheme = VersionScheme
"""The version schemes a product file may name (defined beside `Product` in models)."""


# A part larger than any real version part: the top of a prefix's range.
_TOP = 1 << 62
MAX_PART_DIGITS = 18
"""Digits of one numeric part: a longer part is no version (and would pass `_TOP`, or
Python's 4300-digit limit on reading integers); such a string parses to None."""
# Versions compare as tuples padded with zeros to this many parts (`4.41.98` == `4.41.98.0`).
WIDTH = 8


@dataclass(frozen=True, slots=True)
class Version:
    """A parsed version: numeric parts, exact or a prefix of the real version."""

    raw: str
    parts: tuple[int, ...]
    exact: bool = True
    build: str = ""
    placed: str = ""
    """How the release table placed a build it does not list, for the report ("placed between
    5.12.0 and 5.12.2 by build number"); empty when it was not placed that way."""
    span: tuple[tuple[int, ...], tuple[int, ...]] | None = field(default=None, repr=False)
    """For a placed build, the releases it lies between (both may be it: a release can have
    several builds); None otherwise. Narrows `low` and `high` inside the prefix `parts`."""
    low: tuple[int, ...] = field(init=False, repr=False, compare=False)
    """The smallest version this stands for, padded to WIDTH parts."""
    high: tuple[int, ...] = field(init=False, repr=False, compare=False)
    """The largest version this stands for (the prefix followed by the top), padded."""

    def __post_init__(self) -> None:
        pad = (0,) * (WIDTH - len(self.parts))
        low = self.parts + pad
        high = low if self.exact else (*self.parts, _TOP, *pad[1:])
        if self.span is not None:
            low, high = (bound + (0,) * (WIDTH - len(bound)) for bound in self.span)
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)

    def __str__(self) -> str:
        text = ".".join(str(p) for p in self.parts)
        return text if self.exact else f"{text}.x"


_NUMERIC = re.compile(r"\d+(?:\.\d+)*")
# Debian `epoch:`; RPM and Debian `-revision` (a revision starts with a digit, so `-beta` stays).
_EPOCH = re.compile(r"^\d+:")
_REVISION = re.compile(r"-\d[0-9A-Za-z.+~]*$")
# `5.16.10 (25689)`: Zoom's macOS short version and its Windows per-user DisplayVersion.
_PAREN_BUILD = re.compile(r"^(?P<version>\d+(?:\.\d+)*)\s*\((?P<build>\d+)\)$")
# Below this a Zoom third part is a patch number (none has reached 20); from it on, a build
# number: the MSI form (`5.7.522` is 5.7.0.522, winget Zoom.Zoom 5.7.522) and the 2020-21
# `X.Y.BUILD.MMDD` versions (`5.4.53391.1108`, flathub us.zoom.Zoom) put a build third.
_ZOOM_MIN_BUILD = 100


def _strip_packaging(raw: str) -> str:
    text = raw.strip()
    if text[:1] in ("v", "V") and text[1:2].isdigit():
        text = text[1:]
    text = _EPOCH.sub("", text, count=1)
    return _REVISION.sub("", text, count=1)


def _numbers(text: str) -> tuple[int, ...] | None:
    if not _NUMERIC.fullmatch(text):
        return None
    pieces = text.split(".")
    # Longer than any vendor writes: not a version vcaudit can place.
    if len(pieces) >= WIDTH or any(len(p) > MAX_PART_DIGITS for p in pieces):
        return None
    return tuple(int(p) for p in pieces)


_DIGITS = re.compile(r"\d+")


def longest_number(raw: str) -> int:
    """The digits of the longest run of digits in `raw` (0 for short strings, quickly)."""
    if len(raw) <= MAX_PART_DIGITS:
        return 0
    return max(map(len, _DIGITS.findall(raw)), default=0)


def _build_key(build: str) -> tuple[int, str]:
    """Orders digit strings as numbers without converting them (a build may be any length)."""
    digits = build.lstrip("0")
    return len(digits), digits


def _dotted(parts: tuple[int, ...]) -> str:
    return ".".join(str(p) for p in parts)


class BuildTable:
    """A product's release table: build number -> release parts, per platform and minor line.

    Builds grow within a platform's minor line: Zoom's counters restart between lines (the
    Windows one at 6.5.0), never inside one. So a build the table does not list, but that lies
    between two listed builds of its platform and minor line, is placed between their releases
    (`between`), both included: a release can have several builds (Windows 5.7.5 is 939 and
    1020). Never across a minor line, never past a line's lowest or highest listed build (nothing
    bounds it there: a number from another counter would look older or newer than every
    release), and never on a platform where some line's listed builds do not grow with their
    releases (Zoom's Linux builds restart within a line: 5.12.2.4816, then 5.12.6.173).
    """

    __slots__ = ("_any", "_exact", "_lines", "_unordered")

    def __init__(self, releases: Iterable[Release]) -> None:
        self._exact: dict[tuple[Platform, tuple[int, ...], str], tuple[int, ...]] = {}
        self._any: dict[tuple[tuple[int, ...], str], tuple[int, ...]] = {}
        rows: dict[tuple[Platform, tuple[int, ...]], set[tuple[tuple[int, str], tuple[int, ...]]]]
        rows = {}
        for release in releases:
            parts = _numbers(release.version)
            if parts is None or len(parts) < 2:
                continue
            line = parts[:2]
            for platform, build in release.builds:
                self._exact.setdefault((platform, line, build), parts)
                self._any.setdefault((line, build), parts)
                rows.setdefault((platform, line), set()).add((_build_key(build), parts))
        self._lines = {key: tuple(sorted(found)) for key, found in rows.items()}
        self._unordered = tuple(
            sorted(
                key
                for key, found in self._lines.items()
                if any(a[0] == b[0] or a[1] > b[1] for a, b in pairwise(found))
            )
        )

    def release_of(
        self, build: str, line: tuple[int, ...], platform: Platform | None
    ) -> tuple[int, ...] | None:
        """The release of minor line `line` whose build on `platform` is `build` (on any
        platform when the platform is not known: builds differ per platform)."""
        if platform is None:
            return self._any.get((line, build))
        return self._exact.get((platform, line, build))

    def between(
        self, build: str, line: tuple[int, ...], platform: Platform | None
    ) -> tuple[tuple[int, ...], tuple[int, ...]] | None:
        """The releases of the listed builds of `line` on `platform` nearest below and above
        `build`, which the table does not list; None when either is missing or the platform's
        builds are not known to grow within a line."""
        if platform is None or any(p is platform for p, _line in self._unordered):
            return None
        rows = self._lines.get((platform, line), ())
        key = _build_key(build)
        below = [release for found, release in rows if found < key]
        above = [release for found, release in rows if found > key]
        if not below or not above or len(below) + len(above) != len(rows):
            return None
        return below[-1], above[0]

    def unordered_lines(self) -> tuple[tuple[Platform, tuple[int, ...]], ...]:
        """The (platform, minor line) pairs whose listed builds do not grow with their
        releases; no build is placed by number on those platforms."""
        return self._unordered


EMPTY_TABLE = BuildTable(())


class VendorScheme(Protocol):
    """How one vendor spells its versions, in inventories and in the feed."""

    def parse(self, raw: str, platform: Platform | None, table: BuildTable) -> Version | None:
        """An inventory's `raw` version as reported on `platform` (None when not known), placed
        with the product's release `table`; None when the scheme cannot place it."""
        ...

    def parse_feed(self, raw: str) -> Version | None:
        """A version as the feed writes it, always exact (a range bound, a release)."""
        ...


def _dotted_version(raw: str) -> Version | None:
    """`raw` as plain dotted numbers, after packaging decorations; None when it is not."""
    parts = _numbers(_strip_packaging(raw))
    return Version(raw, parts) if parts is not None else None


class DottedScheme:
    """Plain dotted numbers (`4.41.98`), the same in inventories and the feed."""

    __slots__ = ()

    def parse(self, raw: str, platform: Platform | None, table: BuildTable) -> Version | None:
        return _dotted_version(raw)

    def parse_feed(self, raw: str) -> Version | None:
        return _dotted_version(raw)


class SkypeScheme:
    """Skype: dotted, except that the Windows EXE reports only major.minor."""

    __slots__ = ()

    def parse(self, raw: str, platform: Platform | None, table: BuildTable) -> Version | None:
        version = _dotted_version(raw)
        if version is None or len(version.parts) != 2:
            return version
        # The Skype Windows EXE reports only major.minor (`8.133`) for any 8.133.x.y.
        return Version(raw, version.parts, exact=False)

    def parse_feed(self, raw: str) -> Version | None:
        # The feed writes Skype's releases in four parts; a two-part feed version is a range
        # bound like any other, so read it as dotted.
        return _dotted_version(raw)


class ZoomScheme:
    """Zoom: `X.Y.Z (BUILD)`, the MSI's `X.Y.BUILD` and the 2020-21 `X.Y.BUILD.MMDD`, placed
    by the release table's build numbers."""

    __slots__ = ()

    def parse(self, raw: str, platform: Platform | None, table: BuildTable) -> Version | None:
        text = _strip_packaging(raw)
        build = ""
        paren = _PAREN_BUILD.match(text)
        if paren:
            text, build = paren["version"], paren["build"]
        parts = _numbers(text)
        if parts is None or len(parts) < 2 or len(parts) > 4:
            return None
        if len(parts) == 4:
            if build:
                return None
            if parts[2] < _ZOOM_MIN_BUILD:
                return Version(raw, parts[:3], build=str(parts[3]))
            # 2020-21 `X.Y.BUILD.MMDD` (`5.4.53391.1108`): a build third and a date last, so it
            # is placed like the MSI form below.
            parts = parts[:3]
        if len(parts) == 3 and not build and parts[2] >= _ZOOM_MIN_BUILD:
            return self._msi(raw, parts, platform, table)
        if len(parts) == 2:
            return Version(raw, parts, exact=False, build=build)
        if build:
            # `X.Y.Z (BUILD)`: the release table knows which release of the line X.Y a build
            # is. Where the two disagree (winget's 5.12.8964 manifest records `5.12.2 (8964)`,
            # a 5.12.0 build), the lower is taken: no client is judged newer than either says.
            release = table.release_of(build, parts[:2], platform)
            if release is not None and release < parts:
                note = f"build {build} is {_dotted(release)} in the release table"
                return Version(raw, release, build=build, placed=note)
            return Version(raw, parts, build=build)
        return Version(raw, parts)

    @staticmethod
    def _msi(
        raw: str, parts: tuple[int, ...], platform: Platform | None, table: BuildTable
    ) -> Version:
        # The Windows MSI DisplayVersion is major.minor.build with the patch dropped
        # (6.2.3.47507 is reported as 6.2.47507): only the release table can place it, by the
        # build's own row, else between the rows of its line around it.
        msi_build, line = str(parts[2]), parts[:2]
        release = table.release_of(msi_build, line, platform)
        if release is not None:
            return Version(raw, release, build=msi_build)
        span = table.between(msi_build, line, platform)
        if span is not None:
            below, above = (_dotted(p) for p in span)
            note = (
                f"placed between {below} and {above} by build number"
                if below != above
                else f"placed at {below} by build number (between two of its builds)"
            )
            return Version(raw, line, False, msi_build, placed=note, span=span)
        return Version(raw, line, exact=False, build=msi_build)

    def parse_feed(self, raw: str) -> Version | None:
        version = self.parse(raw, None, EMPTY_TABLE)
        if version is None or not version.exact:
            # A feed version is exact: what the Zoom forms cannot place is read as dotted.
            return _dotted_version(raw)
        return version


SCHEMES: Mapping[Scheme, VendorScheme] = MappingProxyType(
    {
        Scheme.DOTTED: DottedScheme(),
        Scheme.ZOOM: ZoomScheme(),
        Scheme.SKYPE: SkypeScheme(),
    }
)
"""The scheme object for each member of `Scheme`."""


def parse(
    scheme: Scheme,
    raw: str,
    platform: Platform | None = None,
    table: BuildTable = EMPTY_TABLE,
) -> Version | None:
    """Parse the inventory version `raw` under `scheme`; None when the scheme cannot place it."""
    return SCHEMES[scheme].parse(raw, platform, table)


def less_than(v: Version, bound: Version) -> bool | None:
    """`v < bound`; None when `v` is a prefix and the answer depends on its missing parts."""
    if v.high < bound.low:
        return True
    if v.low >= bound.high:
        return False
    return None


def at_most(v: Version, bound: Version) -> bool | None:
    """`v <= bound`, three-valued like `less_than`."""
    result = less_than(bound, v)
    return None if result is None else not result


def same(v: Version, other: Version) -> bool | None:
    """`v == other` numerically (`4.41.98.0` equals `4.41.98`), three-valued."""
    below = less_than(v, other)
    above = less_than(other, v)
    if below is True or above is True:
        return False
    if below is False and above is False:
        return True
    return None


def sort_key(v: Version) -> tuple[int, ...]:
    """A key that orders exact versions numerically (trailing zeros ignored)."""
    parts = list(v.parts)
    while parts and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def parse_feed_version(scheme: Scheme, raw: str) -> Version | None:
    """Parse a version written in the feed under `scheme`; feed versions are exact."""
    return SCHEMES[scheme].parse_feed(raw)
