"""Match one installed version of a product against the feed. Pure: no I/O, no clock.

A `Matcher` pre-parses every product's ranges once and caches its answer per distinct
(product, platform, version): a fleet of a million rows has a few hundred distinct versions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from vcaudit import versioning
from vcaudit.models import (
    Advisory,
    AdvisoryHit,
    AffectedRange,
    MinimumVersion,
    Platform,
    Product,
)
from vcaudit.versioning import Version


@dataclass(frozen=True, slots=True)
class Match:
    """What the feed says about one (product, platform, version)."""

    product: Product
    raw_version: str
    version: Version | None
    """None when the product's scheme cannot place the raw version."""
    hits: tuple[AdvisoryHit, ...] = ()
    ambiguous: tuple[Advisory, ...] = ()
    """Advisories whose applicability depends on version parts the inventory did not report."""
    latest: str = ""
    latest_date: dt.date | None = None
    behind_latest: bool | None = None
    ahead_of_latest: bool = False
    """Newer than the feed's latest release: a sign the feed is stale."""
    below_minimum: MinimumVersion | None = None
    fixed_in: str = ""
    releases_behind: int | None = None
    """Releases in the vendor's release table after this one, up to the latest (None: no table)."""


@dataclass(frozen=True, slots=True)
class _Range:
    source: AffectedRange
    introduced: Version
    fixed: Version | None
    last_affected: Version | None
    excluded: tuple[Version, ...]

    def contains(self, v: Version) -> bool | None:
        """Three-valued: True affected, False not, None cannot tell from `v`."""
        above = versioning.less_than(v, self.introduced)
        started = None if above is None else not above
        if self.fixed is not None:
            before_end = versioning.less_than(v, self.fixed)
        elif self.last_affected is not None:
            before_end = versioning.at_most(v, self.last_affected)
        else:
            before_end = True
        inside = _and(started, before_end)
        if inside is False:
            return False
        for excluded in self.excluded:
            equal = versioning.same(v, excluded)
            if equal is True:
                return False
            if equal is None:
                inside = None
        return inside


def _and(a: bool | None, b: bool | None) -> bool | None:
    if a is False or b is False:
        return False
    if a is None or b is None:
        return None
    return True


@dataclass(frozen=True, slots=True)
class _Prepared:
    product: Product
    table: versioning.BuildTable
    ranges: tuple[tuple[Advisory, tuple[_Range, ...]], ...]
    """Client-side, not withdrawn advisories with their parsed ranges."""


class Matcher:
    """Answers `match()` for one feed, caching per distinct (product, platform, version)."""

    def __init__(self, today: dt.date) -> None:
        self._today = today
        self._prepared: dict[str, _Prepared] = {}
        self._cache: dict[tuple[str, Platform, str], Match] = {}

    def match(self, product: Product, platform: Platform, raw_version: str) -> Match:
        """The feed's verdict on `raw_version` of `product` on `platform`."""
        key = (product.id, platform, raw_version)
        found = self._cache.get(key)
        if found is None:
            found = self._match(self._prepare(product), platform, raw_version)
            self._cache[key] = found
        return found

    def _prepare(self, product: Product) -> _Prepared:
        prepared = self._prepared.get(product.id)
        if prepared is None:
            prepared = _prepare(product)
            self._prepared[product.id] = prepared
        return prepared

    def _match(self, prep: _Prepared, platform: Platform, raw: str) -> Match:
        product = prep.product
        latest_release = product.latest_for(platform)
        latest = latest_release.version if latest_release else ""
        latest_date = latest_release.date if latest_release else None
        version = versioning.parse(product.version_scheme, raw, platform, prep.table)
        if version is None:
            return Match(
                product=product,
                raw_version=raw,
                version=None,
                latest=latest,
                latest_date=latest_date,
            )
        hits: list[AdvisoryHit] = []
        ambiguous: list[Advisory] = []
        for advisory, ranges in prep.ranges:
            verdict, fixed = _applies(ranges, platform, version)
            if verdict:
                hits.append(AdvisoryHit(advisory, fixed))
            elif verdict is None:
                ambiguous.append(advisory)
        behind: bool | None = None
        ahead = False
        if latest:
            latest_v = _feed_version(product, latest)
            behind = versioning.less_than(version, latest_v)
            ahead = versioning.less_than(latest_v, version) is True
        return Match(
            product=product,
            raw_version=raw,
            version=version,
            hits=tuple(hits),
            ambiguous=tuple(ambiguous),
            latest=latest,
            latest_date=latest_date,
            behind_latest=behind,
            ahead_of_latest=ahead,
            below_minimum=self._below_minimum(product, platform, version),
            fixed_in=_smallest_fix(prep, platform, version, latest) if hits else "",
            releases_behind=_releases_behind(prep, version, latest),
        )

    def _below_minimum(
        self, product: Product, platform: Platform, version: Version
    ) -> MinimumVersion | None:
        worst: MinimumVersion | None = None
        worst_v: Version | None = None
        for minimum in product.minimum_versions:
            if platform not in minimum.platforms:
                continue
            if minimum.effective is not None and minimum.effective > self._today:
                continue
            bound = _feed_version(product, minimum.version)
            if versioning.less_than(version, bound) is True and (
                worst_v is None or versioning.less_than(worst_v, bound)
            ):
                worst, worst_v = minimum, bound
        return worst


_FEED_VERSIONS: dict[tuple[str, str], Version] = {}
"""Parsed feed versions by (scheme, text): a feed repeats its fixed versions many times."""


def _feed_version(product: Product, text: str) -> Version:
    key = (product.version_scheme, text)
    version = _FEED_VERSIONS.get(key)
    if version is None:
        version = versioning.parse_feed_version(product.version_scheme, text)
        if version is None:  # the loader already refused such a feed
            raise ValueError(f"{product.id}: feed version {text!r} does not parse")
        _FEED_VERSIONS[key] = version
    return version


def _prepare(product: Product) -> _Prepared:
    ranges: list[tuple[Advisory, tuple[_Range, ...]]] = []
    for advisory in product.advisories:
        # Fixed on the vendor's servers: no client version is affected, so never flag one.
        if advisory.server_side or advisory.withdrawn:
            continue
        parsed = tuple(
            _Range(
                source=r,
                introduced=_feed_version(product, r.introduced or "0"),
                fixed=_feed_version(product, r.fixed) if r.fixed else None,
                last_affected=_feed_version(product, r.last_affected) if r.last_affected else None,
                excluded=tuple(_feed_version(product, e) for e in r.excluded),
            )
            for r in advisory.affected
        )
        ranges.append((advisory, parsed))
    return _Prepared(
        product=product, table=versioning.BuildTable(product.releases), ranges=tuple(ranges)
    )


def _applies(
    ranges: tuple[_Range, ...], platform: Platform, version: Version
) -> tuple[bool | None, str]:
    verdict: bool | None = False
    for r in ranges:
        if platform not in r.source.platforms:
            continue
        inside = r.contains(version)
        if inside:
            return True, r.source.fixed
        if inside is None:
            verdict = None
    return verdict, ""


def _releases_behind(prep: _Prepared, version: Version, latest: str) -> int | None:
    if not prep.product.releases or not latest:
        return None
    top = _feed_version(prep.product, latest)
    newer = {
        versioning.sort_key(v)
        for v in (_feed_version(prep.product, r.version) for r in prep.product.releases)
        if versioning.less_than(version, v) is True and versioning.at_most(v, top) is True
    }
    return len(newer)


def _smallest_fix(prep: _Prepared, platform: Platform, version: Version, latest: str) -> str:
    """The lowest version above `version` that no advisory affects on `platform`.

    Candidates are every fixed and backport-excluded version on this platform, and the latest
    release; a candidate counts only when each advisory's answer for it is a definite no.
    """
    candidates: dict[tuple[int, ...], Version] = {}
    texts = [latest] if latest else []
    for _advisory, ranges in prep.ranges:
        for r in ranges:
            if platform in r.source.platforms:
                texts.extend(t for t in (r.source.fixed, *r.source.excluded) if t)
    for text in texts:
        candidate = _feed_version(prep.product, text)
        if versioning.less_than(version, candidate) is True:
            candidates.setdefault(versioning.sort_key(candidate), candidate)
    for _key, candidate in sorted(candidates.items()):
        if all(_applies(ranges, platform, candidate)[0] is False for _a, ranges in prep.ranges):
            return candidate.raw
    return ""
