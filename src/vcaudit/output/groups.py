"""Grouping installations for people: one row per (product, version, platform, verdict).

Tables, Markdown and emails show groups worst first with host counts, then the next steps:
what to upgrade or replace, on how many hosts, to which version.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from vcaudit.models import Assessment, Finding, Platform, Status


@dataclass(frozen=True, slots=True)
class Group:
    """Installations that share product, version, platform and verdict."""

    product: str
    """Feed product name, or the raw name when unknown."""
    version: str
    platform: Platform
    assessment: Assessment
    installations: int
    hosts: int
    owner: str = ""


@dataclass(frozen=True, slots=True)
class Step:
    """One action for a person: upgrade or replace a product on some hosts."""

    text: str
    hosts: int


def display_name(finding: Finding) -> str:
    """The product as people should read it: the feed's name, else the inventory's."""
    assessment = finding.assessment
    if assessment.product is None:
        return finding.installation.product
    if assessment.installer:
        return f"{assessment.product.name} (machine-wide installer)"
    return assessment.product.name


def upgrade_target(assessment: Assessment) -> str:
    """The version to upgrade to: the fix, else the enforced minimum, else the latest."""
    if assessment.fixed_in:
        return assessment.fixed_in
    if assessment.status is Status.UNSUPPORTED:
        return assessment.minimum
    if assessment.status is Status.OUTDATED:
        return assessment.latest
    return ""


def group(findings: Iterable[Finding]) -> list[Group]:
    """Groups, worst first: by risk, status, product, version, platform, owner."""
    members: dict[tuple[str, str, Platform, int, str], tuple[Assessment, set[str], list[int]]]
    members = {}
    for finding in findings:
        inst = finding.installation
        assessment = finding.assessment
        name = display_name(finding)
        key = (name, inst.version, inst.platform, id(assessment), finding.owner)
        entry = members.get(key)
        if entry is None:
            entry = (assessment, set(), [0])
            members[key] = entry
        entry[1].add(inst.host)
        entry[2][0] += 1
    groups = [
        Group(name, version, platform, assessment, count[0], len(hosts), owner)
        for (name, version, platform, _, owner), (assessment, hosts, count) in members.items()
    ]
    groups.sort(
        key=lambda g: (
            -g.assessment.risk,
            g.assessment.status.rank,
            g.product.casefold(),
            g.version,
            g.platform.value,
            g.assessment.reason,
            g.owner,
        )
    )
    return groups


_ACTIONS = (Status.VULNERABLE, Status.EOL, Status.UNSUPPORTED, Status.OUTDATED)


def next_steps(findings: Iterable[Finding]) -> list[Step]:
    """What to do, most urgent first, one line per product and target version."""
    steps: dict[tuple[str, str], tuple[list[int], set[str]]] = {}
    for finding in findings:
        assessment = finding.assessment
        product = assessment.product
        if product is None or assessment.status not in _ACTIONS:
            continue
        if product.lifecycle.eol and assessment.status in (Status.EOL, Status.VULNERABLE):
            # Upgrading a retired product only buys time: the step is to replace it.
            successor = product.lifecycle.successor
            action = f"Replace {display_name(finding)}" + (
                f" with {successor}" if successor else ""
            )
            target = ""
        else:
            target = upgrade_target(assessment)
            action = f"Upgrade {display_name(finding)}"
        worst, hosts = steps.setdefault((action, target), ([0], set()))
        worst[0] = max(worst[0], assessment.risk)
        hosts.add(finding.installation.host)
    ordered = sorted(steps.items(), key=lambda item: (-item[1][0][0], item[0]))
    out: list[Step] = []
    for (action, target), (_worst, hosts) in ordered:
        count = len(hosts)
        where = f"on {count} host{'s' if count != 1 else ''}"
        out.append(Step(f"{action} {where}" + (f" to {target} or later" if target else ""), count))
    return out
