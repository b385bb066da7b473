"""Fleet (fleetdm) software JSON, in every shape its REST API returns
(fleetdm/fleet docs/REST API, Hosts and Software; shared/reference/inventory-formats.md
section 2.2).

With host names:
- one host, `GET /api/v1/fleet/hosts/:id`: `{"host": {hostname, platform, software: [...]}}`;
- the hosts list with `populate_software=true`: `{"hosts": [{..., software: [...]}]}`;
- a host's software, `GET /api/v1/fleet/hosts/:id/software`:
  `{"software": [{name, source, installed_versions: [{version, bundle_identifier}]}]}`;
  the host is not in the response: `--host`, else the file name.
Fleet's rows carry `name`, `version`, `source` (`programs`, `apps`, `deb_packages`, ...),
`bundle_identifier` and `vendor`.

Counted (no host names; each version counts as `hosts_count` installations):
- the versions list, `GET /api/v1/fleet/software/versions` (`{"software": [...]}`) or one
  version (`/software/versions/:id`, `{"software": {...}}`);
- the titles list, `GET /api/v1/fleet/software/titles` (`{"software_titles": [...]}`), whose
  versions carry no count (each counts once, and a warning says so);
- one title, `GET /api/v1/fleet/software/titles/:id` (`{"software_title": {..., versions:
  [{version, hosts_count}]}}`).

A page of a longer list is incomplete: `meta.has_next_results` (more pages follow) or
`meta.has_previous_results` (the last page says only that).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from vcaudit.errors import InputError
from vcaudit.inventory import counted, native, records
from vcaudit.inventory.context import ReadContext
from vcaudit.inventory.interface import Head
from vcaudit.models import Installation, Platform

_KEYS = re.compile(
    r'"(software|software_titles)"\s*:\s*\[|"hosts_count"|"software_title"'
    # A host as Fleet describes it, whose software may come after many KiB of labels,
    # policies and packs: `{"host": {` (GET /hosts/:id), or osqueryd's version on a host.
    r'|^\{\s*"host"\s*:\s*\{|"osquery_version"\s*:'
)


def sniff(head: Head) -> bool:
    """JSON with a software list, a title, a version's `hosts_count`, or a Fleet host."""
    return head.json and _KEYS.search(head.text) is not None


_SOURCES = {
    "programs": Platform.WINDOWS,
    "chocolatey_packages": Platform.WINDOWS,
    "apps": Platform.MACOS,
    "homebrew_packages": Platform.MACOS,
    "deb_packages": Platform.LINUX,
    "rpm_packages": Platform.LINUX,
    "portage_packages": Platform.LINUX,
    "pacman_packages": Platform.LINUX,
    "tgz_packages": Platform.LINUX,
}
_HOST_PLATFORMS = {"windows": Platform.WINDOWS, "darwin": Platform.MACOS, "macos": Platform.MACOS}
UNCOUNTED_HOST = "(hosts in Fleet)"
TITLES_UNCOUNTED = (
    "{name}: Fleet's software titles list gives no host count per version: each version "
    "counts once (export /api/v1/fleet/software/versions for the counts)"
)


def _text(row: Mapping[str, Any], key: str) -> str:
    value = row.get(key)
    return "" if value is None or isinstance(value, dict | list) else str(value).strip()


def _software(
    item: Mapping[str, Any],
    host: str,
    fallback: Platform | None,
    name: str,
    ctx: ReadContext,
    *,
    version: str | None = None,
    bundle_id: str = "",
    line: int = 0,
) -> Installation | None:
    line = line or native.line_of(item)
    platform = _SOURCES.get(_text(item, "source"), fallback)
    if platform is None:
        ctx.dropped += 1  # browser extensions, npm and python packages, mobile apps
        return None
    label = _text(item, "name")
    product = bundle_id or _text(item, "bundle_identifier") or label
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
        version=_text(item, "version") if version is None else version,
        publisher=publisher,
        file=name,
        line=line,
    )


def _installed(
    item: Mapping[str, Any], host: str, fallback: Platform | None, name: str, ctx: ReadContext
) -> Iterator[Installation]:
    """One software item of a host: each of its `installed_versions` when it has them."""
    versions = item.get("installed_versions")
    if not isinstance(versions, list):
        found = _software(item, host, fallback, name, ctx)
        if found is not None:
            yield found
        return
    for entry in versions:  # [] when Fleet knows the title but it is not installed
        if not isinstance(entry, dict):
            continue
        found = _software(
            item,
            host,
            fallback,
            name,
            ctx,
            version=_text(entry, "version"),
            bundle_id=_text(entry, "bundle_identifier"),
            line=native.line_of(entry),
        )
        if found is not None:
            yield found


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
            yield from _installed(item, hostname or _default_host(name, ctx), platform, name, ctx)


def _default_host(name: str, ctx: ReadContext) -> str:
    return ctx.host or (Path(name).stem if name != "<stdin>" else "localhost")


def _counted(
    item: Mapping[str, Any],
    name: str,
    ctx: ReadContext,
    *,
    version: str | None = None,
    count: Any = None,
    line: int = 0,
) -> Iterator[Installation]:
    """A software version that stands for `hosts_count` installations."""
    line = line or native.line_of(item)
    number = counted.parse_count(count, name, line, "hosts_count")
    first = _software(item, "(Fleet host)", None, name, ctx, version=version, line=line)
    if first is None:
        return
    hosts = counted.hosts("Fleet", "host", number) if number else [UNCOUNTED_HOST]
    for host in hosts:
        yield records.imported(
            host=host,
            platform=first.platform,
            product=first.product,
            version=first.version,
            publisher=first.publisher,
            file=name,
            line=line,
        )


def _title(
    title: Mapping[str, Any], name: str, ctx: ReadContext, *, listed: bool
) -> Iterator[Installation]:
    """A software title and its versions."""
    versions = title.get("versions")
    if not isinstance(versions, list):
        return  # a title with no version seen on any host (a package to install)
    for entry in versions:
        if not isinstance(entry, dict):
            continue
        if listed and entry.get("hosts_count") is None:
            ctx.note(TITLES_UNCOUNTED.format(name=name))
        yield from _counted(
            title,
            name,
            ctx,
            version=_text(entry, "version"),
            count=entry.get("hosts_count"),
            line=native.line_of(entry),
        )


def _pages(data: Mapping[str, Any], name: str, ctx: ReadContext, held: int) -> None:
    """A page of a longer list is an incomplete export: more pages follow, or pages came
    before (the last page says only that). `count` alone proves nothing: a list filtered
    with jq keeps the count of the whole."""
    meta = data.get("meta")
    meta = meta if isinstance(meta, dict) else {}
    total = data.get("count")
    more = isinstance(total, int) and not isinstance(total, bool) and total > held
    said = f" (count says {total}, the file holds {held})" if more else ""
    if meta.get("has_next_results") is True:
        ctx.incomplete(name, f"meta.has_next_results says more pages follow{said}")
    elif meta.get("has_previous_results") is True:
        ctx.incomplete(name, f"meta.has_previous_results says pages came before this one{said}")


def read_fleet(lines: Iterable[bytes], name: str, ctx: ReadContext) -> Iterator[Installation]:
    """Any of Fleet's software JSON shapes."""
    data = native.parse_json(lines, name)
    if not isinstance(data, dict):
        raise InputError(name, "expected a Fleet API response object", line=1)
    software = data.get("software")
    if isinstance(data.get("host"), dict):
        yield from _host_rows(data["host"], name, ctx)
    elif isinstance(data.get("hosts"), list):
        _pages(data, name, ctx, len(data["hosts"]))
        for host in data["hosts"]:
            if isinstance(host, dict):
                yield from _host_rows(host, name, ctx)
    elif isinstance(data.get("software_titles"), list):
        _pages(data, name, ctx, len(data["software_titles"]))
        for title in data["software_titles"]:
            if isinstance(title, dict):
                yield from _title(title, name, ctx, listed=True)
    elif isinstance(data.get("software_title"), dict):
        yield from _title(data["software_title"], name, ctx, listed=False)
    elif isinstance(software, list | dict):
        items = software if isinstance(software, list) else [software]
        _pages(data, name, ctx, len(items))
        for item in items:
            if not isinstance(item, dict):
                continue
            if "installed_versions" in item:
                # GET /hosts/:id/software: one host, not named in the response.
                yield from _installed(item, _default_host(name, ctx), None, name, ctx)
            else:
                yield from _counted(item, name, ctx, count=item.get("hosts_count"))
    else:
        raise InputError(
            name,
            "not a Fleet software response (no host, hosts, software, software_titles "
            "or software_title)",
            line=1,
        )
