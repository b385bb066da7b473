"""Opening inventory inputs: files or `-` for stdin, format from extension or content.

`read_inventories` yields every installation of every input in order, streaming: each file is
opened when its turn comes and closed when it is done.

Every input is handed to its reader as UTF-8: a UTF-8 byte-order mark is dropped, and UTF-16
or UTF-32 text (with a byte-order mark, or UTF-16 without one) is transcoded as it is read.
Windows PowerShell 5.1 writes `osqueryi --json ... > file` as UTF-16LE with a BOM, and Excel's
"Unicode text" is UTF-16LE too. How each input was read (its format, lines, installations and
rows skipped) is recorded in `ReadContext.reads`.
"""

from __future__ import annotations

import codecs
import io
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from vcaudit.errors import InputError
from vcaudit.inventory import fleet, jamf, linux_cli, native, osquery, tabular
from vcaudit.inventory.aggregate import Aggregate, CountedFile, aggregate_csv
from vcaudit.inventory.context import InputRead, ReadContext
from vcaudit.inventory.formats import InputFormat
from vcaudit.inventory.records import RowOptions
from vcaudit.models import Installation

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

STDIN = "-"
_SNIFF_BYTES = 4096


Reader = Callable[[Iterable[bytes], str, ReadContext], Iterator[Installation]]


def _native(
    read: Callable[[Iterable[bytes], str, RowOptions], Iterator[Installation]],
) -> Reader:
    """Native inventories list only conferencing clients: every row is kept, read with the
    run's row options (mapped columns, the platform of rows that give none)."""

    def reader(lines: Iterable[bytes], name: str, ctx: ReadContext) -> Iterator[Installation]:
        return read(lines, name, ctx.rows)

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
    ".tsv": InputFormat.CSV,
    ".tab": InputFormat.CSV,
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
# Column titles of spreadsheet inventories, compared without case, spaces, `_` or `-`: a tab-
# or semicolon-separated first line naming two of them is a header, and the file a native
# CSV (dpkg-query and rpm print no header).
_HEADER_WORDS = frozenset(
    w.replace(" ", "")
    for w in (
        "host", "hostname", "host name", "computer", "computer name", "computername",
        "device", "device name", "machine", "machine name", "endpoint", "asset", "asset name",
        "platform", "os", "operating system", "os name", "os platform", "os version",
        "product", "product name", "application", "application name", "app", "app name",
        "software", "software name", "display name", "program", "program name", "name",
        "package", "package name", "title",
        "version", "display version", "app version", "application version",
        "software version", "product version", "bundle version", "short version",
        "publisher", "vendor", "manufacturer", "owner", "ownership", "user", "user name",
        "username", "email", "tags", "last seen", "lastseen", "bundle id", "bundle identifier",
    )
)  # fmt: skip
_RPM_ARCHES = r"(x86_64|noarch|i[3-6]86|aarch64|armv7hl|armv7l|ppc64le|ppc64|s390x|riscv64|src)"
_RPM_LINE = re.compile(
    rf"^(gpg-pubkey-[0-9a-f]+-[0-9a-f]+|\S+-(\d+:)?[^-\s]+-[^-\s]+\.{_RPM_ARCHES})$"
)
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def sniff(head: bytes) -> InputFormat:
    """Guess a format from the first bytes of an input: tool exports first, then native."""
    text = _head_text(head).lstrip("\ufeff \t\r\n")
    first_line = text.partition("\n")[0].rstrip("\r")
    if text.startswith(("[", "{")):
        return _sniff_json(text, first_line)
    plain = _ANSI.sub("", first_line)
    if plain.split()[:2] == ["Name", "Version"] and "Rev" in plain.split():
        return InputFormat.SNAP
    if linux_cli.flatpak_header(plain) is not None:
        return InputFormat.FLATPAK
    kind = tabular.looks_like(text)
    if kind:
        return InputFormat(kind)
    if first_line.startswith(("---", "hosts:", "installations:", "- ", "#")):
        return InputFormat.YAML
    if linux_cli.dpkg_list_header(first_line):
        return InputFormat.DPKG
    if _RPM_LINE.match(first_line.strip()):
        return InputFormat.RPM
    if _is_header(first_line):
        return InputFormat.CSV
    if "\t" in first_line and "," not in first_line:
        return _sniff_tabbed(first_line)
    return InputFormat.CSV


def _head_text(head: bytes) -> str:
    """The first bytes as text, whatever their Unicode encoding (the last character may be
    cut)."""
    encoding, bom = _encoding(head)
    return head[len(bom) :].decode(encoding or "utf-8", errors="replace")


def _is_header(first_line: str) -> bool:
    """Whether a tab- or semicolon-separated first line is a spreadsheet's header row."""
    for delimiter in ("\t", ";"):
        cells = first_line.split(delimiter)
        if len(cells) < 2:
            continue
        known = sum(
            1 for cell in cells if re.sub(r"[\s_\-\"']", "", cell).casefold() in _HEADER_WORDS
        )
        if known >= 2:
            return True
    return False


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
    if re.search(r'"(software|software_titles)"\s*:\s*\[|"hosts_count"|"software_title"', text):
        return InputFormat.FLEET
    if '"applications"' in text and ('"general"' in text or '"results"' in text):
        return InputFormat.JAMF
    if re.search(r'"(ApplicationName|deviceCount|displayName|detectedApps)"', text):
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
_TABBED = {InputFormat.DPKG, InputFormat.RPM, InputFormat.FLATPAK}


def detect(name: str, head: bytes) -> InputFormat:
    """The format of input `name`: a tool's export when the content says so, else the
    extension, else the content's shape."""
    sniffed = sniff(head)
    if name == STDIN:
        return sniffed
    suffix = Path(name).suffix.lower()
    if suffix in (".tsv", ".tab") and sniffed in _TABBED:
        return InputFormat.CSV  # a spreadsheet saved as tab-separated text, whatever its header
    if sniffed not in _NATIVE:
        return sniffed
    return _EXTENSIONS.get(suffix, sniffed)


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


# Byte-order marks, longest first: UTF-32LE's starts with UTF-16LE's.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, ""),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _encoding(head: bytes) -> tuple[str, bytes]:
    """(encoding to transcode from, or "" for UTF-8; the byte-order mark to drop)."""
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding, bom
    # UTF-16 without a BOM: text in the ASCII range has a NUL in every other byte, which
    # UTF-8 text never has.
    sample = head[:512]
    if len(sample) >= 4 and sample.count(0) * 2 >= len(sample) - 1:
        if not any(sample[1::2]) and all(sample[0::2]):
            return "utf-16-le", b""
        if not any(sample[0::2]) and all(sample[1::2]):
            return "utf-16-be", b""
    return "", b""


_READ_SIZE = 1 << 16


class _Source(io.RawIOBase):
    """An input's bytes as UTF-8 (transcoded from `encoding` unless it is ""), counting the
    lines read. Wrapped in a BufferedReader, so lines are still split in C."""

    def __init__(self, name: str, head: bytes, rest: BinaryIO, encoding: str) -> None:
        super().__init__()
        self._name = name
        self._head = head
        self._rest = rest
        self._decoder = codecs.getincrementaldecoder(encoding)() if encoding else None
        self._encoding = encoding
        self._pending = memoryview(b"")
        self._decoded_lines = 0
        self.newlines = 0
        self.size = 0
        self.last = b""

    def readable(self) -> bool:
        return True

    def fileno(self) -> int:
        # The file's own descriptor: `ByteLines.signature` tells a changed file by it.
        return self._rest.fileno()

    def readinto(self, buffer: WriteableBuffer) -> int:
        while not self._pending:
            raw = self._head or self._rest.read(_READ_SIZE)
            self._head = b""
            data = raw if self._decoder is None else self._transcode(raw)
            if data:
                self._pending = memoryview(data)
                self.newlines += data.count(b"\n")
                self.size += len(data)
                self.last = data[-1:]
            elif not raw:
                return 0
        view = memoryview(buffer).cast("B")
        size = min(len(view), len(self._pending))
        view[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size

    def _transcode(self, raw: bytes) -> bytes:
        assert self._decoder is not None
        try:
            text = self._decoder.decode(raw, final=not raw)
        except UnicodeDecodeError as exc:
            before = exc.object[: exc.start].decode(self._encoding, errors="replace")
            label = self._encoding.upper().replace("-LE", "").replace("-BE", "")
            raise InputError(
                self._name,
                f"not valid {label} text ({exc.reason})",
                line=self._decoded_lines + before.count("\n") + 1,
                hint="save the file as UTF-8",
            ) from None
        self._decoded_lines += text.count("\n")
        return text.encode("utf-8")

    def lines(self) -> int:
        """Lines read so far (a last line without a newline counts)."""
        return self.newlines + (1 if self.size and self.last != b"\n" else 0)


@dataclass(frozen=True, slots=True)
class _Input:
    shown: str
    format: InputFormat
    lines: Iterable[bytes]
    source: _Source

    def read(self, installations: int, skipped: int) -> InputRead:
        return InputRead(self.shown, self.format, self.source.lines(), installations, skipped)


@contextmanager
def _opened(name: str, fmt: InputFormat, stdin: BinaryIO | None) -> Iterator[_Input]:
    """One input, its format, and its lines as UTF-8; read errors become InputError."""
    stream = _open(name, stdin)
    shown = "<stdin>" if name == STDIN else name
    try:
        raw_head = stream.read(_SNIFF_BYTES)
        encoding, bom = _encoding(raw_head)
        source = _Source(shown, raw_head[len(bom) :], stream, encoding)
        rest = io.BufferedReader(source, _READ_SIZE)
        head = rest.read(_SNIFF_BYTES)
        if not head:
            raise InputError(shown, "the file is empty")
        chosen = detect(name, head) if fmt is InputFormat.AUTO else fmt
        yield _Input(shown, chosen, native.ByteLines(head, rest, shown), source)
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
    """Every installation in one input; once it is read to its end, how it was read is
    added to `ctx.reads`."""
    ctx = ctx if ctx is not None else ReadContext()
    with _opened(name, fmt, stdin) as opened:
        dropped = ctx.dropped
        count = 0
        for installation in READERS[opened.format](opened.lines, opened.shown, ctx):
            count += 1
            yield installation
        ctx.reads.append(opened.read(count, ctx.dropped - dropped))


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
    ctx = ctx if ctx is not None else ReadContext()
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
    ctx = ctx if ctx is not None else ReadContext()
    for name in names:
        with _opened(name, fmt, stdin) as opened:
            dropped = ctx.dropped
            count = 0
            if opened.format is InputFormat.CSV:
                path = "" if name == STDIN else name
                for aggregate in _counted_csv(opened.lines, opened.shown, ctx, path):
                    count += aggregate.count
                    yield aggregate
            else:
                for inst in READERS[opened.format](opened.lines, opened.shown, ctx):
                    count += 1
                    yield Aggregate(inst, 1, {inst.host})
            ctx.reads.append(opened.read(count, ctx.dropped - dropped))


def _counted_csv(
    lines: Iterable[bytes], shown: str, ctx: ReadContext, path: str
) -> Iterator[Aggregate]:
    """A native CSV counted; on a bad row, a file is read again row by row so that every bad
    row (up to the limit) is named at once, as the row-by-row reading names them."""
    try:
        counted = list(aggregate_csv(lines, shown, ctx, path=path))
    except InputError:
        if not path:
            raise  # standard input cannot be read twice: its first bad row is named
        again = ReadContext(rows=replace(ctx.rows, warn=None))
        for _row in read_inventory(path, InputFormat.CSV, ctx=again):
            pass
        raise
    yield from counted


@contextmanager
def reopen_counted(counted: CountedFile) -> Iterator[Iterable[bytes]]:
    """The lines of a counted file, opened again; an error if it changed meanwhile."""
    if not counted.path or counted.signature is None:
        raise InputError(counted.name, "cannot be read a second time")
    with _opened(counted.path, InputFormat.CSV, None) as opened:
        lines = opened.lines
        again = lines.signature() if isinstance(lines, native.ByteLines) else None
        if again is None or not again.same_stat(counted.signature):
            raise InputError(opened.shown, "changed while it was being read; run vcaudit again")
        yield lines
        # Read to its end again: the bytes must be the ones counted, not only their size and
        # time (an edit within the clock's resolution keeps both).
        if again.digest is None or again.digest != counted.signature.digest:
            raise InputError(opened.shown, "changed while it was being read; run vcaudit again")


def rereadable(names: Sequence[str], fmt: InputFormat) -> bool:
    """Whether every input is a native CSV in a regular file, so that counting its rows and
    reading them again serves reports that list every installation."""
    for name in names:
        if name == STDIN or not Path(name).is_file():
            return False
        if fmt is InputFormat.AUTO:
            try:
                with _opened(name, fmt, None) as opened:
                    if opened.format is not InputFormat.CSV:
                        return False
            except InputError:
                return False  # reading it will say what is wrong
        elif fmt is not InputFormat.CSV:
            return False
    return True
