"""The JSON report (`--format json`), documented in schema/report.schema.json.

Keys come in a fixed order and installations in input order, so the same input gives the same
bytes. Text is written as it was read (JSON escaping makes it inert); `ensure_ascii` keeps
control and direction-override characters visible as escapes.
"""

from __future__ import annotations

import io
import json
from typing import Any, TextIO

from vcaudit.models import AdvisoryHit, AuditReport, Finding, IgnoredHit
from vcaudit.output import RenderOptions

SCHEMA_VERSION = 1


def _advisory(hit: AdvisoryHit) -> dict[str, Any]:
    advisory = hit.advisory
    cvss = advisory.cvss
    return {
        "id": advisory.id,
        "aliases": list(advisory.aliases),
        "title": advisory.title,
        "severity": advisory.severity.label,
        "cvss": (
            {"version": cvss.version, "score": cvss.score, "vector": cvss.vector}
            if cvss is not None
            else None
        ),
        "kev": advisory.kev,
        "published": advisory.published.isoformat() if advisory.published else None,
        "fixed": hit.fixed or None,
    }


def _ignored(item: IgnoredHit) -> dict[str, Any]:
    return {
        **_advisory(item.hit),
        "reason": item.reason,
        "until": item.until.isoformat() if item.until else None,
    }


def installation(finding: Finding) -> dict[str, Any]:
    """One installation of the report, as a JSON-ready mapping."""
    inst = finding.installation
    assessment = finding.assessment
    product = assessment.product
    return {
        "host": inst.host,
        "platform": inst.platform.value,
        "product": product.id if product else None,
        "product_name": product.name if product else None,
        "name": inst.product,
        "installer": assessment.installer,
        "version": inst.version,
        "status": assessment.status.value,
        "risk": assessment.risk.label,
        "reason": assessment.reason,
        "latest": assessment.latest or None,
        "fixed_in": assessment.fixed_in or None,
        "owner": finding.owner or None,
        "ownership": inst.ownership.value,
        "user": inst.user or None,
        "tags": list(inst.tags),
        "advisories": [_advisory(hit) for hit in assessment.hits],
        "ignored": [_ignored(item) for item in assessment.ignored],
        "due": assessment.due.isoformat() if assessment.due else None,
        "overdue": assessment.overdue,
        "source": {"file": inst.source.file, "line": inst.source.line},
    }


def document(report: AuditReport, *, with_installations: bool = True) -> dict[str, Any]:
    """The whole report as a JSON-ready mapping."""
    summary = report.summary
    feed = report.feed
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "vcaudit", "version": report.tool_version},
        "feed": {
            "schema_version": feed.schema_version,
            "generated_at": feed.generated_at.isoformat() if feed.generated_at else None,
            "publisher": feed.publisher,
            "source": feed.location,
        },
        "policy": {"fail_on": report.fail_on.label, "strict": report.strict},
        "as_of": report.as_of.isoformat() if report.as_of else None,
        "summary": {
            "hosts": summary.hosts,
            "installations": summary.installations,
            "worst_risk": summary.worst.label,
            "failing": summary.failing,
            "ignored": summary.ignored,
            "by_status": {status.value: count for status, count in summary.by_status},
            "by_risk": {risk.label: count for risk, count in summary.by_risk},
        },
        "warnings": list(report.warnings),
        "installations": ([installation(f) for f in report.findings] if with_installations else []),
    }


def render(report: AuditReport, options: RenderOptions) -> str:
    """The report as indented JSON with a final newline."""
    buffer = io.StringIO()
    write(report, options, buffer)
    return buffer.getvalue()


def write(report: AuditReport, options: RenderOptions, stream: TextIO) -> None:
    """The same bytes as `json.dumps(document(report), indent=2)`, one installation at a time."""
    del options  # one layout for every consumer
    head = document(report, with_installations=False)
    text = json.dumps({**head, "installations": []}, indent=2, ensure_ascii=True)
    opening, _, closing = text.rpartition('"installations": []')
    stream.write(opening + '"installations": [')
    first = True
    for finding in report.findings:
        item = json.dumps(installation(finding), indent=2, ensure_ascii=True)
        stream.write(("\n" if first else ",\n") + "    " + item.replace("\n", "\n    "))
        first = False
    stream.write(("\n  ]" if not first else "]") + closing + "\n")
