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


@dataclass(frozen=True, slots=True)
class Step:
    """One action for a person: upgrade or replace a product on some hosts."""

    text: str
    hosts: int


def group(findings: Iterable[Finding]) -> list[Group]:
    """Groups, worst first: by risk, status, product, version, platform."""
    members: dict[tuple[str, str, Platform, int], tuple[Assessment, set[str], list[int]]] = {}
    for finding in findings:
        inst = finding.installation
        assessment = finding.assessment
        name = assessment.product.name if assessment.product else inst.product
        key = (name, inst.version, inst.platform, id(assessment))
        entry = members.get(key)
        if entry is None:
            entry = (assessment, set(), [0])
            members[key] = entry
        entry[1].add(inst.host)
        entry[2][0] += 1
    groups = [
        Group(name, version, platform, assessment, count[0], len(hosts))
        for (name, version, platform, _), (assessment, hosts, count) in members.items()
    ]
    groups.sort(
        key=lambda g: (
            -g.assessment.risk,
            g.assessment.status.rank,
            g.product.casefold(),
            g.version,
            g.platform.value,
            g.assessment.reason,
        )
    )
    return groups


_ACTIONS = (Status.VULNERABLE, Status.EOL, Status.UNSUPPORTED, Status.OUTDATED)


def next_steps(findings: Iterable[Finding]) -> list[Step]:
    """What to do, most urgent first, one line per product and target version."""
    hosts: dict[tuple[int, str, str, str], set[str]] = {}
    for finding in findings:
        assessment = finding.assessment
        product = assessment.product
        if product is None or assessment.status not in _ACTIONS:
            continue
        if assessment.status is Status.EOL:
            successor = product.lifecycle.successor
            action = f"Replace {product.name}" + (f" with {successor}" if successor else "")
            target = ""
        else:
            target = assessment.fixed_in or assessment.minimum or assessment.latest
            action = f"Upgrade {product.name}"
        key = (-assessment.risk, action, target, assessment.status.value)
        hosts.setdefault(key, set()).add(finding.installation.host)
    steps: list[Step] = []
    for (_risk, action, target, _status), members in sorted(hosts.items()):
        count = len(members)
        where = f"on {count} host{'s' if count != 1 else ''}"
        text = f"{action} {where}" + (f" to {target} or later" if target else "")
        steps.append(Step(text, count))
    return steps
