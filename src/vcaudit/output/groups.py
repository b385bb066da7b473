"""Grouping installations for people: one row per (product, version, platform, verdict).

Tables, Markdown and emails show groups worst first with host counts, then the next steps:
what to upgrade or replace, on how many hosts, to which version.
"""

from __future__ import annotations

from dataclasses import dataclass

from vcaudit.models import Assessment, AuditReport, Group, Status


@dataclass(frozen=True, slots=True)
class Step:
    """One action for a person: upgrade or replace a product on some hosts."""

    text: str
    hosts: int


def short_ids(assessment: Assessment, most: int) -> str:
    """The ids of the advisories that apply, the first `most` of them and a count of the
    rest ("" when none applies)."""
    ids = [hit.advisory.id for hit in assessment.hits]
    shown = ", ".join(ids[:most])
    return shown + (f" +{len(ids) - most}" if len(ids) > most else "")


def retired(assessment: Assessment) -> bool:
    """Whether the product is past its end of life: the way out is to replace it (its last
    releases may fix an advisory, but they stay retired)."""
    product = assessment.product
    return product is not None and product.lifecycle.eol


def replace_with(assessment: Assessment) -> str:
    """What to replace a retired product with ("" when the feed names no successor)."""
    product = assessment.product
    return product.lifecycle.successor if product is not None and retired(assessment) else ""


def upgrade_target(assessment: Assessment) -> str:
    """The version to upgrade to: the fix, else the enforced minimum, else the latest;
    none for a retired product."""
    if retired(assessment):
        return ""
    if assessment.fixed_in:
        return assessment.fixed_in
    if assessment.status is Status.UNSUPPORTED:
        return assessment.minimum
    if assessment.status is Status.OUTDATED:
        return assessment.latest
    return ""


def group(report: AuditReport) -> list[Group]:
    """The report's groups, worst first: by risk, status, product, version, platform."""
    return sorted(
        report.groups,
        key=lambda g: (
            -g.assessment.risk,
            g.assessment.status.rank,
            g.product.casefold(),
            g.version,
            g.platform.value,
            g.assessment.reason,
            g.owner,
        ),
    )


_ACTIONS = (Status.VULNERABLE, Status.EOL, Status.UNSUPPORTED, Status.OUTDATED)


def next_steps(report: AuditReport) -> list[Step]:
    """What to do, most urgent first, one line per product and target version."""
    steps: dict[tuple[str, str], tuple[list[int], set[str]]] = {}
    for g in report.groups:
        assessment = g.assessment
        product = assessment.product
        if product is None or assessment.status not in _ACTIONS:
            continue
        if product.lifecycle.eol and assessment.status in (Status.EOL, Status.VULNERABLE):
            # Upgrading a retired product only buys time: the step is to replace it.
            successor = product.lifecycle.successor
            action = f"Replace {g.product}" + (f" with {successor}" if successor else "")
            target = ""
        else:
            target = upgrade_target(assessment)
            action = f"Upgrade {g.product}"
        worst, hosts = steps.setdefault((action, target), ([0], set()))
        worst[0] = max(worst[0], assessment.risk)
        hosts.update(g.host_names)
    ordered = sorted(steps.items(), key=lambda item: (-item[1][0][0], item[0]))
    out: list[Step] = []
    for (action, target), (_worst, hosts) in ordered:
        count = len(hosts)
        where = f"on {count} host{'s' if count != 1 else ''}"
        out.append(Step(f"{action} {where}" + (f" to {target} or later" if target else ""), count))
    return out
