"""Every input format vcaudit reads: `SOURCES`, one `Source` per `InputFormat` but AUTO.

Adding a format touches its module (its reader and sniffer) and this registry; the tests in
tests/test_registries.py fail until both are there.

How `--input-format auto` decides (`sniff`, then `detect`):
1. Sniffers, in the order of `SOURCES`: the first whose content test says yes decides. A
   tool's export is told by what only that tool writes (osquery's results log before JSON
   Lines, which it is too; Fleet's, Jamf's and Intune's keys before osquery's columns, which
   their rows may carry; a package tool's header before vcaudit's own YAML and CSV).
2. Shapes, in the same order, when no sniffer said yes: a tab-separated first line is piped
   package-tool output (flatpak with an application ID, rpm with an epoch, else dpkg).
3. Otherwise vcaudit's own CSV (`DEFAULT`).
4. The file's extension then decides where the format's `yields_to` names it: the content
   of vcaudit's own formats (CSV, JSON, JSON Lines, YAML) is generic, so a known extension
   wins over it; a package list in a `.tsv` or `.tab` file is a spreadsheet saved as
   tab-separated text. A tool's export is read as one whatever its name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping

from vcaudit.inventory import fleet, jamf, linux_cli, native, osquery, tabular
from vcaudit.inventory.aggregate import aggregate_csv
from vcaudit.inventory.context import ReadContext
from vcaudit.inventory.formats import InputFormat
from vcaudit.inventory.interface import Head, Reader, Source
from vcaudit.inventory.records import RowOptions
from vcaudit.models import Installation

DEFAULT = InputFormat.CSV
"""The format of an input no sniffer or shape recognises."""

# Column titles of spreadsheet inventories, compared without case, spaces, `_` or `-`: every
# alias a native CSV header is read by (`native.known_header`), and these titles it does not
# read but sheets carry. A tab- or semicolon-separated first line naming two of them is a
# header, and the file a native CSV (dpkg-query and rpm print no header).
_HEADER_WORDS = frozenset(("osversion", "email", "bundleid", "bundleidentifier"))
_YAML_STARTS = ("---", "hosts:", "installations:", "- ", "#")


def _csv_header(head: Head) -> bool:
    """A tab- or semicolon-separated first line that is a spreadsheet's header row (a
    comma-separated one needs no sniffing: CSV is the default)."""
    if head.json:
        return False
    for delimiter in ("\t", ";"):
        cells = head.first_line.split(delimiter)
        if len(cells) < 2:
            continue
        known = sum(
            1
            for cell in cells
            if re.sub(r"[\s_\-\"']", "", cell).casefold() in _HEADER_WORDS
            or native.known_header(cell.strip().strip("\"'"))
        )
        if known >= 2:
            return True
    return False


def _jsonl(head: Head) -> bool:
    return head.json and head.object_per_line


def _json(head: Head) -> bool:
    return head.json


def _yaml(head: Head) -> bool:
    return not head.json and head.first_line.startswith(_YAML_STARTS)


def _native(
    read: Callable[[Iterable[bytes], str, RowOptions], Iterator[Installation]],
) -> Reader:
    """Native inventories list only conferencing clients: every row is kept, read with the
    run's row options (mapped columns, the platform of rows that give none)."""

    def reader(lines: Iterable[bytes], name: str, ctx: ReadContext) -> Iterator[Installation]:
        return read(lines, name, ctx.rows)

    return reader


# Extensions of vcaudit's own formats: their content is generic, so these decide over it.
_OWN = (".csv", ".tsv", ".tab", ".json", ".jsonl", ".ndjson", ".yaml", ".yml")
_SPREADSHEET = (".tsv", ".tab")

_ALL = (
    Source(InputFormat.OSQUERY_LOG, osquery.read_results_log, osquery.sniff_results_log),
    Source(InputFormat.JSONL, _native(native.read_jsonl), _jsonl, yields_to=_OWN,
           extensions=(".jsonl", ".ndjson")),
    Source(InputFormat.FLEET, fleet.read_fleet, fleet.sniff),
    Source(InputFormat.JAMF, jamf.read_jamf, jamf.sniff),
    Source(InputFormat.SNAP, linux_cli.read_snap, linux_cli.sniff_snap),
    Source(InputFormat.FLATPAK, linux_cli.read_flatpak, linux_cli.sniff_flatpak,
           shape=linux_cli.flatpak_shaped, yields_to=_SPREADSHEET),
    Source(InputFormat.CONFIGMGR, tabular.read_configmgr, tabular.sniff_configmgr),
    Source(InputFormat.INTUNE, tabular.read_intune, tabular.sniff_intune),
    Source(InputFormat.OSQUERY, osquery.read_osqueryi, osquery.sniff_osqueryi),
    Source(InputFormat.JSON, _native(native.read_json), _json, yields_to=_OWN,
           extensions=(".json",)),
    Source(InputFormat.YAML, _native(native.read_yaml), _yaml, yields_to=_OWN,
           extensions=(".yaml", ".yml")),
    Source(InputFormat.DPKG, linux_cli.read_dpkg, linux_cli.sniff_dpkg,
           shape=linux_cli.dpkg_shaped, yields_to=_SPREADSHEET),
    Source(InputFormat.RPM, linux_cli.read_rpm, linux_cli.sniff_rpm,
           shape=linux_cli.rpm_shaped, yields_to=_SPREADSHEET),
    Source(InputFormat.CSV, _native(native.read_csv), _csv_header, yields_to=_OWN,
           extensions=(".csv", ".tsv", ".tab"), counter=aggregate_csv),
)  # fmt: skip

SOURCES: Mapping[InputFormat, Source] = {source.format: source for source in _ALL}
"""Every input format's source, in the order `sniff` tries them (its order of precedence)."""

EXTENSIONS: Mapping[str, InputFormat] = {
    extension: source.format for source in _ALL for extension in source.extensions
}
"""The format each known file extension names."""


def sniff(head: Head) -> InputFormat:
    """The format an input's first bytes show: the first sniffer that says yes, else the
    first shape, else `DEFAULT`."""
    for source in _ALL:
        if source.sniffer is not None and source.sniffer(head):
            return source.format
    for source in _ALL:
        if source.shape is not None and source.shape(head):
            return source.format
    return DEFAULT


def decide(sniffed: InputFormat, extension: str | None) -> InputFormat:
    """The format of an input whose content was sniffed as `sniffed`, given its file's
    extension (lower case, with the dot; None for standard input)."""
    named = EXTENSIONS.get(extension or "")
    if named is not None and extension in SOURCES[sniffed].yields_to:
        return named
    return sniffed
