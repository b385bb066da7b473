"""Reading a native CSV as counts, for reports that need no line per installation.

The table, Markdown and SARIF need, per distinct installation, only how many rows share it,
on which hosts, and where it first appears. Rows that differ only in host and user are
counted into one `Aggregate`: the first row of each is built and checked exactly like
`read_csv` builds it, and every later row is checked for what differs (its field count, its
host and user), so the same files are accepted and refused, with the same messages, at a
fraction of the per-row cost.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from operator import itemgetter

from vcaudit.errors import InputError
from vcaudit.inventory import native, records
from vcaudit.inventory.context import ReadContext
from vcaudit.models import Installation

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


PROGRESS_EVERY = 50_000


def aggregate_csv(
    lines: Iterable[bytes], name: str, ctx: ReadContext | None = None
) -> Iterator[Aggregate]:
    """The distinct installations of a native CSV, in order of first appearance."""
    progress = ctx.progress if ctx is not None else None
    rows = native.csv_rows(lines, name)
    first = next(rows, None)
    if first is None:
        raise InputError(
            name, "the file is empty", hint="expected a header row: host,platform,product,version"
        )
    columns = native.header_columns(first[1], name, first[0])
    build = records.csv_builder(columns, name)
    width = len(columns)
    index = {column: i for i, column in enumerate(columns)}
    key_of = itemgetter(*[index[c] for c in _KEY_FIELDS if c in index])
    i_host = index["host"]
    i_user = index.get("user")
    entries: dict[object, Aggregate] = {}
    limit = records.MAX_VALUE
    for line, row in rows:
        if len(row) != width:
            raise InputError(name, f"expected {width} fields, found {len(row)}", line=line)
        key = key_of(row)
        entry = entries.get(key)
        host = row[i_host].strip()
        if (
            entry is None
            or not host
            or len(host) > limit
            or (i_user is not None and len(row[i_user]) > limit)
        ):
            # New, or unusual: the full row check, which raises the same error read_csv would.
            installation = build(row, line)
            if entry is None:
                entry = entries[key] = Aggregate(installation)
            host = installation.host
        entry.hosts.add(host)
        entry.count += 1
        if progress is not None and line % PROGRESS_EVERY == 0:
            progress(line)
    if not entries:
        raise InputError(name, "no installations after the header row")
    yield from entries.values()
