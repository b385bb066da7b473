"""Opening inventory inputs: files or `-` for stdin, format from extension or content.

`read_inventories` yields every installation of every input in order, streaming: each file is
opened when its turn comes and closed when it is done.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from vcaudit.errors import InputError
from vcaudit.inventory import fleet, jamf, linux_cli, native, osquery, tabular
from vcaudit.inventory.aggregate import Aggregate, CountedFile, aggregate_csv
from vcaudit.inventory.context import ReadContext
from vcaudit.inventory.formats import InputFormat
from vcaudit.models import Installation

STDIN = "-"
_SNIFF_BYTES = 4096


Reader = Callable[[Iterable[bytes], str, ReadContext], Iterator[Installation]]


def _native(read: Callable[[Iterable[bytes], str], Iterator[Installation]]) -> Reader:
    """Native inventories list only conferencing clients: every row is kept."""

    def reader(lines: Iterable[bytes], name: str, ctx: ReadContext) -> Iterator[Installation]:
        del ctx
        return read(lines, name)

    return reader


READERS: dict[InputFormat, Reader] = {
    InputFormat.CSV: _native(native.read_csv),
    InputFormat.JSON: _native(native.read_json),
    InputFormat.JSONL: _native(native.read_jsonl),
    InputFormat.YAML: _native(native.read_yaml),
    InputFormat.OSQUERY: osquery.read_osqueryi,
    InputFormat.OSQUERY_LOG: osquery.read_results_log,
    InputFormat.FLEET: fleet.read_fleet,
    InputFormat.INTUNE: tabular.read_intune,
    InputFormat.JAMF: jamf.read_jamf,
    InputFormat.CONFIGMGR: tabular.read_configmgr,
    InputFormat.DPKG: linux_cli.read_dpkg,
    InputFormat.RPM: linux_cli.read_rpm,
    InputFormat.FLATPAK: linux_cli.read_flatpak,
    InputFormat.SNAP: linux_cli.read_snap,
}

_EXTENSIONS = {
    ".csv": InputFormat.CSV,
    ".json": InputFormat.JSON,
    ".jsonl": InputFormat.JSONL,
    ".ndjson": InputFormat.JSONL,
    ".yaml": InputFormat.YAML,
    ".yml": InputFormat.YAML,
}


_OSQUERY_KEYS = re.compile(
    r'"(bundle_identifier|bundle_short_version|package_family_name|identifying_number|'
    r"uninstall_string|install_location|maintainer|revision|auto_updates|summary|release|"
    r'epoch)"'
)
# vcaudit's own JSON names host, platform and product with text values.
_NATIVE_KEYS = re.compile(r'"(host|platform|product)"\s*:\s*"')
_APP_ID = re.compile(r"^[A-Za-z][\w-]*(\.[\w-]+){2,}$")


def sniff(head: bytes) -> InputFormat:
    """Guess a format from the first bytes of an input: tool exports first, then native."""
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    first_line = text.partition("\n")[0]
    if text.startswith(("[", "{")):
        return _sniff_json(text, first_line)
    if first_line.split()[:2] == ["Name", "Version"] and "Rev" in first_line.split():
        return InputFormat.SNAP
    kind = tabular.looks_like(text)
    if kind:
        return InputFormat(kind)
    if first_line.startswith(("---", "hosts:", "installations:", "- ", "#")):
        return InputFormat.YAML
    if "\t" in first_line and "," not in first_line:
        return _sniff_tabbed(first_line)
    return InputFormat.CSV


def _sniff_json(text: str, first_line: str) -> InputFormat:
    if text.startswith("{"):
        rest = text.partition("\n")[2]
        one_per_line = first_line.rstrip().endswith("}") and rest.lstrip().startswith("{")
        if '"hostIdentifier"' in first_line or (
            one_per_line
            and any(k in first_line for k in ('"snapshot"', '"diffResults"', '"columns"'))
        ):
            return InputFormat.OSQUERY_LOG
        if one_per_line:
            return InputFormat.JSONL
    if re.search(r'"software"\s*:\s*\[|"hosts_count"', text):
        return InputFormat.FLEET
    if '"applications"' in text and ('"general"' in text or '"results"' in text):
        return InputFormat.JAMF
    if re.search(r'"(ApplicationName|deviceCount|displayName)"', text):
        return InputFormat.INTUNE
    if _OSQUERY_KEYS.search(text) and not _NATIVE_KEYS.search(text):
        return InputFormat.OSQUERY
    return InputFormat.JSON


def _sniff_tabbed(first_line: str) -> InputFormat:
    fields = first_line.split("\t")
    if any(_APP_ID.match(f.strip()) for f in fields[:2]):
        return InputFormat.FLATPAK
    if len(fields) >= 4 and (fields[1].strip() == "(none)" or fields[1].strip().isdigit()):
        return InputFormat.RPM
    return InputFormat.DPKG


_NATIVE = {InputFormat.CSV, InputFormat.JSON, InputFormat.JSONL, InputFormat.YAML}


def detect(name: str, head: bytes) -> InputFormat:
    """The format of input `name`: a tool's export when the content says so, else the
    extension, else the content's shape."""
    sniffed = sniff(head)
    if sniffed not in _NATIVE or name == STDIN:
        return sniffed
    return _EXTENSIONS.get(Path(name).suffix.lower(), sniffed)


def _open(name: str, stdin: BinaryIO | None) -> BinaryIO:
    if name == STDIN:
        return stdin if stdin is not None else sys.stdin.buffer
    path = Path(name)
    if path.is_dir():
        raise InputError(name, "is a directory, not an inventory file")
    try:
        return path.open("rb")
    except FileNotFoundError:
        raise InputError(name, "no such file") from None
    except OSError as exc:
        raise InputError(name, f"cannot open: {exc.strerror}") from None


@contextmanager
def _opened(
    name: str, fmt: InputFormat, stdin: BinaryIO | None
) -> Iterator[tuple[str, InputFormat, Iterable[bytes]]]:
    """(name to show, format, lines) of one input; read errors become InputError."""
    stream = _open(name, stdin)
    shown = "<stdin>" if name == STDIN else name
    try:
        head = stream.read(_SNIFF_BYTES)
        if not head:
            raise InputError(shown, "the file is empty")
        chosen = detect(name, head) if fmt is InputFormat.AUTO else fmt
        yield shown, chosen, native.ByteLines(head, stream)
    except OSError as exc:
        raise InputError(shown, f"cannot read: {exc.strerror or exc}") from None
    finally:
        if name != STDIN:
            stream.close()


def read_inventory(
    name: str,
    fmt: InputFormat = InputFormat.AUTO,
    stdin: BinaryIO | None = None,
    ctx: ReadContext | None = None,
) -> Iterator[Installation]:
    """Every installation in one input."""
    with _opened(name, fmt, stdin) as (shown, chosen, lines):
        yield from READERS[chosen](lines, shown, ctx or ReadContext())


def _stdin_once(names: Sequence[str]) -> None:
    if sum(1 for n in names if n == STDIN) > 1:
        raise InputError(STDIN, "standard input can be read only once")


def read_inventories(
    names: Sequence[str],
    fmt: InputFormat = InputFormat.AUTO,
    stdin: BinaryIO | None = None,
    ctx: ReadContext | None = None,
) -> Iterator[Installation]:
    """Every installation of every input, in order."""
    _stdin_once(names)
    for name in names:
        yield from read_inventory(name, fmt, stdin, ctx)


def aggregate_inventories(
    names: Sequence[str],
    fmt: InputFormat = InputFormat.AUTO,
    stdin: BinaryIO | None = None,
    ctx: ReadContext | None = None,
) -> Iterator[Aggregate]:
    """Every input as counted rows: native CSV counted as it is read, other formats row by
    row (one count each)."""
    _stdin_once(names)
    for name in names:
        with _opened(name, fmt, stdin) as (shown, chosen, lines):
            if chosen is InputFormat.CSV:
                yield from aggregate_csv(lines, shown, ctx, path="" if name == STDIN else name)
            else:
                for inst in READERS[chosen](lines, shown, ctx or ReadContext()):
                    yield Aggregate(inst, 1, {inst.host})


@contextmanager
def reopen_counted(counted: CountedFile) -> Iterator[Iterable[bytes]]:
    """The lines of a counted file, opened again; an error if it changed meanwhile."""
    if not counted.path or counted.signature is None:
        raise InputError(counted.name, "cannot be read a second time")
    with _opened(counted.path, InputFormat.CSV, None) as (shown, _fmt, lines):
        if not isinstance(lines, native.ByteLines) or lines.signature() != counted.signature:
            raise InputError(shown, "changed while it was being read; run vcaudit again")
        yield lines


def rereadable(names: Sequence[str], fmt: InputFormat) -> bool:
    """Whether every input is a native CSV in a regular file, so that counting its rows and
    reading them again serves reports that list every installation."""
    for name in names:
        if name == STDIN or not Path(name).is_file():
            return False
        if fmt is InputFormat.AUTO:
            try:
                with _opened(name, fmt, None) as (_shown, chosen, _lines):
                    if chosen is not InputFormat.CSV:
                        return False
            except InputError:
                return False  # reading it will say what is wrong
        elif fmt is not InputFormat.CSV:
            return False
    return True
