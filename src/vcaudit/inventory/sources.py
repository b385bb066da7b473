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
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from vcaudit.errors import InputError
from vcaudit.inventory import native, registry
from vcaudit.inventory.context import InputRead, ReadContext
from vcaudit.inventory.formats import InputFormat
from vcaudit.inventory.interface import Aggregate, CountedFile, Counter, Head, Source
from vcaudit.inventory.interface import Reader as Reader  # the type of READERS' values
from vcaudit.inventory.registry import SOURCES
from vcaudit.models import Installation

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

STDIN = "-"
_SNIFF_BYTES = 65536
"""Bytes a format is told by: a Fleet or Jamf response may list its software after a host's
labels, policies and other sections of several KiB."""
_POWERSHELL_TYPE = b"#TYPE "
_WORKBOOKS = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
"""How an .xlsx (a zip archive) and an .xls (an OLE compound file) begin."""


READERS: dict[InputFormat, Reader] = {f: source.reader for f, source in SOURCES.items()}
"""Every format's reader (`registry.SOURCES` holds them with their sniffers)."""


def sniff(head: bytes) -> InputFormat:
    """Guess a format from the first bytes of an input (`registry` says in which order)."""
    return registry.sniff(Head.of(_head_text(head)))


def _head_text(head: bytes) -> str:
    """The first bytes as text, whatever their Unicode encoding (the last character may be
    cut)."""
    encoding, bom = _encoding(head)
    return head[len(bom) :].decode(encoding or "utf-8", errors="replace")


def detect(name: str, head: bytes) -> InputFormat:
    """The format of input `name`: a tool's export when the content says so, else the
    extension, else the content's shape."""
    extension = None if name == STDIN else Path(name).suffix.lower()
    return registry.decide(sniff(without_type_line(head)), extension)


def without_type_line(data: bytes) -> bytes:
    """An input's first bytes with the `#TYPE System.Management.Automation.PSCustomObject`
    line Windows PowerShell 5.1's Export-Csv writes first (unless -NoTypeInformation) left
    blank: every reader then finds the header after it, and lines keep their numbers."""
    if data.startswith(_POWERSHELL_TYPE) and b"\n" in data:
        return data[data.index(b"\n") :]
    return data


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

    def __init__(
        self, name: str, head: bytes, rest: BinaryIO, encoding: str, *, cr_lines: bool = False
    ) -> None:
        super().__init__()
        self._cr_lines = cr_lines
        """Lines end with a lone CR (Excel for Mac's "CSV (Macintosh)"): read as LF."""
        self._at_start = True
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
            if self._cr_lines:
                data = data.replace(b"\r", b"\n")
            if data and self._at_start:
                self._at_start = False
                data = without_type_line(data)
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
                hint=native.UTF8_HINT,
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
def _opened(
    name: str, fmt: InputFormat, stdin: BinaryIO | None, given: str = ""
) -> Iterator[_Input]:
    """One input, its format, and its lines as UTF-8 (from `given`, `--encoding`, unless a
    byte-order mark says otherwise); read errors become InputError."""
    stream = _open(name, stdin)
    shown = "<stdin>" if name == STDIN else name
    try:
        raw_head = stream.read(_SNIFF_BYTES)
        if raw_head.startswith(_WORKBOOKS):
            raise InputError(
                shown,
                "is a workbook or another archive, not text",
                hint="save the sheet as CSV UTF-8 (Excel: Save As, 'CSV UTF-8 (Comma delimited)')",
            )
        encoding, bom = _encoding(raw_head)
        if given and not bom:
            encoding = "" if codecs.lookup(given).name == "utf-8" else given
        # Lines that end with a lone CR (Excel for Mac's "CSV (Macintosh)"): none ends in LF.
        cr_lines = not encoding and b"\r" in raw_head and b"\n" not in raw_head
        source = _Source(shown, raw_head[len(bom) :], stream, encoding, cr_lines=cr_lines)
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
    with _opened(name, fmt, stdin, ctx.encoding) as opened:
        dropped = ctx.dropped
        count = 0
        for installation in SOURCES[opened.format].reader(opened.lines, opened.shown, ctx):
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
    """Every input as counted rows: a format with a counter (native CSV) counted as it is
    read, other formats row by row (one count each)."""
    _stdin_once(names)
    ctx = ctx if ctx is not None else ReadContext()
    for name in names:
        with _opened(name, fmt, stdin, ctx.encoding) as opened:
            dropped = ctx.dropped
            count = 0
            source = SOURCES[opened.format]
            if source.counter is not None:
                path = "" if name == STDIN else name
                for aggregate in _counted(source, source.counter, opened, ctx, path):
                    count += aggregate.count
                    yield aggregate
            else:
                for inst in source.reader(opened.lines, opened.shown, ctx):
                    count += 1
                    yield Aggregate(inst, 1, {inst.host})
            ctx.reads.append(opened.read(count, ctx.dropped - dropped))


def _counted(
    source: Source, counter: Counter, opened: _Input, ctx: ReadContext, path: str
) -> Iterator[Aggregate]:
    """An input counted; on a bad row, a file is read again row by row so that every bad
    row (up to the limit) is named at once, as the row-by-row reading names them."""
    try:
        counted = list(counter(opened.lines, opened.shown, ctx, path=path))
    except InputError:
        if not path:
            raise  # standard input cannot be read twice: its first bad row is named
        again = ReadContext(rows=replace(ctx.rows, warn=None), encoding=ctx.encoding)
        for _row in read_inventory(path, source.format, ctx=again):
            pass
        raise
    yield from counted


@contextmanager
def reopen_counted(counted: CountedFile) -> Iterator[Iterable[bytes]]:
    """The lines of a counted file, opened again; an error if it changed meanwhile."""
    if not counted.path or counted.signature is None:
        raise InputError(counted.name, "cannot be read a second time")
    with _opened(counted.path, InputFormat.CSV, None, counted.encoding) as opened:
        lines = opened.lines
        again = lines.signature() if isinstance(lines, native.ByteLines) else None
        if again is None or not again.same_stat(counted.signature):
            raise InputError(opened.shown, "changed while it was being read; run vcaudit again")
        yield lines
        # Read to its end again: the bytes must be the ones counted, not only their size and
        # time (an edit within the clock's resolution keeps both).
        if again.digest is None or again.digest != counted.signature.digest:
            raise InputError(opened.shown, "changed while it was being read; run vcaudit again")


def _countable(fmt: InputFormat) -> bool:
    return fmt in SOURCES and SOURCES[fmt].counter is not None


def rereadable(names: Sequence[str], fmt: InputFormat, encoding: str = "") -> bool:
    """Whether every input is of a countable format (native CSV) in a regular file, so that
    counting its rows and reading them again serves reports that list every installation."""
    for name in names:
        if name == STDIN or not Path(name).is_file():
            return False
        if fmt is InputFormat.AUTO:
            try:
                with _opened(name, fmt, None, encoding) as opened:
                    if not _countable(opened.format):
                        return False
            except InputError:
                return False  # reading it will say what is wrong
        elif not _countable(fmt):
            return False
    return True
