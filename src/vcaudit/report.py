"""Making a report from assessed rows: the summary, the groups and the next steps.

`Tally` counts rows as they stream past (one at a time, or many rows that differ only in
their host); `finish` turns the counts into an immutable `AuditReport` with what every format
shows already decided. `subset` makes the same report for some of its findings (one owner's,
for routed mail), so notification never needs the audit itself. `data_protection_section`
lists the products found with their data-protection sheets, and the words every format uses
for that section are decided here too.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import replace
from typing import overload

from vcaudit import advice
from vcaudit.models import (
    Assessment,
    AuditReport,
    DataProtectionEntry,
    DataProtectionSection,
    FactName,
    FeedInfo,
    Finding,
    Findings,
    Group,
    Installation,
    Platform,
    Product,
    Risk,
    Source,
    Status,
    Step,
    Summary,
    reaches,
)
from vcaudit.policy import DataProtectionRules, data_protection_gaps


class _GroupTally:
    __slots__ = ("assessment", "count", "display", "first", "hosts")

    def __init__(self, assessment: Assessment, first: Source, display: str) -> None:
        self.assessment = assessment
        self.first = first
        self.display = display
        self.hosts: set[str] = set()
        self.count = 0


class Tally:
    """Summary counts and groups, kept as rows stream past.

    Per row only a group's host set and count change; the counts by status and risk are
    derived at the end from how many rows each group has, since a group has one verdict.
    """

    def __init__(self, fail_on: Risk, strict: bool, review: bool = False) -> None:
        self.fail_on = fail_on
        self.strict = strict
        self.review = review
        self.hosts: set[str] = set()
        self.host_total: int | None = None
        """The number of distinct hosts when known without `hosts` (one counted file)."""
        self.total = 0
        self.groups: dict[tuple[str, str, Platform, int, str], _GroupTally] = {}

    def _group(self, installation: Installation, assessment: Assessment) -> _GroupTally:
        """The group of a row: product, version, platform, verdict and owner."""
        owner = installation.owner or assessment.owner
        name = installation.product if assessment.product is None else ""
        key = (name, installation.version, installation.platform, id(assessment), owner)
        tally = self.groups.get(key)
        if tally is None:
            display = Finding(installation, assessment).display_name
            tally = self.groups[key] = _GroupTally(assessment, installation.source, display)
        return tally

    def add(self, installation: Installation, assessment: Assessment) -> None:
        self.total += 1
        host = installation.host
        self.hosts.add(host)
        tally = self._group(installation, assessment)
        tally.hosts.add(host)
        tally.count += 1

    def add_many(
        self,
        installation: Installation,
        assessment: Assessment,
        count: int,
        hosts: set[str],
        *,
        total_hosts: bool = True,
    ) -> None:
        """`count` rows that differ from `installation` only in their host (and user).

        The tally may keep `hosts` itself: callers hand over a set they no longer use. With
        `total_hosts=False` the caller adds them to `self.hosts` itself.
        """
        self.total += count
        if total_hosts:
            self.hosts.update(hosts)
        tally = self._group(installation, assessment)
        if tally.count == 0:
            tally.hosts = hosts  # taken over, not copied: the caller is done with it
        else:
            tally.hosts.update(hosts)
        tally.count += count

    def result(self) -> Summary:
        by_status: Counter[Status] = Counter()
        by_risk: Counter[Risk] = Counter()
        failing = ignored = review = 0
        for g in self.groups.values():
            a = g.assessment
            by_status[a.status] += g.count
            by_risk[a.risk] += g.count
            failing += g.count if reaches(a, self.fail_on, self.strict, self.review) else 0
            ignored += g.count if a.ignored else 0
            review += g.count if a.review else 0
        return Summary(
            hosts=self.host_total if self.host_total is not None else len(self.hosts),
            installations=self.total,
            by_status=tuple((s, by_status[s]) for s in Status),
            by_risk=tuple((r, by_risk[r]) for r in sorted(Risk, reverse=True)),
            worst=max((r for r, n in by_risk.items() if n), default=Risk.NONE),
            failing=failing,
            ignored=ignored,
            review=review,
        )

    def grouped(self) -> tuple[Group, ...]:
        return tuple(
            Group(
                product=g.display,
                version=version,
                platform=platform,
                assessment=g.assessment,
                installations=g.count,
                hosts=len(g.hosts),
                owner=owner,
                host_names=g.hosts,
                first=g.first,
            )
            for (_, version, platform, _, owner), g in self.groups.items()
        )

    def stale_hints(self) -> list[str]:
        """Installed versions newer than the feed knows: the feed is probably out of date. Not
        of an end-of-life product: its last release is final, and a higher number is another
        numbering (the Microsoft Store's Skype is 15.x, the desktop app 8.x)."""
        ahead = sorted(
            {
                (g.display, version, platform.value)
                for (_, version, platform, _, _), g in self.groups.items()
                if g.assessment.ahead_of_feed and g.assessment.status is not Status.EOL
            }
        )
        if not ahead:
            return []
        shown = ", ".join(f"{name} {version} ({platform})" for name, version, platform in ahead[:3])
        more = f" and {len(ahead) - 3} more" if len(ahead) > 3 else ""
        return [
            f"{shown}{more} {'is' if len(ahead) == 1 else 'are'} newer than the feed's latest "
            "release: the feed may be stale (vcaudit feed update)"
        ]

    def finish(
        self,
        feed: FeedInfo,
        findings: Findings,
        *,
        rows: bool = True,
        tool_version: str = "",
        inputs: tuple[str, ...] = (),
        warnings: tuple[str, ...] = (),
        as_of: dt.date | None = None,
    ) -> AuditReport:
        """The report of these counts, with the next steps decided (when first read)."""
        groups = self.grouped()
        return AuditReport(
            feed=feed,
            findings=findings,
            summary=self.result(),
            fail_on=self.fail_on,
            strict=self.strict,
            fail_on_review=self.review,
            tool_version=tool_version,
            inputs=inputs,
            warnings=warnings,
            as_of=as_of,
            groups=groups,
            steps=Steps(groups),
            rows=rows,
        )


class Steps(Sequence[Step]):
    """The next steps of some groups, worked out when first read: naming a step's hosts sorts
    them, which a fleet's JSON or CSV report has no need to pay for."""

    __slots__ = ("_groups", "_steps")

    def __init__(self, groups: tuple[Group, ...]) -> None:
        self._groups = groups
        self._steps: list[Step] | None = None

    def _all(self) -> list[Step]:
        if self._steps is None:
            self._steps = advice.steps_for(self._groups)
        return self._steps

    def __len__(self) -> int:
        return len(self._all())

    @overload
    def __getitem__(self, index: int) -> Step: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Step]: ...

    def __getitem__(self, index: int | slice) -> Step | Sequence[Step]:
        return self._all()[index]

    def __iter__(self) -> Iterator[Step]:
        return iter(self._all())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence):
            return list(self) == list(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"Steps({self._all()!r})"


def subset(report: AuditReport, keep: Callable[[Finding], bool]) -> AuditReport:
    """The same report restricted to some findings (one owner's, for routed mail)."""
    if not report.rows:
        raise ValueError("this report kept only its counts: it cannot be split by finding")
    tally = Tally(report.fail_on, report.strict, report.fail_on_review)
    kept = []
    for finding in report.findings:
        if keep(finding):
            kept.append(finding)
            tally.add(finding.installation, finding.assessment)
    groups = tally.grouped()
    section = report.data_protection
    rules = DataProtectionRules(section.required, section.unknown_fails)
    return replace(
        report,
        findings=tuple(kept),
        summary=tally.result(),
        groups=groups,
        steps=Steps(groups),
        data_protection=data_protection_section(groups, rules),
    )


def data_protection_section(
    groups: Sequence[Group], rules: DataProtectionRules
) -> DataProtectionSection:
    """The products found among `groups` (most hosts first), each with how many hosts and
    installations run it and where its sheet falls short of the policy's requirements."""
    products: dict[str, Product] = {}
    hosts: dict[str, list[AbstractSet[str]]] = {}
    installations: Counter[str] = Counter()
    for group in groups:
        product = group.assessment.product
        if product is None:
            continue
        products[product.id] = product
        installations[product.id] += group.installations
        hosts.setdefault(product.id, []).append(group.host_names)
    entries = []
    for product_id, product in products.items():
        gaps = data_protection_gaps(product, rules)
        sets = hosts[product_id]
        # One group's hosts are counted as they are; only several are joined (a copy).
        count = len(sets[0]) if len(sets) == 1 else len(set().union(*sets))
        entries.append(
            DataProtectionEntry(
                product=product,
                hosts=count,
                installations=installations[product_id],
                unmet=gaps.unmet,
                unknown=gaps.unknown,
            )
        )
    entries.sort(key=lambda e: (-e.hosts, -e.installations, e.product.name, e.product.id))
    return DataProtectionSection(tuple(entries), rules.require, rules.unknown_fails)


def data_protection_warnings(section: DataProtectionSection) -> list[str]:
    """Required facts no source states, under `unknown: report`: said, not held against the
    product (`unknown: fail` makes it unapproved instead, with the reason)."""
    if section.unknown_fails:
        return []
    return [
        f"{entry.product.name}: the data-protection sheet does not state "
        f"{', '.join(name.value for name in entry.unknown)}, which the policy requires "
        "(reported only; data_protection.unknown: fail would make it unapproved)"
        for entry in section.products
        if entry.unknown
    ]


# ---------------------------------------------------------------------------------------------
# The data-protection section: the products found in the fleet and where their calls' data goes

DATA_PROTECTION_FACTS: tuple[tuple[FactName, str], ...] = (
    (FactName.EU_RESIDENCY_OPTION, "EU/EEA residency"),
    (FactName.E2EE_AVAILABLE, "E2EE"),
    (FactName.E2EE_DEFAULT, "E2EE by default"),
    (FactName.SELF_HOSTABLE, "self-hosted"),
    (FactName.DPA_AVAILABLE, "DPA"),
)
"""The yes/no facts a report's data-protection table shows, with their column headings."""

DATA_PROTECTION_WHERE = (
    FactName.MEDIA_PROCESSING,
    FactName.RECORDINGS_LOCATION,
    FactName.OUTSIDE_EU,
)
"""The text facts a report shows under its table: where content and recordings go."""

DATA_PROTECTION_NOTE = (
    "Where the calls' data goes, from each product's sheet in the feed (vcaudit product ID "
    "shows every fact with its source and the date it was read; unknown: no source read "
    "states it). A starting point for a data protection impact assessment (DPIA), not legal "
    "advice."
)


def data_protection_where(product: Product) -> str:
    """Where a product's content and recordings go, in one sentence of its sheet's text facts
    (or that the feed has no sheet for it)."""
    if not product.data_protection:
        return "the feed has no data-protection sheet for it yet"
    return "; ".join(
        f"{name.label[0].lower()}{name.label[1:]}: {product.fact(name).shown}"
        for name in DATA_PROTECTION_WHERE
    )


def data_protection_policy(entry: DataProtectionEntry, section: DataProtectionSection) -> str:
    """What the policy's `data_protection.require` makes of a product: `meets the
    requirements`, `not met: e2ee_available`, `unknown: e2ee_default` (`not met, unknown:`
    under `unknown: fail`); "" when the policy requires nothing."""
    if not section.required:
        return ""
    parts = []
    if entry.unmet:
        parts.append("not met: " + ", ".join(name.value for name in entry.unmet))
    if entry.unknown:
        lead = "not met, unknown: " if section.unknown_fails else "unknown: "
        parts.append(lead + ", ".join(name.value for name in entry.unknown))
    return "; ".join(parts) or "meets the requirements"


def data_protection_failing(entry: DataProtectionEntry, section: DataProtectionSection) -> bool:
    """The product is unapproved under the policy's data-protection requirements."""
    return bool(entry.unmet or (section.unknown_fails and entry.unknown))


def data_protection_brief(entry: DataProtectionEntry, section: DataProtectionSection) -> str:
    """One product of the section in a line: `Zoom Workplace on 12 hosts: EU/EEA residency
    yes, E2EE yes, E2EE by default no, self-hosted no, DPA yes (policy: meets the
    requirements)`."""
    product = entry.product
    facts = ", ".join(
        f"{heading} {product.fact(name).shown}" for name, heading in DATA_PROTECTION_FACTS
    )
    policy = data_protection_policy(entry, section)
    return f"{product.name} on {advice.plural(entry.hosts, 'host')}: {facts}" + (
        f" (policy: {policy})" if policy else ""
    )


def data_protection_summary(section: DataProtectionSection) -> str:
    """One line: the products found with their hosts, and which miss the policy's
    requirements ("" when no product of the feed was found)."""
    if not section.products:
        return ""
    present = ", ".join(
        f"{entry.product.name} on {advice.plural(entry.hosts, 'host')}"
        for entry in section.products
    )
    line = f"Data protection: {present}"
    failing = [e for e in section.products if data_protection_failing(e, section)]
    if failing:
        line += "; not meeting the policy: " + ", ".join(
            f"{e.product.name} ({data_protection_policy(e, section)})" for e in failing
        )
    unknown = [e for e in section.products if e.unknown and not section.unknown_fails]
    if unknown:
        line += "; required but unknown: " + ", ".join(
            f"{e.product.name} ({', '.join(name.value for name in e.unknown)})" for e in unknown
        )
    return line + " (vcaudit product ID shows each sheet with its sources)"
