"""Orchestration: installations in, an immutable AuditReport out. Never prints.

Identification, matching and assessment are each cached per distinct key, so the cost of a
large fleet is reading it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import replace

from vcaudit import policy as policy_mod
from vcaudit.inventory.aggregate import Aggregate, CountedFile, RereadFindings
from vcaudit.inventory.identify import Identifier, NotIdentified
from vcaudit.matching import Matcher
from vcaudit.models import (
    Assessment,
    AuditReport,
    Feed,
    Finding,
    Findings,
    Group,
    Installation,
    Ownership,
    Platform,
    Risk,
    Source,
    Status,
    Summary,
)
from vcaudit.policy import Policy, RowContext
from vcaudit.spool import DEFAULT_MEMORY_LIMIT, FindingStore


class Auditor:
    """Assesses installations against one feed under one policy."""

    def __init__(self, feed: Feed, policy: Policy, today: dt.date) -> None:
        self.feed = feed
        self.policy = policy
        self.today = today
        self.used_rules: set[int] = set()
        self._identifier = Identifier(feed.products)
        self._matcher = Matcher(today)
        self._scoped = any(r.hosts or r.tags for r in policy.ignores)
        self._cache: dict[tuple[object, ...], Assessment] = {}
        self._contexts: dict[Ownership, RowContext] = {}

    def assess(self, installation: Installation) -> Assessment:
        """The verdict for one installation (shared with every identical one)."""
        context = self._context(installation)
        key = (
            installation.product,
            installation.publisher,
            installation.platform,
            installation.version,
            # Unscoped contexts are shared objects, one per ownership: their id is their key.
            context if self._scoped or installation.tags else id(context),
        )
        found = self._cache.get(key)
        if found is None:
            found = self._assess(installation, context)
            self._cache[key] = found
            self.used_rules.update(i.rule for i in found.ignored)
        return found

    def _context(self, installation: Installation) -> RowContext:
        if self._scoped or installation.tags:
            return RowContext.of(installation, self.policy, self.today)
        # Without host or tag scopes every row of one ownership shares one context.
        found = self._contexts.get(installation.ownership)
        if found is None:
            found = RowContext.of(installation, self.policy, self.today)
            self._contexts[installation.ownership] = found
        return found

    def _assess(self, installation: Installation, context: RowContext) -> Assessment:
        identified = self._identifier.resolve(
            installation.product,
            installation.publisher,
            installation.platform,
            installation.version,
        )
        if isinstance(identified, NotIdentified):
            return policy_mod.not_identified(identified.reason, not_client=identified.not_client)
        match = self._matcher.match(identified.product, installation.platform, installation.version)
        assessment = policy_mod.assess(match, self.policy, self.today, context)
        if identified.installer:
            # A machine-wide installer puts the client on every new profile: same verdict,
            # counted apart so the client's own numbers stay true.
            assessment = replace(assessment, installer=True)
        return assessment


class _Tally:
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
            failing += (
                g.count if policy_mod.reaches(a, self.fail_on, self.strict, self.review) else 0
            )
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


def _stale_hints(tally: _Tally) -> list[str]:
    """Installed versions newer than the feed knows: the feed is probably out of date."""
    ahead = sorted(
        {
            (g.display, version, platform.value)
            for (_, version, platform, _, _), g in tally.groups.items()
            if g.assessment.ahead_of_feed
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


class _GroupTally:
    __slots__ = ("assessment", "count", "display", "first", "hosts")

    def __init__(self, assessment: Assessment, first: Source, display: str) -> None:
        self.assessment = assessment
        self.first = first
        self.display = display
        self.hosts: set[str] = set()
        self.count = 0


def run_audit(
    installations: Iterable[Installation],
    feed: Feed,
    policy: Policy,
    today: dt.date,
    *,
    inputs: tuple[str, ...] = (),
    tool_version: str = "",
    memory_limit: int = DEFAULT_MEMORY_LIMIT,
    warnings: tuple[str, ...] = (),
    keep_findings: bool = True,
) -> AuditReport:
    """Assess every installation and build the report.

    With `keep_findings=False` only the summary and the groups are kept (enough for the
    table, Markdown and SARIF), so a large fleet costs no per-row storage at all.
    """
    auditor = Auditor(feed, policy, today)
    findings = FindingStore(memory_limit, keep=keep_findings)
    tally = _Tally(policy.fail_on, policy.strict, policy.fail_on_review)
    assess = auditor.assess
    count = tally.add
    if keep_findings:
        for installation in installations:
            assessment = assess(installation)
            findings.append(Finding(installation, assessment))
            count(installation, assessment)
    else:
        for installation in installations:
            count(installation, assess(installation))
            findings.append_uncounted()
    return _report(auditor, tally, findings, inputs, tool_version, warnings)


def _report(
    auditor: Auditor,
    tally: _Tally,
    findings: Findings,
    inputs: tuple[str, ...],
    tool_version: str,
    warnings: tuple[str, ...],
) -> AuditReport:
    """The report of an audit once every row has been assessed and counted."""
    policy = auditor.policy
    return AuditReport(
        feed=auditor.feed.info,
        findings=findings,
        summary=tally.result(),
        fail_on=policy.fail_on,
        strict=policy.strict,
        fail_on_review=policy.fail_on_review,
        tool_version=tool_version,
        inputs=inputs,
        warnings=(
            *warnings,
            *policy_mod.rule_warnings(policy, auditor.used_rules, auditor.today),
            *_stale_hints(tally),
        ),
        as_of=auditor.today,
        groups=tally.grouped(),
    )


def run_audit_counts(
    aggregates: Iterable[Aggregate],
    feed: Feed,
    policy: Policy,
    today: dt.date,
    *,
    inputs: tuple[str, ...] = (),
    tool_version: str = "",
    warnings: tuple[str, ...] = (),
    reopen: Callable[[CountedFile], AbstractContextManager[Iterable[bytes]]] | None = None,
) -> AuditReport:
    """The same report as `run_audit(..., keep_findings=False)`, from counted rows.

    With `reopen` (every input a counted native CSV file), the report's findings are the
    files' rows read again when a format lists them: the same report as
    `run_audit(..., keep_findings=True)`, without keeping a row.

    Only for policies without host-scoped ignore rules: a count has one verdict for all its
    hosts.
    """
    if any(rule.hosts for rule in policy.ignores):
        raise ValueError("host-scoped ignore rules need run_audit, row by row")
    auditor = Auditor(feed, policy, today)
    store = FindingStore(keep=False)
    tally = _Tally(policy.fail_on, policy.strict, policy.fail_on_review)
    files: dict[int, CountedFile] = {}
    verdicts: dict[int, list[Assessment]] = {}
    for aggregate in aggregates:
        origin = aggregate.origin
        assessment = auditor.assess(aggregate.installation)
        if origin is not None:
            files[id(origin)] = origin
            verdicts.setdefault(id(origin), []).append(assessment)
        elif reopen is not None:
            raise ValueError("only counted native CSV files can be read again")
        tally.add_many(
            aggregate.installation,
            assessment,
            aggregate.count,
            aggregate.hosts,
            total_hosts=origin is None,
        )
        store.append_uncounted(aggregate.count)
    counted = list(files.values())
    if len(counted) == 1 and not tally.hosts:
        # One counted file and nothing else: its host names are the distinct hosts.
        tally.host_total = len(counted[0].names)
    else:
        for origin in counted:
            tally.hosts.update(origin.names)  # each file's hosts once, not per aggregate
    findings: Findings = store
    if reopen is not None:
        findings = RereadFindings(counted, verdicts, len(store), reopen)
    return _report(auditor, tally, findings, inputs, tool_version, warnings)


def subset(report: AuditReport, keep: Callable[[Finding], bool]) -> AuditReport:
    """The same report restricted to some findings (one owner's, for routed mail)."""
    tally = _Tally(report.fail_on, report.strict, report.fail_on_review)
    kept = []
    for finding in report.findings:
        if keep(finding):
            kept.append(finding)
            tally.add(finding.installation, finding.assessment)
    return replace(report, findings=tuple(kept), summary=tally.result(), groups=tally.grouped())
