"""The seam of inventory inputs: what a reader, a sniffer and a counter are, and the `Source`
that ties them to one `InputFormat` in `registry.SOURCES`.

The rest of vcaudit reads inventories through `sources` (open, sniff, read, count) and, for
the counted fast path, through the types this module re-exports (`__all__`): `audit` builds
reports from `Aggregate`s and `CountedFile`s without reaching into how a native CSV is
counted and read again (`aggregate`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

from vcaudit.inventory.aggregate import Aggregate, CountedFile, RereadFindings
from vcaudit.inventory.context import ReadContext
from vcaudit.inventory.formats import InputFormat
from vcaudit.models import Installation

__all__ = [
    "Aggregate",
    "CountedFile",
    "Counter",
    "Head",
    "Reader",
    "RereadFindings",
    "Sniffer",
    "Source",
]

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass(frozen=True, slots=True)
class Head:
    """The first bytes of an input as sniffers see them (the last character may be cut)."""

    text: str
    """The text, any byte-order mark and leading whitespace dropped."""
    first_line: str
    """Its first line, without the line break."""
    plain: str
    """The first line without terminal colour codes (`snap list` on a terminal)."""
    json: bool
    """Whether the text opens a JSON array or object: JSON sniffers look only at these,
    the others never do."""

    @classmethod
    def of(cls, text: str) -> Head:
        """The head of an input whose first bytes decode to `text`."""
        text = text.lstrip("\ufeff \t\r\n")
        first_line = text.partition("\n")[0].rstrip("\r")
        return cls(text, first_line, _ANSI.sub("", first_line), text.startswith(("[", "{")))

    @property
    def tabbed(self) -> bool:
        """Whether the first line is tab-separated without commas, as package tools print
        their lists when piped."""
        return "\t" in self.first_line and "," not in self.first_line

    @property
    def object_per_line(self) -> bool:
        """Whether the text holds one JSON object per line (a log or JSON Lines)."""
        if not self.text.startswith("{"):
            return False
        rest = self.text.partition("\n")[2]
        return self.first_line.rstrip().endswith("}") and rest.lstrip().startswith("{")


class Reader(Protocol):
    """Reads one input's lines (UTF-8 bytes) into installations. `name` is the input as
    shown to the user: every error names it, with the line and field at fault."""

    def __call__(
        self, lines: Iterable[bytes], name: str, ctx: ReadContext, /
    ) -> Iterator[Installation]: ...


Sniffer = Callable[[Head], bool]
"""Whether an input's first bytes show its format (a header, a key only that tool writes)."""


class Counter(Protocol):
    """Reads one input as counted rows (`Aggregate`s) rather than one installation per row;
    `path` is where the file can be opened again to list its rows ("" when it cannot)."""

    def __call__(
        self, lines: Iterable[bytes], name: str, ctx: ReadContext, /, *, path: str
    ) -> Iterator[Aggregate]: ...


@dataclass(frozen=True, slots=True)
class Source:
    """One input format: how it is read, and how it is recognised."""

    format: InputFormat
    reader: Reader
    sniffer: Sniffer | None
    """The content test that recognises the format; tried in the order of
    `registry.SOURCES`, the first that says yes decides."""
    shape: Sniffer | None = None
    """A weaker content test (a shape other formats share), tried in the same order only
    when no source's `sniffer` said yes."""
    unsniffed: str = ""
    """Why the format has no `sniffer` (then it is chosen by extension or flag only)."""
    extensions: tuple[str, ...] = ()
    """File extensions (lower case, with the dot) that name this format."""
    yields_to: tuple[str, ...] = ()
    """Extensions that decide over this format's content test: content recognised as this
    format in a file with one of them is read as the extension's format."""
    counter: Counter | None = None
    """How to read the format as counted rows (a fleet of a million rows costs the distinct
    installations only), and read it again to list every row; None: row by row."""
