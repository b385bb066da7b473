"""Policy: from what the feed says to status, risk, owner, due date and the exit code.

Pure functions over frozen data. The risk model (README "How risk is decided"):
- vulnerable: the highest severity of the advisories that apply; known exploited => critical
- end-of-life product, or below the vendor's enforced minimum: high
- unapproved product (not in the policy's approved list, not allowed on personal devices,
  or not meeting the data-protection requirements): medium
- outdated (behind latest, no advisory): low; medium past the allowed lag
- unknown product or unplaceable version: none, unless --strict makes it fail the run
- personal devices may raise every risk one level (devices.personal.raise_risk)
- an advisory whose affected versions are not published yet is a "review" item: shown, never
  part of status or risk; it fails a run only under `review: fail`, when its severity
  reaches fail_on
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
from collections.abc import Iterable
from dataclasses import dataclass

from vcaudit import versioning
from vcaudit.matching import Match, Upgrade
from vcaudit.models import (
    Advisory,
    AdvisoryHit,
    Assessment,
    AuditReport,
    ExitCode,
    FactName,
    IgnoredHit,
    Installation,
    Ownership,
    Product,
    Risk,
    Status,
)
from vcaudit.models import reaches as models_reaches

# Operators longest first, so `<=` is never read as `<` and a bound `=5`. Comparisons are
# split and stripped with string methods, and a bound matched by one character class: each
# step is linear in the text (a pattern of `\s*` around a lazy class that allows spaces, as
# before, backtracked quadratically on a long run of spaces).
_OPERATORS = ("<=", ">=", "==", "<", ">", "=")
_BOUND = re.compile(r"[0-9][0-9A-Za-z.() ]*")


@dataclass(frozen=True, slots=True)
class VersionSpec:
    """A conjunction of comparisons such as `>=5.16.0, <5.17.0`."""

    clauses: tuple[tuple[str, str], ...]

    @classmethod
    def parse(cls, text: str) -> VersionSpec | None:
        """Parse `text`; None when it is not a list of comparisons."""
        clauses: list[tuple[str, str]] = []
        for part in text.split(","):
            comparison = part.strip()
            op = next((o for o in _OPERATORS if comparison.startswith(o)), "")
            bound = comparison[len(op) :].strip()
            if not _BOUND.fullmatch(bound) or not _comparable(bound):
                return None
            clauses.append((op or "==", bound))
        return cls(tuple(clauses))

    def contains(self, product: Product, version: versioning.Version | None) -> bool:
        """Whether `version` of `product` certainly satisfies every clause."""
        if version is None:
            return False
        for op, text in self.clauses:
            bound = versioning.parse_feed_version(product.version_scheme, text)
            if bound is None:
                return False
            if op == "<":
                ok = versioning.less_than(version, bound)
            elif op == "<=":
                ok = versioning.at_most(version, bound)
            elif op == ">":
                below = versioning.at_most(version, bound)
                ok = None if below is None else not below
            elif op == ">=":
                below = versioning.less_than(version, bound)
                ok = None if below is None else not below
            else:
                ok = versioning.same(version, bound)
            if ok is not True:
                return False
        return True


def _comparable(bound: str) -> bool:
    """Whether some version scheme reads `bound` (else a rule would silently match nothing:
    `5.x`, or a part of thousands of digits)."""
    return any(versioning.parse_feed_version(scheme, bound) for scheme in versioning.Scheme)


@dataclass(frozen=True, slots=True)
class IgnoreRule:
    """Suppresses an advisory, optionally only for a product, versions, hosts or tags."""

    id: str
    reason: str
    until: dt.date | None = None
    product: str = ""
    versions: VersionSpec | None = None
    hosts: tuple[str, ...] = ()
    tags: frozenset[str] = frozenset()
    where: str = ""
    """File and line of the rule, for warnings."""
    index: int = 0

    def expired(self, today: dt.date) -> bool:
        """Past its `until` date: it no longer suppresses anything."""
        return self.until is not None and self.until < today

    def covers_row(self, installation: Installation) -> bool:
        """Whether the host and tag scopes include this row."""
        if self.hosts and not any(
            fnmatch.fnmatchcase(installation.host.casefold(), pattern.casefold())
            for pattern in self.hosts
        ):
            return False
        return not self.tags or bool(self.tags & set(installation.tags))

    def covers(self, hit: AdvisoryHit, match: Match) -> bool:
        """Whether the rule suppresses this advisory on this product and version."""
        wanted = self.id.casefold()
        if wanted not in (i.casefold() for i in hit.advisory.ids):
            return False
        if self.product and self.product != match.product.id:
            return False
        return self.versions is None or self.versions.contains(match.product, match.version)


@dataclass(frozen=True, slots=True)
class LagRule:
    """How far behind the latest release a client may be before outdated turns medium."""

    days: int | None = None
    """The latest release has been out longer than this."""
    releases: int | None = None
    """More releases than this came out after the installed one."""


@dataclass(frozen=True, slots=True)
class DeviceRules:
    """Rules for personal (BYOD) devices."""

    raise_risk: bool = False
    lag: LagRule | None = None
    not_allowed: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class DataProtectionRules:
    """What the organisation requires of a product's data-protection sheet
    (`data_protection` in vcaudit.yaml)."""

    require: tuple[FactName, ...] = ()
    """Yes/no facts that must be yes; a product answering no is unapproved."""
    unknown_fails: bool = False
    """`unknown: fail`: a required fact no source states makes the product unapproved too;
    by default (`unknown: report`) it is only reported."""


@dataclass(frozen=True, slots=True)
class DataProtectionGaps:
    """Where a product falls short of the requirements."""

    unmet: tuple[FactName, ...] = ()
    """Required facts its sheet answers no."""
    unknown: tuple[FactName, ...] = ()
    """Required facts no source read states."""


def data_protection_gaps(product: Product, rules: DataProtectionRules) -> DataProtectionGaps:
    """The required facts `product` answers no, and those its sheet leaves unknown."""
    unmet = tuple(name for name in rules.require if product.fact(name).value is False)
    unknown = tuple(name for name in rules.require if product.fact(name).value is None)
    return DataProtectionGaps(unmet, unknown)


def data_protection_reason(product: Product, rules: DataProtectionRules) -> str:
    """Why `product` is unapproved under the requirements ("" when it meets them): each
    required fact it answers no, and, under `unknown: fail`, each one left unknown."""
    gaps = data_protection_gaps(product, rules)
    failing = [f"{name.value} (no)" for name in gaps.unmet]
    if rules.unknown_fails:
        failing.extend(f"{name.value} (unknown)" for name in gaps.unknown)
    if not failing:
        return ""
    return f"does not meet data_protection.require: {', '.join(failing)}"


@dataclass(frozen=True, slots=True)
class Policy:
    """The organisation's rules, resolved once from flags, environment and vcaudit.yaml."""

    fail_on: Risk = Risk.HIGH
    """The run fails when any finding reaches this risk (`none` never fails)."""
    strict: bool = False
    """Unknown products and unplaceable versions fail the run too."""
    max_feed_age_days: int | None = None
    ignores: tuple[IgnoreRule, ...] = ()
    approved: frozenset[str] | None = None
    """Products the organisation allows; None means no approved list."""
    owners_by_product: tuple[tuple[str, str], ...] = ()
    owners_by_tag: tuple[tuple[str, str], ...] = ()
    personal: DeviceRules | None = None
    lag_default: LagRule | None = None
    lag_by_product: tuple[tuple[str, LagRule], ...] = ()
    sla: tuple[tuple[Risk, int], ...] = ()
    """Days to fix per risk level."""
    fail_on_review: bool = False
    """`review: fail`: an advisory to review (no published range) fails the run when its
    severity reaches `fail_on`; by default it is only shown."""
    data_protection: DataProtectionRules = DataProtectionRules()
    """What a product's data-protection sheet must answer yes (`data_protection.require`)."""

    def lag_for(self, product_id: str, personal: bool) -> LagRule | None:
        """The allowed lag for a product, the personal-device rule where it is stricter."""
        rule = dict(self.lag_by_product).get(product_id, self.lag_default)
        if personal and self.personal is not None and self.personal.lag is not None:
            return _stricter(rule, self.personal.lag)
        return rule

    def owner_for(self, product_id: str, tags: Iterable[str]) -> str:
        """The policy's owner: by the row's tags first, then by product."""
        by_tag = dict(self.owners_by_tag)
        for tag in sorted(tags):
            if tag in by_tag:
                return by_tag[tag]
        return dict(self.owners_by_product).get(product_id, "")


def _stricter(a: LagRule | None, b: LagRule) -> LagRule:
    if a is None:
        return b

    def low(x: int | None, y: int | None) -> int | None:
        return y if x is None else x if y is None else min(x, y)

    return LagRule(days=low(a.days, b.days), releases=low(a.releases, b.releases))


@dataclass(frozen=True, slots=True)
class RowContext:
    """What of a row, beyond product and version, the policy looks at."""

    personal: bool = False
    tags: frozenset[str] = frozenset()
    ignores: tuple[IgnoreRule, ...] = ()
    """The ignore rules whose host and tag scopes include the row (expired ones left out)."""

    @classmethod
    def of(cls, installation: Installation, policy: Policy, today: dt.date) -> RowContext:
        """The context of one row."""
        return cls(
            personal=installation.ownership is Ownership.PERSONAL,
            tags=frozenset(installation.tags),
            ignores=tuple(
                r for r in policy.ignores if not r.expired(today) and r.covers_row(installation)
            ),
        )


def unknown_product(name: str) -> Assessment:
    """The verdict for a name no feed product claims."""
    return not_identified(f"{name!r} is not a product in the feed")


def not_identified(reason: str, *, not_client: bool = False) -> Assessment:
    """The verdict for a row that is none of the feed's clients: unknown, with the reason
    (an add-in or helper of a product is marked as such: nothing to audit, never failing)."""
    return Assessment(
        product=None, status=Status.UNKNOWN, risk=Risk.NONE, reason=reason, not_client=not_client
    )


def _raise(risk: Risk) -> Risk:
    return Risk(min(risk + 1, Risk.CRITICAL)) if risk > Risk.NONE else risk


def assess(
    match: Match, policy: Policy, today: dt.date, context: RowContext = RowContext()
) -> Assessment:
    """Status, risk, owner and due date for one matched (product, platform, version)."""
    product = match.product
    active: list[AdvisoryHit] = []
    ignored: list[IgnoredHit] = []
    for hit in match.hits:
        rule = next((r for r in context.ignores if r.covers(hit, match)), None)
        if rule is None:
            active.append(hit)
        else:
            ignored.append(IgnoredHit(hit, rule.reason, rule.until, rule.index))
    review: list[Advisory] = []
    for advisory in match.review:
        # An ignore rule accepts a review item as it suppresses a hit: shown as ignored.
        unranged = AdvisoryHit(advisory, "")
        rule = next((r for r in context.ignores if r.covers(unranged, match)), None)
        if rule is None:
            review.append(advisory)
        else:
            ignored.append(IgnoredHit(unranged, rule.reason, rule.until, rule.index))
    status, risk, reason = _verdict(match, policy, today, context, tuple(active))
    if match.version is not None and match.version.placed:
        # A build the release table does not list: say where it was placed, and how.
        reason = f"{reason}; {match.version.placed}" if reason else match.version.placed
    if context.personal and policy.personal is not None and policy.personal.raise_risk:
        risk = _raise(risk)
    due = _due(match, policy, today, status, risk, tuple(active))
    upgrade = _upgrade(match, status)
    return Assessment(
        product=product,
        status=status,
        risk=risk,
        hits=tuple(active),
        latest=match.latest,
        fixed_in=_fixed_in(match, tuple(active)),
        upgrade_to=upgrade.to,
        or_later=upgrade.or_later,
        also_clean=upgrade.smallest if upgrade.smallest != upgrade.to else "",
        affected_from=upgrade.affected_from,
        later_affected=upgrade.later_affected,
        latest_clean=match.latest_clean,
        minimum=match.below_minimum.version if match.below_minimum else "",
        reason=reason,
        ignored=tuple(ignored),
        owner=policy.owner_for(product.id, context.tags),
        due=due,
        overdue=due is not None and due < today,
        ahead_of_feed=match.ahead_of_latest,
        review=tuple(review),
    )


def _upgrade(match: Match, status: Status) -> Upgrade:
    """Where the advice sends this installation: a clean release, never an affected one.

    Vulnerable: the smallest release clearing every advisory (ignored ones too: ignoring an
    advisory does not make a release clean). Below the enforced minimum, vulnerable or not:
    the smallest clean release from the minimum on (it clears every advisory too, and one
    below the minimum could not join meetings). Outdated: the latest, when it is clean. None
    for a retired product: its way out is to replace it.
    """
    if match.product.lifecycle.eol:
        return Upgrade()  # upgrading a retired product only buys time: replace it
    if status in (Status.VULNERABLE, Status.UNSUPPORTED) and match.below_minimum is not None:
        return match.minimum_fix
    if status is Status.VULNERABLE:
        return match.fix
    if status is Status.OUTDATED and match.latest_clean:
        return Upgrade(match.latest, holds=True, to=match.latest)
    return Upgrade()


def _fixed_in(match: Match, active: tuple[AdvisoryHit, ...]) -> str:
    if not active:
        return ""
    # Ignoring an advisory does not change what version clears all of them.
    return match.fixed_in


def _verdict(
    match: Match,
    policy: Policy,
    today: dt.date,
    context: RowContext,
    active: tuple[AdvisoryHit, ...],
) -> tuple[Status, Risk, str]:
    product = match.product
    life = product.lifecycle
    eol = life.eol and (life.eol_date is None or life.eol_date <= today)
    unapproved = _unapproved(product, policy, context)
    if active:
        risk = max(Risk.CRITICAL if h.advisory.kev else h.advisory.severity for h in active)
        if eol:
            risk = max(risk, Risk.HIGH)
        if unapproved:
            risk = max(risk, Risk.MEDIUM)
        count = len(active)
        noun = "advisory applies" if count == 1 else "advisories apply"
        fix = f"fixed in {match.fixed_in}" if match.fixed_in else "no fixed version is known"
        return Status.VULNERABLE, risk, f"{count} {noun}; {fix}"
    if eol:
        return Status.EOL, Risk.HIGH, _eol_reason(product)
    if match.version is None:
        raw = match.raw_version.strip()
        reason = (
            f"version {raw!r} is not a {product.name} version vcaudit can place"
            if raw
            else "the inventory reports no version"
        )
        if unapproved:
            return Status.UNAPPROVED, Risk.MEDIUM, f"{unapproved}; {reason}"
        return Status.UNKNOWN, Risk.NONE, reason
    if match.below_minimum is not None:
        return (
            Status.UNSUPPORTED,
            Risk.HIGH,
            f"below the vendor's enforced minimum {match.below_minimum.version}",
        )
    if unapproved:
        return Status.UNAPPROVED, Risk.MEDIUM, unapproved
    if match.ambiguous:
        ids = ", ".join(a.id for a in match.ambiguous[:3])
        return (
            Status.UNKNOWN,
            Risk.NONE,
            f"version {match.version.raw!r} is too coarse to tell whether {ids} applies",
        )
    if match.behind_latest:
        return _outdated(match, policy, today, context)
    if match.ahead_of_latest:
        return (
            Status.CURRENT,
            Risk.NONE,
            f"newer than the feed's latest release {match.latest}: the feed may be stale",
        )
    # "current" is a claim: where the latest release is unknown, or the version cannot be
    # compared with it, no advisory applies but nothing says the client is current.
    if match.behind_latest is None and match.latest:
        return (
            Status.UNKNOWN,
            Risk.NONE,
            f"no advisory applies, but it cannot be told whether it is behind the latest "
            f"release {match.latest}",
        )
    if not match.latest:
        return (
            Status.UNKNOWN,
            Risk.NONE,
            "no advisory applies, but the feed has no latest release for this platform to "
            "tell whether it is current",
        )
    return Status.CURRENT, Risk.NONE, ""


def _unapproved(product: Product, policy: Policy, context: RowContext) -> str:
    reasons: list[str] = []
    if policy.approved is not None and product.id not in policy.approved:
        reasons.append("not on the approved list")
    elif context.personal and policy.personal and product.id in policy.personal.not_allowed:
        reasons.append("not allowed on personal devices")
    if policy.data_protection.require:
        reasons.append(data_protection_reason(product, policy.data_protection))
    return "; ".join(reason for reason in reasons if reason)


def _outdated(
    match: Match, policy: Policy, today: dt.date, context: RowContext
) -> tuple[Status, Risk, str]:
    reason = f"behind the latest release {match.latest}"
    lag = policy.lag_for(match.product.id, context.personal)
    if lag is None:
        return Status.OUTDATED, Risk.LOW, reason
    late: list[str] = []
    if lag.days is not None and match.latest_date is not None:
        age = (today - match.latest_date).days
        if age > lag.days:
            late.append(f"{match.latest} is {age} days old (allowed {lag.days})")
    behind = match.releases_behind
    if lag.releases is not None and behind is not None and behind > lag.releases:
        late.append(f"{match.releases_behind} releases behind (allowed {lag.releases})")
    if late:
        return Status.OUTDATED, Risk.MEDIUM, f"{reason}; " + "; ".join(late)
    return Status.OUTDATED, Risk.LOW, reason


def _eol_reason(product: Product) -> str:
    text = "end of life"
    if product.lifecycle.eol_date:
        text += f" since {product.lifecycle.eol_date.isoformat()}"
    if product.lifecycle.successor:
        text += f"; replace with {product.lifecycle.successor}"
    return text


def _due(
    match: Match,
    policy: Policy,
    today: dt.date,
    status: Status,
    risk: Risk,
    active: tuple[AdvisoryHit, ...],
) -> dt.date | None:
    """When the finding must be fixed: when the problem became known, plus the SLA days."""
    days = dict(policy.sla).get(risk)
    if days is None:
        return None
    start: dt.date | None
    if status is Status.VULNERABLE:
        start = min((h.advisory.published for h in active if h.advisory.published), default=None)
    elif status is Status.EOL:
        start = match.product.lifecycle.eol_date
    elif status is Status.UNSUPPORTED and match.below_minimum is not None:
        start = match.below_minimum.effective
    elif status is Status.OUTDATED:
        start = match.latest_date
    else:
        start = None
    if start is None:
        return None
    try:
        return start + dt.timedelta(days=days)
    except OverflowError:
        return dt.date.max  # past year 9999: no deadline a calendar can hold


def review_risk(assessment: Assessment) -> Risk:
    """The highest severity among the advisories to review (see `Assessment.review_risk`)."""
    return assessment.review_risk


reaches = models_reaches
"""Whether one verdict fails a run with this threshold: the one rule, kept in models so the
report can answer it for every format (`AuditReport.fails`)."""


def fails_for_review_only(
    assessment: Assessment, fail_on: Risk, strict: bool, review: bool
) -> bool:
    """The verdict fails the run only because of an advisory to review (`review: fail`)."""
    return reaches(assessment, fail_on, strict, review) and not reaches(assessment, fail_on, strict)


def decide_exit(
    report: AuditReport, *, feed_too_old: bool = False, delivery_failed: bool = False
) -> ExitCode:
    """The exit code of a completed scan (its outputs are already written).

    A failed delivery (5) outranks a stale feed (4), which outranks findings (1): each is
    something a person must fix before the findings can be trusted or seen.
    """
    if delivery_failed:
        return ExitCode.DELIVERY
    if feed_too_old:
        return ExitCode.FEED
    return ExitCode.FINDINGS if report.summary.failing else ExitCode.OK


def rule_warnings(policy: Policy, used: set[int], today: dt.date) -> list[str]:
    """Expired and unused ignore rules, for the reader to clean up."""
    warnings: list[str] = []
    for rule in policy.ignores:
        if rule.expired(today):
            assert rule.until is not None
            warnings.append(
                f"ignore rule for {rule.id} ({rule.where}) expired on {rule.until.isoformat()}; "
                "it no longer suppresses anything"
            )
        elif rule.index not in used:
            warnings.append(f"ignore rule for {rule.id} ({rule.where}) matched nothing")
    return warnings
