"""Jamf Pro `computers-inventory` JSON (section APPLICATIONS).

Each computer has `general.name` and `applications: [{name, path, version, bundleId,
...}]`; Jamf Pro 11.23 adds `cfBundleShortVersionString`, preferred when present.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from vcaudit.errors import InputError
from vcaudit.inventory import native, records
from vcaudit.inventory.context import ReadContext
from vcaudit.models import Installation, Platform


def _text(row: Mapping[str, Any], key: str) -> str:
    value = row.get(key)
    return "" if value is None or isinstance(value, dict | list) else str(value).strip()


def read_jamf(lines: Iterable[bytes], name: str, ctx: ReadContext) -> Iterator[Installation]:
    """Computers with their applications."""
    data = native.parse_json(lines, name)
    computers = data.get("results") if isinstance(data, dict) else data
    if isinstance(data, dict) and computers is None and "applications" in data:
        computers = [data]
    if not isinstance(computers, list):
        raise InputError(
            name, "expected Jamf Pro computers-inventory JSON (results: [...])", line=1
        )
    for computer in computers:
        if not isinstance(computer, dict):
            continue
        general = computer.get("general") if isinstance(computer.get("general"), dict) else {}
        assert isinstance(general, dict)
        host = _text(general, "name") or _text(computer, "id")
        apps = computer.get("applications") or []
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
