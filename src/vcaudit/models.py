"""Domain types shared by every part of vcaudit.

Frozen, slotted dataclasses and ordered enums only: nothing here does I/O or knows about
the terminal, so every other module can depend on it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Protocol, runtime_checkable


class Platform(StrEnum):
    """Desktop platforms the feed's ranges are written for."""

    WINDOWS = "windows"
    MACOS = "macos"
    LINUX = "linux"


class VersionScheme(StrEnum):
    """How a product writes its versions: the `version_scheme` a product file may name.

    Each member has one scheme object in `versioning.SCHEMES` that reads the vendor's
    spellings; the enum lives here so that `Product` can name it without importing versioning.
    """

    DOTTED = "dotted"
    ZOOM = "zoom"
    SKYPE = "skype"


class Ownership(StrEnum):
    """Who owns the device: the organisation, or an employee (BYOD)."""

    COMPANY = "company"
    PERSONAL = "personal"


class Status(StrEnum):
    """What vcaudit concluded about one installation, most serious first."""

    VULNERABLE = "vulnerable"
    EOL = "eol"
    UNSUPPORTED = "unsupported"
    UNAPPROVED = "unapproved"
    OUTDATED = "outdated"
    CURRENT = "current"
    UNKNOWN = "unknown"

    @property
    def rank(self) -> int:
        """Sort key: 0 for the most serious status."""
        return _STATUS_ORDER.index(self)


_STATUS_ORDER = list(Status)


class Risk(IntEnum):
    """One ordered risk scale for every finding."""

    NONE = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        """The lower-case word users type and read (`--fail-on high`)."""
        return self.name.lower()

    @classmethod
    def from_label(cls, label: str) -> Risk:
        """Parse `none`..`critical`; raises ValueError on anything else."""
        try:
            return cls[label.strip().upper()]
        except KeyError:
            raise ValueError(label) from None


def severity_band(score: float) -> Risk | None:
    """The severity a CVSS base score stands for (CVSS v3.1 specification, section 5): 0.1-3.9
    low, 4.0-6.9 medium, 7.0-8.9 high, 9.0-10.0 critical; None for 0.0 ("none")."""
    if score >= 9.0:
        return Risk.CRITICAL
    if score >= 7.0:
        return Risk.HIGH
    if score >= 4.0:
        return Risk.MEDIUM
    if score > 0.0:
        return Risk.LOW
    return None


class ExitCode(IntEnum):
    """The documented exit codes: `policy.decide_exit` picks one for a finished run, and
    `errors.exit_code_for` for a run that stopped."""

    OK = 0
    FINDINGS = 1
    USAGE = 2
    BAD_INPUT = 3
    FEED = 4
    DELIVERY = 5
    INTERNAL = 70
    INTERRUPTED = 130
    """Stopped by the user (Ctrl-C), as shells report SIGINT."""


@dataclass(frozen=True, slots=True)
class Source:
    """Where a record came from, so every finding points back to its row."""

    file: str
    line: int


@dataclass(frozen=True, slots=True)
class Installation:
    """One conferencing client on one host, as the inventory reported it."""

    host: str
    platform: Platform
    product: str
    """The product as the inventory named it: a feed id, a DisplayName, a bundle id, a package."""
    version: str
    """The raw version string, exactly as reported."""
    source: Source
    publisher: str = ""
    owner: str = ""
    ownership: Ownership = Ownership.COMPANY
    user: str = ""
    tags: tuple[str, ...] = ()
    last_seen: str = ""


# ---------------------------------------------------------------------------------------------
# The advisory feed


@dataclass(frozen=True, slots=True)
class WindowsRule:
    """A name as inventories report it (an Add/Remove Programs DisplayName, an app's name):
    a pattern for the name, and optional patterns for the publisher and platforms."""

    name: str
    publisher: str = ""
    installer: bool = False
    """A deployment helper (e.g. a machine-wide installer), counted apart from the client."""
    platforms: frozenset[Platform] = frozenset()
    """The platforms whose inventories report this name (empty: any)."""
    source: str = ""
    """Where this name was seen (a manifest, a cask, a tool's documentation)."""


@dataclass(frozen=True, slots=True)
class NotClientRule:
    """A name that looks like a product but is something else: an add-in or helper of it
    (nothing to audit), or a different product the feed does not cover."""

    name: str
    what: str
    """What it is, in a few words ("Outlook add-in", "a different product: Skype for Business")."""
    publisher: str = ""
    other_product: bool = False
    """A different conferencing product (reported as unknown), not a helper (not audited)."""
    source: str = ""


@dataclass(frozen=True, slots=True)
class Identification:
    """How inventories name a product, per channel."""

    windows: tuple[WindowsRule, ...] = ()
    windows_exclude: tuple[WindowsRule, ...] = ()
    names: tuple[WindowsRule, ...] = ()
    """Name rules for any platform (e.g. macOS app names as Fleet reports them)."""
    not_clients: tuple[NotClientRule, ...] = ()
    versions: str = ""
    """The shape every version of the product takes (a pattern), where products share a
    name: classic Teams `1.x.y.z`, new Teams `2xxxx.x.y.z`."""
    versions_text: str = ""
    """That shape in words, for messages."""
    apps: tuple[str, ...] = ()
    """macOS app bundle names (`zoom.us.app`), matched with or without `.app`."""
    msix: tuple[str, ...] = ()
    macos: tuple[str, ...] = ()
    deb: tuple[str, ...] = ()
    rpm: tuple[str, ...] = ()
    flatpak: tuple[str, ...] = ()
    snap: tuple[str, ...] = ()
    winget: tuple[str, ...] = ()
    homebrew: tuple[str, ...] = ()
    chocolatey: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Lifecycle:
    """Whether the vendor still supports the product."""

    eol: bool = False
    eol_date: dt.date | None = None
    successor: str = ""
    sources: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MinimumVersion:
    """A version the vendor enforces: older clients can no longer be used."""

    version: str
    platforms: frozenset[Platform]
    effective: dt.date | None
    source: str


@dataclass(frozen=True, slots=True)
class LatestRelease:
    """The newest release on one platform."""

    version: str
    date: dt.date | None
    source: str


@dataclass(frozen=True, slots=True)
class Release:
    """One row of a vendor's release table: release version and its build per platform."""

    version: str
    builds: tuple[tuple[Platform, str], ...]
    date: dt.date | None
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AffectedRange:
    """OSV-style affected range on a set of platforms."""

    platforms: frozenset[Platform]
    introduced: str = "0"
    fixed: str = ""
    last_affected: str = ""
    excluded: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Cvss:
    """A CVSS score as published."""

    version: str
    score: float
    vector: str
    source: str = "vendor"


@dataclass(frozen=True, slots=True)
class Advisory:
    """One vendor advisory (or CVE) with the client versions it affects."""

    id: str
    aliases: tuple[str, ...]
    title: str
    published: dt.date | None
    severity: Risk
    cvss: Cvss | None
    kev: bool
    server_side: bool
    """Fixed on the vendor's servers: the client version does not matter."""
    affected: tuple[AffectedRange, ...]
    """Empty when the range is not published yet (`range_known` false)."""
    references: tuple[str, ...]
    notes: str = ""
    range_known: bool = True
    """False for `range: unknown` in the feed: the sources name the advisory but publish no
    affected versions yet. vcaudit never guesses one: the advisory is a "review" item on every
    installation of the product on its `platforms`, shown, never counted as confirmed."""
    platforms: frozenset[Platform] = frozenset()
    """The platforms it concerns: those of its ranges, or those the feed lists without one."""
    kev_added: dt.date | None = None
    withdrawn: bool = False
    """Withdrawn or rejected by its publisher: shown, never matched."""
    source: Source | None = None
    """Where the advisory is written in the feed."""
    scored: bool = True
    """False when the feed has no score for it yet (none published, or none its sources
    show): `severity` is then the risk vcaudit counts it at until one is added (high)."""
    vendor_severity: str = ""
    """The vendor's own severity label where it disagrees with the band of the CVSS score
    (MSRC calls CVE-2023-29328 "critical" at 8.8): shown beside `severity`, never used to rank."""
    kev_unchecked: bool = False
    """Published after the CISA KEV catalog the feed was checked against (or the feed names
    no catalog): `kev` false then means "not checked", not "not known to be exploited"."""

    @property
    def ids(self) -> tuple[str, ...]:
        """The id followed by every alias."""
        return (self.id, *self.aliases)

    @property
    def severity_label(self) -> str:
        """The severity as the feed gives it: low, medium, high, critical, or unscored."""
        return self.severity.label if self.scored else "unscored"

    @property
    def counted_risk(self) -> Risk:
        """The risk it stands for where it applies: its severity, critical when known exploited."""
        return Risk.CRITICAL if self.kev else self.severity


class FactName(StrEnum):
    """The facts of a product's data-protection sheet (`data_protection` in the feed), in the
    order the sheet shows them: the questions a data-protection officer asks of a
    conferencing product."""

    VENDOR_ENTITY = "vendor_entity"
    MEDIA_PROCESSING = "media_processing"
    EU_RESIDENCY_OPTION = "eu_residency_option"
    OUTSIDE_EU = "outside_eu"
    RECORDINGS_LOCATION = "recordings_location"
    RECORDING_LOCATION_SELECTABLE = "recording_location_selectable"
    LOCAL_RECORDING = "local_recording"
    E2EE_AVAILABLE = "e2ee_available"
    E2EE_DEFAULT = "e2ee_default"
    E2EE_LIMITS = "e2ee_limits"
    SELF_HOSTABLE = "self_hostable"
    DPA_AVAILABLE = "dpa_available"
    END_OF_LIFE = "end_of_life"
    """Only for an end-of-life product: that no further security or privacy fixes will come."""

    @property
    def boolean(self) -> bool:
        """A yes/no fact (a policy can require it); the others are text."""
        return self in _BOOLEAN_FACTS

    @property
    def label(self) -> str:
        """The question the fact answers, as people read it."""
        return _FACT_LABELS[self]


_BOOLEAN_FACTS = frozenset(
    {
        FactName.EU_RESIDENCY_OPTION,
        FactName.RECORDING_LOCATION_SELECTABLE,
        FactName.LOCAL_RECORDING,
        FactName.E2EE_AVAILABLE,
        FactName.E2EE_DEFAULT,
        FactName.SELF_HOSTABLE,
        FactName.DPA_AVAILABLE,
    }
)
_FACT_LABELS = {
    FactName.VENDOR_ENTITY: "Contracting entity for EU customers",
    FactName.MEDIA_PROCESSING: "Where meeting media is processed",
    FactName.EU_RESIDENCY_OPTION: "Can be kept in the EU/EEA",
    FactName.OUTSIDE_EU: "What stays outside the EU/EEA",
    FactName.RECORDINGS_LOCATION: "Where cloud recordings are stored",
    FactName.RECORDING_LOCATION_SELECTABLE: "Recording location selectable",
    FactName.LOCAL_RECORDING: "Recordings can stay local",
    FactName.E2EE_AVAILABLE: "End-to-end encryption available",
    FactName.E2EE_DEFAULT: "End-to-end encryption on by default",
    FactName.E2EE_LIMITS: "What end-to-end encryption turns off",
    FactName.SELF_HOSTABLE: "Can be self-hosted",
    FactName.DPA_AVAILABLE: "Data processing agreement / SCCs",
    FactName.END_OF_LIFE: "No further fixes (vendor statement)",
}


@dataclass(frozen=True, slots=True)
class Fact:
    """One fact of a data-protection sheet, with the source it was read from."""

    name: FactName
    value: bool | str | None
    """True/false for a yes/no fact, text for the others; None when no source read states it
    (`unknown` in the feed): never filled in from memory."""
    source: str = ""
    """The URL the fact was read from (empty only for an unknown fact)."""
    read: dt.date | None = None
    """When the source was read."""
    note: str = ""
    """What the source says, quoted or in short (plans, limits)."""

    @property
    def known(self) -> bool:
        """A source states it."""
        return self.value is not None

    @property
    def shown(self) -> str:
        """The value as people read it: yes, no, the text, or unknown."""
        if self.value is None:
            return "unknown"
        if isinstance(self.value, bool):
            return "yes" if self.value else "no"
        return self.value


@dataclass(frozen=True, slots=True)
class Product:
    """One product of the feed."""

    id: str
    name: str
    vendor: str
    version_scheme: VersionScheme
    identify: Identification
    lifecycle: Lifecycle
    minimum_versions: tuple[MinimumVersion, ...]
    latest: tuple[tuple[Platform, LatestRelease], ...]
    releases: tuple[Release, ...]
    advisories: tuple[Advisory, ...]
    former_names: tuple[str, ...] = ()
    homepage: str = ""
    source: Source | None = None
    data_protection: tuple[Fact, ...] = ()
    """The data-protection sheet in `FactName` order; empty when the feed has none for it
    (every fact then reads as unknown)."""

    def fact(self, name: FactName) -> Fact:
        """One fact of the sheet (unknown when the sheet does not state it)."""
        for fact in self.data_protection:
            if fact.name is name:
                return fact
        return Fact(name, None)

    def latest_for(self, platform: Platform) -> LatestRelease | None:
        """The newest release on `platform`, if the feed knows it."""
        for plat, release in self.latest:
            if plat is platform:
                return release
        return None


@dataclass(frozen=True, slots=True)
class FeedInfo:
    """Where the feed came from and how old it is."""

    schema_version: int
    generated_at: dt.datetime | None
    publisher: str
    location: str
    kev_catalog_date: dt.date | None = None
    """The release date of the CISA KEV catalog the feed's `kev` flags were checked against."""
    kev_catalog_version: str = ""
    """That catalog's `catalogVersion` (`2025.08.25`)."""
    kev_catalog_source: str = ""
    """Where that catalog was read."""


@dataclass(frozen=True, slots=True)
class Feed:
    """The whole advisory feed."""

    info: FeedInfo
    products: tuple[Product, ...]

    def product(self, product_id: str) -> Product | None:
        """Look a product up by id."""
        for product in self.products:
            if product.id == product_id:
                return product
        return None


# ---------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True, slots=True)
class AdvisoryHit:
    """An advisory that applies to an installation, with the version that fixes it there."""

    advisory: Advisory
    fixed: str
    """First fixed version for this installation's range; empty when no fix is known."""


@dataclass(frozen=True, slots=True)
class IgnoredHit:
    """An advisory that applies but that the policy suppresses, and why."""

    hit: AdvisoryHit
    reason: str
    until: dt.date | None
    rule: int = 0
    """Which ignore rule of the policy (its index)."""


@dataclass(frozen=True, slots=True)
class Assessment:
    """The verdict for one distinct (product, platform, version); shared by every such row."""

    product: Product | None
    status: Status
    risk: Risk
    hits: tuple[AdvisoryHit, ...] = ()
    latest: str = ""
    fixed_in: str = ""
    """The smallest version that clears every applicable advisory (empty if none needed)."""
    upgrade_to: str = ""
    """The release to advise, always clean on this platform: the smallest clean one when
    every release from it up to the latest is clean, else the latest when that is clean, else
    the smallest clean one. Empty when no upgrade is advised, or when no clean one is known."""
    or_later: bool = False
    """Every release from `upgrade_to` up to the latest is clean: "X or later" is true."""
    also_clean: str = ""
    """A smaller clean release than `upgrade_to` (then the latest), when releases between the
    two are affected."""
    affected_from: str = ""
    """Where affected releases begin after the smallest clean one, when known (the reason
    "or later" is not said)."""
    later_affected: bool = False
    """A published range affects releases after `upgrade_to`; when it is False and "or
    later" is not said, the feed knows no latest release here, so nothing is known of them."""
    latest_clean: bool = False
    """The latest release on this platform is known and no advisory affects it."""
    minimum: str = ""
    reason: str = ""
    """One sentence on why: what is unknown, below which minimum, behind which release."""
    installer: bool = False
    """The row is the product's deployment helper (a machine-wide installer), not the client."""
    ignored: tuple[IgnoredHit, ...] = ()
    """Advisories that apply but are suppressed by the policy; shown, never counted."""
    owner: str = ""
    """Who answers for it, from the policy (the inventory's owner column wins over this)."""
    due: dt.date | None = None
    """When it must be fixed under the policy's SLA."""
    overdue: bool = False
    ahead_of_feed: bool = False
    """Newer than the feed's latest release: a sign the feed is stale."""
    not_client: bool = False
    """An add-in or helper of a product, not a client: nothing to audit (never fails a run)."""
    review: tuple[Advisory, ...] = ()
    """Advisories of the product on this platform whose affected versions are not published
    yet (and that no ignore rule covers): shown to review, never counted in status or risk."""

    @property
    def review_risk(self) -> Risk:
        """The highest severity among the advisories to review (known exploited: critical);
        none when there is nothing to review. Never the verdict's risk: only `review: fail`
        uses it, to decide whether the run fails."""
        return max((a.counted_risk for a in self.review), default=Risk.NONE)


def reaches(assessment: Assessment, fail_on: Risk, strict: bool, review: bool = False) -> bool:
    """Whether one verdict fails a run with this threshold (`--fail-on none` never fails);
    under `strict` an unknown product or version fails it (an add-in never does); with
    `review` (the policy's `review: fail`), an advisory to review whose severity reaches the
    threshold fails it too. The one rule: the summary's count, the exit code and every
    format's marks follow it."""
    if strict and assessment.status is Status.UNKNOWN and not assessment.not_client:
        return True
    if fail_on is Risk.NONE:
        return False
    return assessment.risk >= fail_on or (review and assessment.review_risk >= fail_on)


@dataclass(frozen=True, slots=True)
class Finding:
    """One installation with its assessment."""

    installation: Installation
    assessment: Assessment

    @property
    def owner(self) -> str:
        """The inventory's owner for this row, else the policy's owner for the product."""
        return self.installation.owner or self.assessment.owner

    @property
    def display_name(self) -> str:
        """The product as people should read it: the feed's name, else the inventory's."""
        product = self.assessment.product
        if product is None:
            return self.installation.product
        if self.assessment.installer:
            return f"{product.name} (machine-wide installer)"
        return product.name

    @property
    def product_id(self) -> str:
        """The feed id when identified, otherwise the raw name."""
        product = self.assessment.product
        return product.id if product else self.installation.product


@dataclass(frozen=True, slots=True)
class Summary:
    """Counts shown first in every output."""

    hosts: int
    installations: int
    by_status: tuple[tuple[Status, int], ...]
    by_risk: tuple[tuple[Risk, int], ...]
    worst: Risk
    failing: int = 0
    """Installations at or above --fail-on (or unknown under --strict)."""
    ignored: int = 0
    """Installations with at least one advisory suppressed by the policy."""
    review: int = 0
    """Installations with at least one advisory to review (affected versions not published)."""


@dataclass(frozen=True, slots=True)
class RunTally:
    """One run of `scan --state` as the state file's history remembers it: its open findings
    (the worst per host, product and platform, at a risk above none) counted."""

    run_at: str
    """When the run was (ISO 8601); "" for the run being reported, which is now."""
    by_risk: tuple[tuple[Risk, int], ...]
    """Open findings per risk, critical down to low."""
    by_status: tuple[tuple[Status, int], ...] = ()
    """Open findings per status, most serious first (the statuses that occur)."""
    installations: int | None = None
    """Installations audited; None when not recorded (a state kept before the history was)."""
    hosts: int | None = None
    new: int | None = None
    """Open findings that were not open at the run before."""
    resolved: int | None = None
    """Findings open at the run before and not any more."""

    @property
    def open(self) -> int:
        """Open findings, whatever their risk."""
        return sum(n for _, n in self.by_risk)


@dataclass(frozen=True, slots=True)
class Group:
    """Installations that share product, version, platform, verdict and owner."""

    product: str
    """Feed product name, or the raw name when unknown."""
    version: str
    platform: Platform
    assessment: Assessment
    installations: int
    hosts: int
    owner: str = ""
    host_names: AbstractSet[str] = frozenset()
    """The hosts of the group (shared, not copied: treat as read-only)."""
    first: Source | None = None
    """The first inventory row of the group (where SARIF points)."""


@dataclass(frozen=True, slots=True)
class Step:
    """One action for a person: upgrade, replace or remove a product on some hosts, or watch
    for a fix when no clean release is known."""

    text: str
    hosts: int


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether the run fails, and the threshold it was judged at."""

    failing: int
    """Installations at or above the threshold (see `reaches`)."""
    fail_on: Risk
    strict: bool = False
    review: bool = False
    """The policy's `review: fail`."""

    @property
    def passed(self) -> bool:
        """Nothing reached the threshold."""
        return not self.failing


@dataclass(frozen=True, slots=True)
class DataProtectionEntry:
    """A product found in the fleet: its data-protection sheet (`product.data_protection`),
    how many hosts run it, and what the policy's requirements make of it."""

    product: Product
    hosts: int
    installations: int
    unmet: tuple[FactName, ...] = ()
    """Facts the policy requires that the sheet answers no."""
    unknown: tuple[FactName, ...] = ()
    """Facts the policy requires that no source read states."""


@dataclass(frozen=True, slots=True)
class DataProtectionSection:
    """The reports' "data protection" section: the products found in the fleet, most hosts
    first, and the policy's requirements they were judged against."""

    products: tuple[DataProtectionEntry, ...] = ()
    required: tuple[FactName, ...] = ()
    """The facts the policy requires (`data_protection.require`)."""
    unknown_fails: bool = False
    """`data_protection.unknown: fail`: a required fact no source states makes the product
    unapproved, as one answered no does (by default it is only reported)."""


class Findings(Protocol):
    """A re-iterable sequence of findings in input order (a tuple, a disk-backed store, or
    counted files read again). Iterating never fails for want of rows: a report that kept
    only counts iterates over nothing and says so in `AuditReport.rows`."""

    def __iter__(self) -> Iterator[Finding]: ...

    def __len__(self) -> int: ...


@dataclass(frozen=True, slots=True)
class RowBatch:
    """Rows read again from a counted file: each row is one of the file's distinct
    installations (`firsts`, by number) but for its own host, user and line. A format that
    writes many rows can encode each distinct installation once (see `BatchedFindings`)."""

    firsts: Sequence[Installation]
    """The first row of each distinct installation of the file, by number (the same object
    for every batch of one file)."""
    assessments: Sequence[Assessment]
    """The verdict of each distinct installation, by number."""
    numbers: Sequence[int]
    hosts: Sequence[str]
    users: Sequence[str]
    lines: Sequence[int]

    def __len__(self) -> int:
        return len(self.numbers)

    def __iter__(self) -> Iterator[Finding]:
        """The batch's rows as findings."""
        firsts = self.firsts
        assessments = self.assessments
        for number, host, user, line in zip(
            self.numbers, self.hosts, self.users, self.lines, strict=True
        ):
            first = firsts[number]
            yield Finding(
                Installation(
                    host=host,
                    platform=first.platform,
                    product=first.product,
                    version=first.version,
                    source=Source(first.source.file, line),
                    publisher=first.publisher,
                    owner=first.owner,
                    ownership=first.ownership,
                    user=user,
                    tags=first.tags,
                    last_seen=first.last_seen,
                ),
                assessments[number],
            )


@runtime_checkable
class BatchedFindings(Findings, Protocol):
    """Findings that can also be read a batch of rows at a time (counted files read again):
    iterating them yields the same findings as iterating their batches."""

    def batches(self) -> Iterator[RowBatch]: ...


@dataclass(frozen=True, slots=True)
class AuditReport:
    """Everything one run concluded; formatters read it and nothing else."""

    feed: FeedInfo
    findings: Findings
    summary: Summary
    fail_on: Risk
    strict: bool = False
    fail_on_review: bool = False
    """The policy's `review: fail`: an advisory to review fails the run when its severity
    reaches `fail_on`, like a confirmed one."""
    tool_version: str = ""
    inputs: tuple[str, ...] = field(default=())
    read: tuple[str, ...] = field(default=())
    """How each input was read: `fleet.tsv: 3 lines read as CSV: 2 installations`."""
    warnings: tuple[str, ...] = ()
    """Things the reader should know: expired or unused ignore rules, a stale feed."""
    as_of: dt.date | None = None
    """The date the report judged against (due dates and lags depend on it)."""
    groups: tuple[Group, ...] = ()
    """Findings grouped as people read them, counted while the rows streamed past."""
    steps: Sequence[Step] = ()
    """What to do, most urgent first, decided from the groups (`report.py`)."""
    rows: bool = True
    """Whether `findings` lists every installation; False when the run kept only counts and
    groups because no output asked for rows (a format that lists rows refuses such a report
    before writing anything)."""
    data_protection: DataProtectionSection = DataProtectionSection()
    """The products found in the fleet with their data-protection sheets (`report.py`)."""
    product_names: tuple[tuple[str, str], ...] = ()
    """Every product of the feed as (id, name): what the changes since the last run are named
    by, since the state file remembers feed ids and a product may have left the fleet."""

    @property
    def verdict(self) -> Verdict:
        """Whether the run fails, and at what threshold."""
        return Verdict(self.summary.failing, self.fail_on, self.strict, self.fail_on_review)

    def fails(self, assessment: Assessment) -> bool:
        """Whether one verdict fails this run (counted in `summary.failing`)."""
        return reaches(assessment, self.fail_on, self.strict, self.fail_on_review)

    def fails_for_review_only(self, assessment: Assessment) -> bool:
        """The verdict fails this run only because of an advisory to review (`review: fail`)."""
        return self.fails(assessment) and not reaches(assessment, self.fail_on, self.strict)
