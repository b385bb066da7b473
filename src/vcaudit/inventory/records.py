"""Turning one inventory row (a mapping of field -> value) into an `Installation`.

Shared by every native format so CSV, JSON, JSON Lines and YAML accept the same fields, the
same spellings of platform and ownership, and fail with the same messages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from vcaudit.errors import InputError
from vcaudit.models import Installation, Ownership, Platform, Source

REQUIRED = ("host", "platform", "product", "version")
OPTIONAL = ("publisher", "owner", "ownership", "user", "tags", "last_seen")
FIELDS = REQUIRED + OPTIONAL

# Longest sensible value: a longer one is a broken or hostile row, not a name.
MAX_VALUE = 65536

_PLATFORMS = {
    "windows": Platform.WINDOWS,
    "win": Platform.WINDOWS,
    "win32": Platform.WINDOWS,
    "win64": Platform.WINDOWS,
    "macos": Platform.MACOS,
    "mac": Platform.MACOS,
    "osx": Platform.MACOS,
    "darwin": Platform.MACOS,
    "mac os x": Platform.MACOS,
    "linux": Platform.LINUX,
}
_OWNERSHIP = {
    "company": Ownership.COMPANY,
    "corporate": Ownership.COMPANY,
    "personal": Ownership.PERSONAL,
    "byod": Ownership.PERSONAL,
}


def parse_platform(value: str) -> Platform | None:
    """A platform from the spellings inventories use; None if unrecognised."""
    return _PLATFORMS.get(value.strip().casefold())


def _text(row: Mapping[str, Any], key: str, file: str, line: int) -> str:
    value = row.get(key)
    if value is None:
        return ""
    if isinstance(value, float):
        raise InputError(
            file, f"write {value!r} as a string: as a number it loses digits", line=line, field=key
        )
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InputError(file, "expected text", line=line, field=key)
    text = str(value).strip()
    if len(text) > MAX_VALUE:
        raise InputError(file, f"value is longer than {MAX_VALUE} characters", line=line, field=key)
    if "\x00" in text:
        raise InputError(file, "value contains a NUL byte", line=line, field=key)
    return text


def _tags(row: Mapping[str, Any], file: str, line: int) -> tuple[str, ...]:
    value = row.get("tags")
    if value is None:
        return ()
    if isinstance(value, list):
        items = [_text({"tags": v}, "tags", file, line) for v in value]
    else:
        raw = _text(row, "tags", file, line)
        items = raw.replace(",", ";").split(";")
    return tuple(sorted({t.strip() for t in items if t.strip()}))


def installation(row: Mapping[str, Any], file: str, line: int) -> Installation:
    """Build an Installation from a native row; InputError names file, line and field."""
    host = _text(row, "host", file, line)
    if not host:
        raise InputError(file, "is empty", line=line, field="host")
    product = _text(row, "product", file, line)
    if not product:
        raise InputError(file, "is empty", line=line, field="product")
    platform_text = _text(row, "platform", file, line)
    platform = parse_platform(platform_text)
    if platform is None:
        shown = repr(platform_text) if platform_text else "empty"
        raise InputError(
            file,
            f"unknown platform {shown} (expected windows, macos or linux)",
            line=line,
            field="platform",
        )
    ownership_text = _text(row, "ownership", file, line)
    ownership = Ownership.COMPANY
    if ownership_text:
        found = _OWNERSHIP.get(ownership_text.casefold())
        if found is None:
            raise InputError(
                file,
                f"unknown ownership {ownership_text!r} (expected company or personal)",
                line=line,
                field="ownership",
            )
        ownership = found
    last_seen = _text(row, "last_seen", file, line)
    if last_seen:
        try:
            dt.datetime.fromisoformat(last_seen.replace("Z", "+00:00"))
        except ValueError:
            raise InputError(
                file,
                f"expected an ISO date or time, got {last_seen!r}",
                line=line,
                field="last_seen",
            ) from None
    return Installation(
        host=host,
        platform=platform,
        product=product,
        version=_text(row, "version", file, line),
        source=Source(file, line),
        publisher=_text(row, "publisher", file, line),
        owner=_text(row, "owner", file, line),
        ownership=ownership,
        user=_text(row, "user", file, line),
        tags=_tags(row, file, line),
        last_seen=last_seen,
    )


def imported(
    *,
    host: str,
    platform: Platform,
    product: str,
    version: str,
    file: str,
    line: int,
    publisher: str = "",
    user: str = "",
    owner: str = "",
) -> Installation:
    """An Installation from an inventory tool's export, with the same limits as native rows."""
    row = {"host": host, "product": product, "version": version, "publisher": publisher,
           "user": user, "owner": owner}  # fmt: skip
    clean = {key: _text(row, key, file, line) for key in row}
    if not clean["host"]:
        raise InputError(file, "no host name", line=line, field="host")
    if not clean["product"]:
        raise InputError(file, "no product name", line=line, field="product")
    return Installation(
        host=clean["host"],
        platform=platform,
        product=clean["product"],
        version=clean["version"],
        source=Source(file, line),
        publisher=clean["publisher"],
        owner=clean["owner"],
        user=clean["user"],
    )


def csv_builder(columns: list[str], file: str) -> Callable[[list[str], int], Installation]:
    """A fast row builder for CSV: common rows skip the generic checks, any row that needs
    them (an empty or unknown field, tags, a date, an over-long value) takes `installation`,
    so both paths accept and refuse exactly the same rows."""
    index = {column: i for i, column in enumerate(columns) if column in FIELDS}
    i_host, i_platform = index["host"], index["platform"]
    i_product, i_version = index["product"], index["version"]
    i_publisher, i_owner, i_user = index.get("publisher"), index.get("owner"), index.get("user")
    i_ownership = index.get("ownership")
    rare = [index[c] for c in ("tags", "last_seen") if c in index]
    platforms, ownerships = _PLATFORMS, _OWNERSHIP
    company = Ownership.COMPANY

    def slow(row: list[str], line: int) -> Installation:
        return installation({column: row[i] for column, i in index.items()}, file, line)

    def build(row: list[str], line: int) -> Installation:
        host = row[i_host].strip()
        product = row[i_product].strip()
        platform = platforms.get(row[i_platform].strip().casefold())
        if not host or not product or platform is None or any(row[i] for i in rare):
            return slow(row, line)
        ownership = company
        if i_ownership is not None and row[i_ownership]:
            found = ownerships.get(row[i_ownership].strip().casefold())
            if found is None:
                return slow(row, line)
            ownership = found
        if sum(map(len, row)) > MAX_VALUE:
            return slow(row, line)
        return Installation(
            host=host,
            platform=platform,
            product=product,
            version=row[i_version].strip(),
            source=Source(file, line),
            publisher=row[i_publisher].strip() if i_publisher is not None else "",
            owner=row[i_owner].strip() if i_owner is not None else "",
            ownership=ownership,
            user=row[i_user].strip() if i_user is not None else "",
        )

    return build
