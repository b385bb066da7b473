"""osquery: `osqueryi --json` output of the software tables, and osqueryd result logs.

Tables (shared/reference/inventory-formats.md section 1): `programs` (Windows; MSIX packages
since osquery 5.17), `chocolatey_packages` (Windows), `apps` and `homebrew_packages` (macOS),
`deb_packages` and `rpm_packages` (Linux). `osqueryi --json` prints an array of rows whose
values are all strings; result logs hold one JSON object per line in event (`columns` +
`action`), batch (`diffResults.added`) or snapshot (`snapshot[]`) form, with the host in
`hostIdentifier` or the decorations. Numbers may come as numbers or strings.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from vcaudit.errors import InputError
from vcaudit.inventory import native, records
from vcaudit.inventory.context import ReadContext
from vcaudit.models import Installation, Platform

MSIX_SINCE = (
    "osquery before 5.17 does not list MSIX packages such as the new Microsoft Teams: "
    "check the agents' version (the programs rows here have no package_family_name column)"
)


def _text(row: Mapping[str, Any], key: str) -> str:
    value = row.get(key)
    if value is None or isinstance(value, dict | list):
        return ""
    return str(value).strip()


def table_of(row: Mapping[str, Any]) -> str:
    """Which software table a row comes from, by its columns."""
    keys = set(row)
    if "bundle_identifier" in keys or "bundle_short_version" in keys:
        return "apps"
    if {"release", "epoch"} & keys and "name" in keys:
        return "rpm_packages"
    if "maintainer" in keys or "revision" in keys or ("arch" in keys and "status" in keys):
        return "deb_packages"
    if "auto_updates" in keys or ("type" in keys and "path" in keys and "app_name" in keys):
        return "homebrew_packages"
    if "summary" in keys and "author" in keys:
        return "chocolatey_packages"
    if keys & {
        "publisher",
        "uninstall_string",
        "identifying_number",
        "install_location",
        "package_family_name",
        "upgrade_code",
    }:
        return "programs"
    return ""


def row_to_installation(
    row: Mapping[str, Any], host: str, file: str, line: int, ctx: ReadContext
) -> Installation | None:
    """One software row, or None when it is not a conferencing client."""
    table = table_of(row)
    publisher = ""
    if table == "apps":
        platform = Platform.MACOS
        product = _text(row, "bundle_identifier") or _text(row, "name")
        version = _text(row, "bundle_short_version") or _text(row, "bundle_version")
        label = _text(row, "display_name") or _text(row, "bundle_name") or _text(row, "name")
    elif table == "programs":
        platform = Platform.WINDOWS
        family = _text(row, "package_family_name")
        label = _text(row, "name")
        product = family or label
        version = _text(row, "version")
        publisher = _text(row, "publisher")
        if "package_family_name" not in row:
            ctx.note(MSIX_SINCE)
    elif table == "chocolatey_packages":
        platform = Platform.WINDOWS
        product = label = _text(row, "name")
        version = _text(row, "version")
    elif table == "homebrew_packages":
        platform = Platform.MACOS
        product = label = _text(row, "name")
        version = _text(row, "version")
    elif table == "deb_packages":
        platform = Platform.LINUX
        status = _text(row, "status")
        if status and not status.endswith("ok installed"):
            return None  # removed but not purged, as Fleet also skips
        product = label = _text(row, "name")
        version = _text(row, "version")
    elif table == "rpm_packages":
        platform = Platform.LINUX
        product = label = _text(row, "name")
        release = _text(row, "release")
        version = _text(row, "version") + (f"-{release}" if release else "")
    else:
        raise InputError(file, "not a row of an osquery software table", line=line)
    if not product:
        return None
    if not (ctx.relevant(product, publisher) or ctx.relevant(label, publisher)):
        ctx.dropped += 1
        return None
    if product != label and not ctx.relevant(product, publisher) and label:
        product = label
    return records.imported(
        host=host,
        platform=platform,
        product=product,
        version=version,
        publisher=publisher,
        file=file,
        line=line,
    )


def _host(name: str, ctx: ReadContext) -> str:
    return ctx.host or (Path(name).stem if name != "<stdin>" else "localhost")


def read_osqueryi(lines: Iterable[bytes], name: str, ctx: ReadContext) -> Iterator[Installation]:
    """`osqueryi --json "SELECT * FROM <table>"` output (an array of rows)."""
    data = native.parse_json(lines, name)
    if not isinstance(data, list):
        raise InputError(name, "expected the array osqueryi --json prints", line=1)
    host = _host(name, ctx)
    for row in data:
        if not isinstance(row, dict):
            raise InputError(name, "expected an object per row", line=native.line_of(row))
        found = row_to_installation(row, host, name, native.line_of(row), ctx)
        if found is not None:
            yield found


def _log_host(entry: Mapping[str, Any]) -> str:
    decorations = entry.get("decorations")
    if isinstance(decorations, dict):
        for key in ("hostname", "host_uuid"):
            if decorations.get(key):
                return str(decorations[key])
    for key in ("hostIdentifier", "hostname"):
        if entry.get(key):
            return str(entry[key])
    return ""


def read_results_log(lines: Iterable[bytes], name: str, ctx: ReadContext) -> Iterator[Installation]:
    """osqueryd result log lines: event, batch and snapshot forms."""
    count = 0
    for number, text in enumerate(native.decoded_lines(lines, name), start=1):
        if not text.strip():
            continue
        count += 1
        try:
            entry = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(name, f"not valid JSON: {exc.msg}", line=number) from None
        if not isinstance(entry, dict):
            raise InputError(name, "expected a JSON object per line", line=number)
        host = _log_host(entry) or _host(name, ctx)
        rows: list[Any] = []
        if isinstance(entry.get("columns"), dict):
            if entry.get("action") == "removed":
                continue
            rows = [entry["columns"]]
        elif isinstance(entry.get("snapshot"), list):
            rows = entry["snapshot"]
        elif isinstance(entry.get("diffResults"), dict):
            added = entry["diffResults"].get("added")
            rows = added if isinstance(added, list) else []
        else:
            raise InputError(
                name,
                "not an osquery result line (no columns, snapshot or diffResults)",
                line=number,
            )
        for row in rows:
            if not isinstance(row, dict):
                raise InputError(name, "expected an object per row", line=number)
            if not table_of(row):
                ctx.dropped += 1
                continue
            found = row_to_installation(row, host, name, number, ctx)
            if found is not None:
                yield found
    if count == 0:
        raise InputError(name, "the file is empty")
