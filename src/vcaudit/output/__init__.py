"""Report formatters: each takes the immutable AuditReport and returns (or writes) text.

Formatters read no clock, environment or globals, so the same report always renders to the
same bytes. `FORMATTERS` registers every `OutputFormat`: the module that formats it and its
capabilities (whether it lists every installation, and so needs the report's rows kept or
read again); a test checks that none is missing. Adding a format touches its module and the
registry. Modules are imported only when first used (rich only for the table), so reading
the registry costs nothing at start-up.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Protocol, TextIO

from vcaudit.models import AuditReport, Risk, RunTally


class OutputFormat(StrEnum):
    """Formats `--format` offers."""

    TABLE = "table"
    JSON = "json"
    JSONL = "jsonl"
    SARIF = "sarif"
    JUNIT = "junit"
    CSV = "csv"
    MARKDOWN = "markdown"
    HTML = "html"
    GITLAB = "gitlab"

    @property
    def capabilities(self) -> Capabilities:
        """What this format needs of a report (see `FORMATTERS`)."""
        return FORMATTERS[self].capabilities


@dataclass(frozen=True, slots=True)
class Tracked:
    """An open finding as change tracking (`scan --state`) remembers it: the worst per host,
    product and platform."""

    host: str
    product: str
    """The feed's product id (the inventory's name when unidentified)."""
    platform: str
    version: str
    risk: Risk
    status: str


@dataclass(frozen=True, slots=True)
class SinceLastRun:
    """What changed since the run the state file remembers (`scan --state`)."""

    previous_run: str
    """When that run was (ISO 8601); "" when the state held no run yet."""
    new: tuple[Tracked, ...]
    resolved: tuple[Tracked, ...]
    rose: tuple[Tracked, ...]
    """Open before and now, at a higher risk."""
    before: tuple[tuple[Risk, int], ...]
    """Open findings by risk at the last run."""
    after: tuple[tuple[Risk, int], ...]
    """Open findings by risk now."""
    history: tuple[RunTally, ...] = ()
    """The runs the state file's history remembers, oldest first, then this one (whose
    `run_at` is empty: it is now); the HTML report draws them as findings over time."""


@dataclass(frozen=True, slots=True)
class RenderOptions:
    """How a formatter should lay out its output (ignored by formats it does not concern)."""

    color: bool = False
    width: int = 100
    details: bool = False
    root: str = ""
    """The repository root that SARIF and GitLab locations are relative to (resolved by the
    settings: --sarif-root, else $GITHUB_WORKSPACE, else the working folder); "" for the
    working folder."""
    sarif_category: str = ""
    """`--sarif-category`: SARIF's automationDetails.id is this and a `/` ("": none, so the
    upload action's own `category` input applies)."""
    excel: bool = False
    """`--excel`: CSV starts with a UTF-8 byte order mark, so spreadsheets read it as UTF-8."""
    csv_delimiter: str = ","
    """`--csv-delimiter`: what separates CSV cells (`;` for spreadsheets set up for a
    language whose list separator it is: German, French, Dutch, Italian, Spanish...)."""
    since: SinceLastRun | None = None
    """What changed since the last run, with `--state` (the HTML report shows it)."""


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a format needs of a report, known without importing it."""

    lists_rows: bool
    """Lists every installation: the report must keep its rows, or read its files again
    (otherwise the summary and the groups are enough, whatever the fleet's size)."""
    rows_with_details: bool = False
    """Lists installations only with `--details` (the table)."""
    binary: bool = False
    """Writes bytes rather than UTF-8 text (no format does yet)."""

    def needs_rows(self, options: RenderOptions) -> bool:
        """Whether rendering with `options` reads the report's installations one by one."""
        return self.lists_rows or (self.rows_with_details and options.details)


Render = Callable[[AuditReport, RenderOptions], str]
Write = Callable[[AuditReport, RenderOptions, TextIO], None]


class Formatter(Protocol):
    """One output format: renders a report whole, or writes it to a stream as it goes (JSON
    and CSV stream their rows, so a million installations never sit in memory)."""

    @property
    def capabilities(self) -> Capabilities: ...

    def render(self, report: AuditReport, options: RenderOptions) -> str: ...

    def write(self, report: AuditReport, options: RenderOptions, stream: TextIO) -> None: ...


@dataclass(frozen=True, slots=True)
class _ModuleFormatter:
    """A format module's `render` (and `write`, where it streams) behind `Formatter`."""

    fmt: OutputFormat
    capabilities: Capabilities
    _render: Render
    _write: Write | None

    def _check(self, report: AuditReport, options: RenderOptions) -> None:
        # Before a byte is written: a report of counts only would list no installation.
        if self.capabilities.needs_rows(options) and not report.rows:
            raise ValueError(
                f"the {self.fmt.value} report lists every installation, but this report kept "
                "only its counts (FORMATTERS capabilities decide which rows a run keeps)"
            )

    def render(self, report: AuditReport, options: RenderOptions) -> str:
        self._check(report, options)
        return self._render(report, options)

    def write(self, report: AuditReport, options: RenderOptions, stream: TextIO) -> None:
        self._check(report, options)
        if self._write is not None:
            self._write(report, options, stream)
        else:
            stream.write(self._render(report, options))


@dataclass(frozen=True, slots=True)
class Registered:
    """A format in the registry: its module (imported when first used) and capabilities."""

    module: str
    capabilities: Capabilities

    def load(self, fmt: OutputFormat) -> Formatter:
        """The formatter, its module imported now."""
        module = importlib.import_module(f"vcaudit.output.{self.module}")
        return _ModuleFormatter(
            fmt, self.capabilities, module.render, getattr(module, "write", None)
        )


FORMATTERS: Mapping[OutputFormat, Registered] = MappingProxyType(
    {
        OutputFormat.TABLE: Registered("table", Capabilities(False, rows_with_details=True)),
        OutputFormat.JSON: Registered("json", Capabilities(lists_rows=True)),
        OutputFormat.JSONL: Registered("jsonl", Capabilities(lists_rows=True)),
        OutputFormat.SARIF: Registered("sarif", Capabilities(lists_rows=False)),
        OutputFormat.JUNIT: Registered("junit", Capabilities(lists_rows=True)),
        OutputFormat.CSV: Registered("csv", Capabilities(lists_rows=True)),
        OutputFormat.MARKDOWN: Registered("markdown", Capabilities(lists_rows=False)),
        OutputFormat.HTML: Registered("html", Capabilities(lists_rows=True)),
        OutputFormat.GITLAB: Registered("gitlab", Capabilities(lists_rows=False)),
    }
)


def formatter(fmt: OutputFormat) -> Formatter:
    """The formatter of `fmt`, imported when first needed."""
    return FORMATTERS[fmt].load(fmt)


def formatter_for(fmt: OutputFormat) -> Render:
    """The function that renders `fmt` whole."""
    return formatter(fmt).render


def writer_for(fmt: OutputFormat) -> Write:
    """The function that writes `fmt` to a stream as it goes (JSON and CSV stream their rows;
    other formats write their rendered text)."""
    return formatter(fmt).write


def write_attachment(report: AuditReport, kind: str, stream: TextIO) -> None:
    """A report attached to a mail (`--email-attach json`), laid out as for a file: what
    `notify.deliver` takes as its `write`."""
    writer_for(OutputFormat(kind))(report, RenderOptions(), stream)
