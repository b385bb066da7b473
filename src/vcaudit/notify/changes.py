"""Change detection for cron summaries: what is new, resolved or riskier since the last run.

The state file keeps one entry per open finding (an installation with a risk above none),
keyed by host, product and platform, with its risk, status and advisory ids. Nothing is lost
between runs:

- a run holds a lock (`FILE.lock`, beside the state) from reading the state to saving it, so
  two runs never compare against the same old state (a second run waits, then gives up with
  one line and sends nothing);
- the new state is written to a temporary file beside the target *before* anything is sent
  (so a folder that cannot take it stops the run before any mail), and renamed into place
  only when every delivery succeeded; otherwise the previous state stays as it was and the
  next run reports the same changes again, never everything as new;
- a state file that is not vcaudit's (not UTF-8, not JSON, nested too deeply, a lone
  surrogate, a FIFO or a device) is one line and exit 3, never a traceback.

Beside the open findings, the state keeps a history: one `RunTally` per run that saved it (its
open findings by risk and by status, installations, hosts, new and resolved), the last
`MAX_HISTORY` runs, for the HTML report's findings over time. A state kept before the history
was has none: its one run starts it. A history read back is checked like the rest (a date, a
known risk or status, a count within bounds), so a damaged one is one line and exit 3 too.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import stat
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from vcaudit.advice import hits_worst_first
from vcaudit.errors import DeliveryError, InputError
from vcaudit.models import AuditReport, Finding, Risk, RunTally, Status

STATE_VERSION = 1
"""The history is an optional key of version 1: an older vcaudit reads such a state (and
drops the history), this one reads an older state (and starts the history with its run)."""
MAX_HISTORY = 90
"""Runs the state's history keeps, the oldest dropped first."""
MAX_COUNT = 10**12
"""The largest count a run of the history may hold (more than any fleet has)."""
MAX_RUN_AT = 40
"""Characters of a run's time in the history (ISO 8601 takes 32 at most)."""


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
            # Worst first, as every report lists them (a change's line names the first few).
            advisories=tuple(dict.fromkeys(h.advisory.id for h in hits_worst_first(a))),
            owner=finding.owner,
        )
        known = entries.get(key)
        if known is None or entry.risk > known.risk:
            entries[key] = entry
    return entries


MAX_STATE_BYTES = 512 * 1024 * 1024
"""A state of a million open findings takes about 250 MiB; more is not a state file."""
_HINT = "delete it to start afresh; the next run will report everything as new"


def lock_path(path: Path) -> Path:
    """The lock file beside the state (kept, never deleted: deleting a lock races)."""
    return path.with_name(path.name + ".lock")


def check_state_path(path: Path) -> None:
    """Refuse a state whose folder is missing or not writable, or that is not a file, before
    anything is audited or sent."""
    folder = path.parent
    try:
        if not folder.is_dir():
            what = "is not a folder" if folder.exists() else "does not exist"
            raise InputError(str(path), f"cannot keep the state here: the folder {folder} {what}")
        if path.exists() and not path.is_file():
            raise InputError(str(path), "cannot keep the state here: not a regular file")
    except OSError as exc:  # a name too long, a loop of links: no file can be kept there
        raise InputError(str(path), f"cannot keep the state here: {exc.strerror}") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(str(path), f"cannot keep the state here: the folder {folder} is read-only")


@contextlib.contextmanager
def locked(path: Path, wait: float) -> Iterator[None]:
    """Hold the state's lock for the block; wait up to `wait` seconds for another run."""
    lock = lock_path(path)
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(lock, flags, 0o600)
    except OSError as exc:
        raise InputError(
            str(path), f"cannot keep the state here: cannot create {lock.name}: {exc.strerror}"
        ) from None
    try:
        give_up = time.monotonic() + wait
        while not _try_lock(fd):
            if time.monotonic() >= give_up:
                raise DeliveryError(
                    f"{path}: another vcaudit run is using this state file (it holds "
                    f"{lock.name}); waited {wait:g} s, sent nothing; the next run will report "
                    "these changes"
                )
            time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _read_bytes(path: Path) -> bytes | None:
    """The state file's bytes (None when there is none), bounded by what is read."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise InputError(str(path), f"cannot read the state file: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise InputError(str(path), "not a regular file", hint=_HINT)
        try:
            data = handle.read(MAX_STATE_BYTES + 1)
        except OSError as exc:
            raise InputError(str(path), f"cannot read the state file: {exc.strerror}") from None
    if len(data) > MAX_STATE_BYTES:
        raise InputError(str(path), "larger than a vcaudit state file can be", hint=_HINT)
    return data


def _text(value: Any, key: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{key}: expected text")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{key}: holds a lone surrogate") from None
    return value


@dataclass(frozen=True, slots=True)
class State:
    """What the state file remembers of the last run."""

    entries: dict[str, Entry]
    run_at: str
    """When the last run was (ISO 8601); "" when there was none."""
    history: tuple[RunTally, ...]
    """The runs before, oldest first, the last run included (empty when there was none)."""


def read_state(path: Path) -> tuple[dict[str, Entry], str]:
    """The entries and time of the last run; empty when there was none."""
    state = load_state(path)
    return state.entries, state.run_at


def load_state(path: Path) -> State:
    """The last run's entries and time, and the history; empty when there was none."""
    data = _read_bytes(path)
    if data is None:
        return State({}, "", ())
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            str(path), f"not a vcaudit state file (not UTF-8 at byte {exc.start})", hint=_HINT
        ) from None
    try:
        doc = json.loads(text)
        if not isinstance(doc, dict) or doc.get("version") != STATE_VERSION:
            raise ValueError("unknown state version")
        entries = {}
        for item in doc["findings"]:
            if not isinstance(item, dict):
                raise ValueError("findings: expected objects")
            host, product, platform = (_text(item[k], k) for k in ("host", "product", "platform"))
            entry = Entry(
                key=_key(host, product, platform),
                host=host,
                product=product,
                platform=platform,
                version=_text(item["version"], "version"),
                risk=Risk.from_label(_text(item["risk"], "risk")),
                status=_text(item["status"], "status"),
                advisories=tuple(_text(a, "advisories") for a in item["advisories"]),
                owner=_text(item.get("owner", ""), "owner"),
            )
            entries[entry.key] = entry
        run_at = _text(doc.get("run_at", ""), "run_at")
        return State(entries, run_at, _history(doc, entries, run_at))
    except RecursionError:
        raise InputError(
            str(path), "not a vcaudit state file (nested too deeply)", hint=_HINT
        ) from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(str(path), f"not a vcaudit state file ({exc})", hint=_HINT) from None


_RISKS = {r.label: r for r in sorted(Risk, reverse=True) if r > Risk.NONE}
"""The risks an open finding can have, as the history names them, critical first."""
_STATUSES = {s.value: s for s in Status}
_COUNTS = ("installations", "hosts", "new", "resolved")
"""A run's counts besides its open findings: null when not recorded."""
_T = TypeVar("_T", Risk, Status)


def _history(doc: dict[str, Any], entries: dict[str, Entry], run_at: str) -> tuple[RunTally, ...]:
    """The history the state holds (its last `MAX_HISTORY` runs), each run checked."""
    if "history" not in doc:
        # Kept before the history was: its one run starts it (what it did not record, such
        # as installations, stays unknown), when it says when it ran.
        if not _is_time(run_at):
            return ()
        return (tally(entries, run_at),)
    items = doc["history"]
    if not isinstance(items, list):
        raise ValueError("history: expected a list of runs")
    first = max(0, len(items) - MAX_HISTORY)
    return tuple(_run(items[i], f"history[{i}]") for i in range(first, len(items)))


def _run(item: Any, where: str) -> RunTally:
    if not isinstance(item, dict):
        raise ValueError(f"{where}: expected an object")
    unknown = set(item) - {"run_at", "open", "status", *_COUNTS}
    if unknown:
        raise ValueError(f"{where}: unknown key {_shown(min(unknown))}")
    if "run_at" not in item or "open" not in item:
        raise ValueError(f"{where}: expected run_at and open")
    run_at = _when(item["run_at"], f"{where}.run_at")
    open_ = _tallied(item["open"], f"{where}.open", _RISKS)
    by_status = _tallied(item.get("status", {}), f"{where}.status", _STATUSES)
    counts = {k: _count(item.get(k), f"{where}.{k}") for k in _COUNTS}
    return RunTally(
        run_at=run_at,
        by_risk=tuple((r, open_.get(r, 0)) for r in _RISKS.values()),
        by_status=tuple((s, by_status[s]) for s in Status if by_status.get(s)),
        **counts,
    )


def _shown(value: str) -> str:
    """A name from the file, quoted and cut short, for an error message."""
    return repr(value if len(value) <= 40 else value[:39] + "…")


def _is_time(value: Any) -> bool:
    """Whether `value` is ISO 8601 text of a date (and time), as a run's time is kept."""
    if not isinstance(value, str) or len(value) > MAX_RUN_AT:
        return False
    try:
        dt.datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _when(value: Any, where: str) -> str:
    if not _is_time(value):
        raise ValueError(f"{where}: expected a date and time (ISO 8601)")
    return _text(value, where)


def _count(value: Any, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        raise ValueError(f"{where}: expected a count from 0 to {MAX_COUNT}")
    return value


def _tallied(value: Any, where: str, names: dict[str, _T]) -> dict[_T, int]:
    """Counts by name (a risk or a status), each name known and each count bounded."""
    if not isinstance(value, dict):
        raise ValueError(f"{where}: expected counts by name")
    out: dict[_T, int] = {}
    for name, n in value.items():
        if name not in names:
            raise ValueError(f"{where}: unknown name {_shown(name)}")
        count = _count(n, f"{where}.{name}")
        if count is None:
            raise ValueError(f"{where}.{name}: expected a count from 0 to {MAX_COUNT}")
        out[names[name]] = count
    return out


def tally(
    entries: dict[str, Entry],
    run_at: str,
    *,
    installations: int | None = None,
    hosts: int | None = None,
    changes: Changes | None = None,
) -> RunTally:
    """A run as the history remembers it: its open findings counted by risk and status."""
    risks = Counter(e.risk for e in entries.values())
    statuses = Counter(_STATUSES.get(e.status) for e in entries.values())
    return RunTally(
        run_at=run_at,
        by_risk=tuple((r, risks[r]) for r in _RISKS.values()),
        by_status=tuple((s, statuses[s]) for s in Status if statuses[s]),
        installations=installations,
        hosts=hosts,
        new=len(changes.new) if changes is not None else None,
        resolved=len(changes.resolved) if changes is not None else None,
    )


def this_run(
    report: AuditReport, current: dict[str, Entry], changes: Changes, run_at: str
) -> RunTally:
    """This run as the history will remember it (`run_at` "" while it is now)."""
    summary = report.summary
    return tally(
        current,
        run_at,
        installations=summary.installations,
        hosts=summary.hosts,
        changes=changes,
    )


def extend_history(history: Sequence[RunTally], run: RunTally) -> tuple[RunTally, ...]:
    """The history with `run` added, its last `MAX_HISTORY` runs."""
    return (*history, run)[-MAX_HISTORY:]


def _run_json(run: RunTally) -> dict[str, Any]:
    return {
        "run_at": run.run_at,
        "open": {r.label: n for r, n in run.by_risk},
        "status": {s.value: n for s, n in run.by_status},
        **{k: getattr(run, k) for k in _COUNTS},
    }


def _document(
    entries: dict[str, Entry], run_at: dt.datetime, history: Sequence[RunTally] | None
) -> bytes:
    doc: dict[str, Any] = {
        "version": STATE_VERSION,
        "run_at": run_at.isoformat(),
        "findings": [entries[k].to_json() for k in sorted(entries)],
    }
    if history is not None:
        doc["history"] = [_run_json(run) for run in history[-MAX_HISTORY:]]
    return (json.dumps(doc, indent=1) + "\n").encode("utf-8", "surrogateescape")


class StagedState:
    """This run's state, written beside the target and put in place only by `commit`.
    `history` is the history to keep, this run included (`extend_history`); None keeps none,
    and the state then reads as one kept before the history was."""

    def __init__(
        self,
        path: Path,
        entries: dict[str, Entry],
        run_at: dt.datetime,
        history: Sequence[RunTally] | None = None,
    ) -> None:
        self.path = path
        data = _document(entries, run_at, history)
        try:
            fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        except OSError as exc:
            raise InputError(
                str(path), f"cannot keep the state here: {exc.strerror}; nothing was sent"
            ) from None
        self._tmp = Path(name)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            self.discard()
            raise DeliveryError(
                f"{path}: cannot write the new state: {exc.strerror}; nothing was sent"
            ) from None

    def commit(self, *, after_sending: bool = False) -> None:
        """Put the new state in place; DeliveryError (the previous one kept) on failure."""
        try:
            with contextlib.suppress(OSError):
                os.chmod(self._tmp, _mode_for(self.path))
            os.replace(self._tmp, self.path)
        except OSError as exc:
            self.discard()
            done = "delivered, but " if after_sending else ""
            raise DeliveryError(
                f"{self.path}: {done}the new state could not be saved: {exc.strerror}; "
                "the previous one is kept, and the next run will report these changes again"
            ) from None

    def discard(self) -> None:
        """Forget the new state; the previous one stays."""
        with contextlib.suppress(OSError):
            self._tmp.unlink()


def _mode_for(target: Path) -> int:
    try:
        return target.stat().st_mode & 0o777
    except OSError:
        return 0o600


def write_state(
    path: Path,
    entries: dict[str, Entry],
    run_at: dt.datetime,
    history: Sequence[RunTally] | None = None,
) -> None:
    """Remember this run's open findings (stage and commit at once)."""
    StagedState(path, entries, run_at, history).commit()


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
