"""Report formatters: each takes the immutable AuditReport and returns text.

Formatters read no clock, environment or globals, so the same report always renders to the
same bytes. `FORMATTERS` maps every `OutputFormat` to its formatter; a test checks that none
is missing.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TextIO

from vcaudit.models import AuditReport


class OutputFormat(StrEnum):
    """Formats `--format` offers."""

    TABLE = "table"
    JSON = "json"
    SARIF = "sarif"
    JUNIT = "junit"
    CSV = "csv"
    MARKDOWN = "markdown"
    HTML = "html"


@dataclass(frozen=True, slots=True)
class RenderOptions:
    """How a formatter should lay out its output (ignored by formats it does not concern)."""

    color: bool = False
    width: int = 100
    details: bool = False


Formatter = Callable[[AuditReport, RenderOptions], str]
Writer = Callable[[AuditReport, RenderOptions, TextIO], None]


_MODULES = {
    OutputFormat.TABLE: "table",
    OutputFormat.JSON: "json",
    OutputFormat.SARIF: "sarif",
    OutputFormat.JUNIT: "junit",
    OutputFormat.CSV: "csv",
    OutputFormat.MARKDOWN: "markdown",
    OutputFormat.HTML: "html",
}


def formatter_for(fmt: OutputFormat) -> Formatter:
    """The formatter of `fmt`, imported when first needed (rich only for the table)."""
    module = importlib.import_module(f"vcaudit.output.{_MODULES[fmt]}")
    render: Formatter = module.render
    return render


def writer_for(fmt: OutputFormat) -> Writer:
    """A formatter that writes to a stream as it goes (JSON and CSV stream their rows, so a
    million installations never sit in memory); other formats write their rendered text."""
    module = importlib.import_module(f"vcaudit.output.{_MODULES[fmt]}")
    streaming: Writer | None = getattr(module, "write", None)
    if streaming is not None:
        return streaming
    render: Formatter = module.render

    def write(report: AuditReport, options: RenderOptions, stream: TextIO) -> None:
        stream.write(render(report, options))

    return write
