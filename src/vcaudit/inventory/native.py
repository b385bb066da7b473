"""vcaudit's own inventory formats: CSV, JSON, JSON Lines and YAML.

CSV and JSON Lines stream row by row; JSON and YAML documents are parsed whole (use CSV or
JSON Lines for very large fleets). Every record keeps its file and line.

Shapes accepted by JSON and YAML:
- a list of records `[{host, platform, product, version, ...}]`;
- `{installations: [records]}`;
- `{hosts: [{name, platform, ownership, owner, user, tags, clients: [{product, version}]}]}`.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import json.decoder
import json.scanner
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator
from itertools import chain, islice
from typing import Any, BinaryIO

from vcaudit.errors import InputError
from vcaudit.inventory import records
from vcaudit.models import Installation

# Header names as spreadsheets and inventory tools write them, matched without case, spaces,
# underscores or hyphens; where a header has several for one field, the earlier alias wins
# (`Application` over `Name`).
_ALIASES: dict[str, tuple[str, ...]] = {
    "host": (
        "host", "hostname", "computername", "computer", "devicename", "device", "machinename",
        "machine", "endpointname", "endpoint", "assetname", "asset", "nodename", "node",
        "systemname", "workstation", "pscomputername",
    ),
    "product": (
        "product", "productname", "application", "applicationname", "appname", "app",
        "softwarename", "software", "displayname", "programname", "program", "packagename",
        "package", "name", "title", "softwaretitle",
    ),
    "version": (
        # DisplayVersion first: a registry export (Get-ItemProperty of the Uninstall keys piped
        # to Export-Csv) also has `Version`, the packed DWORD (100841875 for 6.2.47507).
        "displayversion", "version", "appversion", "applicationversion", "softwareversion",
        "productversion", "programversion", "packageversion", "bundleshortversion",
        "shortversion", "bundleversion", "installedversion",
    ),
    "platform": (
        "platform", "os", "operatingsystem", "osname", "osplatform", "ostype", "osfamily",
    ),
    "publisher": ("publisher", "vendor", "manufacturer", "developer"),
    "owner": ("owner", "owneremail", "responsible"),
    "ownership": ("ownership", "deviceownership", "ownershiptype", "ownertype"),
    "user": (
        "user", "username", "primaryuser", "primaryusername", "lastloggedonuser",
        "loggedonuser", "userprincipalname", "upn",
    ),
    "tags": ("tags", "tag", "labels"),
    "last_seen": ("lastseen", "lastcheckin", "lastcontact", "lastseenat"),
}  # fmt: skip
_ALIAS_RANK = {
    alias: (field, rank) for field, names in _ALIASES.items() for rank, alias in enumerate(names)
}
_NOT_WORD = re.compile(r"[\s_\-./()]+")
_DOTTED = re.compile(r"\d+(\.\d+)+")
_DELIMITERS = (",", ";", "\t")
# csv's default field limit is 128 KiB; a longer field is broken input, reported by line.
csv.field_size_limit(1024 * 1024)


_PLAIN = records.RowOptions()

UTF8_HINT = (
    "save the file as UTF-8 (Excel: Save As, 'CSV UTF-8 (Comma delimited)'), or name its "
    "encoding: Excel's plain 'CSV' is in the computer's code page (--encoding cp1252 in "
    "Western Europe)"
)

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
            hint=UTF8_HINT,
        ) from None
    if "\x00" in text:
        raise InputError(name, "contains a NUL byte", line=number)
    return text


_BLOCK = 1 << 19
"""Bytes read at a time by `decoded_blocks`."""
MAX_LINE = 8 * 1024 * 1024
"""Bytes of one line of a line-by-line format (CSV, JSON Lines, the tools' text exports):
a longer one is broken or hostile input (a stream without newlines, `/dev/zero`), refused
before it fills memory. A CSV field is limited to 1 MiB, one osqueryd result line (a host's
whole snapshot) holds a few hundred KiB."""
MAX_DOCUMENT = 256 * 1024 * 1024
"""Bytes of a document read whole (JSON, YAML), whatever its lines."""


class Signature:
    """What a regular file held when it was read: its size and modification time when it
    was opened, and the SHA-256 of every byte read from it, known once it was read to its
    end. Two reads of one file are the same bytes only when both digests are equal: size
    and time alone miss an edit that keeps the size within the clock's resolution, or puts
    the time back."""

    __slots__ = ("_hash", "digest", "mtime_ns", "size")

    def __init__(self, size: int, mtime_ns: int) -> None:
        self.size = size
        self.mtime_ns = mtime_ns
        self._hash = hashlib.sha256()
        self.digest: bytes | None = None
        """The SHA-256 of the file's bytes, once they were all read (None until then)."""

    def same_stat(self, other: Signature | None) -> bool:
        """Whether `other` saw the same size and modification time (a cheap first test)."""
        return other is not None and (self.size, self.mtime_ns) == (other.size, other.mtime_ns)

    def update(self, data: bytes) -> None:
        self._hash.update(data)

    def finish(self) -> None:
        if self.digest is None:
            self.digest = self._hash.digest()


class ByteLines:
    """The lines of a stream whose first bytes were already read: iterated line by line,
    read in blocks of whole lines (`decoded_blocks`), or whole (`document_text`).

    What is read is bounded whatever the stream claims to be: no line longer than
    `MAX_LINE` is kept in memory, so a stream without newlines stops with an error."""

    def __init__(self, head: bytes, rest: BinaryIO, name: str = "") -> None:
        self._head = head
        self._rest = rest
        self.name = name
        """How errors name the input."""
        self._signature: Signature | None = None
        self._started = False

    def __iter__(self) -> Iterator[bytes]:
        for block in self.blocks():
            yield from io.BytesIO(block)  # split at b"\n" only, in C

    def head(self) -> bytes:
        """The first bytes, before any is read (at most a few KiB)."""
        return b"" if self._started else self._head

    def signature(self) -> Signature | None:
        """What a regular file holds, to tell whether it changed between two reads (ask
        before reading it: the digest covers what is read after); None for anything else
        (a pipe, a terminal)."""
        if self._signature is not None:
            return self._signature
        try:
            found = os.fstat(self._rest.fileno())
        except (OSError, ValueError, AttributeError):
            return None
        if not stat.S_ISREG(found.st_mode) or self._started:
            return None
        self._signature = Signature(found.st_size, found.st_mtime_ns)
        self._signature.update(self._head)
        return self._signature

    def _read(self, size: int) -> bytes:
        self._started = True
        data = self._rest.read(size)
        if self._signature is not None:
            if data:
                self._signature.update(data)
            else:
                self._signature.finish()
        return data

    def blocks(self, size: int = 0, name: str = "") -> Iterator[bytes]:
        """Blocks of about `size` bytes (default `_BLOCK`), each ending with a newline but
        maybe the last; a line longer than `MAX_LINE` is an error naming it."""
        size = size or _BLOCK
        pending = self._head
        self._head = b""
        lines = 0
        while data := self._read(size):
            data = pending + data
            cut = data.rfind(b"\n") + 1
            pending = data[cut:]
            if cut:
                lines += data.count(b"\n", 0, cut)
                yield data[:cut]
            if len(pending) > MAX_LINE:
                raise InputError(
                    name or self.name,
                    f"the line is longer than {MAX_LINE // (1024 * 1024)} MiB",
                    line=lines + 1,
                    hint="an inventory has a record per line; a stream without newlines (such as"
                    " /dev/zero) never ends",
                )
        if pending:
            yield pending

    def chunks(self, limit: int, name: str = "") -> Iterator[bytes]:
        """The stream's bytes as they come, at most `limit` of them (more is an error)."""
        size = len(self._head)
        if self._head:
            yield self._head
            self._head = b""
        while data := self._read(_BLOCK):
            size += len(data)
            if size > limit:
                raise _too_large(name or self.name, limit)
            yield data


def _too_large(name: str, limit: int) -> InputError:
    return InputError(
        name,
        f"is larger than {limit // (1024 * 1024)} MiB, too large to read as one document",
        hint="export CSV or JSON Lines, which are read row by row",
    )


def document_text(lines: Iterable[bytes], name: str, limit: int = 0) -> str:
    """A whole document as text, at most `limit` bytes of it (default `MAX_DOCUMENT`); bytes
    that are not UTF-8, or a NUL, stop with the line number. Any line length is fine
    (minified JSON is one line)."""
    limit = limit or MAX_DOCUMENT
    chunks = lines.chunks(limit, name) if isinstance(lines, ByteLines) else iter(lines)
    decoder = codecs.getincrementaldecoder("utf-8")()
    parts: list[str] = []
    size = newlines = 0
    for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise _too_large(name, limit)
        held = len(decoder.getstate()[0])
        try:
            text = decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            at = max(exc.start - held, 0)
            raise InputError(
                name,
                "not UTF-8 text",
                line=newlines + chunk.count(b"\n", 0, at) + 1,
                hint=UTF8_HINT,
            ) from None
        if "\x00" in text:
            line = newlines + text.count("\n", 0, text.index("\x00")) + 1
            raise InputError(name, "contains a NUL byte", line=line)
        newlines += text.count("\n")
        parts.append(text)
    try:
        parts.append(decoder.decode(b"", final=True))
    except UnicodeDecodeError:
        raise InputError(
            name, "not UTF-8 text (it ends inside a character)", line=newlines + 1
        ) from None
    return "".join(parts).removeprefix("\ufeff")


def _joined(lines: Iterable[bytes]) -> Iterator[bytes]:
    source = iter(lines)
    while chunk := list(islice(source, _CHUNK)):
        yield b"".join(chunk)


def decoded_blocks(lines: Iterable[bytes], name: str) -> Iterator[list[str]]:
    """The lines as text without their newlines, many at a time; bytes that are not UTF-8,
    or a NUL, stop with the line number."""
    blocks = lines.blocks(name=name) if isinstance(lines, ByteLines) else _joined(lines)
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


def known_header(text: str) -> bool:
    """Whether a column title is one a native CSV header is read by (`Display Version`,
    `Computer Name`...: the aliases of every field)."""
    return header_key(text) in _ALIAS_RANK


def header_key(text: str) -> str:
    """A header as compared: no case, spaces, underscores or hyphens (`Computer Name` and
    `computer_name` are `computername`)."""
    return _NOT_WORD.sub("", text.casefold())


def detect_delimiter(first_line: str) -> str:
    """The delimiter of a CSV from its header line: the one (comma, semicolon, tab) that
    splits it into the most known column names, then into the most columns."""
    best, best_score = ",", (-1, -1)
    for delimiter in _DELIMITERS:
        try:
            cells = next(csv.reader([first_line], delimiter=delimiter), [])
        except csv.Error:
            continue
        score = (sum(header_key(c) in _ALIAS_RANK for c in cells), len(cells))
        if score > best_score:
            best, best_score = delimiter, score
    return best


def csv_rows(lines: Iterable[bytes], name: str) -> Iterator[tuple[int, list[str]]]:
    """(line, cells) of every non-blank CSV record, the header first; the line is where the
    record starts, even when a quoted field spans lines. Errors name the line. The header
    line decides the delimiter (comma, semicolon or tab)."""
    return delimited_records(decoded_lines(lines, name), name)[1]


def delimited_records(
    texts: Iterator[str], name: str
) -> tuple[str, Iterator[tuple[int, list[str]]]]:
    """The delimiter the first non-blank line shows (see `detect_delimiter`), and the
    records of `texts` read with it (`csv_records`, from line 1)."""
    head: list[str] = []
    for text in texts:
        head.append(text)
        if text.strip():
            break
    delimiter = detect_delimiter(head[-1]) if head else ","
    return delimiter, csv_records(chain(head, texts), name, delimiter=delimiter)


def csv_records(
    texts: Iterator[str], name: str, start: int = 1, *, delimiter: str = ","
) -> Iterator[tuple[int, list[str]]]:
    """`csv_rows` over lines already decoded, the first of them being line `start`.

    The reader takes lines from `texts` only as it needs them, so a caller may read the first
    records here and the rest of `texts` another way.
    """
    reader = csv.reader(texts, strict=True, delimiter=delimiter)
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


def header_columns(
    header: list[str],
    name: str,
    line: int,
    options: records.RowOptions | None = None,
) -> list[str]:
    """The field each column of a native CSV header holds ("" for a column vcaudit does not
    use); an error when a required one is missing.

    Headers are matched without case or spaces against the usual names (`Hostname`,
    `Computer Name`, `Application`, `Display Version`, `OS`, ...); `options.columns` maps
    any other header. Without a platform column, each row's platform comes from its product
    or `--platform`."""
    keys = [header_key(h) for h in header]
    columns = [""] * len(header)
    taken: dict[str, tuple[int, int]] = {}
    explicit = dict(options.columns) if options is not None else {}
    for field_name, wanted in explicit.items():
        key = header_key(wanted)
        if key not in keys:
            raise InputError(
                name,
                f"--columns maps {field_name} to {wanted!r}, which is not a column here",
                line=line,
                hint=f"the columns are: {', '.join(h.strip() for h in header)}",
            )
        columns[keys.index(key)] = field_name
        taken[field_name] = (-1, keys.index(key))
    for i, key in enumerate(keys):
        if columns[i] or key not in _ALIAS_RANK:
            continue
        field_name, rank = _ALIAS_RANK[key]
        held = taken.get(field_name)
        if held is None or (held[0] >= 0 and rank < held[0]):
            if held is not None:
                columns[held[1]] = ""
            columns[i] = field_name
            taken[field_name] = (rank, i)
    for field_name, (rank, at) in taken.items():
        twins = [i for i, key in enumerate(keys) if key == keys[at]]
        if rank >= 0 and len(twins) > 1:
            # The title read for a field, twice (`Version` and `version`): which column holds
            # the value is anybody's guess, and the other would be dropped without a word.
            where = ", ".join(f"{header[i].strip()!r} in column {i + 1}" for i in twins)
            raise InputError(
                name,
                f"the header names the {field_name} more than once ({where}), so which column "
                "holds it is not known",
                line=line,
                hint="rename or remove all but one of them",
            )
    needed = list(records.REQUIRED)
    if options is not None and (options.platform is not None or options.platform_of is not None):
        needed.remove("platform")
    if options is not None and options.host.strip():
        needed.remove("host")  # --host: every row is that machine's
    missing = [c for c in needed if c not in taken]
    if missing:
        hint = (
            "name the columns host, platform, product and version, or map yours with "
            "--columns host=Computer,product=Application,..."
        )
        if missing == ["host"]:
            hint += "; for one machine's export, --host NAME names its host"
        if not taken and any(_DOTTED.fullmatch(h.strip()) for h in header):
            # No known title, and a version among the cells: a row, its header left out.
            hint = "the first line looks like a row, not a header: " + hint.replace(
                "name the columns", "add a header row naming the columns", 1
            )
        raise InputError(
            name,
            f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}"
            f" (the header has: {', '.join(h.strip() for h in header) or 'nothing'})",
            line=line,
            hint=hint,
        )
    return columns


def read_csv(
    lines: Iterable[bytes], name: str, options: records.RowOptions | None = None
) -> Iterator[Installation]:
    """Stream a native CSV: header row, then one installation per row."""
    rows = csv_rows(lines, name)
    first = next(rows, None)
    if first is None:
        raise InputError(
            name, "the file is empty", hint="expected a header row: host,platform,product,version"
        )
    header_line, header = first
    columns = header_columns(header, name, header_line, options)
    options = options or records.RowOptions()
    build = records.csv_builder(columns, name, options)
    nameless = records.nameless(columns)
    width = len(columns)
    count = passed = 0
    problems = RowProblems(name)
    for line, row in rows:
        try:
            if len(row) != width:
                raise InputError(name, f"expected {width} fields, found {len(row)}", line=line)
            if nameless(row):
                passed += 1
                continue
            installation = build(row, line)
        except InputError as problem:
            problems.add(problem)
            continue
        count += 1
        yield installation
    options.skip(passed)
    problems.check()
    if count == 0:
        raise InputError(name, "no installations after the header row")


class RowProblems:
    """The bad rows of one file, so a spreadsheet is fixed in one pass: up to `limit` are
    named, then reading stops; `check` raises them together."""

    def __init__(self, name: str, limit: int = 20) -> None:
        self.name = name
        self.limit = limit
        self.found: list[InputError] = []

    def add(self, problem: InputError) -> None:
        self.found.append(problem)
        if len(self.found) >= self.limit:
            raise RowErrors(self.name, tuple(self.found), complete=False)

    def check(self) -> None:
        if len(self.found) == 1:
            raise self.found[0]
        if self.found:
            raise RowErrors(self.name, tuple(self.found), complete=True)


class RowErrors(InputError):
    """Several bad rows of one file, each named with its line and field."""

    def __init__(self, name: str, problems: tuple[InputError, ...], *, complete: bool) -> None:
        count = len(problems)
        scope = f"{count} rows" if complete else f"the first {count} bad rows (reading stopped)"
        super().__init__(
            name,
            f"{scope} cannot be used; nothing was audited",
            hint=problems[0].hint,
        )
        self.problems = problems


def read_jsonl(
    lines: Iterable[bytes], name: str, options: records.RowOptions | None = None
) -> Iterator[Installation]:
    """Stream JSON Lines: one record object per line."""
    count = 0
    problems = RowProblems(name)
    for number, text in enumerate(decoded_lines(lines, name), start=1):
        if not text.strip():
            continue
        row = json_line(text, name, number)
        if not isinstance(row, dict):
            raise InputError(name, "expected a JSON object", line=number)
        record = aliased(row)
        if records.nameless_record(record):
            (options or _PLAIN).skip(1)
            continue
        try:
            installation = records.installation(record, name, number, options or _PLAIN)
        except InputError as problem:
            problems.add(problem)
            continue
        count += 1
        yield installation
    problems.check()
    if count == 0:
        raise InputError(name, "the file is empty")


MAX_JSON_VALUES = 5_000_000
"""Values (objects, arrays, strings, numbers...) of a JSON document read whole: the worst
shape (empty objects) then needs about 500 MB, and an export of 5,000 hosts with 150
applications each fits. JSON Lines are read a line at a time."""
MAX_DIGITS = 100
"""Digits of a JSON integer: Python refuses more than 4300, no field needs more than 20."""
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


class _LineObject(dict[str, Any]):
    __slots__ = ("line",)  # a document may hold millions: no instance dict each
    line: int


class _JsonLimit(Exception):
    """A JSON document breaks one of the limits; `at` is where, when known."""

    def __init__(self, problem: str, at: int | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.at = at


def _bounded_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_DIGITS:
        raise _JsonLimit(f"a number of {digits} digits is too long (at most {MAX_DIGITS})")
    return int(text)


def _line_decoder(text: str, max_values: int) -> json.JSONDecoder:
    """A decoder whose objects remember their line, and that counts the values it reads (the
    pure-Python scanner allows hooks; the C scanner would not)."""
    decoder = json.JSONDecoder(parse_int=_bounded_int)
    base_object: Callable[..., tuple[dict[str, Any], int]] = vars(json.decoder)["JSONObject"]
    base_array: Callable[..., tuple[list[Any], int]] = vars(json.decoder)["JSONArray"]
    # Objects are met in the order they start, so lines are counted as the text is crossed.
    crossed = [0, 1]  # offset counted up to, and the line there
    values = [0]
    counting: list[Callable[[str, int], tuple[Any, int]]] = []

    def counted(scan_once: Callable[[str, int], tuple[Any, int]]) -> Callable[..., Any]:
        if not counting:

            def scan(string: str, idx: int) -> tuple[Any, int]:
                values[0] += 1
                if values[0] > max_values:
                    raise _JsonLimit(
                        f"more than {max_values:,} values, too large to read as one document",
                        idx,
                    )
                try:
                    return scan_once(string, idx)
                except _JsonLimit as limit:
                    if limit.at is None:
                        limit.at = idx
                    raise

            counting.append(scan)
        return counting[0]

    def parse_object(
        s_and_end: tuple[str, int], strict: bool, scan_once: Any, *args: Any, **kwargs: Any
    ) -> tuple[Any, int]:
        start = s_and_end[1]
        if start > crossed[0]:
            crossed[1] += text.count("\n", crossed[0], start)
            crossed[0] = start
        line = crossed[1]
        value, end = base_object(s_and_end, strict, counted(scan_once), *args, **kwargs)
        obj = _LineObject(value)
        obj.line = line
        return obj, end

    def parse_array(s_and_end: tuple[str, int], scan_once: Any, *args: Any) -> tuple[Any, int]:
        return base_array(s_and_end, counted(scan_once), *args)

    # The pure-Python scanner reads these hooks from the decoder when it is made.
    vars(decoder)["parse_object"] = parse_object
    vars(decoder)["parse_array"] = parse_array
    make_scanner: Callable[[json.JSONDecoder], object] = vars(json.scanner)["py_make_scanner"]
    vars(decoder)["scan_once"] = make_scanner(decoder)
    return decoder


def _line_at(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def parse_json(lines: Iterable[bytes], name: str, max_values: int = 0) -> Any:
    """A whole JSON document whose objects know their line (`line_of`): at most
    `MAX_DOCUMENT` bytes and `max_values` values (default `MAX_JSON_VALUES`), numbers of at
    most `MAX_DIGITS` digits, text without lone surrogates (`\\ud800` alone is no character)."""
    max_values = max_values or MAX_JSON_VALUES
    text = document_text(lines, name)
    if not text.strip():
        raise InputError(name, "the file is empty")
    try:
        data = _line_decoder(text, max_values).decode(text)
    except json.JSONDecodeError as exc:
        raise InputError(name, f"not valid JSON: {exc.msg}", line=exc.lineno) from None
    except _JsonLimit as exc:
        line = _line_at(text, exc.at) if exc.at is not None else None
        hint = "CSV and JSON Lines are read row by row" if "values" in exc.problem else ""
        raise InputError(name, exc.problem, line=line, hint=hint) from None
    except RecursionError:
        raise InputError(name, "JSON nested too deeply") from None
    if _SURROGATE_ESCAPE.search(text):
        _refuse_surrogates(data, name, 1)
    return data


def json_line(text: str, name: str, line: int) -> Any:
    """One line of JSON Lines (or of an osqueryd log): its value, or an error naming the
    line (bad JSON, a number too long, nesting too deep, a lone surrogate)."""
    try:
        value = json.loads(text, parse_int=_bounded_int)
    except json.JSONDecodeError as exc:
        raise InputError(name, f"not valid JSON: {exc.msg}", line=line) from None
    except _JsonLimit as exc:
        raise InputError(name, exc.problem, line=line) from None
    except RecursionError:
        raise InputError(name, "JSON nested too deeply", line=line) from None
    if _SURROGATE_ESCAPE.search(text):
        _refuse_surrogates(value, name, line)
    return value


def _refuse_surrogates(data: Any, name: str, line: int) -> None:
    """Fail on the first text (key or value) holding a lone surrogate: JSON can escape one
    (`\\ud800`), but it is no character, and no output could write it."""
    stack: list[tuple[Any, int]] = [(data, line)]
    while stack:
        value, at = stack.pop()
        if isinstance(value, str):
            found = _SURROGATE.search(value)
            if found:
                raise InputError(
                    name,
                    f"not valid JSON: \\u{ord(found.group()):04x} is half of a surrogate pair,"
                    " not a character",
                    line=at,
                )
        elif isinstance(value, dict):
            at = _line(value, at)
            for key, item in reversed(value.items()):
                stack.append((item, at))
                stack.append((key, at))
        elif isinstance(value, list):
            stack.extend((item, at) for item in reversed(value))


def line_of(value: Any, fallback: int = 1) -> int:
    """The line a parsed JSON or YAML object started on."""
    return _line(value, fallback)


def read_json(
    lines: Iterable[bytes], name: str, options: records.RowOptions | None = None
) -> Iterator[Installation]:
    """A JSON document in one of the native shapes."""
    yield from _document(parse_json(lines, name), name, options or _PLAIN)


def read_yaml(
    lines: Iterable[bytes], name: str, options: records.RowOptions | None = None
) -> Iterator[Installation]:
    """A YAML document in one of the native shapes."""
    text = document_text(lines, name)
    if not text.strip():
        raise InputError(name, "the file is empty")
    from vcaudit import yamlio  # PyYAML only when YAML is read

    try:
        data = yamlio.load(text)
    except yamlio.YamlProblem as exc:
        raise InputError(name, exc.message, line=exc.line) from None
    yield from _document(data, name, options or _PLAIN)


def _line(value: Any, fallback: int) -> int:
    line = getattr(value, "line", 0)
    return line if isinstance(line, int) and line > 0 else fallback


def _document(data: Any, name: str, options: records.RowOptions) -> Iterator[Installation]:
    if isinstance(data, list):
        yield from _records(data, name, 1, "", options)
        return
    if not isinstance(data, dict):
        raise InputError(
            name,
            "expected a list of installations, or a mapping with 'hosts' or 'installations'",
            line=1,
        )
    known = [key for key in ("hosts", "installations") if key in data]
    if not known and isinstance(data.get("clients"), list):
        # One host alone: what ConvertTo-Json writes for a list of one.
        data = {"hosts": [data]}
        known = ["hosts"]
    elif not known and {"product", "version"} <= aliased(data).keys():
        # One record alone, likewise.
        yield from _records([data], name, _line(data, 1), "", options)
        return
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
        yield from _records(items, name, _line(data, 1), "installations", options)
        return
    problems = RowProblems(name)
    for index, host in enumerate(items):
        where = f"hosts[{index}]"
        yield from _host(host, name, _line(host, _line(data, 1)), where, options, problems)
    problems.check()


_FIELD_NAMES = frozenset(records.FIELDS)


def aliased(row: dict[str, Any]) -> dict[str, Any]:
    """A record's keys read as a spreadsheet's header is: `Host`, `ComputerName`,
    `DisplayVersion` name their field (`ConvertTo-Json` of an imported sheet keeps its
    titles), the record's own field names first, then the best alias (see `_ALIASES`), each
    value as `_usable` lets it through."""
    if _FIELD_NAMES.issuperset(row):
        return row
    found: dict[str, Any] = {}
    ranks: dict[str, int] = {}
    for key, value in row.items():
        if key in _FIELD_NAMES:
            field_name, rank = key, -1
        elif (alias := _ALIAS_RANK.get(header_key(key))) is not None and _usable(alias[0], value):
            field_name, rank = alias
        else:
            found.setdefault(key, value)
            continue
        if ranks.get(field_name, len(_ALIASES) * 100) > rank:
            found[field_name], ranks[field_name] = value, rank
    return found


def _usable(field_name: str, value: Any) -> bool:
    """Whether a value under an alias is the field's. A tool's own keys that happen to be
    aliases are left alone: Fleet's `os` object (no platform), its `labels` list of objects
    (no tags), and an empty text beside a filled one. Anything else is the field's, to be
    checked as the field's own key would be (a number as a version is an error)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return False
    if field_name == "platform":
        return isinstance(value, str) and records.parse_platform(value) is not None
    if field_name == "tags":
        return isinstance(value, str) or (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        )
    return not isinstance(value, dict | list)


def _records(
    items: Iterable[Any], name: str, line: int, path: str, options: records.RowOptions
) -> Iterator[Installation]:
    count = 0
    problems = RowProblems(name)
    for index, row in enumerate(items):
        row_line = _line(row, line)
        if not isinstance(row, dict):
            raise InputError(name, "expected a mapping", line=row_line, field=f"{path}[{index}]")
        record = aliased(row)
        if records.nameless_record(record):
            options.skip(1)
            continue
        try:
            installation = records.installation(record, name, row_line, options)
        except InputError as problem:
            problems.add(problem)
            continue
        count += 1
        yield installation
    problems.check()
    if count == 0:
        raise InputError(name, "no installations in the file")


_HOST_FIELDS = frozenset(("host", "platform", "ownership", "owner", "user", "tags", "last_seen"))


def _host(
    host: Any,
    name: str,
    line: int,
    path: str,
    options: records.RowOptions,
    problems: RowProblems,
) -> Iterator[Installation]:
    if not isinstance(host, dict):
        raise InputError(name, "expected a mapping", line=line, field=path)
    clients = host.get("clients")
    if not isinstance(clients, list):
        raise InputError(name, "expected a list of clients", line=line, field=f"{path}.clients")
    fields = {key: value for key, value in host.items() if key != "clients"}
    if "name" in fields and "host" not in fields:
        fields["host"] = fields.pop("name")  # a host's name, not a product's
    shared = {key: value for key, value in aliased(fields).items() if key in _HOST_FIELDS}
    for index, client in enumerate(clients):
        client_line = _line(client, line)
        if not isinstance(client, dict):
            raise InputError(
                name, "expected a mapping", line=client_line, field=f"{path}.clients[{index}]"
            )
        row = {**shared, **aliased(client)}
        if records.nameless_record(row):
            options.skip(1)
            continue
        try:
            installation = records.installation(row, name, client_line, options)
        except InputError as problem:
            problems.add(problem)
            continue
        yield installation
