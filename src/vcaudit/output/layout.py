"""Text laid out for a terminal of a given width: the table report, the listings and the
messages on standard error.

Words are wrapped at spaces only, so a version, a host, an owner or an advisory id is never
split across two lines; a word wider than the room it has is shortened with an ellipsis.
Columns are used only when every column holds its longest word; otherwise callers fall back
to a hanging list, which fits any width. Widths are counted in terminal cells (a CJK
character takes two), a character a terminal shows as nothing (a combining mark, the word
joiner that `terminal_safe` puts between two colons) as one: a line is never wider than the
width, whether counted in cells or in characters.

Styles are rich style names carried beside the words and applied at the very end with
`Text.append(..., style=)`: no text is ever read as markup. Callers make every word
terminal-safe first (`sanitize.terminal_safe`).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.cells import get_character_cell_size

if TYPE_CHECKING:
    from rich.console import Console

Span = tuple[str, str]
"""A piece of a line and its rich style ("" for none)."""
Line = list[Span]
Words = list[Span]
"""A paragraph: words without the spaces between them."""

ELLIPSIS = "…"
MIN_WIDTH = 40
"""Narrower terminals are laid out as if they had this many columns."""
RULE = "─"


def cells(text: str) -> int:
    """The width of `text` on a terminal, a zero-width character counted as one."""
    if text.isascii():
        return len(text)
    return sum(max(get_character_cell_size(char), 1) for char in text)


def words(text: str, style: str = "") -> Words:
    """`text` as words to wrap, all in `style`."""
    return [(word, style) for word in text.split(" ") if word]


def shorten(text: str, room: int, *, keep_end: bool = False) -> str:
    """`text` cut to `room` cells with an ellipsis where it was cut (at its end, or at its
    start with `keep_end`: a path keeps its file name and line)."""
    if cells(text) <= room:
        return text
    if room < 1:
        return ""
    kept: list[str] = []
    used = 0
    for char in reversed(text) if keep_end else text:
        size = cells(char)
        if used + size > room - 1:
            break
        kept.append(char)
        used += size
    if keep_end:
        return ELLIPSIS + "".join(reversed(kept))
    return "".join(kept) + ELLIPSIS


def size_of(line: Line) -> int:
    """The cells a line takes."""
    return sum(cells(text) for text, _ in line)


def wrap(
    paragraph: Sequence[Span], first: int, rest: int | None = None, *, cut: bool = True
) -> list[Line]:
    """`paragraph` as lines of at most `first` cells (the first line) and `rest` (the next
    ones; default `first`), broken between words only; a word wider than its line is
    shortened with an ellipsis (or, without `cut`, stands whole on a line of its own: an
    address to copy)."""
    following = first if rest is None else rest
    lines: list[Line] = []
    line: Line = []
    used = 0
    room = first
    for text, style in paragraph:
        size = cells(text)
        if line and used + 1 + size <= room:
            # The space between two words of one style has it (a background stays whole).
            line += [(" ", style if line[-1][1] == style else ""), (text, style)]
            used += 1 + size
            continue
        if line:
            lines.append(line)
            room = following
        if cut and size > room:
            text = shorten(text, room)
            size = cells(text)
        line = [(text, style)]
        used = size
    if line:
        lines.append(line)
    return lines


def hanging(
    head: Line,
    paragraphs: Iterable[Sequence[Span]],
    width: int,
    indent: int,
    step: int = 2,
    *,
    cut: bool = True,
) -> list[Line]:
    """A hanging item: `head`, then each paragraph from column `indent`, its continuation
    lines `step` cells further in (a head as wide as `indent` takes a line of its own).
    Paragraphs without words are left out, so an item with nothing more to say is one
    line. `cut` as for `wrap`."""
    out: list[Line] = []
    lead = list(head)
    if lead and size_of(lead) >= indent:
        out.append(lead)
        lead = []
    room = max(width - indent, 1)
    for paragraph in paragraphs:
        if not paragraph:
            continue
        for i, line in enumerate(wrap(paragraph, room, max(room - step, 1), cut=cut)):
            at = indent if i == 0 else indent + step
            out.append([*lead, (" " * (at - size_of(lead)), ""), *line])
            lead = []
    if lead:
        out.append(lead)
    return out


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a `grid`."""

    header: str
    right: bool = False
    """Aligned right (counts)."""
    cap: int = 40
    """A longer word is shortened to this many cells."""
    keep_end: bool = False
    """Shorten words at their start (paths)."""
    least: int = 0
    """Cells the column needs even when its words are shorter (a sentence wrapped into a
    narrow column would make every row tall: then the list reads better)."""


def grid(
    columns: Sequence[Column],
    rows: Sequence[Sequence[Sequence[Span]]],
    width: int,
    gap: int = 2,
) -> list[Line] | None:
    """Rows under bold headers and a rule, each column as wide as its longest word (and its
    `least`) at least and its longest cell at most (see `_share`); None when the columns do
    not fit in `width` with every word whole."""
    shortened = [
        [
            [(shorten(text, col.cap, keep_end=col.keep_end), style) for text, style in cell]
            for cell, col in zip(row, columns, strict=True)
        ]
        for row in rows
    ]
    least = [cells(col.header) for col in columns]
    most = list(least)
    for row in shortened:
        for i, cell in enumerate(row):
            sizes = [cells(text) for text, _ in cell]
            if sizes:
                least[i] = max(least[i], max(sizes))
                most[i] = max(most[i], sum(sizes) + len(sizes) - 1)
    least = [max(n, min(col.least, m)) for n, m, col in zip(least, most, columns, strict=True)]
    gaps = gap * (len(columns) - 1)
    if sum(least) + gaps > width:
        return None
    widths = _share(least, most, width - gaps)
    header = [[(col.header, "bold")] for col in columns]
    out = _row(columns, widths, header, gap)
    out.append([(RULE * (sum(widths) + gaps), "")])
    for row in shortened:
        out.extend(_row(columns, widths, row, gap))
    return out


def _share(least: list[int], most: list[int], room: int) -> list[int]:
    """Column widths: the widest cells when they fit, else the least each needs and the rest
    of `room` shared fairly: a column that lacks less than its share gets all it lacks (its
    cells then take one line), the others split what is left."""
    if sum(most) <= room:
        return most
    widths = list(least)
    extra = room - sum(least)
    pending = sorted(
        (i for i in range(len(widths)) if most[i] > least[i]), key=lambda i: (most[i] - least[i], i)
    )
    while pending:
        share, spare = divmod(extra, len(pending))
        first = pending[0]
        lack = most[first] - widths[first]
        if lack <= share:
            widths[first] = most[first]
            extra -= lack
            pending.pop(0)
            continue
        for n, i in enumerate(reversed(pending)):
            widths[i] += share + (1 if n < spare else 0)
        break
    return widths


def _row(
    columns: Sequence[Column], widths: list[int], row: Sequence[Words], gap: int
) -> list[Line]:
    wrapped = [wrap(cell, w) for cell, w in zip(row, widths, strict=True)]
    height = max((len(lines) for lines in wrapped), default=0) or 1
    out: list[Line] = []
    for n in range(height):
        line: Line = []
        for i, (col, lines, w) in enumerate(zip(columns, wrapped, widths, strict=True)):
            part = lines[n] if n < len(lines) else []
            pad = (" " * (w - size_of(part)), "")
            if i:
                line.append((" " * gap, ""))
            line += [pad, *part] if col.right else [*part, pad]
        while line and not line[-1][0].strip():
            line.pop()
        out.append(line)
    return out


def message(text: str, width: int, step: int = 2) -> str:
    """A message (`vcaudit: warning: ...`) as lines of at most `width` cells, broken between
    words, its continuation lines `step` cells in; a word wider than a line (a path, an
    address to copy) stands whole on a line of its own. No newline at the end."""
    lines = hanging([], [words(text)], max(width, MIN_WIDTH), 0, step, cut=False)
    return "\n".join(plain(line).rstrip(" ") for line in lines)


def plain(line: Line) -> str:
    """A line's text, without its styles."""
    return "".join(text for text, _ in line)


def emit(lines: Iterable[Line], buffer: io.StringIO, console: Console, color: bool) -> None:
    """Write lines to `buffer`: as they are without colour (rich's cost is per line, and a
    fleet has many groups), else through `console` with their styles."""
    if not color:
        for line in lines:
            buffer.write(plain(line) + "\n")
        return
    from rich.text import Text

    texts = []
    for line in lines:
        text = Text()
        for piece, style in line:
            text.append(piece, style=style or None)
        texts.append(text)
    if texts:
        console.print(Text("\n").join(texts))
