"""Match one installed version of a product against the feed. Pure: no I/O, no clock.

A `Matcher` pre-parses every product's ranges once and caches its answer per distinct
(product, platform, version): a fleet of a million rows has a few hundred distinct versions.

Advisories whose affected versions are not published yet (`range: unknown`) never match a
version: they are returned as `review` on every version of the product on their platforms,
and never make a release unclean (DESIGN.md: shown, never counted as confirmed).

It also says which releases are safe to upgrade to (DESIGN.md, Risk model): the smallest
clean release above the installed one (or at the enforced minimum), whether every release
from it up to the latest is clean ("X or later" is true), and whether the latest itself is.
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
class Upgrade:
    """A release to upgrade to, found from a floor (above the installed version, or at the
    enforced minimum): every version named here is clean on the platform."""

    smallest: str = ""
    """The smallest clean release from the floor on; empty when none is known."""
    holds: bool = False
    """Every release from `smallest` up to the latest is clean: "`smallest` or later" is true.
    False whenever that cannot be shown (an unknown comparison counts as affected)."""
    affected_from: str = ""
    """Where the lowest range affecting releases after `smallest` is introduced, when it is
    introduced above `smallest` (empty when `holds`, or when it starts right after it)."""
    to: str = ""
    """The release to name: `smallest` when it holds or the latest is affected, else the
    latest (clean). Empty when no clean release is known."""
    later_affected: bool = False
    """A range the feed publishes affects some release after `smallest` (the reason "or
    later" is not said); False when it holds, or when the feed knows no latest release and
    no range above `smallest` (nothing is known of the releases after it, either way)."""

    @property
    def or_later(self) -> bool:
        """Every release from `to` up to the latest is clean."""
        return self.holds if self.to == self.smallest else bool(self.to)


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
    review: tuple[Advisory, ...] = ()
    """Advisories of the product on this platform with no published range: to review, on any
    version (placed or not), never a hit."""
    latest: str = ""
    latest_date: dt.date | None = None
    behind_latest: bool | None = None
    ahead_of_latest: bool = False
    """Newer than the feed's latest release: a sign the feed is stale."""
    below_minimum: MinimumVersion | None = None
    fix: Upgrade = Upgrade()
    """Where to upgrade to clear every advisory that applies (empty when none applies)."""
    minimum_fix: Upgrade = Upgrade()
    """Where to upgrade to reach `below_minimum` with a clean release (empty when not below)."""
    latest_clean: bool = False
    """The latest release on this platform is known, and no advisory affects it."""
    releases_behind: int | None = None
    """Releases in the vendor's release table after this one, up to the latest (None: no table)."""

    @property
    def fixed_in(self) -> str:
        """The smallest release above this one that clears every advisory ("" if none)."""
        return self.fix.smallest

    @property
    def fix_holds(self) -> bool:
        """Every release from `fixed_in` up to the latest is clean ("or later" is true)."""
        return self.fix.holds


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
    unranged: tuple[Advisory, ...] = ()
    """Client-side, not withdrawn advisories whose range is not published yet."""

    def review(self, platform: Platform) -> tuple[Advisory, ...]:
        """The unranged advisories that concern `platform`."""
        return tuple(a for a in self.unranged if platform in a.platforms)


class Matcher:
    """Answers `match()` for one feed, caching per distinct (product, platform, version)."""

    def __init__(self, today: dt.date) -> None:
        self._today = today
        self._prepared: dict[str, _Prepared] = {}
        self._cache: dict[tuple[str, Platform, str], Match] = {}
        self._ladders: dict[tuple[str, Platform], _Ladder] = {}

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

    def _ladder(self, prep: _Prepared, platform: Platform) -> _Ladder:
        key = (prep.product.id, platform)
        ladder = self._ladders.get(key)
        if ladder is None:
            ladder = self._ladders[key] = _Ladder.of(prep, platform)
        return ladder

    def _match(self, prep: _Prepared, platform: Platform, raw: str) -> Match:
        product = prep.product
        latest_release = product.latest_for(platform)
        latest = latest_release.version if latest_release else ""
        latest_date = latest_release.date if latest_release else None
        ladder = self._ladder(prep, platform)
        version = versioning.parse(product.version_scheme, raw, platform, prep.table)
        review = prep.review(platform)
        if version is None:
            return Match(
                product=product,
                raw_version=raw,
                version=None,
                review=review,
                latest=latest,
                latest_date=latest_date,
                latest_clean=ladder.latest_clean,
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
        if ladder.latest is not None:
            behind = versioning.less_than(version, ladder.latest)
            ahead = versioning.less_than(ladder.latest, version) is True
        minimum = self._below_minimum(product, platform, version)
        return Match(
            product=product,
            raw_version=raw,
            version=version,
            hits=tuple(hits),
            ambiguous=tuple(ambiguous),
            review=review,
            latest=latest,
            latest_date=latest_date,
            behind_latest=behind,
            ahead_of_latest=ahead,
            below_minimum=minimum,
            fix=ladder.upgrade(version, inclusive=False) if hits else Upgrade(),
            minimum_fix=(
                ladder.upgrade(_feed_version(product, minimum.version), inclusive=True)
                if minimum is not None
                else Upgrade()
            ),
            latest_clean=ladder.latest_clean,
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
    unranged: list[Advisory] = []
    for advisory in product.advisories:
        # Fixed on the vendor's servers: no client version is affected, so never flag one.
        if advisory.server_side or advisory.withdrawn:
            continue
        if not advisory.range_known:
            unranged.append(advisory)  # never a range guessed for it: reviewed, not matched
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
        product=product,
        table=versioning.BuildTable(product.releases),
        ranges=tuple(ranges),
        unranged=tuple(unranged),
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


def _clean(prep: _Prepared, platform: Platform, version: Version) -> bool:
    """No advisory affects `version` on `platform`: each one's answer is a definite no."""
    return all(_applies(ranges, platform, version)[0] is False for _a, ranges in prep.ranges)


def _may_affect_after(r: _Range, start: Version, top: Version | None) -> bool:
    """Whether range `r` may contain a release above `start` and at or below `top` (None: no
    upper end). Three-valued comparisons are read the cautious way: unknown means it may;
    versions `r` excludes (backports) are ignored, as nothing says which releases lie between."""
    if r.fixed is not None:
        if versioning.less_than(r.introduced, r.fixed) is False:
            return False  # an empty range
        ends_after = versioning.less_than(start, r.fixed)
    elif r.last_affected is not None:
        if versioning.at_most(r.introduced, r.last_affected) is False:
            return False
        ends_after = versioning.less_than(start, r.last_affected)
    else:
        ends_after = True  # no fix at all: affected from `introduced` on
    if ends_after is False:
        return False
    return top is None or versioning.at_most(r.introduced, top) is not False


@dataclass(frozen=True, slots=True)
class _Ladder:
    """One product's releases on one platform that an upgrade may name, lowest first.

    Candidates are the latest release, every fixed and backport-excluded version of a range
    on the platform, and the release table's releases that have a build on the platform; each
    is marked clean when every advisory's answer for it is a definite no.
    """

    prep: _Prepared
    platform: Platform
    steps: tuple[tuple[Version, bool], ...]
    latest: Version | None
    latest_clean: bool

    @classmethod
    def of(cls, prep: _Prepared, platform: Platform) -> _Ladder:
        product = prep.product
        release = product.latest_for(platform)
        texts = [release.version] if release else []
        for _advisory, ranges in prep.ranges:
            for r in ranges:
                if platform in r.source.platforms:
                    texts.extend(t for t in (r.source.fixed, *r.source.excluded) if t)
        texts.extend(
            row.version
            for row in product.releases
            if any(p is platform for p, _build in row.builds)
        )
        found: dict[tuple[int, ...], Version] = {}
        for text in texts:
            version = _feed_version(product, text)
            found.setdefault(versioning.sort_key(version), version)
        steps = tuple(
            (version, _clean(prep, platform, version)) for _key, version in sorted(found.items())
        )
        latest = _feed_version(product, release.version) if release else None
        clean = latest is not None and _clean(prep, platform, latest)
        return cls(prep, platform, steps, latest, clean)

    def upgrade(self, floor: Version, *, inclusive: bool) -> Upgrade:
        """The smallest clean release above `floor` (at or above it when `inclusive`), whether
        "it or later" holds up to the latest, and which release to name."""
        if inclusive and _clean(self.prep, self.platform, floor):
            return self._from(floor)
        for candidate, clean in self.steps:
            above = versioning.less_than(floor, candidate)
            if clean and (above is True or (inclusive and versioning.same(floor, candidate))):
                return self._from(candidate)
        return Upgrade()

    def _from(self, smallest: Version) -> Upgrade:
        latest = self.latest
        below_latest = latest is not None and versioning.less_than(smallest, latest) is True
        if latest is not None and versioning.same(smallest, latest) is True:
            return Upgrade(smallest.raw, holds=True, to=smallest.raw)
        # Up to the latest when the candidate is below it; past the latest (a stale feed) or
        # without one, any range above the candidate counts.
        top = latest if below_latest else None
        breaking = [
            r
            for _advisory, ranges in self.prep.ranges
            for r in ranges
            if self.platform in r.source.platforms and _may_affect_after(r, smallest, top)
        ]
        if not breaking:
            # Without a latest release nothing shows every release after it is clean: the
            # clean release is named alone, never "or later".
            return Upgrade(smallest.raw, holds=latest is not None, to=smallest.raw)
        starts = [r.introduced for r in breaking]
        affected_from = ""
        if all(versioning.less_than(smallest, s) is True for s in starts):
            affected_from = min(starts, key=versioning.sort_key).raw
        to = latest.raw if latest is not None and below_latest and self.latest_clean else ""
        return Upgrade(
            smallest.raw,
            holds=False,
            affected_from=affected_from,
            to=to or smallest.raw,
            later_affected=True,
        )
