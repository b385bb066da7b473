"""Orchestration: installations in, an immutable AuditReport out. Never prints.

Identification, matching and assessment are each cached per distinct key, so the cost of a
large fleet is reading it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, BinaryIO

from vcaudit import policy as policy_mod
from vcaudit.inventory import sources
from vcaudit.inventory.context import ReadContext, reading_context
from vcaudit.inventory.formats import InputFormat
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
    Platform,
)
from vcaudit.policy import Policy, RowContext
from vcaudit.report import Tally, data_protection_section, data_protection_warnings
from vcaudit.spool import DEFAULT_MEMORY_LIMIT, FindingStore

if TYPE_CHECKING:
    from vcaudit.inventory.discover import Discovery


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
    report = tally.finish(
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
    section = data_protection_section(report.groups, auditor.policy.data_protection)
    return replace(
        report,
        data_protection=section,
        warnings=(*report.warnings, *data_protection_warnings(section)),
        product_names=tuple((p.id, p.name) for p in auditor.feed.products),
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


@dataclass(frozen=True, slots=True)
class ReadRequest:
    """What to read: the inventories named (none: this machine) and how."""

    names: tuple[str, ...] = ()
    """Inventories and exports; `-` is standard input; none: this machine."""
    format: InputFormat = InputFormat.AUTO
    stdin: BinaryIO | None = field(default=None, compare=False)
    """Standard input, when it holds the inventory (its first bytes already read)."""
    host: str = ""
    """The host of exports that name none."""
    allow_partial: bool = False
    allow_empty: bool = False
    columns: tuple[tuple[str, str], ...] = ()
    """Field -> the header a spreadsheet uses for it."""
    platform: Platform | None = None
    """The platform of native rows that give none and whose product does not say."""
    encoding: str = ""
    """The text encoding of inputs that are neither UTF-8 nor UTF-16 ("": UTF-8)."""


@dataclass(frozen=True, slots=True)
class AuditRequest:
    """One audit: what to read, under which policy, judged as of which day."""

    read: ReadRequest
    policy: Policy
    today: dt.date
    keep_rows: bool = True
    """Whether a report will list every installation (rows kept, or counted files read
    again); else only counts are kept."""
    tool_version: str = ""
    warnings: tuple[str, ...] = ()
    """Warnings known before reading (a stale feed, the policy file's)."""


PROGRESS_EVERY = 20_000


def run(
    request: AuditRequest, feed: Feed, *, progress: Callable[[int], None] | None = None
) -> AuditReport:
    """Read what `request` names, assess every installation and build the report, with
    how each input was read. The reading strategy is chosen here: native CSV files are
    counted (and read again when the report must list rows), other inputs are read row by
    row, and no input means this machine."""
    read = request.read
    context = reading_context(feed.products, read.host, allow_partial=read.allow_partial)
    context.rows = replace(
        context.rows, columns=dict(read.columns), platform=read.platform, host=read.host
    )
    context.progress = progress
    context.reread = request.keep_rows
    context.encoding = read.encoding
    policy, names = request.policy, list(read.names)
    warnings = list(request.warnings)
    if (
        names
        and not any(rule.hosts for rule in policy.ignores)
        and (not request.keep_rows or sources.rereadable(names, read.format, read.encoding))
    ):
        # Count rows instead of keeping them; reports that list installations one by one
        # read the files again.
        counted = sources.aggregate_inventories(names, read.format, read.stdin, ctx=context)
        reopen = sources.reopen_counted if request.keep_rows else None
        report = run_audit_counts(
            counted, feed, policy, request.today, inputs=read.names,
            tool_version=request.tool_version, warnings=tuple(warnings), reopen=reopen,
        )  # fmt: skip
    else:
        installations: Iterable[Installation]
        if names:
            rows = sources.read_inventories(names, read.format, read.stdin, ctx=context)
            installations = _with_progress(rows, progress)
        else:
            found = this_machine(context)
            warnings.extend(found.failures)
            installations = found.installations
        report = run_audit(
            installations, feed, policy, request.today, inputs=read.names,
            tool_version=request.tool_version, warnings=tuple(warnings),
            keep_findings=request.keep_rows,
        )  # fmt: skip
    if not read.allow_empty:
        context.refuse_empty()
    described = [r.describe() for r in context.reads]
    if not names:
        described.append(f"this machine: {report.summary.installations} installations found")
    return replace(
        report, warnings=(*report.warnings, *context.report_notes()), read=tuple(described)
    )


def this_machine(
    context: ReadContext, ownership: Ownership = Ownership.COMPANY, owner: str = ""
) -> Discovery:
    """The conferencing clients installed on the machine vcaudit runs on."""
    from vcaudit.inventory import discover

    probes = discover.probes_for(discover.this_platform())
    return discover.discover(
        probes, context, discover.this_host(), ownership=ownership, owner=owner
    )


def _with_progress(
    rows: Iterable[Installation], progress: Callable[[int], None] | None
) -> Iterator[Installation]:
    """Rows, telling `progress` how many have passed now and then."""
    if progress is None:
        yield from rows
        return
    for count, row in enumerate(rows, start=1):
        if count % PROGRESS_EVERY == 0:
            progress(count)
        yield row
