"""GitLab dependency-scanning security report (schema 15.1.5), so findings show in merge
requests and the vulnerability report (`artifacts: reports: dependency_scanning:`).

The inventory plays the part of a lock file and each client that of a dependency: one
vulnerability per advisory per (product, version), whatever the number of hosts, platforms
or rows, located at the inventory file and the dependency `<product>@<version>` (GitLab
tracks a vulnerability by its file, package name and first identifier, so the version is in
the name: two vulnerable versions of one client stay two vulnerabilities). End-of-life and
below-minimum clients are vulnerabilities too (identifiers `vcaudit/end-of-life`,
`vcaudit/below-minimum`). An advisory to review (affected versions not published yet) is
shown with severity Info and a name starting "To review:", never as a confirmed finding; it
keeps its GitLab identity when its range is published and it becomes one. Ignored advisories
are left out. The first identifier is the advisory's own id, then its aliases (CVE, GHSA...).

The schema asks for the scan's start and end: the report has no clock, so both are midnight
(UTC) of the day it judged as of, and the same input gives the same bytes. Text GitLab
renders as Markdown (description, solution) passes through `markdown_safe`.
https://docs.gitlab.com/ee/development/integrations/secure.html
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from vcaudit.advice import hosts_named, replace_with, retired, upgrade_advice
from vcaudit.models import Advisory, AdvisoryHit, Assessment, AuditReport, Group, Risk, Status
from vcaudit.output import RenderOptions
from vcaudit.output.locations import STDIN_NAMES, relative_path
from vcaudit.sanitize import json_safe, markdown_safe, terminal_safe

SCHEMA_VERSION = "15.1.5"
MAX_HOSTS_LISTED = 20
_NAMESPACE = uuid.UUID("5b0c3f4e-51a8-4c5e-9d0f-7f3f0a2f6c11")
"""Seeds the stable vulnerability ids (UUID version 5 of advisory, product and version)."""

_SEVERITY = {
    Risk.CRITICAL: "Critical",
    Risk.HIGH: "High",
    Risk.MEDIUM: "Medium",
    Risk.LOW: "Low",
    Risk.NONE: "Info",
}
_RANK = {"Critical": 0, "High": 1, "Medium": 2, "Low": 3, "Unknown": 4, "Info": 5}
_POLICY = {
    Status.EOL: (
        "vcaudit/end-of-life",
        "End-of-life conferencing client",
        "The product is no longer supported by its vendor and receives no security updates.",
    ),
    Status.UNSUPPORTED: (
        "vcaudit/below-minimum",
        "Client below the vendor's enforced minimum version",
        "The vendor no longer lets this version join meetings.",
    ),
}
# The CVSS 3.x vectors the schema takes (its own pattern); others are left out rather than
# make GitLab refuse the whole report.
_CVSS3 = re.compile(
    r"CVSS:3[.][01]/((AV:[NALP]|AC:[LH]|PR:[NLH]|UI:[NR]|S:[UC]|[CIA]:[NLH]|E:[XUPFH]|"
    r"RL:[XOTWU]|RC:[XURC]|[CIA]R:[XLMH]|MAV:[XNALP]|MAC:[XLH]|MPR:[XNLH]|MUI:[XNR]|MS:[XUC]|"
    r"M[CIA]:[XNLH])/)*(AV:[NALP]|AC:[LH]|PR:[NLH]|UI:[NR]|S:[UC]|[CIA]:[NLH]|E:[XUPFH]|"
    r"RL:[XOTWU]|RC:[XURC]|[CIA]R:[XLMH]|MAV:[XNALP]|MAC:[XLH]|MPR:[XNLH]|MUI:[XNR]|MS:[XUC]|"
    r"M[CIA]:[XNLH])"
)
_WEB = re.compile(r"(https?|ftp)://\S+")


@dataclass(slots=True)
class _Entry:
    """One vulnerability: an advisory (or policy rule) on one (product, version)."""

    key: tuple[str, str, str]
    group: Group
    advisory: Advisory | None
    policy: Status | None = None
    review: bool = False
    """An advisory to review (affected versions not published yet): shown as Info."""
    hits: dict[str, AdvisoryHit] = field(default_factory=dict)
    """The advisory's hit per platform (its fixed version may differ)."""
    assessments: dict[str, Assessment] = field(default_factory=dict)
    hosts: set[str] = field(default_factory=set)
    installations: int = 0


def _collect(report: AuditReport) -> list[_Entry]:
    entries: dict[tuple[str, str, str], _Entry] = {}

    def add(g: Group, rule: str, advisory: Advisory | None, policy: Status | None) -> _Entry:
        product_id = g.assessment.product.id if g.assessment.product else ""
        key = (rule, product_id, g.version)
        entry = entries.get(key)
        if entry is None:
            entry = entries[key] = _Entry(key, g, advisory, policy)
        entry.assessments.setdefault(g.platform.value, g.assessment)
        entry.hosts.update(g.host_names)
        entry.installations += g.installations
        return entry

    for g in report.groups:
        a = g.assessment
        if a.product is None:
            continue
        for hit in a.hits:
            entry = add(g, hit.advisory.id, hit.advisory, None)
            entry.hits.setdefault(g.platform.value, hit)
        if a.status in _POLICY:
            add(g, _POLICY[a.status][0], None, a.status)
        for advisory in a.review:
            add(g, advisory.id, advisory, None).review = True
    return list(entries.values())


def _id_type(value: str) -> str:
    """The identifier's type, from its form: `cve`, `ghsa`, else its prefix (`zsb`,
    `cisco`...)."""
    head = value.split("-", 1)[0].lower()
    return head if head.isalnum() and head else "vendor"


def _identifier(value: str, url: str = "") -> dict[str, str]:
    kind = _id_type(value)
    if not url and kind == "cve":
        url = f"https://www.cve.org/CVERecord?id={value}"
    if not url and kind == "ghsa":
        url = f"https://github.com/advisories/{value}"
    found = {"type": kind, "name": value, "value": value}
    if _WEB.fullmatch(url):
        found["url"] = url
    return found


def _severity(entry: _Entry) -> str:
    adv = entry.advisory
    if adv is None:
        return _SEVERITY[Risk.HIGH]
    if entry.review:
        return _SEVERITY[Risk.NONE]
    if not adv.scored and not adv.kev:
        return "Unknown"
    return _SEVERITY[adv.counted_risk]


def _location_file(entry: _Entry, root: str) -> str:
    first = entry.group.first
    name = first.file if first else "-"
    if name in STDIN_NAMES:
        return "stdin"
    relative = relative_path(name, root)
    return terminal_safe(relative if relative is not None else name, 0)


def _solution(entry: _Entry) -> str:
    """What to do, per platform where the advice differs."""
    if entry.review:
        return (
            "Check this version against the vendor's advisory (its links): vcaudit cannot "
            "tell yet whether it is affected."
        )
    said: dict[str, list[str]] = {}
    for platform in sorted(entry.assessments):
        a = entry.assessments[platform]
        if retired(a):
            successor = replace_with(a)
            advice = f"replace it with {successor}" if successor else "replace it"
        else:
            advice = upgrade_advice(a) or "no upgrade is known to fix it"
        said.setdefault(advice, []).append(platform)
    if len(said) == 1:
        (advice,) = said
        return markdown_safe(advice[:1].upper() + advice[1:] + ".", 6000)
    return markdown_safe(
        " ".join(f"On {', '.join(p)}: {advice}." for advice, p in said.items()), 6000
    )


def _description(entry: _Entry) -> str:
    g = entry.group
    product = g.assessment.product
    name = product.name if product else g.product
    platforms = ", ".join(sorted(entry.assessments))
    adv = entry.advisory
    if adv is not None:
        facts = [adv.severity_label]
        if adv.cvss is not None:
            facts.append(f"CVSS {adv.cvss.score}")
        if adv.kev:
            facts.append("known exploited (CISA KEV)")
        fixes = sorted({hit.fixed for hit in entry.hits.values() if hit.fixed})
        fixed = f"fixed in {' / '.join(fixes)}" if fixes else "no fixed release is known"
        what = f"{adv.id} ({', '.join(facts)}): {adv.title}; {fixed}."
        if entry.review:
            what = (
                f"to review: {adv.id} ({', '.join(facts)}): {adv.title}. Its affected versions "
                "are not published yet, so this is not a confirmed finding: check this version "
                "against the vendor's advisory."
            )
    else:
        assert entry.policy is not None
        reason = g.assessment.reason
        what = f"{_POLICY[entry.policy][2]} {reason[:1].upper()}{reason[1:]}."
    hosts = len(entry.hosts)
    count = f"{entry.installations} installation{'s' if entry.installations != 1 else ''}"
    return (
        f"{markdown_safe(name, 200)} {markdown_safe(g.version, 100)} on {platforms}: "
        f"{markdown_safe(what, 2000)}\n\n"
        f"{count} on {hosts} host{'s' if hosts != 1 else ''}: "
        f"{markdown_safe(hosts_named(entry.hosts, MAX_HOSTS_LISTED), 0)}."
    )


def _vulnerability(entry: _Entry, root: str) -> dict[str, Any]:
    rule, product_id, version = entry.key
    adv = entry.advisory
    if adv is not None:
        name = ("To review: " if entry.review else "") + (adv.title or adv.id)
        identifiers = [_identifier(adv.id, adv.references[0] if adv.references else "")]
        identifiers += [_identifier(alias) for alias in adv.aliases]
    else:
        assert entry.policy is not None
        name = _POLICY[entry.policy][1]
        identifiers = [{"type": "vcaudit", "name": rule, "value": rule}]
    found: dict[str, Any] = {
        "id": str(uuid.uuid5(_NAMESPACE, "\x1f".join(entry.key))),
        "name": terminal_safe(name, 255),
        "description": _description(entry),
        "severity": _severity(entry),
        "solution": _solution(entry),
        "identifiers": identifiers,
    }
    if adv is not None and adv.cvss is not None and _CVSS3.fullmatch(adv.cvss.vector):
        found["cvss_vectors"] = [
            {"vendor": adv.cvss.source or "unknown", "vector": adv.cvss.vector}
        ]
    if adv is not None:
        links = [{"url": url} for url in adv.references if _WEB.fullmatch(url)]
        if links:
            found["links"] = links
    found["location"] = {
        "file": _location_file(entry, root),
        "dependency": {
            "package": {"name": f"{product_id}@{terminal_safe(version, 200)}"},
            "version": terminal_safe(version, 200),
        },
    }
    return found


def document(report: AuditReport, options: RenderOptions | None = None) -> dict[str, Any]:
    """The security report as a JSON-ready mapping."""
    options = options or RenderOptions()
    entries = _collect(report)
    vulnerabilities = sorted(
        (_vulnerability(entry, options.root) for entry in entries),
        key=lambda v: (
            _RANK[v["severity"]],
            v["identifiers"][0]["value"],
            v["location"]["file"],
            v["location"]["dependency"]["package"]["name"],
        ),
    )
    day = (report.as_of.isoformat() if report.as_of else "1970-01-01") + "T00:00:00"
    tool = {
        "id": "vcaudit",
        "name": "vcaudit",
        "version": report.tool_version or "0",
        "vendor": {"name": "vcaudit"},
    }
    scan: dict[str, Any] = {
        "analyzer": tool,
        "scanner": tool,
        "type": "dependency_scanning",
        "start_time": day,
        "end_time": day,
        "status": "success",
    }
    if report.warnings:
        scan["messages"] = [
            {"level": "warn", "value": terminal_safe(w, 0) or "warning"} for w in report.warnings
        ]
    return {"version": SCHEMA_VERSION, "scan": scan, "vulnerabilities": vulnerabilities}


def render(report: AuditReport, options: RenderOptions) -> str:
    """The report, indented, with a final newline."""
    # json_safe: printed to a CI log, it holds no `##[command]` (see sanitize).
    return json_safe(json.dumps(document(report, options), indent=2, ensure_ascii=True)) + "\n"
