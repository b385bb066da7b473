"""What a reader needs besides the bytes: which rows matter, a host name, and where to count.

Exports from inventory tools list every program on a machine; only conferencing clients
matter. `relevant` (built from the feed's identification rules) decides; rows it rejects are
counted in `dropped`, never silently lost. Rows that look like a client but match no rule
stay, and are reported as unknown.

Every input read leaves an `InputRead` in `reads`: how it was understood and what it gave,
so a run can say "fleet.tsv: 3 lines read as dpkg-query output: 0 installations" instead of
passing quietly.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from vcaudit.errors import InputError
from vcaudit.inventory.formats import InputFormat
from vcaudit.inventory.records import RowOptions
from vcaudit.models import Product

FORMAT_LABELS: dict[InputFormat, str] = {
    InputFormat.AUTO: "an inventory",
    InputFormat.CSV: "CSV",
    InputFormat.JSON: "JSON",
    InputFormat.JSONL: "JSON Lines",
    InputFormat.YAML: "YAML",
    InputFormat.OSQUERY: "osqueryi --json output",
    InputFormat.OSQUERY_LOG: "an osqueryd results log",
    InputFormat.FLEET: "a Fleet API response",
    InputFormat.INTUNE: "an Intune discovered-apps export",
    InputFormat.JAMF: "a Jamf Pro computers-inventory export",
    InputFormat.CONFIGMGR: "a ConfigMgr add/remove-programs export",
    InputFormat.DPKG: "dpkg-query output",
    InputFormat.RPM: "rpm -qa output",
    InputFormat.FLATPAK: "flatpak list output",
    InputFormat.SNAP: "snap list output",
}
"""How each format is named when a run says how it read an input."""


@dataclass(frozen=True, slots=True)
class InputRead:
    """How one input was read, and what it gave."""

    name: str
    """The input as shown to the user (`<stdin>` for standard input)."""
    format: InputFormat
    """The format it was read as (sniffed, or forced with --input-format)."""
    lines: int
    """Lines of text read (after decoding), blank ones included."""
    installations: int
    """Installations it yielded (a counted row counts as many as it stands for)."""
    skipped: int
    """Rows skipped as other software (not conferencing clients)."""

    def describe(self) -> str:
        """One line: `fleet.tsv: 3 lines read as dpkg-query output: 0 installations`."""
        lines = f"{self.lines:,} line{'' if self.lines == 1 else 's'}"
        found = f"{self.installations:,} installation{'' if self.installations == 1 else 's'}"
        text = f"{self.name}: {lines} read as {FORMAT_LABELS[self.format]}: {found}"
        if self.skipped:
            other = f"{self.skipped:,} other program{'' if self.skipped == 1 else 's'}"
            text += f" ({other} skipped)"
        return text


def _everything(name: str, publisher: str) -> bool:
    del name, publisher
    return True


@dataclass(slots=True)
class ReadContext:
    """Shared, mutable state of one run's reading."""

    relevant: Callable[[str, str], bool] = _everything
    host: str = ""
    """The host for exports that name none (osqueryi output, dpkg-query); else the file stem."""
    dropped: int = 0
    """Rows read and not audited: other software, and the two kinds below."""
    nameless: int = 0
    """Rows that name neither a product nor a version (Uninstall keys without a DisplayName)."""
    other_platforms: int = 0
    """Rows of platforms vcaudit does not audit (iOS, Android, ChromeOS...)."""
    notes: list[str] = field(default_factory=list)
    """Blind spots of the sources read, worth a warning."""
    progress: Callable[[int], None] | None = None
    """Told the number of rows read so far, now and then (for a progress display)."""
    allow_partial: bool = False
    """Whether an export that says it is incomplete (paged) is read with a warning rather
    than refused."""
    reads: list[InputRead] = field(default_factory=list)
    """How each input was read, in order (filled once an input has been read to its end)."""
    not_clients: Counter[str] = field(default_factory=Counter)
    """Add-ins and helpers of products that `relevant` turned away (counted in `dropped`
    with the other software), by name and what they are."""
    rows: RowOptions = field(default_factory=RowOptions)
    """How native rows are read: mapped columns, the platform of rows that give none."""
    encoding: str = ""
    """The text encoding of inputs that are neither UTF-8 nor UTF-16 (`--encoding`); "" for
    UTF-8. A byte-order mark still decides."""
    reread: bool = True
    """Whether counted files may be read again (a report that lists every row): only then
    is what a file holds signed (its bytes' digest) to tell that it did not change."""

    def pass_over(self, count: int) -> None:
        """Count rows that name neither a product nor a version: not audited, said in how the
        input was read and in a warning."""
        self.dropped += count
        self.nameless += count

    def not_audited(self) -> None:
        """Count a row of a platform vcaudit does not audit (iOS, Android, ChromeOS...)."""
        self.dropped += 1
        self.other_platforms += 1

    def note(self, text: str) -> None:
        """Remember a warning once."""
        if text not in self.notes:
            self.notes.append(text)

    def incomplete(self, name: str, problem: str) -> None:
        """An export that says it holds only part of the data (`problem` says what is
        missing): an error, or with `allow_partial` a warning in every report."""
        if not self.allow_partial:
            raise InputError(
                name,
                f"{problem}: a paged export read in part; export every page, "
                "or pass --allow-partial",
            )
        self.note(f"{name}: {problem}: a paged export read in part (--allow-partial)")

    def refuse_empty(self) -> None:
        """An inventory named on the command line that yields nothing is an error, saying
        what was read and how it was understood: never a quiet PASS."""
        for read in self.reads:
            if read.installations == 0:
                raise InputError(
                    read.name,
                    read.describe().removeprefix(f"{read.name}: ") + "; nothing to audit",
                    hint="check the file's format (--input-format forces one) and its header; "
                    "--allow-empty accepts an inventory without conferencing clients",
                )

    def report_notes(self) -> list[str]:
        """What the reading is worth a warning for: its notes, the other software skipped,
        and the add-ins and helpers among it."""
        notes = list(self.notes)
        other = self.dropped - self.nameless - self.other_platforms
        for count, said in (
            (other, "of the exports {was} other software, not conferencing clients, and {was}"),
            (
                self.nameless,
                "named neither a product nor a version (an Uninstall key without a DisplayName, "
                "say) and {was}",
            ),
            (
                self.other_platforms,
                "of the exports {was} on platforms vcaudit does not audit (iOS, Android, "
                "ChromeOS...) and {was}",
            ),
        ):
            if count:
                was = "was" if count == 1 else "were"
                row = "row" if count == 1 else "rows"
                notes.append(f"{count:,} {row} {said.format(was=was)} skipped")
        helpers = sorted(self.not_clients)
        if helpers:
            more = f"; and {len(helpers) - 5} more" if len(helpers) > 5 else ""
            notes.append(
                "add-ins and helpers of conferencing products among them, not audited: "
                + "; ".join(helpers[:5])
                + more
            )
        return notes


def reading_context(
    products: Iterable[Product], host: str = "", *, allow_partial: bool = False
) -> ReadContext:
    """What readers need for one feed: which exported rows are clients (add-ins and helpers
    are counted apart), the host of exports that name none, and the platform a product
    name implies for native rows without one."""
    from vcaudit.inventory.identify import Identifier

    identifier = Identifier(products)
    context = ReadContext(relevant=identifier.relevant, host=host, allow_partial=allow_partial)
    context.rows = replace(
        context.rows,
        platform_of=identifier.platform_of,
        warn=context.note,
        skipped=context.pass_over,
    )
    context.not_clients = identifier.not_clients_seen
    return context
