"""osquery: `osqueryi --json` output of the software tables, and osqueryd result logs.

Tables (shared/reference/inventory-formats.md section 1): `programs` (Windows; MSIX packages
since osquery 5.17), `chocolatey_packages` (Windows), `apps` and `homebrew_packages` (macOS),
`deb_packages` and `rpm_packages` (Linux). `osqueryi --json` prints an array of rows whose
values are all strings; result logs hold one JSON object per line in event (`columns` +
`action`), batch (`diffResults.added`/`removed`) or snapshot (`snapshot[]`) form (section 1.6,
osquery/core/query.cpp). Numbers may come as numbers or strings.

A differential log is a stream of changes, so it is replayed per host and query name, in
order: `added` rows join that host's state, `removed` rows leave it, a snapshot replaces it,
and a result with `counter` 0 (a query's first run, or a new epoch) starts it again. Only the
state at the end is reported: a client upgraded in the log's time is reported once, at its
new version. The host is `hostIdentifier` (what `--host_identifier` chose); the decorations'
`hostname` or `host_uuid` only when a line has no `hostIdentifier`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vcaudit.errors import InputError
from vcaudit.inventory import linux_cli, native, records
from vcaudit.inventory.context import ReadContext
from vcaudit.inventory.interface import Head
from vcaudit.models import Installation, Platform

# Columns only osquery's software tables have (vcaudit's own JSON names none of them).
_OSQUERY_KEYS = re.compile(
    r'"(bundle_identifier|bundle_short_version|package_family_name|identifying_number|'
    r"uninstall_string|install_location|maintainer|revision|auto_updates|summary|release|"
    r'epoch)"'
)
# vcaudit's own JSON names host, platform and product with text values.
_NATIVE_KEYS = re.compile(r'"(host|platform|product)"\s*:\s*"')
_LOG_KEYS = ('"snapshot"', '"diffResults"', '"columns"')


def sniff_osqueryi(head: Head) -> bool:
    """`osqueryi --json` output: JSON naming a software table's own columns, and not
    vcaudit's host, platform and product."""
    return (
        head.json
        and _OSQUERY_KEYS.search(head.text) is not None
        and not _NATIVE_KEYS.search(head.text)
    )


def sniff_results_log(head: Head) -> bool:
    """An osqueryd results log: a `hostIdentifier` on the first line, or one object per
    line in snapshot, batch or event form."""
    first = head.first_line
    return head.json and (
        ('"hostIdentifier"' in first and head.text.startswith("{"))
        or (head.object_per_line and any(key in first for key in _LOG_KEYS))
    )


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
        if linux_cli.deb_installed(_text(row, "status")) is False:
            return None  # removed but not purged (config-files), or not installed
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
    if entry.get("hostIdentifier"):
        return str(entry["hostIdentifier"])
    decorations = entry.get("decorations")
    if isinstance(decorations, dict):
        for key in ("hostname", "host_uuid"):
            if decorations.get(key):
                return str(decorations[key])
    # --decorations_top_level puts the decorations beside the other fields.
    for key in ("hostname", "host_uuid"):
        if entry.get(key):
            return str(entry[key])
    return ""


def _row_key(row: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """A row's identity: every column (a removed row repeats the row once added)."""
    return tuple(sorted((key, str(value)) for key, value in row.items()))


def _counter(entry: Mapping[str, Any]) -> int | None:
    value = entry.get("counter")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 20:
        return int(value)
    return None


@dataclass(slots=True)
class _State:
    """The rows one query holds on one host, as far as the log has told."""

    rows: dict[tuple[tuple[str, str], ...], tuple[Mapping[str, Any], int]] = field(
        default_factory=dict
    )
    run: tuple[str, ...] = ()

    def start(self, entry: Mapping[str, Any]) -> None:
        """A result with counter 0 is a whole result set, not a change: forget the rows
        before it (the event form spreads one such result over lines of the same run)."""
        run = tuple(str(entry.get(k)) for k in ("epoch", "unixTime", "calendarTime", "counter"))
        if _counter(entry) == 0 and run != self.run:
            self.rows.clear()
        self.run = run

    def add(self, row: Mapping[str, Any], line: int) -> None:
        key = _row_key(row)
        self.rows.pop(key, None)  # added again: now at its latest line
        self.rows[key] = (row, line)

    def remove(self, row: Mapping[str, Any]) -> None:
        self.rows.pop(_row_key(row), None)


def _objects(rows: Any, name: str, line: int) -> list[Mapping[str, Any]]:
    if rows is None:
        return []
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise InputError(name, "expected a list of row objects", line=line)
    return rows


def read_results_log(lines: Iterable[bytes], name: str, ctx: ReadContext) -> Iterator[Installation]:
    """osqueryd result log lines (event, batch and snapshot forms), replayed per host and
    query: what each host holds at the end of the log."""
    states: dict[tuple[str, str], _State] = {}
    count = 0
    for number, text in enumerate(native.decoded_lines(lines, name), start=1):
        if not text.strip():
            continue
        count += 1
        entry = native.json_line(text, name, number)
        if not isinstance(entry, dict):
            raise InputError(name, "expected a JSON object per line", line=number)
        host = _log_host(entry) or _host(name, ctx)
        state = states.setdefault((host, _text(entry, "name")), _State())
        if isinstance(entry.get("columns"), dict):
            state.start(entry)
            if entry.get("action") == "removed":
                state.remove(entry["columns"])
            else:
                state.add(entry["columns"], number)
        elif "snapshot" in entry:
            rows = _objects(entry["snapshot"], name, number)
            state.rows.clear()
            state.run = ()
            for row in rows:
                state.add(row, number)
        elif isinstance(entry.get("diffResults"), dict):
            diff = entry["diffResults"]
            removed = _objects(diff.get("removed"), name, number)
            added = _objects(diff.get("added"), name, number)
            state.start(entry)
            for row in removed:
                state.remove(row)
            for row in added:
                state.add(row, number)
        else:
            raise InputError(
                name,
                "not an osquery result line (no columns, snapshot or diffResults)",
                line=number,
            )
    if count == 0:
        raise InputError(name, "the file is empty")
    for (host, _query), state in states.items():
        for row, line in state.rows.values():
            if not table_of(row):
                ctx.dropped += 1  # another table's query (processes, users...)
                continue
            found = row_to_installation(row, host, name, line, ctx)
            if found is not None:
                yield found
