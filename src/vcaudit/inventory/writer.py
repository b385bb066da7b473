"""Writing vcaudit's own inventory formats (for `vcaudit discover` and `vcaudit import`).

The output reads back with `vcaudit scan` unchanged. CSV cells that a spreadsheet would run
as a formula are prefixed with `'` (they are names of software, never formulas).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from enum import StrEnum

from vcaudit.models import Installation
from vcaudit.sanitize import csv_safe

COLUMNS = (
    "host",
    "platform",
    "product",
    "version",
    "publisher",
    "owner",
    "ownership",
    "user",
    "tags",
    "last_seen",
)


class InventoryFormat(StrEnum):
    """Native inventory formats vcaudit writes."""

    CSV = "csv"
    JSON = "json"
    YAML = "yaml"


def _row(inst: Installation) -> dict[str, str]:
    return {
        "host": inst.host,
        "platform": inst.platform.value,
        "product": inst.product,
        "version": inst.version,
        "publisher": inst.publisher,
        "owner": inst.owner,
        "ownership": inst.ownership.value,
        "user": inst.user,
        "tags": ";".join(inst.tags),
        "last_seen": inst.last_seen,
    }


def render(installations: Iterable[Installation], fmt: InventoryFormat) -> str:
    """The installations as a native inventory document."""
    rows = [_row(i) for i in installations]
    if fmt is InventoryFormat.CSV:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow([csv_safe(row[c]) for c in COLUMNS])
        return buffer.getvalue()
    trimmed = [{k: v for k, v in row.items() if v or k in ("version",)} for row in rows]
    if fmt is InventoryFormat.JSON:
        return json.dumps({"installations": trimmed}, indent=2, ensure_ascii=False) + "\n"
    import yaml

    return yaml.safe_dump({"installations": trimmed}, sort_keys=False, allow_unicode=True)
