"""The only place that builds rich Consoles.

Markup, emoji and highlighting are off: data is never parsed as markup, styles are applied
with `Text(..., style=...)`. Colour follows `--color`, NO_COLOR and whether the stream is a
terminal, decided once by the CLI.
"""

from __future__ import annotations

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
    colour even when not a terminal), then whether the stream is a terminal."""
    if mode is ColorMode.ALWAYS:
        return True
    if mode is ColorMode.NEVER or environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR"):
        return True
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
