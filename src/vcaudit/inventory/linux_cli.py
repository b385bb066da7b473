"""Text output of Linux package tools: `dpkg-query -W`, `dpkg -l`, `rpm -qa`, `flatpak list`,
`snap list` (shared/reference/inventory-formats.md section 6).

Expected commands:
- `dpkg-query -W` (default `package<TAB>version`) or with
  `-f='${Package}\\t${Version}\\t${Architecture}\\t${db:Status-Abbrev}\\n'` (or `${Status}`,
  the long form `install ok installed`); `dpkg -l` as printed, its header included;
- `rpm -qa --qf '%{NAME}\\t%{EPOCH}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\n'` (EPOCH prints
  `(none)` when unset), plain `rpm -qa` (`name-version-release.arch`), or
  `rpm -qa --qf '%{NEVRA}\\n'` (`name-epoch:version-release.arch`); `gpg-pubkey-*` lines are
  the keys rpm trusts, not packages;
- `flatpak list` piped (no header, tab-separated: `--columns=application,version,...` or the
  default `name, application, version, branch`), or as printed on a terminal: a header
  (`Name  Application ID  Version  Branch ...`) over columns aligned with spaces;
- `snap list` (`--all` too): a header and space-aligned columns; publishers end in `**`/`*`
  (or `✓`/`✪` on a terminal); a revision whose notes say `disabled` is not the one installed.

dpkg: a package counts as installed unless its current state is `not-installed` or
`config-files` (`rc`: removed, its configuration kept). Held (`hi`), unpacked (`iU`),
half-configured (`iF`) and trigger-pending (`it`) packages have their files on disk.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path

from vcaudit.errors import InputError
from vcaudit.inventory import native, records
from vcaudit.inventory.context import ReadContext
from vcaudit.inventory.interface import Head
from vcaudit.models import Installation, Platform

_RPM_ARCH = r"x86_64|noarch|i[3-6]86|aarch64|armv7hl|armv7l|ppc64le|ppc64|s390x|riscv64|src"
_NEVRA = re.compile(
    r"^(?P<name>.+)-(?:(?P<epoch>\d+):)?(?P<version>[^-:\s]+)-(?P<release>[^-\s]+?)"
    rf"(?:\.(?P<arch>{_RPM_ARCH}))?$"
)
_GPG_PUBKEY = re.compile(r"^gpg-pubkey-[0-9a-f]+-[0-9a-f]+(\.\(none\))?$")
_APP_ID = re.compile(r"^[A-Za-z][\w-]*(\.[\w-]+){2,}$")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

# dpkg's package states (dpkg-query(1)): `${db:Status-Abbrev}` is the wanted action, the
# current state and an error flag; `${Status}` spells them out.
_DEB_ABBREV = re.compile(r"^[uihrp]([ncHUFWti])R?$")
_DEB_LONG = re.compile(r"^(?:unknown|install|hold|deinstall|purge) (?:ok|reinstreq) ([a-z-]+)$")
_DEB_GONE = {"n", "c", "not-installed", "config-files"}
_DPKG_LIST_ROW = re.compile(r"^([uihrp][ncHUFWti]R?)\s+(\S+)\s+(\S+)")

_FLATPAK_TITLES = (
    "Application ID", "Active commit", "Latest commit", "Installed size", "Name",
    "Description", "Version", "Branch", "Arch", "Runtime", "Origin", "Installation", "Ref",
    "Options",
)  # fmt: skip
"""Column titles of `flatpak list` (flatpak app/flatpak-builtins-list.c), two words first."""
_FLATPAK_TITLE = re.compile("|".join(re.escape(t) for t in _FLATPAK_TITLES))
_SNAP_BADGES = ("**", "*", "\u2713", "\u272a")
"""snapd cmd/snap/color.go: verified and starred publishers, when piped and on a terminal."""


# A line of plain `rpm -qa` (or `%{NEVRA}`): the whole line one package, or a key rpm trusts.
_RPM_LINE = re.compile(
    rf"^(gpg-pubkey-[0-9a-f]+-[0-9a-f]+|\S+-(\d+:)?[^-\s]+-[^-\s]+\.({_RPM_ARCH}))$"
)


def sniff_snap(head: Head) -> bool:
    """`snap list`'s header: `Name  Version  Rev ...`."""
    words = head.plain.split()
    return not head.json and words[:2] == ["Name", "Version"] and "Rev" in words


def sniff_flatpak(head: Head) -> bool:
    """`flatpak list`'s header, as printed on a terminal."""
    return not head.json and flatpak_header(head.plain) is not None


def flatpak_shaped(head: Head) -> bool:
    """Piped `flatpak list` (no header): tab-separated, an application ID (`us.zoom.Zoom`)
    in one of the first two fields."""
    return head.tabbed and any(_APP_ID.match(f.strip()) for f in head.first_line.split("\t")[:2])


def sniff_dpkg(head: Head) -> bool:
    """`dpkg -l`'s header."""
    return not head.json and dpkg_list_header(head.first_line)


_PACKAGE = re.compile(r"[A-Za-z0-9][A-Za-z0-9+._\-]*(:[a-z0-9\-]+)?")
"""A package name as dpkg and rpm print it (rpm allows capitals: NetworkManager), with its
architecture after a `:`."""
_PACKAGE_VERSION = re.compile(r"\d[0-9A-Za-z.+~:_\-]*")
"""A package version: a digit first (Debian policy; rpm's too, but for the `gpg-pubkey` keys'
hex ids), no space."""


def _package_first(fields: list[str]) -> list[str]:
    """A dpkg-query line's fields with the package and its version first: a format that
    prints `${db:Status-Abbrev}` first has its status moved last."""
    if len(fields) >= 3 and deb_installed(fields[0]) is not None:
        return [*fields[1:], fields[0]]
    return fields


def dpkg_shaped(head: Head) -> bool:
    """`dpkg-query -W`: tab-separated, a package name then its version, and neither piped
    flatpak nor rpm output. A spreadsheet saved as tab-separated text whose header vcaudit
    does not know (`Asset Tag<TAB>App Title`), or with no header (`PC-1<TAB>Zoom Workplace`),
    is not taken for it: its first field is no package name, or its second no version. A
    package not installed has no version: then the line has only its name, or statuses."""
    if not head.tabbed or flatpak_shaped(head) or rpm_shaped(head):
        return False
    fields = _package_first([f.strip() for f in head.first_line.split("\t")])
    if len(fields) < 2 or _PACKAGE.fullmatch(fields[0]) is None:
        return False
    version = fields[1]
    if not version:
        return all(deb_installed(f) is not None for f in fields[2:])
    # A sheet's row has a word second (`LAPTOP-7<TAB>jsmith2<TAB>Zoom...`), never a version.
    return _PACKAGE_VERSION.fullmatch(version) is not None or fields[0] == "gpg-pubkey"


def sniff_rpm(head: Head) -> bool:
    """Plain `rpm -qa` or `%{NEVRA}`: `name-[epoch:]version-release.arch` alone on a line."""
    return not head.json and _RPM_LINE.match(head.first_line.strip()) is not None


def rpm_shaped(head: Head) -> bool:
    """`rpm -qa --qf` with tabs: four fields or more, the second the epoch (`(none)` or a
    number), and no flatpak application ID."""
    fields = head.first_line.split("\t")
    return (
        head.tabbed
        and not flatpak_shaped(head)
        and len(fields) >= 4
        and (fields[1].strip() == "(none)" or fields[1].strip().isdigit())
    )


def deb_installed(status: str) -> bool | None:
    """Whether a dpkg status (abbreviated `ii`, `hi`, `rc`... or long `install ok installed`)
    says the package's files are on disk; None when `status` is not a dpkg status."""
    text = status.strip()
    found = _DEB_ABBREV.match(text) or _DEB_LONG.match(text)
    return None if found is None else found.group(1) not in _DEB_GONE


def dpkg_list_header(first_line: str) -> bool:
    """Whether a first line is the header `dpkg -l` prints."""
    return first_line.startswith(("Desired=", "||/ Name"))


def flatpak_header(line: str) -> list[tuple[str, int]] | None:
    """The columns (title, display column where it starts) of `flatpak list`'s header as
    printed on a terminal, or None when `line` is not such a header."""
    text = _ANSI.sub("", line).rstrip()
    if "\t" in text:
        return None  # piped output has no header; a tab-separated header is a spreadsheet's
    columns: list[tuple[str, int]] = []
    at = 0
    for found in _FLATPAK_TITLE.finditer(text):
        if text[at : found.start()].strip() or (columns and found.start() == at):
            return None  # something else between titles, or titles not apart
        columns.append((found.group(), _width(text[: found.start()])))
        at = found.end()
    titles = {title for title, _ in columns}
    if text[at:].strip() or len(columns) < 2 or not titles & {"Application ID", "Ref"}:
        return None
    return columns


def _char_width(char: str) -> int:
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def _width(text: str) -> int:
    return sum(map(_char_width, text))


def _cells(line: str, starts: list[int]) -> list[str]:
    """A terminal row cut at the display columns where its header's titles start."""
    cells = [""] * len(starts)
    column = 0
    index = 0
    for char in line:
        while index + 1 < len(starts) and column >= starts[index + 1]:
            index += 1
        cells[index] += char
        column += _char_width(char)
    return [cell.strip() for cell in cells]


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
    ctx: ReadContext,
    host: str,
    product: str,
    version: str,
    name: str,
    line: int,
    publisher: str = "",
) -> Installation | None:
    if not ctx.relevant(product, publisher):
        ctx.dropped += 1
        return None
    return records.imported(
        host=host,
        platform=Platform.LINUX,
        product=product,
        version=version,
        publisher=publisher,
        file=name,
        line=line,
    )


def read_dpkg(lines: Iterable[bytes], name: str, ctx: ReadContext) -> Iterator[Installation]:
    """`dpkg-query -W` output (any status column), or `dpkg -l` as printed."""
    host = _host(name, ctx)
    listing = False
    for number, text in _rows(lines, name):
        if number == 1 and dpkg_list_header(text):
            listing = True
        if listing:
            row = _DPKG_LIST_ROW.match(text)
            if row is None:
                continue  # the legend, the column titles and the rule under them
            status, package, version = row.groups()
            if not deb_installed(status):
                continue
        else:
            fields = _package_first(text.split("\t"))
            if len(fields) < 2:
                raise InputError(name, "expected package<TAB>version", line=number)
            states = [deb_installed(f) for f in fields[2:]]
            if False in states and True not in states:
                continue  # removed (`rc`, `deinstall ok config-files`) or never installed
            package, version = fields[0], fields[1]
        found = _emit(ctx, host, package.split(":")[0].strip(), version.strip(), name, number)
        if found is not None:
            yield found


def read_rpm(lines: Iterable[bytes], name: str, ctx: ReadContext) -> Iterator[Installation]:
    """`rpm -qa --qf` tab-separated output, or `rpm -qa` (NVRA) or `%{NEVRA}` lines."""
    host = _host(name, ctx)
    for number, text in _rows(lines, name):
        fields = text.split("\t")
        if len(fields) >= 4:
            product, version, release = fields[0], fields[2], fields[3]
        elif len(fields) == 1 and _GPG_PUBKEY.match(text.strip()):
            continue  # a signing key rpm trusts, not a package
        elif len(fields) == 1 and (nvra := _NEVRA.match(text.strip())):
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


def _flatpak_id(text: str) -> str:
    """An application id from an id or a ref (`us.zoom.Zoom/x86_64/stable`)."""
    return text.strip().split("/")[0]


def read_flatpak(lines: Iterable[bytes], name: str, ctx: ReadContext) -> Iterator[Installation]:
    """`flatpak list` output: piped (tab-separated, no header) or as printed on a terminal."""
    host = _host(name, ctx)
    columns: list[tuple[str, int]] | None = None
    for number, text in _rows(lines, name):
        if columns is None and number == 1:
            columns = flatpak_header(text)
            if columns is not None:
                continue
        if columns is not None:
            cells = dict(
                zip(
                    [title for title, _ in columns],
                    _cells(_ANSI.sub("", text), [start for _, start in columns]),
                    strict=True,
                )
            )
            app = _flatpak_id(cells.get("Application ID") or cells.get("Ref", ""))
            version = cells.get("Version", "")
            if app.startswith("\u2026") or version.endswith("\u2026"):
                ctx.note(
                    f"{name}: flatpak cut some application ids or versions short (…) to fit "
                    "the terminal; use flatpak list --columns=application,version > file"
                )
        else:
            fields = [f.strip() for f in text.split("\t")]
            if fields[0].casefold() in ("name", "application id", "application", "ref"):
                continue  # a header
            # --columns=application,version,... puts the id first; the default the name first.
            index = 0 if _APP_ID.match(_flatpak_id(fields[0])) else 1
            app = _flatpak_id(fields[index]) if len(fields) > index else ""
            version = fields[index + 1] if len(fields) > index + 1 and "/" not in fields[0] else ""
        if not _APP_ID.match(app) and not app.startswith("\u2026"):
            raise InputError(
                name, "expected a Flatpak application id (such as us.zoom.Zoom)", line=number
            )
        found = _emit(ctx, host, app, version, name, number)
        if found is not None:
            yield found


def _publisher(text: str) -> str:
    if text == "-":
        return ""
    for badge in _SNAP_BADGES:
        if text.endswith(badge):
            return text[: -len(badge)]
    return text


def read_snap(lines: Iterable[bytes], name: str, ctx: ReadContext) -> Iterator[Installation]:
    """`snap list` output: header, then space-aligned columns; disabled revisions (kept by
    snapd for a rollback, listed by `snap list --all`) are not installed."""
    host = _host(name, ctx)
    titles: list[str] = []
    for number, text in _rows(lines, name):
        fields = _ANSI.sub("", text).split()
        if not titles:
            if fields[:2] != ["Name", "Version"]:
                raise InputError(
                    name, "expected the 'Name  Version  Rev ...' header of snap list", line=number
                )
            titles = fields
            continue
        if len(fields) < 2:
            raise InputError(name, "expected at least name and version", line=number)
        cells = dict(zip(titles, fields, strict=False))
        if "disabled" in cells.get("Notes", "").split(","):
            continue
        version = "" if fields[1] == "-" else fields[1]
        publisher = _publisher(cells.get("Publisher", cells.get("Developer", "-")))
        found = _emit(ctx, host, fields[0], version, name, number, publisher)
        if found is not None:
            yield found
