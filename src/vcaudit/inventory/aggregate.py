"""Reading a native CSV as counts, and reading it again when a report lists every row.

The table, Markdown and SARIF need, per distinct installation, only how many rows share it,
on which hosts, and where it first appears. Rows that differ only in host and user are
counted into one `Aggregate`: the first row of each is built and checked exactly like
`read_csv` builds it, and every later row is checked for what differs (its field count, its
host and user), so the same files are accepted and refused, with the same messages, at a
fraction of the per-row cost.

Lines are taken a chunk at a time. When the host is the first column, a line's text after
the host is the key to what the line holds: a text seen before is the same installation
without parsing it again, so most lines cost a split and a few look-ups. Lines that need
more (a quoted host, a blank line, a wrong field count, a missing host) go through the
row-by-row loop with every check, and from a record that spans lines (or broken quoting)
on, the rest of the file does.

Reports that list every installation (JSON, CSV, JUnit, HTML, details) need no stored rows
either: `RereadFindings` reads a counted file again, in the same way, and each row is its
counted installation with its own host, user and line.
"""

from __future__ import annotations

import csv
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from itertools import chain, islice, repeat
from operator import itemgetter
from typing import cast

from vcaudit.errors import InputError
from vcaudit.inventory import native, records
from vcaudit.inventory.context import ReadContext
from vcaudit.models import Assessment, Finding, Installation, RowBatch

# The fields, besides host and user, that decide an installation's verdict or its group.
_KEY_FIELDS = (
    "product",
    "publisher",
    "platform",
    "version",
    "ownership",
    "owner",
    "tags",
    "last_seen",
)


@dataclass(slots=True)
class Aggregate:
    """Rows that are the same installation but for their host (and user)."""

    installation: Installation
    """The first such row, as `read_csv` builds it."""
    count: int = 0
    hosts: set[str] = field(default_factory=set)
    origin: CountedFile | None = None
    """The counted file this came from (None for a row of another format): it knows every
    host of the file, and can read the file's rows again."""
    number: int = -1
    """This aggregate's place in `origin.aggregates`."""


PROGRESS_EVERY = 50_000
_REMEMBERED_TEXTS = 65_536
"""Distinct line texts (after the host) remembered; more are forgotten and parsed again."""


def aggregate_csv(
    lines: Iterable[bytes], name: str, ctx: ReadContext | None = None, *, path: str = ""
) -> Iterator[Aggregate]:
    """The distinct installations of a native CSV, in order of first appearance; `path`
    (where the file can be opened again) is kept with them."""
    progress = ctx.progress if ctx is not None else None
    reread = ctx is None or ctx.reread
    signature = lines.signature() if reread and isinstance(lines, native.ByteLines) else None
    stream = _Lines(native.decoded_blocks(lines, name))
    header = stream.header(name)
    if header is None:
        raise InputError(
            name, "the file is empty", hint="expected a header row: host,platform,product,version"
        )
    at, cells, line = header
    options = ctx.rows if ctx is not None else records.RowOptions()
    columns = native.header_columns(cells, name, at, options)
    counter = CountedFile(columns, name, stream.delimiter, options)
    counter.path, counter.signature = path, signature
    counter.encoding = ctx.encoding if ctx is not None else ""
    while batch := stream.take():
        done = counter.lines(batch, line)
        if done < len(batch):
            # A record spans lines, or the quoting is broken: the exact reader from here on.
            rest = chain(map("{}\n".format, batch[done:]), stream.remaining())
            counter.rows(native.csv_records(rest, name, line + done, delimiter=counter.delimiter))
            break
        if progress is not None and (line + done) // PROGRESS_EVERY > line // PROGRESS_EVERY:
            progress(line + done - 1)
        line += done
    options.skip(counter.passed)
    if not counter.aggregates:
        raise InputError(name, "no installations after the header row")
    for number, aggregate in enumerate(counter.aggregates):
        aggregate.origin, aggregate.number = counter, number
        yield aggregate


ReadBatch = tuple[list[int], list[str], list[str], list[int]]
"""Rows read again: each one's aggregate number, host, user and line."""


def reread_csv(lines: Iterable[bytes], counted: CountedFile) -> Iterator[ReadBatch]:
    """The rows of a file counted before, in order, a batch at a time.

    The file must hold what it held when it was counted: a row whose installation was not
    counted is an error ("changed while it was read").
    """
    name = counted.name
    stream = _Lines(native.decoded_blocks(lines, name))
    header = stream.header(name)
    if header is None:
        raise counted.changed()
    line = header[2]
    while batch := stream.take():
        found = counted.known(batch, line)
        if found is not None:
            yield found
            line += len(batch)
            continue
        rows = _records(batch, counted.delimiter)
        if rows is None:
            # A record spans lines, or the quoting is broken: the exact reader from here on.
            rest = chain(map("{}\n".format, batch), stream.remaining())
            records_ = native.csv_records(rest, name, line, delimiter=counted.delimiter)
            while chunk := list(islice(records_, 8192)):
                yield counted.parsed([row for _l, row in chunk], [n for n, _row in chunk])
            return
        if all(rows) and all(map(str.strip, map(_HOST_OF, rows))):
            # No blank record (a record whose first cell has text is not blank): every row.
            yield counted.parsed(rows, list(range(line, line + len(rows))))
        else:
            kept = [(line + i, row) for i, row in enumerate(rows) if not native.blank(row)]
            if kept:
                yield counted.parsed([row for _l, row in kept], [n for n, _row in kept])
        line += len(batch)


class _Lines:
    """Decoded lines without their newlines: read one at a time (the header, with its
    newline) or a block at a time (the rest)."""

    def __init__(self, blocks: Iterator[list[str]]) -> None:
        self._blocks = blocks
        self._block: list[str] = []
        self._at = 0
        self.delimiter = ","
        """The delimiter the header line shows (comma, semicolon or tab)."""

    def __iter__(self) -> _Lines:
        return self

    def header(self, name: str) -> tuple[int, list[str], int] | None:
        """The first record, read line by line: (its line, its cells, the line after it);
        None when there is none. The lines after it are left for `take`."""
        self.delimiter, records = native.delimited_records(self, name)
        first = next(records, None)
        if first is None:
            return None
        at, cells = first
        return at, cells, at + 1 + sum(cell.count("\n") for cell in cells)

    def __next__(self) -> str:
        while self._at >= len(self._block):
            self._block, self._at = next(self._blocks), 0
        self._at += 1
        return self._block[self._at - 1] + "\n"

    def take(self) -> list[str]:
        """The next lines not yet read, as many as come together; [] at the end."""
        found = self._block[self._at :]
        self._block, self._at = [], 0
        if found:
            return found
        return next((block for block in self._blocks if block), [])

    def remaining(self) -> Iterator[str]:
        """Every line not yet read, with its newline."""
        return map("{}\n".format, self._remaining())

    def _remaining(self) -> Iterator[str]:
        found = self._block[self._at :]
        self._block, self._at = [], 0
        return chain(found, chain.from_iterable(self._blocks))


_HOST_OF = itemgetter(0)
_MIDDLE_OF = itemgetter(1)
_REST_OF = itemgetter(2)


class CountedFile:
    """The distinct installations of one file, and the ways to add lines to them."""

    def __init__(
        self,
        columns: list[str],
        name: str,
        delimiter: str = ",",
        options: records.RowOptions | None = None,
    ) -> None:
        options = options or records.RowOptions()
        self.build = records.csv_builder(columns, name, options)
        self.nameless = records.nameless(columns)
        self.passed = 0
        """Rows passed over for naming neither a product nor a version (`records.nameless`)."""
        self.name = name
        self.delimiter = delimiter
        self.width = len(columns)
        index = {column: i for i, column in enumerate(columns)}
        self.key_of = itemgetter(*[index[c] for c in _KEY_FIELDS if c in index])
        self.i_host: int | None = index.get("host")
        """None in a file without a host column: every row's host is `fixed_host`."""
        self.fixed_host = options.host.strip()
        self.i_user = index.get("user")
        # Where a host-first line's user is cut from the text after its host, so that lines
        # differing only in host and user still share a text: the user is the next field, or
        # the last one (elsewhere, such lines are parsed).
        self.user_cut: Callable[[str, str], tuple[str, str, str]] | None = None
        if self.i_host == 0 and self.i_user == 1:
            self.user_cut = str.partition
        elif self.i_host == 0 and self.i_user == len(columns) - 1:
            self.user_cut = str.rpartition
        self.aggregates: list[Aggregate] = []
        self.hosts: list[set[str]] = []
        """Each aggregate's host set, by the aggregate's number."""
        self.numbers: dict[object, int] = {}
        """Aggregate number by key (the fields besides host and user)."""
        self.texts: dict[str, int] = {}
        """Aggregate number by the text of a line after its host (host first only)."""
        self.names: dict[str, str] = {}
        """One string per host name, shared by every set that holds it."""
        self.path = ""
        """Where the file can be opened again ("" when it cannot)."""
        self.encoding = ""
        """The text encoding it was read in (`--encoding`), to read it again alike."""
        self.signature: native.Signature | None = None
        """The file's size and modification time when it was counted, and its bytes' digest."""
        self.parse_all = False
        """Set once line texts prove not to repeat (a user column that differs from line to
        line, say): remembering them would only cost time, so every line is parsed."""
        self._lines_split = 0
        self._lines_unseen = 0

    def rows(self, rows: Iterable[tuple[int, list[str]]]) -> None:
        """Add records one by one: every check `read_csv` makes on a row."""
        width = self.width
        limit = records.MAX_VALUE
        key_of, i_host, i_user = self.key_of, self.i_host, self.i_user
        fixed = self.fixed_host
        intern = self.names.setdefault
        for line, row in rows:
            if len(row) != width:
                raise InputError(self.name, f"expected {width} fields, found {len(row)}", line=line)
            key = key_of(row)
            number = self._known(key, row)
            if number is not None and number < 0:
                self.passed += number == PASSED
                continue
            host = row[i_host].strip() if i_host is not None else fixed
            if (
                number is None
                or not host
                or len(host) > limit
                or (i_user is not None and len(row[i_user]) > limit)
            ):
                # New, or unusual: the full row check, which raises the same error read_csv would.
                installation = self.build(row, line)
                if number is None:
                    number = self._add(key, installation)
                host = installation.host
            self.aggregates[number].count += 1
            self.hosts[number].add(intern(host, host))

    def lines(self, lines: list[str], line: int) -> int:
        """Add lines that start at `line`; how many were added, all of them unless one
        starts a record that spans lines (or has broken quoting): that one and the rest
        were not."""
        if self.i_host != 0 or self.parse_all:
            return self._parsed(lines, line)

        def first_seen(row: list[str], i: int, hosts: list[str]) -> int:
            return self._number(row, line + i, hosts, i)

        split = self._split(lines, first_seen)
        if split is None:
            return self._parsed(lines, line)
        self._count(*split[:2])
        return len(lines)

    def known(self, lines: list[str], line: int) -> ReadBatch | None:
        """The rows of `lines` (counted before) when each is a plain one-line record of a
        host-first file whose user, if any, is next to the host or last; None when the lines
        need parsing."""
        if self.i_host != 0 or self.parse_all:
            return None
        if self.i_user is not None and self.user_cut is None:
            return None

        def counted(row: list[str], _i: int, _hosts: list[str]) -> int:
            number = self.numbers.get(self.key_of(row))
            if number is None:
                raise self.changed()
            return number

        split = self._split(lines, counted)
        if split is None:
            return None
        numbers, hosts, users = split
        return _kept(
            (numbers, hosts, users or [""] * len(lines), list(range(line, line + len(lines))))
        )

    def _split(
        self, lines: list[str], resolve: Callable[[list[str], int, list[str]], int]
    ) -> tuple[list[int], list[str], list[str]] | None:
        """Aggregate numbers, hosts and users (none unless `user_cut`) of a host-first
        file's lines, each a plain one-line record; None when one needs parsing (a quoted,
        missing or over-long host or user, or a line seen for the first time that is not a
        plain record). A line's text after the host (less its user), seen before, gives its
        number; `resolve(row, i, hosts)` gives the others'."""
        parts = list(map(str.partition, lines, repeat(self.delimiter)))
        raw_hosts = list(map(_HOST_OF, parts))
        hosts = list(map(str.strip, raw_hosts))
        if '"' in "".join(raw_hosts) or "" in hosts or max(map(len, hosts)) > records.MAX_VALUE:
            return None
        texts = list(map(_REST_OF, parts))
        users: list[str] = []
        if self.user_cut is not None:  # elsewhere, a user stays in the text
            cut = list(map(self.user_cut, texts, repeat(self.delimiter)))
            if self.user_cut is str.partition:  # user, delimiter, the rest
                raw_users, texts = list(map(_HOST_OF, cut)), list(map(_REST_OF, cut))
            else:  # the rest, delimiter, user
                raw_users, texts = list(map(_REST_OF, cut)), list(map(_HOST_OF, cut))
            # A user with a quote (or a line without one more field) is for the parser.
            if '"' in "".join(raw_users) or max(map(len, raw_users)) > records.MAX_VALUE:
                return None
            if "" in map(_MIDDLE_OF, cut):
                return None
            users = list(map(str.strip, raw_users))
        found = list(map(self.texts.get, texts))
        self._lines_split += len(lines)
        if None in found:
            unseen = [i for i, n in enumerate(found) if n is None]
            self._lines_unseen += len(unseen)
            if (
                self._lines_split >= _REMEMBERED_TEXTS
                and self._lines_unseen * 2 > self._lines_split
            ):
                self.parse_all = True  # over half the lines so far were new texts
                self.texts.clear()
            rows = _records([lines[i] for i in unseen], self.delimiter)
            if rows is None or not self._all_plain(rows):
                return None
            if len(self.texts) > _REMEMBERED_TEXTS:
                self.texts.clear()
            for i, row in zip(unseen, rows, strict=True):
                number = found[i] = resolve(row, i, hosts)
                self.texts[texts[i]] = number
        return cast(list[int], found), hosts, users  # every None was resolved

    def parsed(self, rows: list[list[str]], lines: list[int]) -> ReadBatch:
        """The rows (counted before) of parsed records."""
        try:
            numbers = list(map(self.numbers.__getitem__, map(self.key_of, rows)))
        except (KeyError, IndexError):
            raise self.changed() from None
        hosts = self._hosts(rows)
        if self.i_user is None:
            users = [""] * len(rows)
        else:
            users = list(map(str.strip, map(itemgetter(self.i_user), rows)))
        return _kept((numbers, hosts, users, lines))

    def changed(self) -> InputError:
        return InputError(self.name, "changed while it was being read; run vcaudit again")

    def _parsed(self, lines: list[str], line: int) -> int:
        """`lines` parsed as CSV, then counted; row by row when a row needs it."""
        rows = _records(lines, self.delimiter)
        if rows is None:
            # Find the line that starts a multi-line or broken record; count the ones before.
            done = 0
            while (
                done < len(lines) and _records(lines[done : done + 1], self.delimiter) is not None
            ):
                done += 1
            if done:
                self._parsed(lines[:done], line)
            return done
        plain = self._all_plain(rows)  # first: a short row has no host to take
        hosts = self._hosts(rows) if plain else []
        if not plain or "" in hosts or max(map(len, hosts)) > records.MAX_VALUE:
            self.rows((line + i, row) for i, row in enumerate(rows) if not native.blank(row))
            return len(lines)
        numbers = [self.numbers.get(key) for key in map(self.key_of, rows)]
        for i in [i for i, n in enumerate(numbers) if n is None]:
            numbers[i] = self._number(rows[i], line + i, hosts, i)
        self._count(cast(list[int], numbers), hosts)
        return len(lines)

    def _hosts(self, rows: list[list[str]]) -> list[str]:
        if self.i_host is None:
            return [self.fixed_host] * len(rows)
        return list(map(str.strip, map(itemgetter(self.i_host), rows)))

    def _all_plain(self, rows: list[list[str]]) -> bool:
        """Whether no record needs a row-by-row check beyond its key's first row (hosts are
        checked apart): each has the header's field count and a user of bounded length.
        Checked a column at a time."""
        if not rows:
            return True
        if set(map(len, rows)) != {self.width}:
            return False
        if self.i_user is None:
            return True
        return max(map(len, map(itemgetter(self.i_user), rows))) <= records.MAX_VALUE

    def _number(self, row: list[str], line: int, hosts: list[str], i: int) -> int:
        """The aggregate number of a row, adding its key at its first row."""
        key = self.key_of(row)
        number = self._known(key, row)
        if number is None:
            installation = self.build(row, line)
            number = self._add(key, installation)
            hosts[i] = installation.host
        return number

    def _known(self, key: object, row: list[str]) -> int | None:
        """The number of a row's key counted before, or PASSED (BLANK) for a row that names
        neither a product nor a version (that has no text at all); None for a new key."""
        number = self.numbers.get(key)
        if number is None and self.nameless(row):
            number = self.numbers[key] = BLANK if native.blank(row) else PASSED
        return number

    def _count(self, numbers: list[int], hosts: list[str]) -> None:
        if min(numbers, default=0) < 0:
            self.passed += numbers.count(PASSED)
            kept = [(n, h) for n, h in zip(numbers, hosts, strict=True) if n >= 0]
            numbers, hosts = [n for n, _h in kept], [h for _n, h in kept]
        aggregates = self.aggregates
        for number, count in Counter(numbers).items():
            aggregates[number].count += count
        names = list(map(self.names.setdefault, hosts, hosts))
        deque(map(set.add, map(self.hosts.__getitem__, numbers), names), maxlen=0)

    def _add(self, key: object, installation: Installation) -> int:
        self.numbers[key] = len(self.aggregates)
        self.aggregates.append(Aggregate(installation))
        self.hosts.append(self.aggregates[-1].hosts)
        return len(self.aggregates) - 1


PASSED = -1
"""The number of a row passed over for naming neither a product nor a version."""
BLANK = -2
"""The number of a record with no text at all (`,,,`): passed over, and not counted, as the
row-by-row reader never sees it (a file without a host column reads it this far)."""


def _kept(batch: ReadBatch) -> ReadBatch:
    """A batch read again, without the rows that were passed over when it was counted."""
    numbers = batch[0]
    if min(numbers, default=0) >= 0:
        return batch
    keep = [i for i, n in enumerate(numbers) if n >= 0]
    return (
        [numbers[i] for i in keep],
        [batch[1][i] for i in keep],
        [batch[2][i] for i in keep],
        [batch[3][i] for i in keep],
    )


def _records(lines: list[str], delimiter: str = ",") -> list[list[str]] | None:
    """The records of `lines` when each line is exactly one record, else None."""
    try:
        rows = list(csv.reader(lines, strict=True, delimiter=delimiter))
    except csv.Error:
        return None
    return rows if len(rows) == len(lines) else None


class RereadFindings:
    """The findings of counted native CSV files, read again from the files each time they
    are iterated rather than kept: a fleet's rows then cost neither memory nor disk."""

    def __init__(
        self,
        files: list[CountedFile],
        assessments: dict[int, list[Assessment]],
        total: int,
        reopen: Callable[[CountedFile], AbstractContextManager[Iterable[bytes]]],
    ) -> None:
        self.files = files
        self._assessments = assessments
        self._total = total
        self._reopen = reopen
        self.progress: Callable[[int], None] | None = None
        """Told how many rows have been read again, batch by batch (a row counter)."""

    def __len__(self) -> int:
        return self._total

    def batches(self) -> Iterator[RowBatch]:
        """Each file's rows again, a batch at a time, with each counted installation and its
        verdict by aggregate number (`models.BatchedFindings`)."""
        done = 0
        for counted in self.files:
            assessments = self._assessments[id(counted)]
            firsts = [aggregate.installation for aggregate in counted.aggregates]
            with self._reopen(counted) as lines:
                for numbers, hosts, users, line_numbers in reread_csv(lines, counted):
                    yield RowBatch(firsts, assessments, numbers, hosts, users, line_numbers)
                    done += len(numbers)
                    if self.progress is not None:
                        self.progress(done)

    def __iter__(self) -> Iterator[Finding]:
        for batch in self.batches():
            yield from batch
