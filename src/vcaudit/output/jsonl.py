"""JSON Lines (`--format jsonl`): one self-contained object per installation, for SIEMs.

Splunk, Elastic and their kin ingest one event per line. Each line carries the row's own facts
(host, user, owner, ownership, tags, source file and line, the product as the inventory named
it) and its finding's: product, version, platform, the finding's id (as in the JSON report),
status, risk, due date and the vendor ids of the advisories that apply, are ignored or are to
review (not their bodies: the JSON report or `vcaudit advisory ID` has them). Nothing else is
written: no header, no summary, so every line is an event. Rows are written as they are read,
in input order, in constant memory. Keys come in a fixed order and text is escaped as in the
JSON report (`ensure_ascii`; no `#[` in a line).
"""

from __future__ import annotations

import io
import json
from typing import TextIO

from vcaudit.models import Assessment, AuditReport, Installation
from vcaudit.output import RenderOptions
from vcaudit.output.json import Catalogue, Layout, Parts, rows

_enc = json.encoder.encode_basestring_ascii  # the C encoder json.dumps uses for strings


def _text(value: str) -> str:
    return _enc(value) if value else "null"


def _ids(ids: list[str]) -> str:
    return "[" + ",".join(map(_enc, ids)) + "]"


class _Line(Layout):
    """`{"host":...,"user":...,"owner":...,"ownership":...,"tags":[...],"source":{"file":...,
    "line":...},"name":...,"product":...,"version":...,"platform":...,"finding":...,
    "status":...,"risk":...,"due":...,"advisories":[...],"ignored":[...],"review":[...]}`,
    without spaces (a SIEM stores every byte)."""

    opening = '{"host":'

    def parts(self, first: Installation, assessment: Assessment) -> Parts:
        verdict = self.catalogue.verdict(first, assessment)
        product = assessment.product
        owner = first.owner or assessment.owner
        due = assessment.due.isoformat() if assessment.due else ""
        return (
            ',"user":',
            f',"owner":{_text(owner)},"ownership":"{first.ownership.value}",'
            f'"tags":[{",".join(map(_enc, first.tags))}],'
            f'"source":{{"file":{_enc(first.source.file)},"line":',
            f'}},"name":{_enc(first.product)},"product":{_text(product.id if product else "")},'
            f'"version":{_enc(first.version)},"platform":"{first.platform.value}",'
            f'"finding":{_enc(verdict.id)},"status":"{assessment.status.value}",'
            f'"risk":"{assessment.risk.label}","due":{_text(due)},'
            f'"advisories":{_ids([h.advisory.id for h in assessment.hits])},'
            f'"ignored":{_ids([i.hit.advisory.id for i in assessment.ignored])},'
            f'"review":{_ids([a.id for a in assessment.review])}}}',
        )


def render(report: AuditReport, options: RenderOptions) -> str:
    """Every installation, one JSON object a line."""
    buffer = io.StringIO()
    write(report, options, buffer)
    return buffer.getvalue()


def write(report: AuditReport, options: RenderOptions, stream: TextIO) -> None:
    """The lines, written as the rows are read."""
    del options  # one layout for every consumer
    for piece in rows(report, _Line(Catalogue(report)), separator="\n"):
        stream.write(piece)  # made json_safe by `rows`
        stream.write("\n")
