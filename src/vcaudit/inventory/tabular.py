"""Spreadsheet-shaped exports: ConfigMgr add/remove-programs queries and Intune discovered apps.

- ConfigMgr (`v_GS_ADD_REMOVE_PROGRAMS(_64)` queries): `Name0` or `ResourceID`,
  `DisplayName0`, `Version0`, `Publisher0`. Its default inventory does not see per-user
  installs (Zoom and Teams often install per user), which vcaudit warns about.
- Intune discovered apps: `AppInvAggregate`, `AppInvByDevice` and `DiscoveredAppsRawData`
  report columns (`ApplicationName`, `ApplicationVersion`, `ApplicationPublisher`,
  `DeviceName`, `Platform`, `DeviceCount`), the portal's human headers ("Application name",
  "Device name"...), as CSV (comma, semicolon or tab) or JSON; Graph `detectedApps`
  (`displayName`, `version`, `publisher`, `platform`, `deviceCount`) too.

Counts: a row with a device count and no device (`AppInvAggregate`, the portal's "Device
count", Graph's tenant-wide `deviceManagement/detectedApps`) counts as that many
installations. Graph's `managedDevices/{id}/detectedApps` lists one device's apps, yet each
app still carries the tenant-wide `deviceCount`: that list is one host, named by `--host`,
else the file name. It is told by its `@odata.context`, or by `--host` when the context was
not kept; `managedDevices?$expand=detectedApps` names each device (`deviceName`).
Graph pages long lists: `@odata.nextLink` means more pages follow, and an `@odata.count`
above the apps the file holds means pages came before, so the file is incomplete
(https://learn.microsoft.com/graph/paging).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from itertools import chain
from pathlib import Path
from typing import Any

from vcaudit.errors import InputError
from vcaudit.inventory import counted, native, records
from vcaudit.inventory.context import ReadContext
from vcaudit.inventory.interface import Head
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
    "userprincipalname": "email",
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


def _platform(text: str) -> Platform | None:
    """Intune's platform values (`Windows`, `macOS`, `Windows 10.0.22631`...), read as native
    rows read OS names; iOS, Android and the like are None (not audited)."""
    return records.parse_platform(text)


def _delimited(texts: Iterator[str], name: str) -> Iterator[tuple[int, list[str]]]:
    """(line, cells) of every non-blank record, the delimiter (comma, semicolon or tab)
    taken from the header line, the first that is not blank: Excel saves with the list
    separator of its locale."""
    first, start = next(texts, None), 1
    while first is not None and not first.strip():  # blank lines before the header
        first, start = next(texts, None), start + 1
    if first is None:
        return
    delimiter = max((",", ";", "\t"), key=first.count)
    yield from native.csv_records(chain([first], texts), name, start, delimiter=delimiter)


def _csv_rows(
    lines: Iterable[bytes], name: str, aliases: Mapping[str, str]
) -> Iterator[tuple[int, dict[str, str]]]:
    rows = _delimited(native.decoded_lines(lines, name), name)
    first = next(rows, None)
    if first is None:
        raise InputError(name, "the file is empty")
    columns = [aliases.get(h.strip().strip('"').casefold(), "") for h in first[1]]
    for line, row in rows:
        yield line, {c: v.strip() for c, v in zip(columns, row, strict=False) if c}


def _intune_row(
    row: Mapping[str, str], line: int, name: str, ctx: ReadContext, host: str = ""
) -> Iterator[Installation]:
    """The installations of one discovered app: one on `host` or the row's device, else as
    many as its device count."""
    product = row.get("name", "")
    publisher = row.get("publisher", "")
    if not product:
        raise InputError(name, "no application name", line=line, field="ApplicationName")
    given = row.get("platform", "")
    platform = _platform(given)
    if platform is None and records.not_audited(given):
        ctx.not_audited()  # iOS, Android and other non-desktop platforms
        return
    if not ctx.relevant(product, publisher):
        ctx.dropped += 1
        return
    if platform is None:
        # `unknown`, `Other` or nothing: what the product's name says, else --platform; a
        # conferencing client is never skipped for want of a platform.
        platform = ctx.rows.resolve_platform(product)
        if platform is None:
            raise InputError(
                name,
                f"{product!r} has {'platform ' + repr(given) if given else 'no platform'}",
                line=line,
                field="Platform",
                hint="pass --platform windows (or macos, linux) for the rows that give none",
            )
    host = host or row.get("host", "")
    count = 1 if host else counted.parse_count(row.get("count"), name, line, "DeviceCount") or 1
    hosts = [host] if host else counted.hosts("Intune", "device", count)
    for each in hosts:
        yield records.imported(
            host=each,
            platform=platform,
            product=product,
            version=row.get("version") or row.get("short_version", ""),
            publisher=publisher,
            file=name,
            line=line,
            user=row.get("email") or row.get("user", ""),
        )


_ONE_DEVICE = re.compile(r"managedDevices\('?[^)/]*'?\)/detectedApps", re.IGNORECASE)


def _fields(item: Mapping[str, Any]) -> dict[str, str]:
    row = {
        _INTUNE_ALIASES.get(k.casefold(), ""): "" if v is None else str(v)
        for k, v in item.items()
        if not isinstance(v, dict | list)
    }
    row.pop("", None)
    return row


def _read_json(lines: Iterable[bytes], name: str, ctx: ReadContext) -> Iterator[Installation]:
    data = native.parse_json(lines, name)
    items: Any = data
    context = ""
    if isinstance(data, dict):
        context = str(data.get("@odata.context", ""))
        if data.get("@odata.nextLink"):
            ctx.incomplete(name, "@odata.nextLink says more pages follow")
        total, listed = data.get("@odata.count"), data.get("value")
        if (
            isinstance(total, int)
            and not isinstance(total, bool)
            and isinstance(listed, list)
            and total > len(listed)
            and not data.get("@odata.nextLink")
        ):
            # The last page of a paged list ($count=true): the pages before it are missing.
            ctx.incomplete(
                name,
                f"@odata.count says {total} apps, the file holds {len(listed)} (a list filtered "
                "after export keeps the count: drop @odata.count from it)",
            )
        if isinstance(data.get("detectedApps"), list):
            items = [data]  # one managed device with its apps ($expand=detectedApps)
        else:
            items = data.get("value", data.get("values"))
    if not isinstance(items, list):
        raise InputError(name, "expected a list of discovered apps (or Graph 'value')", line=1)
    # managedDevices/{id}/detectedApps: one device, whose apps still carry the tenant's count.
    one_device = bool(_ONE_DEVICE.search(context)) or bool(ctx.host)
    default_host = ctx.host or (Path(name).stem if name != "<stdin>" else "localhost")
    for item in items:
        if not isinstance(item, dict):
            continue
        apps = item.get("detectedApps")
        if isinstance(apps, list):
            device = _fields(item)
            host = str(item.get("deviceName") or "") or default_host
            system = str(item.get("operatingSystem") or "")
            for app in apps:
                if isinstance(app, dict):
                    row = _fields(app)
                    if _platform(row.get("platform", "")) is None and _platform(system):
                        row["platform"] = system
                    for key in ("user", "email"):
                        row.setdefault(key, device.get(key, ""))
                    yield from _intune_row(row, native.line_of(app), name, ctx, host)
            continue
        host = default_host if one_device else ""
        yield from _intune_row(_fields(item), native.line_of(item), name, ctx, host)


def read_intune(lines: Iterable[bytes], name: str, ctx: ReadContext) -> Iterator[Installation]:
    """Intune discovered apps as CSV or JSON."""
    # Decided from the first bytes, so the file is streamed (never held as a list of lines).
    buffered = lines if isinstance(lines, native.ByteLines) else list(lines)
    head = buffered.head() if isinstance(buffered, native.ByteLines) else b"".join(buffered[:1])
    first = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if first.startswith((b"{", b"[")):
        yield from _read_json(buffered, name, ctx)
        return
    for line, row in _csv_rows(buffered, name, _INTUNE_ALIASES):
        yield from _intune_row(row, line, name, ctx)


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


_INTUNE_JSON_KEYS = re.compile(r'"(ApplicationName|deviceCount|displayName|detectedApps)"')


def sniff_intune(head: Head) -> bool:
    """Discovered apps: JSON with Intune's or Graph's keys, or a CSV with Intune's header."""
    if head.json:
        return _INTUNE_JSON_KEYS.search(head.text) is not None
    return looks_like(head.text) == "intune"


def sniff_configmgr(head: Head) -> bool:
    """A CSV whose header has ConfigMgr's `DisplayName0` or `Version0`."""
    return not head.json and looks_like(head.text) == "configmgr"


def looks_like(head: str) -> str:
    """'intune' or 'configmgr' when a CSV header says so, else ''. The portal's human
    headers count only together ("Application name" and "Device count", say): a spreadsheet
    of someone's own with an "Application name" column is a native CSV."""
    first = head.partition("\n")[0].casefold()
    if "displayname0" in first or "version0" in first:
        return "configmgr"
    if "applicationname" in first:
        return "intune"
    if "application name" in first and any(
        column in first
        for column in ("application version", "application publisher", "device count")
    ):
        return "intune"
    return ""
