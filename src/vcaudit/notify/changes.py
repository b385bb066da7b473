"""Change detection for cron summaries: what is new, resolved or riskier since the last run.

The state file keeps one entry per open finding (an installation with a risk above none),
keyed by host, product and platform, with its risk, status and advisory ids. It is written
atomically after every run, so a crash never leaves half a state behind.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vcaudit.errors import InputError
from vcaudit.files import atomic_write
from vcaudit.models import Finding, Risk

STATE_VERSION = 1


@dataclass(frozen=True, slots=True)
class Entry:
    """One open finding as remembered between runs."""

    key: str
    host: str
    product: str
    platform: str
    version: str
    risk: Risk
    status: str
    advisories: tuple[str, ...]
    owner: str = ""

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        return {
            "host": self.host,
            "product": self.product,
            "platform": self.platform,
            "version": self.version,
            "risk": self.risk.label,
            "status": self.status,
            "advisories": list(self.advisories),
            "owner": self.owner,
        }


@dataclass(frozen=True, slots=True)
class Changes:
    """Differences between the last run and this one."""

    new: tuple[Entry, ...]
    resolved: tuple[Entry, ...]
    rose: tuple[Entry, ...]
    still_open: tuple[Entry, ...]
    previous_run: str
    """When the last run was (empty on the first run)."""

    @property
    def any(self) -> bool:
        """Whether anything worth a message changed."""
        return bool(self.new or self.resolved or self.rose)


def _key(host: str, product: str, platform: str) -> str:
    return "\x1f".join((host, product, platform))


def open_entries(findings: Iterable[Finding]) -> dict[str, Entry]:
    """The open findings of a run, by key (the worst per host, product and platform)."""
    entries: dict[str, Entry] = {}
    for finding in findings:
        a = finding.assessment
        if a.risk <= Risk.NONE:
            continue
        inst = finding.installation
        product = a.product.id if a.product else inst.product
        key = _key(inst.host, product, inst.platform.value)
        entry = Entry(
            key=key,
            host=inst.host,
            product=product,
            platform=inst.platform.value,
            version=inst.version,
            risk=a.risk,
            status=a.status.value,
            advisories=tuple(sorted({h.advisory.id for h in a.hits})),
            owner=finding.owner,
        )
        known = entries.get(key)
        if known is None or entry.risk > known.risk:
            entries[key] = entry
    return entries


def read_state(path: Path) -> tuple[dict[str, Entry], str]:
    """The entries and time of the last run; empty when there was none."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}, ""
    except OSError as exc:
        raise InputError(str(path), f"cannot read the state file: {exc.strerror}") from None
    try:
        doc = json.loads(text)
        if doc.get("version") != STATE_VERSION:
            raise ValueError("unknown state version")
        entries = {}
        for item in doc["findings"]:
            entry = Entry(
                key=_key(item["host"], item["product"], item["platform"]),
                host=str(item["host"]),
                product=str(item["product"]),
                platform=str(item["platform"]),
                version=str(item["version"]),
                risk=Risk.from_label(item["risk"]),
                status=str(item["status"]),
                advisories=tuple(str(a) for a in item["advisories"]),
                owner=str(item.get("owner", "")),
            )
            entries[entry.key] = entry
        return entries, str(doc.get("run_at", ""))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(
            str(path),
            f"not a vcaudit state file ({exc})",
            hint="delete it to start afresh; the next run will report everything as new",
        ) from None


def write_state(path: Path, entries: dict[str, Entry], run_at: dt.datetime) -> None:
    """Remember this run's open findings."""
    doc = {
        "version": STATE_VERSION,
        "run_at": run_at.isoformat(),
        "findings": [entries[k].to_json() for k in sorted(entries)],
    }
    atomic_write(path, json.dumps(doc, indent=1) + "\n")


def compare(previous: dict[str, Entry], current: dict[str, Entry], previous_run: str) -> Changes:
    """New, resolved, risen and still-open findings."""
    new = [current[k] for k in sorted(current) if k not in previous]
    resolved = [previous[k] for k in sorted(previous) if k not in current]
    rose = [c for k, c in sorted(current.items()) if k in previous and c.risk > previous[k].risk]
    still = [current[k] for k in sorted(current) if k in previous]
    order = lambda e: (-e.risk, e.product, e.host)  # noqa: E731 - a sort key
    return Changes(
        new=tuple(sorted(new, key=order)),
        resolved=tuple(sorted(resolved, key=order)),
        rose=tuple(sorted(rose, key=order)),
        still_open=tuple(sorted(still, key=order)),
        previous_run=previous_run,
    )
