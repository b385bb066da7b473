"""Report formatters: each takes the immutable AuditReport and returns text.

Formatters read no clock, environment or globals, so the same report always renders to the
same bytes. `FORMATTERS` maps every `OutputFormat` to its formatter; a test checks that none
is missing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from vcaudit.models import AuditReport


class OutputFormat(StrEnum):
    """Formats `--format` offers."""

    TABLE = "table"
    JSON = "json"


@dataclass(frozen=True, slots=True)
class RenderOptions:
    """How a formatter should lay out its output (ignored by formats it does not concern)."""

    color: bool = False
    width: int = 100
    details: bool = False


Formatter = Callable[[AuditReport, RenderOptions], str]


def formatter_for(fmt: OutputFormat) -> Formatter:
    """The formatter of `fmt` (imported lazily: rich is only loaded for the table)."""
    if fmt is OutputFormat.JSON:
        from vcaudit.output import json as json_output

        return json_output.render
    if fmt is OutputFormat.TABLE:
        from vcaudit.output import table

        return table.render
    raise AssertionError(f"no formatter for {fmt}")  # pragma: no cover - tested exhaustively
