"""Orchestration: installations in, an immutable AuditReport out. Never prints.

Identification, matching and assessment are each cached per distinct key, so the cost of a
large fleet is reading it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import replace

from vcaudit import policy as policy_mod
from vcaudit.inventory.identify import Identifier, NotIdentified
from vcaudit.inventory.interface import Aggregate, CountedFile, RereadFindings
from vcaudit.matching import Matcher
from vcaudit.models import (
    Assessment,
    AuditReport,
    Feed,
    Finding,
    Findings,
    Installation,
    Ownership,
)
from vcaudit.policy import Policy, RowContext
from vcaudit.report import Tally
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
    tally = Tally(policy.fail_on, policy.strict, policy.fail_on_review)
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
    return _report(auditor, tally, findings, inputs, tool_version, warnings, keep_findings)


def _report(
    auditor: Auditor,
    tally: Tally,
    findings: Findings,
    inputs: tuple[str, ...],
    tool_version: str,
    warnings: tuple[str, ...],
    rows: bool,
) -> AuditReport:
    """The report of an audit once every row has been assessed and counted."""
    return tally.finish(
        auditor.feed.info,
        findings,
        rows=rows,
        tool_version=tool_version,
        inputs=inputs,
        warnings=(
            *warnings,
            *policy_mod.rule_warnings(auditor.policy, auditor.used_rules, auditor.today),
            *tally.stale_hints(),
        ),
        as_of=auditor.today,
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
    tally = Tally(policy.fail_on, policy.strict, policy.fail_on_review)
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
    rows = reopen is not None
    return _report(auditor, tally, findings, inputs, tool_version, warnings, rows)
