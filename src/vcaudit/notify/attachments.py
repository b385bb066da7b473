"""Reports attached to a mail, kept to a size a mail server takes.

A report is rendered through the writer the caller gives (notification never imports the
formatters) into a gzip stream, so a large one is never
held whole in memory: up to `PLAIN_LIMIT` it is attached as it is; above, gzip-compressed
(`vcaudit-report.json.gz`); and if even that passes `MAX_BYTES`, the rendering stops there and
a short note takes its place, saying how to get the whole report (the mail's own summary is
already there). `MAX_BYTES` is a budget for all of one message's attachments together.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from vcaudit.models import AuditReport

if TYPE_CHECKING:
    from vcaudit.notify.interface import ReportWriter

PLAIN_LIMIT = 1024 * 1024
"""Attached as it is up to this size (bytes of UTF-8)."""
MAX_BYTES = 8 * 1024 * 1024
"""All of one message's attachments together, after compression (base64 adds a third in the
mail, so about 11 MB on the wire, under the 20-25 MB most servers accept)."""

_MIME = {"json": "application/json", "csv": "text/csv"}


@dataclass(frozen=True, slots=True)
class Attachment:
    """One file for `compose`."""

    filename: str
    mime: str
    data: bytes

    def as_tuple(self) -> tuple[str, str, bytes]:
        """The (filename, mime type, bytes) triple `compose` takes."""
        return self.filename, self.mime, self.data


class _TooLarge(Exception):
    """Raised inside the writer to stop rendering once the budget is spent."""


class _Sink(io.RawIOBase):
    """Keeps the bytes written while they are small, and always a gzip copy; stops the writer
    when the compressed copy passes `budget`."""

    def __init__(self, budget: int) -> None:
        super().__init__()
        self.budget = budget
        self.size = 0
        self.plain: io.BytesIO | None = io.BytesIO()
        self.packed = io.BytesIO()
        self.gzip = gzip.GzipFile(fileobj=self.packed, mode="wb", mtime=0)
        self.full = False

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        if self.full:
            return len(chunk)  # already over budget: what is still flushed is dropped
        self.size += len(chunk)
        if self.plain is not None:
            if self.size <= PLAIN_LIMIT:
                self.plain.write(chunk)
            else:
                self.plain = None
        self.gzip.write(chunk)
        if self.packed.tell() > self.budget:
            self.full = True
            raise _TooLarge
        return len(chunk)


def build(
    report: AuditReport,
    kinds: Sequence[str],
    budget: int | None = None,
    *,
    write: ReportWriter | None = None,
) -> list[Attachment]:
    """The attachments for one message, within `budget` bytes in all (`MAX_BYTES`), each
    written by `write`; ValueError when attachments are asked for without one."""
    if not kinds:
        return []
    if write is None:
        raise ValueError("no report writer was given for the attachments")
    files: list[Attachment] = []
    budget = MAX_BYTES if budget is None else budget
    left = budget
    for kind in kinds:
        name = f"vcaudit-report.{kind}"
        mime = _MIME.get(kind, "text/plain")
        sink = _Sink(left)
        text = io.TextIOWrapper(
            io.BufferedWriter(sink), encoding="utf-8", errors="surrogateescape", newline=""
        )
        try:
            write(report, kind, text)
            text.flush()
            sink.gzip.close()  # zlib holds output back until here
        except _TooLarge:
            sink.plain = None
        finally:
            text.close()
        plain = sink.plain.getvalue() if sink.plain is not None else None
        packed = sink.packed.getvalue()
        if plain is not None and len(plain) <= left:
            files.append(Attachment(name, mime, plain))
            left -= len(plain)
        elif not sink.full and len(packed) <= left:
            files.append(Attachment(f"{name}.gz", "application/gzip", packed))
            left -= len(packed)
        else:  # nothing of it is attached: the budget is left to the next one
            files.append(_note(name, budget))
    return files


def _note(name: str, budget: int) -> Attachment:
    kind = name.rpartition(".")[2]
    text = (
        f"{name} was not attached: even compressed it passes what one mail may carry "
        f"({budget // (1024 * 1024)} MiB for all attachments).\n"
        "The summary in this mail covers every finding. For the whole report, run vcaudit "
        f"with --report {kind}=FILE and share that file.\n"
    )
    return Attachment(f"{name}.txt", "text/plain", text.encode("utf-8"))
