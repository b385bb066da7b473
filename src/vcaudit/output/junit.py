"""JUnit XML for GitLab, Jenkins and other CI test reports.

One testcase per installation, passing ones included, so dashboards show coverage. A
testcase fails exactly when its finding fails the run (at or above --fail-on), with the
failure typed by status: vulnerable, eol, unsupported, unapproved or outdated (or review,
when only an advisory to review fails it under `review: fail`). Unknown
products and versions are skipped (an error under --strict). Names are unique (GitLab keeps
only the first of equal names): host, product, version, platform and the inventory row.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict

from vcaudit.advice import replace_with, retired, review_ids, upgrade_advice
from vcaudit.models import AuditReport, Finding, Status
from vcaudit.output import RenderOptions
from vcaudit.sanitize import xml_safe


def _detail(finding: Finding) -> str:
    a = finding.assessment
    inst = finding.installation
    lines = [f"{a.status.value} ({a.risk.label})" + (f": {a.reason}" if a.reason else "")]
    for hit in a.hits:
        adv = hit.advisory
        cvss = f"; CVSS {adv.cvss.score}" if adv.cvss else ""
        kev = "; known exploited (CISA KEV)" if adv.kev else ""
        fixed = f"; fixed in {hit.fixed}" if hit.fixed else ""
        aliases = f" ({', '.join(adv.aliases)})" if adv.aliases else ""
        lines.append(f"{adv.id}{aliases}: {adv.title}{fixed}{cvss}{kev}")
    for item in a.ignored:
        until = f" until {item.until.isoformat()}" if item.until else ""
        lines.append(f"ignored {item.hit.advisory.id}{until}: {item.reason}")
    for adv in a.review:
        aliases = f" ({', '.join(adv.aliases)})" if adv.aliases else ""
        lines.append(
            f"review {adv.id}{aliases}: {adv.title}; {adv.severity_label}; affected versions "
            "not published yet"
        )
    if a.hits and retired(a):
        successor = replace_with(a)
        lines.append(f"end of life: replace it{' with ' + successor if successor else ''}")
    elif upgrade_advice(a):
        lines.append(upgrade_advice(a))
    if finding.owner:
        lines.append(f"owner: {finding.owner}")
    if a.due:
        lines.append(f"due: {a.due.isoformat()}" + (" (overdue)" if a.overdue else ""))
    lines.append(f"source: {inst.source.file}:{inst.source.line}")
    return xml_safe("\n".join(lines))


def _message(finding: Finding) -> str:
    a = finding.assessment
    ids = ", ".join(hit.advisory.id for hit in a.hits[:5])
    if len(a.hits) > 5:
        ids += f" +{len(a.hits) - 5}"
    text = f"{a.status.value} ({a.risk.label})"
    if ids:
        text += f": {ids}"
    if ids and retired(a):
        text += "; end of life"
    elif a.fixed_in:
        text += f"; fixed in {a.fixed_in}"
    elif not ids and a.reason:
        text += f": {a.reason}"
    if a.review:
        text += f"; {review_ids(a, 5)}"
    return xml_safe(text, 1000)


def render(report: AuditReport, options: RenderOptions) -> str:
    """The JUnit XML document."""
    del options
    suites: dict[str, list[Finding]] = defaultdict(list)
    for finding in report.findings:
        product = finding.assessment.product
        suites[product.id if product else "unknown"].append(finding)
    root = ET.Element("testsuites", name="vcaudit")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for suite_name in sorted(suites):
        findings = suites[suite_name]
        suite = ET.SubElement(root, "testsuite", name=suite_name)
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        for finding in findings:
            counts["tests"] += 1
            inst = finding.installation
            a = finding.assessment
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"vcaudit.{suite_name}",
                name=xml_safe(
                    f"{inst.host}: {finding.display_name} {inst.version} ({inst.platform.value})"
                    f" [{inst.source.file}:{inst.source.line}]",
                    2000,
                ),
                file=xml_safe(inst.source.file),
                time="0",
            )
            failing = report.fails(a)
            if a.status is Status.UNKNOWN:
                if failing:
                    counts["errors"] += 1
                    error = ET.SubElement(case, "error", type="unknown", message=_message(finding))
                    error.text = _detail(finding)
                else:
                    counts["skipped"] += 1
                    ET.SubElement(case, "skipped", message=_message(finding))
            elif failing:
                counts["failures"] += 1
                # An advisory to review fails a case only under `review: fail`.
                kind = "review" if report.fails_for_review_only(a) else a.status.value
                failure = ET.SubElement(case, "failure", type=kind, message=_message(finding))
                failure.text = _detail(finding)
            elif a.status is not Status.CURRENT or a.ignored or a.review:
                out = ET.SubElement(case, "system-out")
                out.text = _detail(finding)
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        suite.set("time", "0")
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"
