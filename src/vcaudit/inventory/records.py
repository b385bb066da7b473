"""Turning one inventory row (a mapping of field -> value) into an `Installation`.

Shared by every native format so CSV, JSON, JSON Lines and YAML accept the same fields, the
same spellings of platform and ownership, and fail with the same messages.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from vcaudit import versioning
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
"""Exact spellings, looked up first (the fast path of a native CSV)."""
_OWNERSHIP = {
    "company": Ownership.COMPANY,
    "corporate": Ownership.COMPANY,
    "personal": Ownership.PERSONAL,
    "byod": Ownership.PERSONAL,
}

# Operating system names as inventories and spreadsheets write them: `Windows 10 Enterprise`,
# `Microsoft Windows 11 Pro`, `macOS 14.5 Sonoma`, `Mac OS X 10.15`, `Ubuntu 22.04.4 LTS`.
_FAMILIES = (
    # `Windows10` (Intune), `Windows_NT` (the OS environment variable, PowerShell exports)
    (
        Platform.WINDOWS,
        re.compile(r"\b(?:microsoft\s+)?windows(?:_?nt|\d{1,2})?\b|\bwin(?:32|64|10|11|7|8)?\b"),
    ),
    (
        Platform.MACOS,
        re.compile(r"\bmac\s*os(?:\s*x)?\b|\bos\s*x\b|\bosx\b|\bdarwin\b|\bmacintosh\b|\bmac\b"),
    ),
    (
        Platform.LINUX,
        re.compile(
            r"\b(?:linux|gnu/linux|ubuntu|kubuntu|xubuntu|lubuntu|debian|rhel|red\s*hat|fedora|"
            r"centos|rocky|alma(?:linux)?|suse|sles|sled|opensuse|mint|arch|manjaro|endeavouros|"
            r"pop!?_os|elementary|kali|raspbian|zorin|gentoo|nixos|amazon\s+linux|oracle\s+linux|"
            r"slackware|void|alpine)\b"
        ),
    ),
)
# Graph's detectedApp platforms too: `androidWorkProfile`, `windowsMobile`, `windowsHolographic`.
_NOT_AUDITED = re.compile(
    r"\b(?:ios|ipados|android\w*|chrome\s*os|chromeos|watchos|tvos|"
    r"windows\s*(?:\d+\s*)?(?:mobile|phone|holographic))\b"
)
_NORMALISED: dict[str, Platform | None] = {}


def parse_platform(value: str) -> Platform | None:
    """A platform from the spellings inventories use (`windows`, `Windows 11 Pro`,
    `macOS 14.5 Sonoma`, `Darwin`, `Ubuntu 22.04.4 LTS`, `RHEL`); None if unrecognised or if
    it names more than one."""
    text = value.strip().casefold()
    found = _PLATFORMS.get(text)
    if found is not None or not text:
        return found
    if text not in _NORMALISED:
        if len(_NORMALISED) > 4096:
            _NORMALISED.clear()
        families = {platform for platform, pattern in _FAMILIES if pattern.search(text)}
        if _NOT_AUDITED.search(text):
            families = set()  # `Windows Phone 8.1`, `windowsMobile`: not Windows on a desktop
        _NORMALISED[text] = families.pop() if len(families) == 1 else None
    return _NORMALISED[text]


def not_audited(value: str) -> bool:
    """Whether a platform value names one vcaudit does not audit (iOS, Android...)."""
    return _NOT_AUDITED.search(value.casefold()) is not None


def platform_problem(value: str) -> str:
    """Why a platform value was refused, in words."""
    if not_audited(value):
        return f"platform {value!r} is not audited (vcaudit audits Windows, macOS and Linux)"
    return (
        f"unknown platform {value!r} (expected windows, macos or linux, or an OS name such as "
        "'Windows 11 Pro', 'macOS 14.5' or 'Ubuntu 22.04')"
    )


@dataclass(slots=True)
class RowOptions:
    """How native rows are read beyond their own text."""

    columns: Mapping[str, str] = field(default_factory=dict)
    """Field -> the header a spreadsheet uses for it (`--columns host=Computer`)."""
    platform: Platform | None = None
    """The platform of rows that give none and whose product does not say (`--platform`)."""
    platform_of: Callable[[str], Platform | None] | None = None
    """The platform a product name implies on its own (a bundle id, an `.app`, a package)."""
    warn: Callable[[str], None] | None = None
    """Told of optional values that are malformed and were ignored."""
    host: str = ""
    """The host of every row of a file without a host column (`--host`: one machine's
    export, such as its Uninstall keys); "" when such a file is an error."""
    skipped: Callable[[int], None] | None = None
    """Told how many CSV rows were passed over for naming neither a product nor a version
    (an Uninstall key without a DisplayName, which Windows does not list either)."""

    def skip(self, count: int) -> None:
        if self.skipped is not None and count:
            self.skipped(count)

    def resolve_platform(self, product: str) -> Platform | None:
        """The platform of a row without one: what its product says, else `platform`."""
        found = self.platform_of(product) if self.platform_of is not None else None
        return found if found is not None else self.platform

    def warning(self, file: str, line: int, key: str, problem: str) -> None:
        if self.warn is not None:
            self.warn(f"{file}, line {line}: {key}: {problem}; the value was ignored")


_PLAIN = RowOptions()


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


def _version(row: Mapping[str, Any], file: str, line: int) -> str:
    text = _text(row, "version", file, line)
    digits = versioning.longest_number(text)
    if digits > versioning.MAX_PART_DIGITS:
        raise InputError(
            file,
            f"a number of {digits} digits is not a version (at most "
            f"{versioning.MAX_PART_DIGITS} digits in a part)",
            line=line,
            field="version",
        )
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


def installation(
    row: Mapping[str, Any], file: str, line: int, options: RowOptions = _PLAIN
) -> Installation:
    """Build an Installation from a native row; InputError names file, line and field.

    Required values that are wrong are errors; optional ones (ownership, last_seen) that are
    malformed are reported through `options.warn` and ignored."""
    host = _text(row, "host", file, line)
    if "host" not in row and options.host.strip():
        host = options.host.strip()  # --host: a record that names no host is that machine's
    if not host:
        raise InputError(file, "is empty", line=line, field="host")
    product = _text(row, "product", file, line)
    if not product:
        raise InputError(file, "is empty", line=line, field="product")
    platform_text = _text(row, "platform", file, line)
    if platform_text:
        platform = parse_platform(platform_text)
        if platform is None:
            raise InputError(file, platform_problem(platform_text), line=line, field="platform")
    else:
        platform = options.resolve_platform(product)
        if platform is None:
            raise InputError(
                file,
                f"no platform, and {product!r} does not say which one",
                line=line,
                field="platform",
                hint="add a platform column (windows, macos or linux), or pass --platform",
            )
    ownership_text = _text(row, "ownership", file, line)
    ownership = Ownership.COMPANY
    if ownership_text:
        found = _OWNERSHIP.get(ownership_text.casefold())
        if found is None:
            options.warning(
                file,
                line,
                "ownership",
                f"unknown ownership {ownership_text!r} (expected company or personal)",
            )
        else:
            ownership = found
    seen = row.get("last_seen")
    if isinstance(seen, dt.date):  # YAML reads an unquoted 2025-01-01 as a date
        row = {**row, "last_seen": seen.isoformat()}
    last_seen = _text(row, "last_seen", file, line)
    if last_seen:
        try:
            dt.datetime.fromisoformat(last_seen.replace("Z", "+00:00"))
        except ValueError:
            options.warning(
                file, line, "last_seen", f"expected an ISO date or time, got {last_seen!r}"
            )
            last_seen = ""
    return Installation(
        host=host,
        platform=platform,
        product=product,
        version=_version(row, file, line),
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
    clean["version"] = _version(row, file, line)
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


def nameless_record(row: Mapping[str, Any]) -> bool:
    """Whether a record names neither a product nor a version (see `nameless`)."""
    return not str(row.get("product") or "").strip() and not str(row.get("version") or "").strip()


def nameless(columns: list[str]) -> Callable[[list[str]], bool]:
    """Whether a CSV row names neither a product nor a version (`columns` as the header
    reads them): nothing in it can be audited, so it is passed over, and counted."""
    i_product, i_version = columns.index("product"), columns.index("version")

    def test(row: list[str]) -> bool:
        return not row[i_product].strip() and not row[i_version].strip()

    return test


def csv_builder(
    columns: list[str], file: str, options: RowOptions = _PLAIN
) -> Callable[[list[str], int], Installation]:
    """A fast row builder for CSV: common rows skip the generic checks, any row that needs
    them (an empty or unknown field, tags, a date, an over-long value) takes `installation`,
    so both paths accept and refuse exactly the same rows."""
    index = {column: i for i, column in enumerate(columns) if column in FIELDS}
    i_host, i_platform = index.get("host"), index.get("platform")
    fixed_host = options.host.strip()  # no host column: `installation` takes it alike
    i_product, i_version = index["product"], index["version"]
    i_publisher, i_owner, i_user = index.get("publisher"), index.get("owner"), index.get("user")
    i_ownership = index.get("ownership")
    rare = [index[c] for c in ("tags", "last_seen") if c in index]
    platforms, ownerships = _PLATFORMS, _OWNERSHIP
    company = Ownership.COMPANY
    implied: dict[str, Platform | None] = {}
    longest_number, max_digits = versioning.longest_number, versioning.MAX_PART_DIGITS

    def slow(row: list[str], line: int) -> Installation:
        return installation({column: row[i] for column, i in index.items()}, file, line, options)

    def build(row: list[str], line: int) -> Installation:
        host = row[i_host].strip() if i_host is not None else fixed_host
        product = row[i_product].strip()
        if i_platform is not None:
            platform = platforms.get(row[i_platform].strip().casefold())
        else:
            platform = implied.get(product)
            if platform is None and product not in implied:
                platform = implied[product] = options.resolve_platform(product)
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
        version = row[i_version].strip()
        if longest_number(version) > max_digits:
            return slow(row, line)
        return Installation(
            host=host,
            platform=platform,
            product=product,
            version=version,
            source=Source(file, line),
            publisher=row[i_publisher].strip() if i_publisher is not None else "",
            owner=row[i_owner].strip() if i_owner is not None else "",
            ownership=ownership,
            user=row[i_user].strip() if i_user is not None else "",
        )

    return build
