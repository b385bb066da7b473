"""The only place that builds rich Consoles, and where colour and width are decided.

Markup, emoji and highlighting are off: data is never parsed as markup, styles are applied
with `Text(..., style=...)`. Colour follows `--color`, NO_COLOR, FORCE_COLOR, TERM=dumb and
whether the stream is a terminal; the width follows COLUMNS, then the terminal, else 100
columns; both are decided once by the CLI. Live lines (progress) are drawn only where they
can be wiped away.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from rich.console import Console


class ColorMode(StrEnum):
    """`--color` choices."""

    AUTO = "auto"
    ALWAYS = "always"
    NEVER = "never"


def use_color(mode: ColorMode, stream: TextIO, environ: Mapping[str, str]) -> bool:
    """Whether to colour output written to `stream`: `--color` first, then NO_COLOR (set
    and not empty: no colour, https://no-color.org), then FORCE_COLOR (set and not empty:
    colour even when not a terminal), then TERM=dumb (a terminal that shows escape
    sequences as text: no colour), then whether the stream is a terminal."""
    if mode is ColorMode.ALWAYS:
        return True
    if mode is ColorMode.NEVER or environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR"):
        return True
    if environ.get("TERM") == "dumb":
        return False
    return _is_terminal(stream)


DEFAULT_WIDTH = 100
"""Columns for output that goes to no terminal, unless COLUMNS says otherwise."""


def terminal_width(stream: TextIO, environ: Mapping[str, str], default: int = DEFAULT_WIDTH) -> int:
    """Columns to lay text out in for `stream`: COLUMNS when it is a positive number (also
    when the output is piped or redirected: `COLUMNS=80 vcaudit scan fleet.csv | less`),
    else the terminal's width, else `default`."""
    columns = environ.get("COLUMNS", "").strip()
    if columns.isascii() and columns.isdecimal() and len(columns) <= 5 and int(columns) > 0:
        return int(columns)
    if _is_terminal(stream):
        try:
            width = os.get_terminal_size(stream.fileno()).columns
        except (AttributeError, OSError, ValueError):  # no descriptor (a test's buffer)
            width = 0
        if width > 0:
            return width
    return default


def can_redraw(stream: TextIO, environ: Mapping[str, str]) -> bool:
    """Whether a live line (a spinner, a row counter) can be drawn on `stream` and wiped
    away again: a terminal, and not one that says TERM=dumb (it cannot move the cursor, so
    what was drawn would stay, as an empty line before the report)."""
    return environ.get("TERM") != "dumb" and _is_terminal(stream)


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def make_console(file: TextIO, *, color: bool, width: int | None = None) -> Console:
    """A console for data: no markup, no emoji, no highlighting."""
    from rich.console import Console  # imported here: `vcaudit --help` needs no rich

    return Console(
        file=file,
        markup=False,
        emoji=False,
        highlight=False,
        force_terminal=color,
        no_color=not color,
        color_system="standard" if color else None,
        width=width,
        soft_wrap=False,
        legacy_windows=False,
    )
