"""Per-vendor version schemes: raw inventory strings to comparable versions.

Inventories report one release in several spellings (see shared/reference/inventory-formats.md
section 5). Each scheme turns a raw string into a `Version`: numeric parts, and whether those
parts are the whole version or only a prefix of it. A prefix arises where the inventory drops
information (the Zoom Windows MSI drops the patch number, the Skype EXE reports only
major.minor); comparisons against a prefix answer `None` when the answer depends on the
missing parts. A string a scheme cannot place parses to `None`, never to a guess.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from vcaudit.models import Platform, Release


class Scheme(StrEnum):
    """The version schemes a product file may name."""

    DOTTED = "dotted"
    ZOOM = "zoom"
    SKYPE = "skype"


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
    low: tuple[int, ...] = field(init=False, repr=False, compare=False)
    """The smallest version this stands for, padded to WIDTH parts."""
    high: tuple[int, ...] = field(init=False, repr=False, compare=False)
    """The largest version this stands for (the prefix followed by the top), padded."""

    def __post_init__(self) -> None:
        pad = (0,) * (WIDTH - len(self.parts))
        low = self.parts + pad
        high = low if self.exact else (*self.parts, _TOP, *pad[1:])
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
# Below this a Zoom third part is a patch number; from it on, a build number (MSI form).
_ZOOM_MIN_BUILD = 1000


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


class BuildTable:
    """A product's release table: build number -> release parts, per platform."""

    __slots__ = ("_any", "_by_platform")

    def __init__(self, releases: Iterable[Release]) -> None:
        self._by_platform: dict[tuple[Platform, str], tuple[int, ...]] = {}
        self._any: dict[str, tuple[int, ...]] = {}
        for release in releases:
            parts = _numbers(release.version)
            if parts is None:
                continue
            for platform, build in release.builds:
                self._by_platform[(platform, build)] = parts
                self._any.setdefault(build, parts)

    def release_of(self, build: str, platform: Platform | None) -> tuple[int, ...] | None:
        """The release whose build on `platform` (else on any platform) is `build`."""
        if platform is not None:
            found = self._by_platform.get((platform, build))
            if found is not None:
                return found
        return self._any.get(build)


EMPTY_TABLE = BuildTable(())


def parse(
    scheme: Scheme | str,
    raw: str,
    platform: Platform | None = None,
    table: BuildTable = EMPTY_TABLE,
) -> Version | None:
    """Parse `raw` under `scheme`; None when the scheme cannot place it."""
    text = _strip_packaging(raw)
    if not text:
        return None
    if scheme == Scheme.ZOOM:
        return _parse_zoom(raw, text, platform, table)
    if scheme == Scheme.SKYPE:
        parts = _numbers(text)
        if parts is None:
            return None
        # The Skype Windows EXE reports only major.minor (`8.133`) for any 8.133.x.y.
        return Version(raw, parts, exact=len(parts) != 2)
    parts = _numbers(text)
    return Version(raw, parts) if parts is not None else None


def _parse_zoom(
    raw: str, text: str, platform: Platform | None, table: BuildTable
) -> Version | None:
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
        return Version(raw, parts[:3], build=str(parts[3]))
    if len(parts) == 3 and not build and parts[2] >= _ZOOM_MIN_BUILD:
        # The Windows MSI DisplayVersion is major.minor.build with the patch dropped
        # (6.2.3.47507 is reported as 6.2.47507): only the release table can place it.
        msi_build = str(parts[2])
        release = table.release_of(msi_build, platform)
        if release is not None and release[:2] == parts[:2]:
            return Version(raw, release, build=msi_build)
        return Version(raw, parts[:2], exact=False, build=msi_build)
    if len(parts) == 2:
        return Version(raw, parts, exact=False, build=build)
    if build:
        # `X.Y.Z (BUILD)`: prefer the table when it knows the build, it is authoritative.
        return Version(raw, parts, build=build)
    return Version(raw, parts)


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


def parse_feed_version(scheme: Scheme | str, raw: str) -> Version | None:
    """Parse a version written in the feed; feed versions must be exact."""
    version = parse(scheme, raw)
    if version is None or not version.exact:
        # The feed writes Skype's releases in four parts; a two-part feed version is a range
        # bound like any other, so read it as dotted.
        parts = _numbers(_strip_packaging(raw))
        return Version(raw, parts) if parts is not None else None
    return version
