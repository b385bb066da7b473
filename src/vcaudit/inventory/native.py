"""vcaudit's own inventory formats: CSV, JSON, JSON Lines and YAML.

CSV and JSON Lines stream row by row; JSON and YAML documents are parsed whole (use CSV or
JSON Lines for very large fleets). Every record keeps its file and line.

Shapes accepted by JSON and YAML:
- a list of records `[{host, platform, product, version, ...}]`;
- `{installations: [records]}`;
- `{hosts: [{name, platform, ownership, owner, user, tags, clients: [{product, version}]}]}`.
"""

from __future__ import annotations

import csv
import json
import json.decoder
import json.scanner
import os
import stat
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from itertools import chain, islice
from typing import Any, BinaryIO

from vcaudit.errors import InputError
from vcaudit.inventory import records
from vcaudit.models import Installation

_HEADER_ALIASES = {"hostname": "host", "os": "platform"}
# csv's default field limit is 128 KiB; a longer field is broken input, reported by line.
csv.field_size_limit(1024 * 1024)


_CHUNK = 1024
"""Lines decoded together: one decode per chunk, not per line (a chunk with a problem is
decoded again line by line, to name the line)."""


def _decode_one(raw: bytes, number: int, name: str) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            name,
            f"not UTF-8 text (byte {exc.start + 1} of the line)",
            line=number,
            hint="save the file as UTF-8",
        ) from None
    if "\x00" in text:
        raise InputError(name, "contains a NUL byte", line=number)
    return text


_BLOCK = 1 << 19
"""Bytes read at a time by `decoded_blocks`."""


class ByteLines:
    """The lines of a stream whose first bytes were already read: iterated as file iteration
    gives them, or read in blocks of whole lines (`decoded_blocks`)."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = head
        self._rest = rest

    def __iter__(self) -> Iterator[bytes]:
        *complete, partial = self._head.split(b"\n")
        first = [line + b"\n" for line in complete]
        if partial:
            first.append(partial + self._rest.readline())
        return chain(first, self._rest)

    def signature(self) -> tuple[int, int] | None:
        """(size, modification time) of a regular file, to tell whether it changed; None
        for anything else (a pipe, a terminal)."""
        try:
            found = os.fstat(self._rest.fileno())
        except (OSError, ValueError, AttributeError):
            return None
        if not stat.S_ISREG(found.st_mode):
            return None
        return found.st_size, found.st_mtime_ns

    def blocks(self, size: int = 0) -> Iterator[bytes]:
        """Blocks of about `size` bytes (default `_BLOCK`), each ending with a newline but
        maybe the last."""
        size = size or _BLOCK
        pending = self._head
        while data := self._rest.read(size):
            data = pending + data
            cut = data.rfind(b"\n") + 1
            pending = data[cut:]
            if cut:
                yield data[:cut]
        if pending:
            yield pending


def _joined(lines: Iterable[bytes]) -> Iterator[bytes]:
    source = iter(lines)
    while chunk := list(islice(source, _CHUNK)):
        yield b"".join(chunk)


def decoded_blocks(lines: Iterable[bytes], name: str) -> Iterator[list[str]]:
    """The lines as text without their newlines, many at a time; bytes that are not UTF-8,
    or a NUL, stop with the line number."""
    blocks = lines.blocks() if isinstance(lines, ByteLines) else _joined(lines)
    number = 0
    first = True
    for block in blocks:
        try:
            text = block.decode("utf-8")
        except UnicodeDecodeError:
            text = ""
        if not text or "\x00" in text:
            # Something is wrong: line by line, the first bad line raises with its number.
            texts = [
                _decode_one(raw, number + i + 1, name) for i, raw in enumerate(block.split(b"\n"))
            ]
        else:
            texts = text.split("\n")
        if texts[-1] == "":
            texts.pop()  # the block ended with a newline
        if first and texts:
            texts[0] = texts[0].removeprefix("\ufeff")  # Excel writes a BOM
            first = False
        number += len(texts)
        yield texts


def decoded_lines(lines: Iterable[bytes], name: str) -> Iterator[str]:
    """The lines as text, each with a newline; bytes that are not UTF-8, or a NUL, stop with
    the line number."""
    return map("{}\n".format, chain.from_iterable(decoded_blocks(lines, name)))


def blank(row: list[str]) -> bool:
    """Whether a CSV record has no text at all (such records are skipped)."""
    # A record whose first cell has text is not blank: the common case, checked first.
    return not row or (not row[0].strip() and not any(cell.strip() for cell in row))


def csv_rows(lines: Iterable[bytes], name: str) -> Iterator[tuple[int, list[str]]]:
    """(line, cells) of every non-blank CSV record, the header first; the line is where the
    record starts, even when a quoted field spans lines. Errors name the line."""
    return csv_records(decoded_lines(lines, name), name)


def csv_records(texts: Iterator[str], name: str, start: int = 1) -> Iterator[tuple[int, list[str]]]:
    """`csv_rows` over lines already decoded, the first of them being line `start`.

    The reader takes lines from `texts` only as it needs them, so a caller may read the first
    records here and the rest of `texts` another way.
    """
    reader = csv.reader(texts, strict=True)
    offset = start - 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputError(name, f"not valid CSV: {exc}", line=start) from None
        line, start = start, offset + reader.line_num + 1
        if blank(row):
            continue
        yield line, row


def header_columns(header: list[str], name: str, line: int) -> list[str]:
    """The field names of a native CSV header; an error when a required one is missing."""
    columns = [_HEADER_ALIASES.get(h.strip().casefold(), h.strip().casefold()) for h in header]
    missing = [c for c in records.REQUIRED if c not in columns]
    if missing:
        raise InputError(
            name,
            f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}",
            line=line,
            hint="the header must name host, platform, product and version",
        )
    return columns


def read_csv(lines: Iterable[bytes], name: str) -> Iterator[Installation]:
    """Stream a native CSV: header row, then one installation per row."""
    rows = csv_rows(lines, name)
    first = next(rows, None)
    if first is None:
        raise InputError(
            name, "the file is empty", hint="expected a header row: host,platform,product,version"
        )
    header_line, header = first
    columns = header_columns(header, name, header_line)
    build = records.csv_builder(columns, name)
    width = len(columns)
    count = 0
    for line, row in rows:
        if len(row) != width:
            raise InputError(name, f"expected {width} fields, found {len(row)}", line=line)
        count += 1
        yield build(row, line)
    if count == 0:
        raise InputError(name, "no installations after the header row")


def read_jsonl(lines: Iterable[bytes], name: str) -> Iterator[Installation]:
    """Stream JSON Lines: one record object per line."""
    count = 0
    for number, text in enumerate(decoded_lines(lines, name), start=1):
        if not text.strip():
            continue
        try:
            row = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(name, f"not valid JSON: {exc.msg}", line=number) from None
        if not isinstance(row, dict):
            raise InputError(name, "expected a JSON object", line=number)
        count += 1
        yield records.installation(row, name, number)
    if count == 0:
        raise InputError(name, "the file is empty")


class _LineObject(dict[str, Any]):
    line: int = 0


def _line_decoder(text: str) -> json.JSONDecoder:
    """A decoder whose objects remember their line (the pure-Python scanner allows hooks)."""
    newlines = [i for i, ch in enumerate(text) if ch == "\n"]
    decoder = json.JSONDecoder()
    base: Callable[..., tuple[dict[str, Any], int]] = vars(json.decoder)["JSONObject"]

    def parse_object(s_and_end: tuple[str, int], *args: Any, **kwargs: Any) -> tuple[Any, int]:
        start = s_and_end[1]
        value, end = base(s_and_end, *args, **kwargs)
        obj = _LineObject(value)
        obj.line = bisect_right(newlines, start - 1) + 1
        return obj, end

    # The pure-Python scanner reads `parse_object` from the decoder, so this hook sees every
    # object's start offset; the C scanner would not.
    vars(decoder)["parse_object"] = parse_object
    make_scanner: Callable[[json.JSONDecoder], object] = vars(json.scanner)["py_make_scanner"]
    vars(decoder)["scan_once"] = make_scanner(decoder)
    return decoder


def parse_json(lines: Iterable[bytes], name: str) -> Any:
    """A whole JSON document whose objects know their line (`line_of`)."""
    text = "".join(decoded_lines(lines, name))
    if not text.strip():
        raise InputError(name, "the file is empty")
    try:
        return _line_decoder(text).decode(text)
    except json.JSONDecodeError as exc:
        raise InputError(name, f"not valid JSON: {exc.msg}", line=exc.lineno) from None
    except RecursionError:
        raise InputError(name, "JSON nested too deeply") from None


def line_of(value: Any, fallback: int = 1) -> int:
    """The line a parsed JSON or YAML object started on."""
    return _line(value, fallback)


def read_json(lines: Iterable[bytes], name: str) -> Iterator[Installation]:
    """A JSON document in one of the native shapes."""
    yield from _document(parse_json(lines, name), name)


def read_yaml(lines: Iterable[bytes], name: str) -> Iterator[Installation]:
    """A YAML document in one of the native shapes."""
    text = "".join(decoded_lines(lines, name))
    if not text.strip():
        raise InputError(name, "the file is empty")
    from vcaudit import yamlio  # PyYAML only when YAML is read

    try:
        data = yamlio.load(text)
    except yamlio.YamlProblem as exc:
        raise InputError(name, exc.message, line=exc.line) from None
    yield from _document(data, name)


def _line(value: Any, fallback: int) -> int:
    line = getattr(value, "line", 0)
    return line if isinstance(line, int) and line > 0 else fallback


def _document(data: Any, name: str) -> Iterator[Installation]:
    if isinstance(data, list):
        yield from _records(data, name, 1, "")
        return
    if not isinstance(data, dict):
        raise InputError(
            name,
            "expected a list of installations, or a mapping with 'hosts' or 'installations'",
            line=1,
        )
    known = [key for key in ("hosts", "installations") if key in data]
    if len(known) != 1:
        raise InputError(
            name, "expected exactly one of the keys 'hosts' or 'installations'", line=_line(data, 1)
        )
    key = known[0]
    items = data[key]
    if not isinstance(items, list):
        raise InputError(name, "expected a list", line=_line(data, 1), field=key)
    if not items:
        raise InputError(name, "the list is empty", line=_line(data, 1), field=key)
    if key == "installations":
        yield from _records(items, name, _line(data, 1), "installations")
        return
    for index, host in enumerate(items):
        yield from _host(host, name, _line(host, _line(data, 1)), f"hosts[{index}]")


def _records(items: Iterable[Any], name: str, line: int, path: str) -> Iterator[Installation]:
    count = 0
    for index, row in enumerate(items):
        row_line = _line(row, line)
        if not isinstance(row, dict):
            raise InputError(name, "expected a mapping", line=row_line, field=f"{path}[{index}]")
        count += 1
        yield records.installation(row, name, row_line)
    if count == 0:
        raise InputError(name, "no installations in the file")


_HOST_KEYS = ("name", "host", "platform", "ownership", "owner", "user", "tags", "last_seen")


def _host(host: Any, name: str, line: int, path: str) -> Iterator[Installation]:
    if not isinstance(host, dict):
        raise InputError(name, "expected a mapping", line=line, field=path)
    clients = host.get("clients")
    if not isinstance(clients, list):
        raise InputError(name, "expected a list of clients", line=line, field=f"{path}.clients")
    shared = {key: host[key] for key in _HOST_KEYS if key in host}
    if "name" in shared:
        shared["host"] = shared.pop("name")
    for index, client in enumerate(clients):
        client_line = _line(client, line)
        if not isinstance(client, dict):
            raise InputError(
                name, "expected a mapping", line=client_line, field=f"{path}.clients[{index}]"
            )
        yield records.installation({**shared, **client}, name, client_line)
