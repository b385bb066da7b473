"""Jamf Pro `computers-inventory` JSON (section APPLICATIONS).

Each computer has `general.name` and `applications: [{name, path, version, bundleId,
...}]`; Jamf Pro 11.23 adds `cfBundleShortVersionString`, preferred when present. The API
pages its results (`page`, `page-size`, 100 by default) and says how many computers there
are in `totalCount`: a file holding fewer is one page of a paged export, not the fleet.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from vcaudit.errors import InputError
from vcaudit.inventory import native, records
from vcaudit.inventory.context import ReadContext
from vcaudit.inventory.interface import Head
from vcaudit.models import Installation, Platform


def sniff(head: Head) -> bool:
    """JSON whose computers have `applications` beside `general` (or a page's `results`)."""
    text = head.text
    return head.json and '"applications"' in text and ('"general"' in text or '"results"' in text)


def _text(row: Mapping[str, Any], key: str) -> str:
    value = row.get(key)
    return "" if value is None or isinstance(value, dict | list) else str(value).strip()


def _computers(data: Any, name: str, ctx: ReadContext) -> list[Any]:
    computers = data.get("results") if isinstance(data, dict) else data
    if isinstance(data, dict) and computers is None and "applications" in data:
        computers = [data]
    if not isinstance(computers, list):
        raise InputError(
            name, "expected Jamf Pro computers-inventory JSON (results: [...])", line=1
        )
    total = data.get("totalCount") if isinstance(data, dict) else None
    if isinstance(total, int) and not isinstance(total, bool) and total > len(computers):
        ctx.incomplete(
            name,
            f"totalCount says {total} computers, the file holds {len(computers)}",
        )
    return computers


def read_jamf(lines: Iterable[bytes], name: str, ctx: ReadContext) -> Iterator[Installation]:
    """Computers with their applications."""
    computers = _computers(native.parse_json(lines, name), name, ctx)
    without = 0
    for computer in computers:
        if not isinstance(computer, dict):
            continue
        general = computer.get("general")
        host = (_text(general, "name") if isinstance(general, dict) else "") or _text(
            computer, "id"
        )
        apps = computer.get("applications")
        if apps is None:
            without += 1  # the APPLICATIONS section was not asked for
            continue
        if not isinstance(apps, list):
            raise InputError(name, "applications must be a list", line=native.line_of(computer))
        for app in apps:
            if not isinstance(app, dict):
                continue
            label = _text(app, "name")
            product = _text(app, "bundleId") or label
            if not (ctx.relevant(product, "") or ctx.relevant(label, "")):
                ctx.dropped += 1
                continue
            version = _text(app, "cfBundleShortVersionString") or _text(app, "version")
            yield records.imported(
                host=host,
                platform=Platform.MACOS,
                product=product,
                version=version,
                file=name,
                line=native.line_of(app),
            )
    if without and without == len(computers):
        raise InputError(
            name,
            "no computer has an applications list",
            hint="export computers-inventory with section=APPLICATIONS (and GENERAL)",
        )
    if without:
        ctx.note(
            f"{name}: {without} computer{'s have' if without > 1 else ' has'} no applications "
            "list (section=APPLICATIONS): their clients are not audited"
        )
