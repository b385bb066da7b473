"""Text output of Linux package tools: `dpkg-query -W`, `rpm -qa --qf`, `flatpak list`,
`snap list` (shared/reference/inventory-formats.md section 6).

Expected commands:
- `dpkg-query -W` (default `package<TAB>version`) or with
  `-f='${Package}\\t${Version}\\t${Architecture}\\t${db:Status-Abbrev}\\n'`;
- `rpm -qa --qf '%{NAME}\\t%{EPOCH}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\n'` (EPOCH prints
  `(none)` when unset), or plain `rpm -qa` (NVRA);
- `flatpak list --app --columns=application,version,branch,origin`, or its default piped
  columns `name, application, version, branch`;
- `snap list`: a header and space-aligned columns; publishers end in `**`/`*` (or a
  check mark on a terminal).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from vcaudit.errors import InputError
from vcaudit.inventory import native, records
from vcaudit.inventory.context import ReadContext
from vcaudit.models import Installation, Platform

_NVRA = re.compile(r"^(?P<name>.+)-(?P<version>[^-]+)-(?P<release>[^-]+)\.(?P<arch>[^.]+)$")
_APP_ID = re.compile(r"^[A-Za-z][\w-]*(\.[\w-]+){2,}$")


def _host(name: str, ctx: ReadContext) -> str:
    return ctx.host or (Path(name).stem if name != "<stdin>" else "localhost")


def _rows(lines: Iterable[bytes], name: str) -> Iterator[tuple[int, str]]:
    seen = False
    for number, text in enumerate(native.decoded_lines(lines, name), start=1):
        text = text.rstrip("\r\n")
        if text.strip():
            seen = True
            yield number, text
    if not seen:
        raise InputError(name, "the file is empty")


def _emit(
    ctx: ReadContext, host: str, product: str, version: str, name: str, line: int
) -> Installation | None:
    if not ctx.relevant(product, ""):
        ctx.dropped += 1
        return None
    return records.imported(
        host=host, platform=Platform.LINUX, product=product, version=version, file=name, line=line
    )


def read_dpkg(lines: Iterable[bytes], name: str, ctx: ReadContext) -> Iterator[Installation]:
    """`dpkg-query -W` output."""
    host = _host(name, ctx)
    for number, text in _rows(lines, name):
        fields = text.split("\t")
        if len(fields) < 2:
            raise InputError(name, "expected package<TAB>version", line=number)
        if len(fields) >= 4 and fields[3].strip() and not fields[3].startswith("ii"):
            continue  # not installed (status other than install ok installed)
        found = _emit(ctx, host, fields[0].split(":")[0].strip(), fields[1].strip(), name, number)
        if found is not None:
            yield found


def read_rpm(lines: Iterable[bytes], name: str, ctx: ReadContext) -> Iterator[Installation]:
    """`rpm -qa --qf` tab-separated output, or plain `rpm -qa` NVRA lines."""
    host = _host(name, ctx)
    for number, text in _rows(lines, name):
        fields = text.split("\t")
        if len(fields) >= 4:
            product, version, release = fields[0], fields[2], fields[3]
        elif len(fields) == 1 and (nvra := _NVRA.match(text.strip())):
            product, version, release = nvra["name"], nvra["version"], nvra["release"]
        else:
            raise InputError(
                name,
                "expected NAME<TAB>EPOCH<TAB>VERSION<TAB>RELEASE[<TAB>ARCH] "
                "or NAME-VERSION-RELEASE.ARCH",
                line=number,
            )
        found = _emit(
            ctx, host, product.strip(), f"{version.strip()}-{release.strip()}", name, number
        )
        if found is not None:
            yield found


def read_flatpak(lines: Iterable[bytes], name: str, ctx: ReadContext) -> Iterator[Installation]:
    """`flatpak list` piped output (tab-separated, no header)."""
    host = _host(name, ctx)
    for number, text in _rows(lines, name):
        fields = [f.strip() for f in text.split("\t")]
        if fields[0].casefold() in ("name", "application id", "application"):
            continue  # a header, when the columns were printed on a terminal
        # --columns=application,version,... puts the id first; the default puts the name first.
        index = 0 if _APP_ID.match(fields[0]) else 1
        if len(fields) <= index or not _APP_ID.match(fields[index]):
            raise InputError(
                name, "expected a Flatpak application id (such as us.zoom.Zoom)", line=number
            )
        version = fields[index + 1] if len(fields) > index + 1 else ""
        found = _emit(ctx, host, fields[index], version, name, number)
        if found is not None:
            yield found


def read_snap(lines: Iterable[bytes], name: str, ctx: ReadContext) -> Iterator[Installation]:
    """`snap list` output: header, then space-aligned columns."""
    host = _host(name, ctx)
    header = True
    for number, text in _rows(lines, name):
        fields = text.split()
        if header:
            if fields[:2] != ["Name", "Version"]:
                raise InputError(
                    name, "expected the 'Name  Version  Rev ...' header of snap list", line=number
                )
            header = False
            continue
        if len(fields) < 2:
            raise InputError(name, "expected at least name and version", line=number)
        version = "" if fields[1] == "-" else fields[1]
        found = _emit(ctx, host, fields[0], version, name, number)
        if found is not None:
            yield found
