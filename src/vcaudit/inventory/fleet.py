"""Fleet (fleetdm) software JSON: per-host software, and the software versions list.

Per host: `GET /api/v1/fleet/hosts/:id` (`{"host": {hostname, platform, software: [...]}}`)
or the hosts list with `populate_software=true` (`{"hosts": [...]}`). Fleet's rows carry
`name`, `version`, `source` (`programs`, `apps`, `deb_packages`, ...), `bundle_identifier`
and `vendor`. The versions list (`GET /api/v1/fleet/software/versions`) names no hosts: each
version becomes one row for the host "(N hosts in Fleet)", so the report still shows what to
upgrade, without host names.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from vcaudit.errors import InputError
from vcaudit.inventory import native, records
from vcaudit.inventory.context import ReadContext
from vcaudit.models import Installation, Platform

_SOURCES = {
    "programs": Platform.WINDOWS,
    "chocolatey_packages": Platform.WINDOWS,
    "apps": Platform.MACOS,
    "homebrew_packages": Platform.MACOS,
    "deb_packages": Platform.LINUX,
    "rpm_packages": Platform.LINUX,
    "portage_packages": Platform.LINUX,
}
_HOST_PLATFORMS = {"windows": Platform.WINDOWS, "darwin": Platform.MACOS, "macos": Platform.MACOS}


def _text(row: Mapping[str, Any], key: str) -> str:
    value = row.get(key)
    return "" if value is None or isinstance(value, dict | list) else str(value).strip()


def _software(
    item: Mapping[str, Any], host: str, fallback: Platform | None, name: str, ctx: ReadContext
) -> Installation | None:
    line = native.line_of(item)
    platform = _SOURCES.get(_text(item, "source"), fallback)
    if platform is None:
        ctx.dropped += 1  # browser extensions, npm and python packages
        return None
    label = _text(item, "name")
    product = _text(item, "bundle_identifier") or label
    publisher = _text(item, "vendor")
    if not (ctx.relevant(product, publisher) or ctx.relevant(label, publisher)):
        ctx.dropped += 1
        return None
    if not ctx.relevant(product, publisher):
        product = label
    return records.imported(
        host=host,
        platform=platform,
        product=product,
        version=_text(item, "version"),
        publisher=publisher,
        file=name,
        line=line,
    )


def _host_rows(host: Mapping[str, Any], name: str, ctx: ReadContext) -> Iterator[Installation]:
    hostname = (
        _text(host, "hostname") or _text(host, "display_name") or _text(host, "computer_name")
    )
    platform = _HOST_PLATFORMS.get(_text(host, "platform").casefold(), Platform.LINUX)
    software = host.get("software")
    if not isinstance(software, list):
        raise InputError(
            name,
            "a Fleet host without its software list (use populate_software=true)",
            line=native.line_of(host),
        )
    for item in software:
        if isinstance(item, dict):
            found = _software(item, hostname, platform, name, ctx)
            if found is not None:
                yield found


def read_fleet(lines: Iterable[bytes], name: str, ctx: ReadContext) -> Iterator[Installation]:
    """Any of Fleet's software JSON shapes."""
    data = native.parse_json(lines, name)
    if not isinstance(data, dict):
        raise InputError(name, "expected a Fleet API response object", line=1)
    if isinstance(data.get("host"), dict):
        yield from _host_rows(data["host"], name, ctx)
    elif isinstance(data.get("hosts"), list):
        for host in data["hosts"]:
            if isinstance(host, dict):
                yield from _host_rows(host, name, ctx)
    elif isinstance(data.get("software"), list):
        for item in data["software"]:
            if not isinstance(item, dict):
                continue
            count = item.get("hosts_count")
            host = f"({count} hosts in Fleet)" if count is not None else "(hosts in Fleet)"
            found = _software(item, host, None, name, ctx)
            if found is not None:
                yield found
    else:
        raise InputError(name, "not a Fleet software response (no host, hosts or software)", line=1)
