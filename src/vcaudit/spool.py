"""Findings in input order, with memory that stays flat however large the fleet.

The first `memory_limit` findings are kept as objects; beyond that every finding is written
as a compact record to a temporary file that is read back on each iteration. Assessments are
shared (a fleet has few distinct verdicts), so a record is the installation's own fields and
an index.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import tempfile
import weakref
from collections.abc import Callable, Iterator
from typing import BinaryIO

from vcaudit.models import Assessment, Finding, Installation, Ownership, Platform, Source

DEFAULT_MEMORY_LIMIT = 20_000
BATCH = 4096
"""Records per block written to the spool file."""

_Record = tuple[str, str, str, str, str, int, str, str, str, str, tuple[str, ...], str, int]


def _record(finding: Finding, index: int) -> _Record:
    i = finding.installation
    return (
        i.host, i.platform.value, i.product, i.version, i.source.file, i.source.line,
        i.publisher, i.owner, i.ownership.value, i.user, i.tags, i.last_seen, index,
    )  # fmt: skip


def _remove(writer: BinaryIO, path: str) -> None:
    writer.close()
    with contextlib.suppress(OSError):
        os.unlink(path)


class FindingStore:
    """An append-only, re-iterable sequence of findings."""

    def __init__(self, memory_limit: int = DEFAULT_MEMORY_LIMIT, *, keep: bool = True) -> None:
        self._limit = memory_limit
        self._keep = keep
        self._memory: list[Finding] = []
        self._assessments: list[Assessment] = []
        self._index: dict[int, int] = {}
        self._count = 0
        self._path = ""
        self._writer: BinaryIO | None = None
        self._batch: list[_Record] = []
        self._cleanup: Callable[[], None] | None = None

    def __len__(self) -> int:
        return self._count

    @property
    def spilled(self) -> bool:
        """Whether findings went to disk."""
        return self._writer is not None

    def _assessment_index(self, assessment: Assessment) -> int:
        index = self._index.get(id(assessment))
        if index is None:
            index = len(self._assessments)
            self._assessments.append(assessment)
            self._index[id(assessment)] = index
        return index

    def append_uncounted(self, count: int = 1) -> None:
        """Count more findings that are not kept (see `keep`)."""
        self._count += count

    def append(self, finding: Finding) -> None:
        """Add one finding at the end."""
        self._count += 1
        if not self._keep:
            return
        if self._writer is None and len(self._memory) < self._limit:
            self._memory.append(finding)
            return
        if self._writer is None:
            fd, self._path = tempfile.mkstemp(prefix="vcaudit-", suffix=".spool")
            self._writer = os.fdopen(fd, "wb")
            self._cleanup = weakref.finalize(self, _remove, self._writer, self._path)
        self._batch.append(_record(finding, self._assessment_index(finding.assessment)))
        if len(self._batch) >= BATCH:
            self._flush()

    def _flush(self) -> None:
        """Write the pending records as one length-prefixed marshal block."""
        if self._batch and self._writer is not None:
            block = marshal.dumps(self._batch)
            self._writer.write(len(block).to_bytes(8, "little") + block)
            self._batch = []

    def __iter__(self) -> Iterator[Finding]:
        # A store that keeps nothing (`keep=False`) yields nothing: the report says so in
        # `AuditReport.rows`, and a format that lists rows refuses such a report up front.
        yield from self._memory
        if self._writer is None:
            return
        self._flush()
        self._writer.flush()
        platforms = {p.value: p for p in Platform}
        ownerships = {o.value: o for o in Ownership}
        assessments = self._assessments
        with open(self._path, "rb") as reader:
            while True:
                size = reader.read(8)
                if not size:
                    return
                # Our own file, written above in this process: not untrusted data.
                block = marshal.loads(reader.read(int.from_bytes(size, "little")))  # noqa: S302
                for row in block:
                    yield Finding(
                        Installation(
                            host=row[0],
                            platform=platforms[row[1]],
                            product=row[2],
                            version=row[3],
                            source=Source(row[4], row[5]),
                            publisher=row[6],
                            owner=row[7],
                            ownership=ownerships[row[8]],
                            user=row[9],
                            tags=tuple(row[10]),
                            last_seen=row[11],
                        ),
                        assessments[row[12]],
                    )

    def close(self) -> None:
        """Remove the temporary file, if any."""
        if self._cleanup is not None:
            self._cleanup()
