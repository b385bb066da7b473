"""The JSON report (`--format json`), documented in schema/report.schema.json.

Keys come in a fixed order and installations in input order, so the same input gives the same
bytes. Text is written as it was read (JSON escaping makes it inert); `ensure_ascii` keeps
control and direction-override characters visible as escapes.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import replace
from itertools import chain
from operator import itemgetter
from typing import Any, TextIO

from vcaudit.models import (
    Advisory,
    AdvisoryHit,
    Assessment,
    AuditReport,
    BatchedFindings,
    Finding,
    IgnoredHit,
    Installation,
    Source,
)
from vcaudit.output import RenderOptions
from vcaudit.sanitize import json_safe

SCHEMA_VERSION = 1


def _advisory(hit: AdvisoryHit) -> dict[str, Any]:
    advisory = hit.advisory
    cvss = advisory.cvss
    out = {
        "id": advisory.id,
        "aliases": list(advisory.aliases),
        "title": advisory.title,
        "severity": advisory.severity_label,
        "cvss": (
            {"version": cvss.version, "score": cvss.score, "vector": cvss.vector}
            if cvss is not None
            else None
        ),
        "kev": advisory.kev,
        "published": advisory.published.isoformat() if advisory.published else None,
        "fixed": hit.fixed or None,
    }
    if advisory.vendor_severity:
        # Only where the vendor's label disagrees with the CVSS band: shown, never ranked.
        out["vendor_severity"] = advisory.vendor_severity
    return out


def _ignored(item: IgnoredHit) -> dict[str, Any]:
    out = {
        **_advisory(item.hit),
        "reason": item.reason,
        "until": item.until.isoformat() if item.until else None,
    }
    if not item.hit.advisory.range_known:
        out["range"] = "unknown"  # an advisory to review that the policy accepts
    return out


def _review(advisory: Advisory) -> dict[str, Any]:
    """An advisory to review: its affected versions are not published yet, so it has no
    fixed version; shown, never part of status or risk."""
    out = _advisory(AdvisoryHit(advisory, ""))
    del out["fixed"]
    out["range"] = "unknown"
    return out


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
        "upgrade_to": assessment.upgrade_to or None,
        "or_later": assessment.or_later,
        "owner": finding.owner or None,
        "ownership": inst.ownership.value,
        "user": inst.user or None,
        "tags": list(inst.tags),
        "advisories": [_advisory(hit) for hit in assessment.hits],
        "ignored": [_ignored(item) for item in assessment.ignored],
        "review": [_review(advisory) for advisory in assessment.review],
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
        "policy": {
            "fail_on": report.fail_on.label,
            "strict": report.strict,
            "review": "fail" if report.fail_on_review else "show",
        },
        "as_of": report.as_of.isoformat() if report.as_of else None,
        "summary": {
            "hosts": summary.hosts,
            "installations": summary.installations,
            "worst_risk": summary.worst.label,
            "failing": summary.failing,
            "ignored": summary.ignored,
            "review": summary.review,
            "by_status": {status.value: count for status, count in summary.by_status},
            "by_risk": {risk.label: count for risk, count in summary.by_risk},
        },
        "inputs": list(report.read),
        "warnings": list(report.warnings),
        "installations": ([installation(f) for f in report.findings] if with_installations else []),
    }


def render(report: AuditReport, options: RenderOptions) -> str:
    """The report as indented JSON with a final newline."""
    buffer = io.StringIO()
    write(report, options, buffer)
    return buffer.getvalue()


def write(report: AuditReport, options: RenderOptions, stream: TextIO) -> None:
    """The same bytes as `json.dumps(document(report), indent=2)`, one installation at a time.

    An installation's fields that depend only on its verdict (status, advisories, ...) are
    encoded once per distinct verdict; per row only its own fields are encoded.
    """
    del options  # one layout for every consumer
    head = document(report, with_installations=False)
    text = json.dumps({**head, "installations": []}, indent=2, ensure_ascii=True)
    opening, _, closing = text.rpartition('"installations": []')
    # json_safe: a report printed to a CI log holds no `##[command]` (see sanitize).
    stream.write(json_safe(opening) + '"installations": [')
    encoder = _RowEncoder()
    first = True
    findings = report.findings
    pieces = (
        _batched(findings, encoder)
        if isinstance(findings, BatchedFindings)
        else map(encoder.encode, findings)
    )
    for piece in pieces:
        if len(piece) > 4096:
            # A piece of many installations: written as it is, not copied into a new string.
            stream.write("\n" if first else ",\n")
            stream.write(json_safe(piece))
        else:
            stream.write(("\n" if first else ",\n") + json_safe(piece))
        first = False
    stream.write(("\n  ]" if not first else "]") + json_safe(closing) + "\n")


# Stand-ins for a row's own values: encoded, each occurs once in an installation's text.
_HOST, _USER, _LINE = "\x00host\x00", "\x00user\x00", 987_654_321_987_654_321
_PIECE = 256
"""Installations joined into one piece of text when rows are read again."""


def _batched(findings: BatchedFindings, encoder: _RowEncoder) -> Iterator[str]:
    """The installations of counted files read again, many per piece of text.

    Rows of one distinct installation differ only in host, user and line, so its text is
    encoded once, cut where those go, and joined with each row's own values. The text is
    cut at each stand-in in turn, so the same text earlier on is harmless; should it occur
    again later (a tag that happens to equal it), those rows are encoded one by one.
    """
    enc = json.encoder.encode_basestring_ascii
    # By file (its `firsts`, kept so that its id is never reused), then installation number.
    templates: dict[int, tuple[Sequence[Installation], dict[int, _Cut | None]]] = {}
    for batch in findings.batches():
        numbers, hosts, users, lines = batch.numbers, batch.hosts, batch.users, batch.lines
        firsts, assessments = batch.firsts, batch.assessments
        known = templates.setdefault(id(firsts), (firsts, {}))[1]
        for number in set(numbers).difference(known):
            known[number] = _cut(encoder, firsts[number], assessments[number])
        cuts = list(map(known.__getitem__, numbers))
        if None in cuts:
            yield from map(encoder.encode, batch)
            continue
        if any(users):
            users_json = [enc(user) if user else "null" for user in users]
        else:
            users_json = ["null"] * len(users)
        for start in range(0, len(numbers), _PIECE):
            end = start + _PIECE
            part = cuts[start:end]
            separators = [",\n"] * (len(part) - 1) + [""]
            pieces = zip(
                map(_FIRST, part),  # type: ignore[arg-type]
                map(enc, hosts[start:end]),
                map(_SECOND, part),  # type: ignore[arg-type]
                users_json[start:end],
                map(_THIRD, part),  # type: ignore[arg-type]
                map(str, lines[start:end]),
                map(_LAST, part),  # type: ignore[arg-type]
                separators,
                strict=True,
            )
            yield "".join(chain.from_iterable(pieces))


_Cut = tuple[str, str, str, str]
"""An installation's text in four pieces, around its host, user and line."""
_FIRST, _SECOND, _THIRD, _LAST = (itemgetter(i) for i in range(4))


def _cut(encoder: _RowEncoder, first: Installation, assessment: Assessment) -> _Cut | None:
    """An installation's text cut where its host, user and line go (None if it cannot be)."""
    probe = replace(first, host=_HOST, user=_USER, source=Source(first.source.file, _LINE))
    text = encoder.encode(Finding(probe, assessment))
    enc = json.encoder.encode_basestring_ascii
    parts: list[str] = []
    for mark in (enc(_HOST), enc(_USER), str(_LINE)):
        if text.count(mark) != 1:
            return None
        before, text = text.split(mark)
        parts.append(before)
    return parts[0], parts[1], parts[2], text


_INDENT = "      "  # an installation's keys, inside the root object and its list


def _field(key: str, value: Any) -> str:
    """One `"key": value` line block as json.dumps(indent=2) writes it at this depth."""
    inner = json.dumps({key: value}, indent=2, ensure_ascii=True)
    lines = inner.split("\n")[1:-1]
    return "\n".join("    " + line for line in lines)


class _RowEncoder:
    """Encodes installations, caching what their verdict decides."""

    def __init__(self) -> None:
        self._cache: dict[int, tuple[Any, tuple[str, str, str, str]]] = {}

    def _verdict_parts(self, finding: Finding) -> tuple[str, str, str, str]:
        assessment = finding.assessment
        found = self._cache.get(id(assessment))
        if found is not None and found[0] is assessment:
            return found[1]
        row = installation(finding)
        parts = (
            ",\n".join(_field(k, row[k]) for k in ("product", "product_name")),
            _field("installer", row["installer"]),
            ",\n".join(
                _field(k, row[k])
                for k in (
                    "status",
                    "risk",
                    "reason",
                    "latest",
                    "fixed_in",
                    "upgrade_to",
                    "or_later",
                )
            ),
            ",\n".join(
                _field(k, row[k]) for k in ("advisories", "ignored", "review", "due", "overdue")
            ),
        )
        self._cache[id(assessment)] = (assessment, parts)
        return parts

    def encode(self, finding: Finding) -> str:
        inst = finding.installation
        product, installer, verdict, advisories = self._verdict_parts(finding)
        enc = json.encoder.encode_basestring_ascii
        owner = finding.owner
        tags = (
            "[\n" + ",\n".join(f"{_INDENT}  {enc(t)}" for t in inst.tags) + f"\n{_INDENT}]"
            if inst.tags
            else "[]"
        )
        return (
            "    {\n"
            f'{_INDENT}"host": {enc(inst.host)},\n'
            f'{_INDENT}"platform": {enc(inst.platform.value)},\n'
            f"{product},\n"
            f'{_INDENT}"name": {enc(inst.product)},\n'
            f"{installer},\n"
            f'{_INDENT}"version": {enc(inst.version)},\n'
            f"{verdict},\n"
            f'{_INDENT}"owner": {enc(owner) if owner else "null"},\n'
            f'{_INDENT}"ownership": {enc(inst.ownership.value)},\n'
            f'{_INDENT}"user": {enc(inst.user) if inst.user else "null"},\n'
            f'{_INDENT}"tags": {tags},\n'
            f"{advisories},\n"
            f'{_INDENT}"source": {{\n'
            f'{_INDENT}  "file": {enc(inst.source.file)},\n'
            f'{_INDENT}  "line": {inst.source.line}\n'
            f"{_INDENT}}}\n"
            "    }"
        )
