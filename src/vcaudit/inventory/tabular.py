"""Spreadsheet-shaped exports: ConfigMgr add/remove-programs queries and Intune discovered apps.

- ConfigMgr (`v_GS_ADD_REMOVE_PROGRAMS(_64)` queries): `Name0` or `ResourceID`,
  `DisplayName0`, `Version0`, `Publisher0`. Its default inventory does not see per-user
  installs (Zoom and Teams often install per user), which vcaudit warns about.
- Intune discovered apps: `AppInvAggregate`, `AppInvByDevice` and `DiscoveredAppsRawData`
  report columns (`ApplicationName`, `ApplicationVersion`, `ApplicationPublisher`,
  `DeviceName`, `Platform`, `DeviceCount`), the portal's human headers ("Application name",
  "Device name"...), as CSV or JSON; Graph `detectedApps` (`displayName`, `version`,
  `publisher`, `platform`, `deviceCount`) too.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from vcaudit.errors import InputError
from vcaudit.inventory import native, records
from vcaudit.inventory.context import ReadContext
from vcaudit.models import Installation, Platform

PER_USER_BLIND_SPOT = (
    "ConfigMgr's add/remove-programs inventory misses per-user installs (HKCU), where Zoom "
    "and Teams often install: clients may be missing from this report"
)

_INTUNE_ALIASES = {
    "applicationname": "name",
    "application name": "name",
    "app name": "name",
    "displayname": "name",
    "applicationversion": "version",
    "application version": "version",
    "version": "version",
    "applicationshortversion": "short_version",
    "application short version": "short_version",
    "applicationpublisher": "publisher",
    "application publisher": "publisher",
    "publisher": "publisher",
    "devicename": "host",
    "device name": "host",
    "device": "host",
    "platform": "platform",
    "devicecount": "count",
    "device count": "count",
    "devices": "count",
    "username": "user",
    "user name": "user",
    "emailaddress": "email",
    "email address": "email",
}
_CONFIGMGR_ALIASES = {
    "name0": "host",
    "netbios_name0": "host",
    "resourceid": "resource",
    "displayname0": "name",
    "version0": "version",
    "publisher0": "publisher",
    "productname0": "name",
    "productversion0": "version",
}
_PLATFORMS = {
    "windows": Platform.WINDOWS,
    "macos": Platform.MACOS,
    "mac os": Platform.MACOS,
    "macosx": Platform.MACOS,
    "linux": Platform.LINUX,
}


def _platform(text: str) -> Platform | None:
    key = text.strip().casefold()
    if key.startswith("windows"):
        return Platform.WINDOWS
    return _PLATFORMS.get(key)


def _csv_rows(
    lines: Iterable[bytes], name: str, aliases: Mapping[str, str]
) -> Iterator[tuple[int, dict[str, str]]]:
    rows = native.csv_rows(lines, name)
    first = next(rows, None)
    if first is None:
        raise InputError(name, "the file is empty")
    columns = [aliases.get(h.strip().casefold(), "") for h in first[1]]
    for line, row in rows:
        yield line, {c: v.strip() for c, v in zip(columns, row, strict=False) if c}


def _intune_row(
    row: Mapping[str, str], line: int, name: str, ctx: ReadContext
) -> Installation | None:
    product = row.get("name", "")
    publisher = row.get("publisher", "")
    if not product:
        raise InputError(name, "no application name", line=line, field="ApplicationName")
    platform = _platform(row.get("platform", ""))
    if platform is None:
        ctx.dropped += 1  # iOS, Android and other non-desktop platforms
        return None
    if not ctx.relevant(product, publisher):
        ctx.dropped += 1
        return None
    host = row.get("host") or (
        f"({row['count']} devices in Intune)" if row.get("count") else "(devices in Intune)"
    )
    return records.imported(
        host=host,
        platform=platform,
        product=product,
        version=row.get("version") or row.get("short_version", ""),
        publisher=publisher,
        file=name,
        line=line,
        user=row.get("email") or row.get("user", ""),
    )


def read_intune(lines: Iterable[bytes], name: str, ctx: ReadContext) -> Iterator[Installation]:
    """Intune discovered apps as CSV or JSON."""
    buffered = list(lines)
    first = b"".join(buffered[:1]).lstrip(b"\xef\xbb\xbf \t\r\n")
    if first.startswith((b"{", b"[")):
        data = native.parse_json(buffered, name)
        items = data.get("value", data.get("values")) if isinstance(data, dict) else data
        if not isinstance(items, list):
            raise InputError(name, "expected a list of discovered apps (or Graph 'value')", line=1)
        for item in items:
            if not isinstance(item, dict):
                continue
            row = {
                _INTUNE_ALIASES.get(k.casefold(), ""): "" if v is None else str(v)
                for k, v in item.items()
            }
            row.pop("", None)
            found = _intune_row(row, native.line_of(item), name, ctx)
            if found is not None:
                yield found
        return
    for line, row in _csv_rows(buffered, name, _INTUNE_ALIASES):
        found = _intune_row(row, line, name, ctx)
        if found is not None:
            yield found


def read_configmgr(lines: Iterable[bytes], name: str, ctx: ReadContext) -> Iterator[Installation]:
    """A ConfigMgr add/remove-programs query exported as CSV."""
    ctx.note(PER_USER_BLIND_SPOT)
    for line, row in _csv_rows(lines, name, _CONFIGMGR_ALIASES):
        product = row.get("name", "")
        if not product:
            continue  # ARP entries without a DisplayName are updates and components
        publisher = row.get("publisher", "")
        if not ctx.relevant(product, publisher):
            ctx.dropped += 1
            continue
        host = row.get("host") or (f"resource {row['resource']}" if row.get("resource") else "")
        if not host:
            raise InputError(name, "no Name0 or ResourceID column", line=line, field="host")
        yield records.imported(
            host=host,
            platform=Platform.WINDOWS,
            product=product,
            version=row.get("version", ""),
            publisher=publisher,
            file=name,
            line=line,
        )


def looks_like(head: str) -> str:
    """'intune' or 'configmgr' when a CSV header says so, else ''."""
    first = head.partition("\n")[0].casefold()
    if "displayname0" in first or "version0" in first:
        return "configmgr"
    if "applicationname" in first or "application name" in first:
        return "intune"
    return ""
