"""The overall deadline of a network exchange now lives in `vcaudit.deadline` (the feed's
downloads use it too); these names stay importable from here."""

from __future__ import annotations

from vcaudit.deadline import MAX_SECONDS, Watchdog, check_seconds

__all__ = ["MAX_SECONDS", "Watchdog", "check_seconds"]
