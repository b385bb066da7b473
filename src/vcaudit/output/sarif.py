"""SARIF 2.1.0 for GitHub code scanning and other SARIF consumers.

One rule per advisory, plus rules for end-of-life, unsupported, unapproved and outdated
clients, and one `vcaudit/review/<id>` rule per advisory to review (affected versions not
published yet): level note and security-severity 0.0, as it is not a confirmed finding.
Results are grouped per (rule, product, version, platform): their number grows with distinct
versions and the advisories of each, never with hosts. Each result points at the first
inventory row of its group, names its own advisory (or policy rule) and the fix, and carries
a fingerprint that is stable across runs. GitHub takes at most 25,000 results per run: a
fleet whose per-advisory results would pass that (a couple of hundred distinct old builds
with a hundred advisories each) gets one `vcaudit/vulnerable/<risk>` result per (product,
version, platform) instead, naming its advisories worst first, and one `vcaudit/review`
result for its advisories to review; the run says so (`size_warnings`). Results beyond
25,000 even then are left out, worst kept, and said.
Text is made inert for GitHub Actions logs and Markdown.

Locations are relative to the repository root (`RenderOptions.root`), as code scanning
expects; an inventory outside it keeps an absolute `file:` URI (the settings warn about it).
`automationDetails.id` is written only for `--sarif-category`: the upload action fills in its
own `category` input only when the file has none.
https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning
"""

from __future__ import annotations

import hashlib
import heapq
import json
import re
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from vcaudit.advice import advisories_worst_first, plural, replace_with, retired, upgrade_advice
from vcaudit.models import Advisory, AdvisoryHit, Assessment, AuditReport, Group, Risk, Status
from vcaudit.output import RenderOptions
from vcaudit.output.locations import artifact_uri
from vcaudit.sanitize import json_safe, markdown_safe, terminal_safe

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
MAX_TEXT = 1000
MAX_HOSTS_LISTED = 20
MAX_RESULTS = 25_000
"""GitHub code scanning's limit of results per run (it refuses more)."""
MAX_IDS_LISTED = 20
"""Advisory ids a folded result names in its message (all are in its properties)."""
VULNERABLE_RULE = "vcaudit/vulnerable"
FOLDED_REVIEW_RULE = "vcaudit/review"

_LEVEL = {
    Risk.CRITICAL: "error",
    Risk.HIGH: "error",
    Risk.MEDIUM: "warning",
    Risk.LOW: "note",
    Risk.NONE: "note",
}
# GitHub reads security-severity as a CVSS-like score: > 9.0 critical, 7.0-8.9 high,
# 4.0-6.9 medium, 0.1-3.9 low. Without a CVSS score the risk level picks one inside its band.
_BAND = {Risk.CRITICAL: 9.5, Risk.HIGH: 8.0, Risk.MEDIUM: 5.5, Risk.LOW: 2.0, Risk.NONE: 0.0}

_POLICY_RULES = {
    Status.EOL: (
        "vcaudit/end-of-life",
        "End-of-life conferencing client",
        "The product is no longer supported by its vendor and receives no security updates. "
        "Replace it with its successor.",
    ),
    Status.UNSUPPORTED: (
        "vcaudit/below-minimum",
        "Client below the vendor's enforced minimum version",
        "The vendor no longer lets this version join meetings. Upgrade it.",
    ),
    Status.UNAPPROVED: (
        "vcaudit/unapproved",
        "Conferencing client not approved by the organisation's policy",
        "The policy file does not allow this product (here, or on personal devices). "
        "Remove it or add it to the approved list.",
    ),
    Status.OUTDATED: (
        "vcaudit/outdated",
        "Conferencing client behind the latest release",
        "No known advisory applies, but the client is behind the vendor's latest release. "
        "Upgrade it to get future security fixes.",
    ),
}


# A URL CommonMark takes whole as an autolink `<...>`: no space, no `<` or `>`, no control.
_LINKABLE = re.compile(r"https?://[^\s<>\x00-\x1f\x7f-\x9f\\`\u2028\u2029]+")


def _reference(url: str) -> str:
    """An advisory's reference in a rule's help: a link when it is a plain web address (the
    feed's own sources, meant to be followed), else inert text."""
    return f"<{url}>" if _LINKABLE.fullmatch(url) else markdown_safe(url, 0)


def _text(value: str, limit: int = MAX_TEXT) -> str:
    return terminal_safe(value, limit)


@dataclass(slots=True)
class _Result:
    rule: str
    level: str
    group: Group
    score: float
    members: list[Group] = field(default_factory=list)
    count: int = 0
    review: Advisory | None = None
    """The advisory to review this result is about (None for a finding)."""
    advisory: Advisory | None = None
    """The advisory an advisory result is about (None for a policy result)."""
    folded: list[Advisory] = field(default_factory=list)
    """The advisories of a folded result (`vcaudit/vulnerable/<risk>`, `vcaudit/review`)."""


Results = dict[tuple[str, ...], _Result]
Rules = dict[str, Callable[[], dict[str, Any]]]
"""Rules by id, each made when it is written (a scan that only asks how many results there
are makes none)."""

REVIEW_RULE = "vcaudit/review/"
"""Rule ids of advisories to review: this prefix and the advisory id."""


def _review_rule(advisory: Advisory) -> dict[str, Any]:
    title = _text(advisory.title)
    refs = "\n".join(f"- {_reference(url)}" for url in advisory.references)
    ids = ", ".join(_text(i) for i in advisory.ids)
    why = (
        "Its affected versions are not published yet, so vcaudit cannot tell which "
        "installations it affects. It is shown on every installation of the product on its "
        "platforms, never counted as a vulnerability. Check them against the vendor's advisory."
    )
    help_text = (
        f"To review: {title}\nIds: {ids}\nSeverity: {advisory.severity_label}"
        + (f" (CVSS {advisory.cvss.score})" if advisory.cvss else "")
        + f"\n{why}\nSources:\n"
        + "\n".join(_text(u) for u in advisory.references)
    )
    help_markdown = (
        f"**To review: {markdown_safe(advisory.title, MAX_TEXT)}**\n\n"
        f"Ids: {markdown_safe(', '.join(advisory.ids), 0)}\n\n"
        f"Severity: {advisory.severity_label}"
        + (f" (CVSS {advisory.cvss.score})" if advisory.cvss else "")
        + f"\n\n{why}\n\nSources:\n\n{refs}\n"
    )
    return {
        "id": REVIEW_RULE + advisory.id,
        "name": "Review" + ("".join(c for c in advisory.id if c.isalnum()) or "Advisory"),
        "shortDescription": {"text": f"To review: {title}"[:MAX_TEXT]},
        "fullDescription": {"text": f"{title}: affected versions not published yet"[:MAX_TEXT]},
        "help": {"text": help_text, "markdown": help_markdown},
        "helpUri": advisory.references[0],
        "defaultConfiguration": {"level": "note"},
        "properties": {
            "tags": ["security", "videoconferencing", "review"],
            "precision": "low",
            "security-severity": f"{_BAND[Risk.NONE]:.1f}",
        },
    }


def _advisory_score(advisory: Advisory) -> float:
    if advisory.kev:
        return max(advisory.cvss.score if advisory.cvss else 0.0, _BAND[Risk.CRITICAL])
    if advisory.cvss is not None:
        return advisory.cvss.score
    return _BAND[advisory.severity]


def _advisory_rule(advisory: Advisory, product_name: str) -> dict[str, Any]:
    title = _text(advisory.title)
    refs = "\n".join(f"- {_reference(url)}" for url in advisory.references)
    ids = ", ".join(_text(i) for i in advisory.ids)
    help_text = (
        f"{title}\nIds: {ids}\nSeverity: {advisory.severity_label}"
        + (f" (CVSS {advisory.cvss.score})" if advisory.cvss else "")
        + ("\nKnown exploited (CISA KEV)." if advisory.kev else "")
        + "\nSources:\n"
        + "\n".join(_text(u) for u in advisory.references)
    )
    help_markdown = (
        f"**{markdown_safe(advisory.title, MAX_TEXT)}**\n\n"
        f"Ids: {markdown_safe(', '.join(advisory.ids), 0)}\n\n"
        f"Severity: {advisory.severity_label}"
        + (f" (CVSS {advisory.cvss.score})" if advisory.cvss else "")
        + ("\n\nKnown exploited (CISA KEV)." if advisory.kev else "")
        + f"\n\nSources:\n\n{refs}\n"
    )
    return {
        "id": advisory.id,
        "name": "".join(c for c in advisory.id if c.isalnum()) or "Advisory",
        "shortDescription": {"text": title[:MAX_TEXT] or advisory.id},
        "fullDescription": {"text": f"{_text(product_name)}: {title}"[:MAX_TEXT]},
        "help": {"text": help_text, "markdown": help_markdown},
        "helpUri": advisory.references[0],
        "defaultConfiguration": {"level": _LEVEL[advisory.severity]},
        "properties": {
            "tags": ["security", "vulnerability", "videoconferencing"],
            "precision": "high",
            "security-severity": f"{_advisory_score(advisory):.1f}",
        },
    }


def _policy_rule(status: Status) -> dict[str, Any]:
    rule_id, short, full = _POLICY_RULES[status]
    risk = {Status.OUTDATED: Risk.LOW, Status.UNAPPROVED: Risk.MEDIUM}.get(status, Risk.HIGH)
    return {
        "id": rule_id,
        "name": "".join(part.title() for part in rule_id.split("/")[1].split("-")),
        "shortDescription": {"text": short},
        "fullDescription": {"text": full},
        "help": {"text": full, "markdown": full},
        "defaultConfiguration": {"level": _LEVEL[risk]},
        "properties": {
            "tags": ["security", "videoconferencing", "policy"],
            "precision": "high",
            "security-severity": f"{_BAND[risk]:.1f}",
        },
    }


_FOLDED_VULNERABLE = (
    "Known security advisories apply to this version, the worst of them {risk}; the result "
    "lists them worst first. Upgrade it to the version the result names. (vcaudit gives one "
    "result per version, not one per advisory, when one per advisory would pass GitHub's "
    "25,000 results; the rule says how severe the worst advisory is.)"
)
_FOLDED_REVIEW = (
    "Advisories concern the product whose affected versions are not published yet: check "
    "this version against the vendor's advisories the result lists. Not a confirmed finding."
)


def _folded_rule_id(risk: Risk | None) -> str:
    return FOLDED_REVIEW_RULE if risk is None else f"{VULNERABLE_RULE}/{risk.label}"


def _folded_rule(risk: Risk | None) -> dict[str, Any]:
    """The rule of folded results: `vcaudit/vulnerable/<risk>` for a version whose worst
    advisory is of that risk (GitHub reads a rule's security-severity, so each band has its
    own), or `vcaudit/review` (risk None) for its advisories to review."""
    rule_id = _folded_rule_id(risk)
    if risk is None:
        name, short, full = "Review", "Advisories to review for this client", _FOLDED_REVIEW
        risk, tag = Risk.NONE, "review"
    else:
        name = f"Vulnerable{risk.label.title()}"
        short = f"Conferencing client with known advisories, the worst {risk.label}"
        full, tag = _FOLDED_VULNERABLE.format(risk=risk.label), "vulnerability"
    return {
        "id": rule_id,
        "name": name,
        "shortDescription": {"text": short},
        "fullDescription": {"text": full},
        "help": {"text": full, "markdown": full},
        "defaultConfiguration": {"level": _LEVEL[risk]},
        "properties": {
            "tags": ["security", "videoconferencing", tag],
            "precision": "high" if tag == "vulnerability" else "low",
            "security-severity": f"{_BAND[risk]:.1f}",
        },
    }


def _fold(results: Results) -> tuple[Results, Rules]:
    """One result per (product, version, platform) for its advisories, under the rule of its
    worst advisory's risk, and one for its advisories to review, in place of one per
    advisory; policy results stay as they are. With the rules the folded results use."""
    folded: Results = {}
    rules: Rules = {}
    gathered: dict[tuple[str, ...], list[_Result]] = {}
    for key, item in results.items():
        if item.review is None and item.advisory is None:
            folded[key] = item
        else:
            kind = "review" if item.review is not None else "vulnerable"
            gathered.setdefault((kind, *key[1:]), []).append(item)
    for (kind, *where), items in gathered.items():
        advisories = [a for item in items if (a := item.review or item.advisory) is not None]
        members: list[Group] = []
        for item in items:  # groups of one version may differ in their advisories
            members.extend(g for g in item.members if all(g is not m for m in members))
        risk = None if kind == "review" else max(a.counted_risk for a in advisories)
        if risk is None:
            level, score = "note", _BAND[Risk.NONE]
        else:
            level, score = _LEVEL[risk], max(item.score for item in items)
        rule_id = _folded_rule_id(risk)
        rules[rule_id] = partial(_folded_rule, risk)
        into = _Result(rule_id, level, items[0].group, score, members=members)
        into.folded = advisories
        into.count = sum(g.installations for g in members)
        folded[(rule_id, *where)] = into
    return folded, rules


def _planned(report: AuditReport) -> tuple[Rules, Results, list[str]]:
    """The rules (not written yet) and results a SARIF log of `report` holds, and what it
    says of its size: one result per advisory, or, when that passes GitHub's 25,000, each
    version's advisories folded into one result (`_fold`), the rules no result uses dropped."""
    rules, results = _collect(report)
    if len(results) <= MAX_RESULTS:
        return rules, results, []
    said = [
        f"SARIF: one result per advisory would be {len(results):,} results, more than the "
        f"{MAX_RESULTS:,} GitHub code scanning takes in a run; each version's advisories are "
        f"one {VULNERABLE_RULE}/<risk> result instead, under the risk of the worst (and its "
        f"advisories to review one {FOLDED_REVIEW_RULE} result), naming them worst first"
    ]
    results, folded_rules = _fold(results)
    if len(results) > MAX_RESULTS:
        said.append(
            f"SARIF: {len(results):,} results even so; the "
            f"{plural(len(results) - MAX_RESULTS, 'least severe is', 'least severe are')} left "
            "out (split the inventory and upload each part under its own --sarif-category)"
        )
    used = {item.rule for item in results.values()}
    rules = {rule_id: rule for rule_id, rule in rules.items() if rule_id in used}
    rules |= folded_rules
    return rules, results, said


def size_warnings(report: AuditReport) -> list[str]:
    """What a SARIF log of `report` says of its own size: its advisories folded into one
    result per version, or results left out, to stay within GitHub's 25,000 results."""
    return _planned(report)[2]


def _fingerprint(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]


def _collect(report: AuditReport) -> tuple[Rules, Results]:
    """Rules (to be written, each once) and results from the report's groups (counted while
    the rows streamed)."""
    rules: Rules = {}
    results: Results = {}
    for g in report.groups:
        a = g.assessment
        if a.product is None:
            continue
        entries: list[tuple[str, str, float, Advisory | None]] = []
        for hit in a.hits:
            advisory = hit.advisory
            if advisory.id not in rules:  # a rule is written once, for its first group
                rules[advisory.id] = partial(_advisory_rule, advisory, a.product.name)
            level, score = _LEVEL[advisory.severity], _advisory_score(advisory)
            entries.append((advisory.id, level, score, advisory))
        if a.status in _POLICY_RULES:
            policy_id = _POLICY_RULES[a.status][0]
            rules.setdefault(policy_id, partial(_policy_rule, a.status))
            entries.append((policy_id, _LEVEL[a.risk], _BAND[a.risk], None))
        for rule_id, level, score, about in entries:
            key = (rule_id, a.product.id, g.version, g.platform.value)
            result = results.get(key)
            if result is None:
                result = results[key] = _Result(rule_id, level, g, score, advisory=about)
            result.members.append(g)
            result.count += g.installations
        for advisory in a.review:
            rule_id = REVIEW_RULE + advisory.id
            if rule_id not in rules:
                rules[rule_id] = partial(_review_rule, advisory)
            key = (rule_id, a.product.id, g.version, g.platform.value)
            result = results.get(key)
            if result is None:
                result = results[key] = _Result(
                    rule_id, "note", g, _BAND[Risk.NONE], review=advisory
                )
            result.members.append(g)
            result.count += g.installations
    return rules, results


Hosts = tuple[int, list[str]]
"""How many hosts a result has, and the first `MAX_HOSTS_LISTED` of them in text order."""


def _hosts(members: list[Group], cache: dict[tuple[int, ...], Hosts]) -> Hosts:
    """The hosts of some groups, counted and the first named; the many rules of one group
    share one answer. Only the first are put in order (a group may hold 100,000 hosts)."""
    key = tuple(id(g) for g in members)
    found = cache.get(key)
    if found is None:
        union: AbstractSet[str] = members[0].host_names
        if len(members) > 1:
            union = set().union(*(g.host_names for g in members))
        found = cache[key] = (len(union), heapq.nsmallest(MAX_HOSTS_LISTED, union))
    return found


def _advisory_said(hit: AdvisoryHit) -> str:
    """What one advisory result says of its own advisory: ids, severity, title and fix."""
    adv = hit.advisory
    facts = [*adv.aliases, adv.severity_label]
    if adv.cvss is not None:
        facts.append(f"CVSS {adv.cvss.score}")
    if adv.kev:
        facts.append("known exploited")
    fix = f"fixed in {hit.fixed}" if hit.fixed else "no fixed release is known"
    return f"{adv.id} ({', '.join(facts)}): {adv.title}; {fix}"


def _result(item: _Result, rule_index: int, found: Hosts, root: str = "") -> dict[str, Any]:
    g = item.group
    a = g.assessment
    count, first_hosts = found
    listed = ", ".join(_text(h) for h in first_hosts)
    if count > MAX_HOSTS_LISTED:
        listed += f" and {count - MAX_HOSTS_LISTED} more"
    advice = upgrade_advice(a)
    action = f" {_text(advice[:1].upper() + advice[1:])}." if advice else ""
    if retired(a):
        successor = replace_with(a)
        action = f" Replace it with {_text(successor)}." if successor else " Replace it."
    hit = next((h for h in a.hits if h.advisory.id == item.rule), None)
    # Each result names its own advisory and its fix (a version may have several); policy
    # results say the policy's reason.
    said = f"{_text(_advisory_said(hit) if hit else a.reason, MAX_TEXT)}.{action}"
    if item.folded:
        said = _folded_said(item, a) + ("" if item.rule == FOLDED_REVIEW_RULE else action)
    elif item.review is not None:
        said = (
            f"to review: {_text(item.review.id)} ({item.review.severity_label}) concerns it, "
            "but its affected versions are not published yet; check them against the vendor's "
            "advisory."
        )
    message = (
        f"{_text(g.product)} {_text(g.version)} on {g.platform.value}: "
        f"{said} {count} host{'s' if count != 1 else ''}: "
        f"{listed}."
    )
    product_id = a.product.id if a.product else ""
    fingerprint = _fingerprint(item.rule, product_id, g.version, g.platform.value)
    first = g.first
    line = first.line if first else 1
    return {
        "ruleId": item.rule,
        "ruleIndex": rule_index,
        "level": item.level,
        "message": {"text": message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": artifact_uri(first.file if first else "-", root)},
                    "region": {
                        "startLine": line,
                        "startColumn": 1,
                        "endLine": line,
                        "endColumn": 2,
                    },
                }
            }
        ],
        "partialFingerprints": {
            "primaryLocationLineHash": fingerprint,
            "vcaudit/v1": fingerprint,
        },
        "properties": {
            "product": product_id or None,
            "version": g.version,
            "platform": g.platform.value,
            "status": a.status.value,
            "risk": a.risk.label,
            "installations": item.count,
            "hosts": count,
            "fixedIn": a.fixed_in or None,
            "owner": g.owner or None,
            **(
                {"review": True}
                if item.review is not None or item.rule == FOLDED_REVIEW_RULE
                else {}
            ),
            **(
                {"advisories": [_text(adv.id) for adv in advisories_worst_first(item.folded)]}
                if item.folded
                else {}
            ),
        },
    }


def _folded_said(item: _Result, a: Assessment) -> str:
    """A folded result's story: how many advisories, their ids worst first, the worst one."""
    ordered = advisories_worst_first(item.folded)
    ids = ", ".join(_text(adv.id) for adv in ordered[:MAX_IDS_LISTED])
    if len(ordered) > MAX_IDS_LISTED:
        ids += f" and {len(ordered) - MAX_IDS_LISTED:,} more"
    if item.rule == FOLDED_REVIEW_RULE:
        return (
            f"to review: {plural(len(ordered), 'advisory', 'advisories')} "
            f"concern{'s' if len(ordered) == 1 else ''} it whose "
            f"affected versions are not published yet ({ids}); check them against the "
            "vendor's advisories."
        )
    worst = next((h for h in a.hits if h.advisory is ordered[0]), None)
    verb = "applies" if len(ordered) == 1 else "apply"
    said = f"{plural(len(ordered), 'advisory', 'advisories')} {verb} ({ids})"
    if worst is not None:
        said += f"; the worst: {_advisory_said(worst)}"
    return f"{_text(said, MAX_TEXT)}."


def automation_id(category: str) -> str:
    """automationDetails.id for a category: GitHub reads the id as `category/run-id`, so a
    category alone ends with `/` (`fleet` -> `fleet/`)."""
    return category if category.endswith("/") else category + "/"


def document(report: AuditReport, options: RenderOptions | None = None) -> dict[str, Any]:
    """The SARIF log as a JSON-ready mapping."""
    options = options or RenderOptions()
    rules, groups, said = _planned(report)
    notes = [*report.warnings, *said]
    ordered_rules = [rules[rule_id]() for rule_id in sorted(rules)]
    index = {rule["id"]: i for i, rule in enumerate(ordered_rules)}
    cache: dict[tuple[int, ...], Hosts] = {}
    if len(groups) > MAX_RESULTS:
        # Past the limit even folded: the least severe go, and of those as severe, the ones
        # on the fewest installations.
        kept = sorted(groups.items(), key=lambda pair: (-pair[1].score, -pair[1].count, pair[0]))
        groups = dict(kept[:MAX_RESULTS])
    ranked = sorted(groups.items(), key=lambda pair: (-pair[1].score, pair[0]))
    results = [
        _result(item, index[item.rule], _hosts(item.members, cache), options.root)
        for _key, item in ranked
    ]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "vcaudit",
                "version": report.tool_version or "0",
                "semanticVersion": report.tool_version or "0.0.0",
                # No informationUri: the project has no address of its own to give.
                "rules": ordered_rules,
            }
        },
    }
    if options.sarif_category:
        run["automationDetails"] = {"id": automation_id(options.sarif_category)}
    if notes:
        run["invocations"] = [
            {
                "executionSuccessful": True,
                "toolExecutionNotifications": [
                    {"level": "warning", "message": {"text": _text(w, 0)}} for w in notes
                ],
            }
        ]
    run |= {
        "columnKind": "unicodeCodePoints",
        "results": results,
        "properties": {
            "feedGeneratedAt": (
                report.feed.generated_at.isoformat() if report.feed.generated_at else None
            ),
            "installations": report.summary.installations,
            "hosts": report.summary.hosts,
            "inputs": list(report.read),
        },
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(report: AuditReport, options: RenderOptions) -> str:
    """The SARIF log, indented, with a final newline."""
    # json_safe: a SARIF file printed to a CI log holds no `##[command]` (see sanitize).
    return json_safe(json.dumps(document(report, options), indent=2, ensure_ascii=True)) + "\n"
