"""CSV: one row per installation, for spreadsheets and ticket imports.

Cells a spreadsheet would run as a formula (starting with = + - @, their full-width forms,
tab, CR) are prefixed with `'`, so an inventory value can never become a formula in Excel or
LibreOffice, and so is each piece after a `;`, for spreadsheets that split cells on `;`
(Excel where `;` is the list separator): `a;=cmd` is written `a;'=cmd`. Control characters
are shown as escapes, so printing the file in a terminal or CI log is safe too. `--excel`
starts the file with a UTF-8 byte order mark: without it Excel reads a CSV in the system's
legacy code page and garbles every non-ASCII name. `--csv-delimiter semicolon` separates cells
with `;`, as Excel expects where `;` is the list separator (cells holding a `;` are quoted).
The `review` column names the advisories to review (affected versions not published yet):
shown, never part of status or risk.
"""

from __future__ import annotations

import csv
import io
from typing import TextIO

from vcaudit.models import AuditReport
from vcaudit.output import RenderOptions
from vcaudit.sanitize import spreadsheet_safe, terminal_safe

COLUMNS = (
    "host", "platform", "product", "name", "version", "status", "risk", "latest", "fixed_in",
    "owner", "ownership", "user", "tags", "advisories", "ignored", "review", "due", "overdue",
    "reason", "file", "line",
)  # fmt: skip
BOM = "\ufeff"
"""The byte order mark `--excel` starts the file with (EF BB BF once encoded as UTF-8)."""


def render(report: AuditReport, options: RenderOptions) -> str:
    """The CSV text (RFC 4180 quoting, CRLF line ends)."""
    buffer = io.StringIO()
    write(report, options, buffer)
    return buffer.getvalue()


def write(report: AuditReport, options: RenderOptions, stream: TextIO) -> None:
    """Row by row to `stream`."""
    if options.excel:
        stream.write(BOM)
    writer = csv.writer(stream, delimiter=options.csv_delimiter, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for finding in report.findings:
        inst = finding.installation
        a = finding.assessment
        row = (
            inst.host,
            inst.platform.value,
            a.product.id if a.product else "",
            inst.product,
            inst.version,
            a.status.value,
            a.risk.label,
            a.latest,
            a.fixed_in,
            finding.owner,
            inst.ownership.value,
            inst.user,
            ";".join(inst.tags),
            ";".join(hit.advisory.id for hit in a.hits),
            ";".join(item.hit.advisory.id for item in a.ignored),
            ";".join(advisory.id for advisory in a.review),
            a.due.isoformat() if a.due else "",
            "yes" if a.overdue else "",
            a.reason,
            inst.source.file,
            str(inst.source.line),
        )
        writer.writerow([spreadsheet_safe(terminal_safe(cell, 0)) for cell in row])
