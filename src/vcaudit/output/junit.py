"""JUnit XML for GitLab, Jenkins and other CI test reports.

One testcase per installation, passing ones included, so dashboards show coverage. A
testcase fails exactly when its finding fails the run (at or above --fail-on), with the
failure typed by status: vulnerable, eol, unsupported, unapproved or outdated (or review,
when only an advisory to review fails it under `review: fail`). Unknown
products and versions are skipped (an error under --strict).

Names are unique (GitLab keeps only the first of equal names) and stable: host, product,
version and platform, never a line number, so adding or moving inventory rows renames no
test. Rows that would share a name add what tells them apart (the inventory's name for the
product, the user, the file...), and rows alike in everything are numbered.

The document is valid against the JUnit schema Jenkins' xunit plugin validates with
(junit-10.xsd): no `file` on a testcase and no `skipped` on `testsuites`, which it does not
allow. Untrusted text (hosts, names, versions, titles) has its line breaks, CR, LF and
U+2028/U+2029 included, shown as escapes, so a value can neither split a test name over
lines nor start a line of its own in a failure's text.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict

from vcaudit.advice import replace_with, retired, review_ids, upgrade_advice
from vcaudit.models import AuditReport, Finding, Status
from vcaudit.output import RenderOptions
from vcaudit.sanitize import terminal_safe, xml_safe

MAX_NAME = 2000
"""Characters of a test name, at most (before what tells equal names apart)."""
MAX_TELL = 200
"""Characters of each value that tells equal names apart."""

# Unicode's line and paragraph separators: line breaks to many viewers (and to JavaScript),
# though not controls; NEL (U+0085) is a C1 control `terminal_safe` already escapes.
_SEPARATORS = re.compile("[\u2028\u2029]")


def _v(value: str, limit: int = 0) -> str:
    """One untrusted value on one line: controls (CR and LF included) and the line
    separators shown as escapes; cut to `limit` characters (0: no cut)."""
    return _SEPARATORS.sub(lambda m: f"\\u{ord(m.group()):04x}", terminal_safe(value, limit))


def _detail(finding: Finding) -> str:
    a = finding.assessment
    inst = finding.installation
    lines = [f"{a.status.value} ({a.risk.label})" + (f": {_v(a.reason)}" if a.reason else "")]
    for hit in a.hits:
        adv = hit.advisory
        cvss = f"; CVSS {adv.cvss.score}" if adv.cvss else ""
        kev = "; known exploited (CISA KEV)" if adv.kev else ""
        fixed = f"; fixed in {_v(hit.fixed)}" if hit.fixed else ""
        aliases = f" ({_v(', '.join(adv.aliases))})" if adv.aliases else ""
        lines.append(f"{_v(adv.id)}{aliases}: {_v(adv.title)}{fixed}{cvss}{kev}")
    for item in a.ignored:
        until = f" until {item.until.isoformat()}" if item.until else ""
        lines.append(f"ignored {_v(item.hit.advisory.id)}{until}: {_v(item.reason)}")
    for adv in a.review:
        aliases = f" ({_v(', '.join(adv.aliases))})" if adv.aliases else ""
        lines.append(
            f"review {_v(adv.id)}{aliases}: {_v(adv.title)}; {adv.severity_label}; affected "
            "versions not published yet"
        )
    if a.hits and retired(a):
        successor = replace_with(a)
        lines.append(f"end of life: replace it{' with ' + _v(successor) if successor else ''}")
    elif upgrade_advice(a):
        lines.append(_v(upgrade_advice(a)))
    if finding.owner:
        lines.append(f"owner: {_v(finding.owner)}")
    if a.due:
        lines.append(f"due: {a.due.isoformat()}" + (" (overdue)" if a.overdue else ""))
    lines.append(f"source: {_v(inst.source.file)}:{inst.source.line}")
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
    return xml_safe(_v(text), 1000)


def _name(finding: Finding) -> str:
    """The test's name: host, product, version and platform (never the row's line)."""
    inst = finding.installation
    return f"{_v(inst.host)}: {_v(finding.display_name)} {_v(inst.version)} ({inst.platform.value})"


_TELLS = (
    ("as", lambda f: f.installation.product),
    ("user", lambda f: f.installation.user),
    ("owner", lambda f: f.owner),
    ("ownership", lambda f: f.installation.ownership.value),
    ("tags", lambda f: ",".join(f.installation.tags)),
    ("publisher", lambda f: f.installation.publisher),
    ("from", lambda f: f.installation.source.file),
)
"""What may tell apart rows that share host, product, version and platform, in the order a
name says it."""


def _disambiguate(cases: list[tuple[Finding, ET.Element]]) -> None:
    """Rename the testcases of rows that share a name, by what tells them apart: the values
    of `_TELLS` that differ among them (whatever the rows' order), then a number among rows
    alike in all of them (interchangeable, so their order does not matter either)."""
    values = [tuple(tell(finding) for _, tell in _TELLS) for finding, _ in cases]
    alike = Counter(values)
    differ = [i for i in range(len(_TELLS)) if len({v[i] for v in values}) > 1]
    seen: Counter[tuple[str, ...]] = Counter()
    for (_finding, case), value in zip(cases, values, strict=True):
        said = [
            f"{_TELLS[i][0]} {_v(value[i], MAX_TELL)}" if value[i] else f"no {_TELLS[i][0]}"
            for i in differ
        ]
        seen[value] += 1
        if alike[value] > 1:
            said.append(f"#{seen[value]}")
        tail = xml_safe(f" [{'; '.join(said)}]")
        # The base is cut, never the tail: it is what makes the name unique.
        case.set("name", xml_safe(case.get("name", ""), MAX_NAME - len(tail)) + tail)


def render(report: AuditReport, options: RenderOptions) -> str:
    """The JUnit XML document."""
    del options
    suites: dict[str, list[Finding]] = defaultdict(list)
    for finding in report.findings:
        product = finding.assessment.product
        suites[product.id if product else "unknown"].append(finding)
    root = ET.Element("testsuites", name="vcaudit")
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for suite_name in sorted(suites):
        findings = suites[suite_name]
        suite = ET.SubElement(root, "testsuite", name=suite_name)
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        named: dict[str, list[tuple[Finding, ET.Element]]] = defaultdict(list)
        for finding in findings:
            counts["tests"] += 1
            a = finding.assessment
            name = xml_safe(_name(finding), MAX_NAME)
            case = ET.SubElement(
                suite, "testcase", classname=f"vcaudit.{suite_name}", name=name, time="0"
            )
            named[name].append((finding, case))
            failing = report.fails(a)
            if a.status is Status.UNKNOWN:
                if failing:
                    counts["errors"] += 1
                    error = ET.SubElement(case, "error", type="unknown", message=_message(finding))
                    error.text = _detail(finding)
                else:
                    counts["skipped"] += 1
                    skipped = ET.SubElement(case, "skipped", message=_message(finding))
                    skipped.text = _detail(finding)
            elif failing:
                counts["failures"] += 1
                # An advisory to review fails a case only under `review: fail`.
                kind = "review" if report.fails_for_review_only(a) else a.status.value
                failure = ET.SubElement(case, "failure", type=kind, message=_message(finding))
                failure.text = _detail(finding)
            else:
                # Every case points back to its row (the name does not: rows move).
                out = ET.SubElement(case, "system-out")
                if a.status is not Status.CURRENT or a.ignored or a.review:
                    out.text = _detail(finding)
                else:
                    source = finding.installation.source
                    out.text = xml_safe(f"source: {_v(source.file)}:{source.line}")
        for cases in named.values():
            if len(cases) > 1:
                _disambiguate(cases)
        for key, value in counts.items():
            suite.set(key, str(value))
            if key in totals:
                totals[key] += value
        suite.set("time", "0")
    # `testsuites` takes no `skipped` in Jenkins' junit-10.xsd: skipped cases are counted on
    # each testsuite only.
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"
