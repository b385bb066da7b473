"""Policy: from what the feed says to status, risk and the exit code. Pure functions.

The risk model (README "How risk is decided"):
- vulnerable: the highest severity of the advisories that apply; known exploited => critical
- end-of-life product, or below the vendor's enforced minimum: high
- outdated (behind latest, no advisory): low; medium once the latest release is older than the
  allowed lag
- unknown product or unplaceable version: none, unless --strict makes it fail the run
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from vcaudit.matching import Match
from vcaudit.models import Assessment, ExitCode, Finding, Product, Risk, Status


@dataclass(frozen=True, slots=True)
class Policy:
    """The organisation's rules, resolved once from flags, environment and vcaudit.yaml."""

    fail_on: Risk = Risk.HIGH
    """The run fails when any finding reaches this risk."""
    strict: bool = False
    """Unknown products and unplaceable versions fail the run too."""
    outdated_lag_days: int | None = None
    """Outdated installations turn medium once the latest release is this many days old."""


def unknown_product(name: str) -> Assessment:
    """The verdict for a name no feed product claims."""
    return Assessment(
        product=None,
        status=Status.UNKNOWN,
        risk=Risk.NONE,
        reason=f"{name!r} is not a product in the feed",
    )


def assess(match: Match, policy: Policy, today: dt.date) -> Assessment:
    """Status and risk for one matched (product, platform, version)."""
    product = match.product
    eol = product.lifecycle.eol and (
        product.lifecycle.eol_date is None or product.lifecycle.eol_date <= today
    )
    if match.hits:
        risk = max(
            Risk.CRITICAL if hit.advisory.kev else hit.advisory.severity for hit in match.hits
        )
        if eol:
            risk = max(risk, Risk.HIGH)
        return _assessment(match, Status.VULNERABLE, risk, _vulnerable_reason(match))
    if eol:
        return _assessment(match, Status.EOL, Risk.HIGH, _eol_reason(product))
    if match.version is None:
        raw = match.raw_version.strip()
        reason = (
            f"version {raw!r} is not a {product.name} version vcaudit can place"
            if raw
            else "the inventory reports no version"
        )
        return _assessment(match, Status.UNKNOWN, Risk.NONE, reason)
    if match.below_minimum is not None:
        return _assessment(
            match,
            Status.UNSUPPORTED,
            Risk.HIGH,
            f"below the vendor's enforced minimum {match.below_minimum.version}",
        )
    if match.ambiguous:
        ids = ", ".join(a.id for a in match.ambiguous[:3])
        return _assessment(
            match,
            Status.UNKNOWN,
            Risk.NONE,
            f"version {match.version.raw!r} is too coarse to tell whether {ids} applies",
        )
    if match.behind_latest:
        risk = Risk.LOW
        if (
            policy.outdated_lag_days is not None
            and match.latest_date is not None
            and (today - match.latest_date).days > policy.outdated_lag_days
        ):
            risk = Risk.MEDIUM
        return _assessment(
            match, Status.OUTDATED, risk, f"behind the latest release {match.latest}"
        )
    reason = ""
    if match.ahead_of_latest:
        reason = f"newer than the feed's latest release {match.latest}: the feed may be stale"
    elif match.behind_latest is None and match.latest:
        reason = f"cannot tell whether it is behind the latest release {match.latest}"
    elif not match.latest:
        reason = "no advisory applies; the feed has no latest release for this platform"
    return _assessment(match, Status.CURRENT, Risk.NONE, reason)


def _assessment(match: Match, status: Status, risk: Risk, reason: str) -> Assessment:
    return Assessment(
        product=match.product,
        status=status,
        risk=risk,
        hits=match.hits,
        latest=match.latest,
        fixed_in=match.fixed_in,
        minimum=match.below_minimum.version if match.below_minimum else "",
        reason=reason,
    )


def _vulnerable_reason(match: Match) -> str:
    count = len(match.hits)
    noun = "advisory applies" if count == 1 else "advisories apply"
    if match.fixed_in:
        return f"{count} {noun}; fixed in {match.fixed_in}"
    return f"{count} {noun}; no fixed version is known"


def _eol_reason(product: Product) -> str:
    text = "end of life"
    if product.lifecycle.eol_date:
        text += f" since {product.lifecycle.eol_date.isoformat()}"
    if product.lifecycle.successor:
        text += f"; replace with {product.lifecycle.successor}"
    return text


def reaches(assessment: Assessment, fail_on: Risk, strict: bool) -> bool:
    """Whether one verdict fails a run with this threshold (`--fail-on none` never fails)."""
    if strict and assessment.status is Status.UNKNOWN:
        return True
    return fail_on is not Risk.NONE and assessment.risk >= fail_on


def fails(finding: Finding, policy: Policy) -> bool:
    """Whether this finding alone fails the run."""
    return reaches(finding.assessment, policy.fail_on, policy.strict)


def decide_exit(findings: Iterable[Finding], policy: Policy) -> ExitCode:
    """The exit code of a completed scan: the one place that decides between 0 and 1."""
    return ExitCode.FINDINGS if any(fails(f, policy) for f in findings) else ExitCode.OK
