"""What a reader needs besides the bytes: which rows matter, a host name, and where to count.

Exports from inventory tools list every program on a machine; only conferencing clients
matter. `relevant` (built from the feed's identification rules) decides; rows it rejects are
counted in `dropped`, never silently lost. Rows that look like a client but match no rule
stay, and are reported as unknown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


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
    notes: list[str] = field(default_factory=list)
    """Blind spots of the sources read, worth a warning."""
    progress: Callable[[int], None] | None = None
    """Told the number of rows read so far, now and then (for a progress display)."""

    def note(self, text: str) -> None:
        """Remember a warning once."""
        if text not in self.notes:
            self.notes.append(text)
