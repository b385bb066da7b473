"""vcaudit.notify.changes without the CLI: the state file as written and read back, each way
a state file or its folder is refused (in its words, with its hint), the lock between runs
(also the Windows branch), and how open findings are keyed, kept and compared."""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import resource
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.conftest import TODAY, make_installation
from vcaudit.audit import run_audit
from vcaudit.errors import DeliveryError, InputError
from vcaudit.models import Feed, Platform, Risk
from vcaudit.notify import changes
from vcaudit.notify.changes import (
    Changes,
    Entry,
    StagedState,
    check_state_path,
    compare,
    lock_path,
    locked,
    open_entries,
    read_state,
    write_state,
)
from vcaudit.policy import Policy

HINT = "delete it to start afresh; the next run will report everything as new"
RUN_AT = dt.datetime(2026, 1, 15, 6, 30, tzinfo=dt.UTC)


def entry(
    host: str = "pc-1", product: str = "meetly", risk: Risk = Risk.HIGH, **more: str
) -> Entry:
    platform = more.pop("platform", "windows")
    return Entry(
        key="\x1f".join((host, product, platform)),
        host=host,
        product=product,
        platform=platform,
        version=more.pop("version", "5.16.9"),
        risk=risk,
        status=more.pop("status", "vulnerable"),
        advisories=("MSB-001",),
        owner=more.pop("owner", ""),
    )


def input_error(caught: pytest.ExceptionInfo[InputError]) -> tuple[str, str]:
    return str(caught.value), caught.value.hint


# The state file, written and read back ----------------------------------------------------


def test_the_state_file_as_written(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    one = entry(owner="it@example.com")
    two = entry(host="pc-0", risk=Risk.LOW, status="outdated", version="6.2.3")
    write_state(path, {one.key: one, two.key: two}, RUN_AT)
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert {k: doc[k] for k in ("version", "run_at", "findings")} == {
        "version": 1,
        "run_at": "2026-01-15T06:30:00+00:00",
        "findings": [
            {
                "host": "pc-0",
                "product": "meetly",
                "platform": "windows",
                "version": "6.2.3",
                "risk": "low",
                "status": "outdated",
                "advisories": ["MSB-001"],
                "owner": "",
            },
            {
                "host": "pc-1",
                "product": "meetly",
                "platform": "windows",
                "version": "5.16.9",
                "risk": "high",
                "status": "vulnerable",
                "advisories": ["MSB-001"],
                "owner": "it@example.com",
            },
        ],
    }
    assert path.read_text(encoding="utf-8").endswith("\n}\n")
    assert path.read_text(encoding="utf-8").startswith('{\n "version": 1,\n')
    assert read_state(path) == ({two.key: two, one.key: one}, "2026-01-15T06:30:00+00:00")
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_no_state_file_is_a_first_run(tmp_path: Path) -> None:
    assert read_state(tmp_path / "state.json") == ({}, "")


def test_an_entry_without_owner_or_run_at_reads(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    item = {k: v for k, v in entry().to_json().items() if k != "owner"}
    path.write_text(json.dumps({"version": 1, "findings": [item]}), encoding="utf-8")
    assert read_state(path) == ({entry().key: entry()}, "")


def test_a_new_state_keeps_the_mode_of_the_previous_one(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    write_state(path, {}, RUN_AT)
    assert path.stat().st_mode & 0o777 == 0o600
    path.chmod(0o640)
    write_state(path, {}, RUN_AT)
    assert path.stat().st_mode & 0o777 == 0o640


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"\xef\xbb\xbf\xff", "not UTF-8 at byte 3"),
        (b"{", "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
        (b"[]", "unknown state version"),
        (b'{"version": 2, "findings": []}', "unknown state version"),
        (b'{"version": 1}', "'findings'"),
        (b'{"version": 1, "findings": [1]}', "findings: expected objects"),
        (b'{"version": 1, "findings": [], "run_at": 5}', "run_at: expected text"),
        (b'{"version": 1, "findings": [], "run_at": "\\ud800"}', "run_at: holds a lone surrogate"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ],
)
def test_a_state_file_that_is_not_vcaudits(tmp_path: Path, data: bytes, problem: str) -> None:
    path = tmp_path / "state.json"
    path.write_bytes(data)
    with pytest.raises(InputError) as caught:
        read_state(path)
    assert input_error(caught) == (f"{path}: not a vcaudit state file ({problem})", HINT)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"host": 1}, "host: expected text"),
        ({"product": None}, "product: expected text"),
        ({"platform": []}, "platform: expected text"),
        ({"version": 6}, "version: expected text"),
        ({"risk": "severe"}, "severe"),
        ({"status": 0}, "status: expected text"),
        ({"advisories": [1]}, "advisories: expected text"),
        ({"owner": 2}, "owner: expected text"),
    ],
)
def test_an_entry_that_is_not_vcaudits(
    tmp_path: Path, change: dict[str, object], problem: str
) -> None:
    path = tmp_path / "state.json"
    item = {**entry().to_json(), **change}
    path.write_text(json.dumps({"version": 1, "findings": [item]}), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_state(path)
    message, hint = input_error(caught)
    assert message.startswith(f"{path}: not a vcaudit state file (")
    assert problem in message
    assert hint == HINT


class _Hung(Exception):
    pass


def _hung(signum: int, frame: object) -> None:
    raise _Hung


def test_a_state_that_is_no_regular_file(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    previous = signal.signal(signal.SIGALRM, _hung)
    signal.alarm(20)  # fails the test instead of hanging it when the open blocks
    try:
        for path in (fifo, Path("/dev/null")):
            with pytest.raises(InputError) as caught:
                read_state(path)
            assert input_error(caught) == (f"{path}: not a regular file", HINT)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_a_state_that_cannot_be_opened(tmp_path: Path) -> None:
    path = tmp_path / "loop"
    path.symlink_to(path)
    with pytest.raises(InputError) as caught:
        read_state(path)
    assert input_error(caught) == (
        f"{path}: cannot read the state file: Too many levels of symbolic links",
        "",
    )


def test_a_state_past_the_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "state.json"
    text = json.dumps({"version": 1, "findings": []})
    monkeypatch.setattr(changes, "MAX_STATE_BYTES", len(text))
    path.write_text(text, encoding="utf-8")
    assert read_state(path) == ({}, "")
    path.write_text(text + " ", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_state(path)
    assert input_error(caught) == (f"{path}: larger than a vcaudit state file can be", HINT)


# Where the state can be kept ---------------------------------------------------------------


def test_a_state_in_a_missing_folder(tmp_path: Path) -> None:
    path = tmp_path / "missing" / "state.json"
    with pytest.raises(InputError) as caught:
        check_state_path(path)
    assert str(caught.value) == (
        f"{path}: cannot keep the state here: the folder {path.parent} does not exist"
    )


def test_a_state_in_a_file_instead_of_a_folder(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x", encoding="utf-8")
    path = tmp_path / "file" / "state.json"
    with pytest.raises(InputError) as caught:
        check_state_path(path)
    assert str(caught.value) == (
        f"{path}: cannot keep the state here: the folder {path.parent} is not a folder"
    )


def test_a_state_that_is_a_folder(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.mkdir()
    with pytest.raises(InputError) as caught:
        check_state_path(path)
    assert str(caught.value) == f"{path}: cannot keep the state here: not a regular file"


def test_a_state_name_too_long(tmp_path: Path) -> None:
    path = tmp_path / ("s" * 300) / "state.json"
    with pytest.raises(InputError) as caught:
        check_state_path(path)
    assert str(caught.value) == f"{path}: cannot keep the state here: File name too long"


def test_a_state_in_a_folder_without_write_or_search_access(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "state.json"
    asked: list[int] = []

    def access(folder: Path, mode: int) -> bool:
        asked.append(mode)
        return False

    monkeypatch.setattr(os, "access", access)
    with pytest.raises(InputError) as caught:
        check_state_path(path)
    assert str(caught.value) == (
        f"{path}: cannot keep the state here: the folder {tmp_path} is read-only"
    )
    assert asked == [os.W_OK | os.X_OK]


def test_a_state_in_a_writable_folder_passes(tmp_path: Path) -> None:
    check_state_path(tmp_path / "state.json")
    (tmp_path / "state.json").write_text("{}", encoding="utf-8")
    check_state_path(tmp_path / "state.json")


def test_a_new_state_that_cannot_be_staged(tmp_path: Path) -> None:
    path = tmp_path / ("s" * 255)
    with pytest.raises(InputError) as caught:
        StagedState(path, {}, RUN_AT)
    assert str(caught.value) == (
        f"{path}: cannot keep the state here: File name too long; nothing was sent"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_staged_state_discarded_leaves_the_previous_one(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    write_state(path, {}, RUN_AT)
    before = path.read_bytes()
    one = entry()
    staged = StagedState(path, {one.key: one}, RUN_AT)
    assert len(list(tmp_path.iterdir())) == 2
    staged.discard()
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]
    staged.discard()  # twice is harmless


@pytest.mark.parametrize("after_sending", [False, True])
def test_a_state_that_cannot_be_put_in_place(tmp_path: Path, after_sending: bool) -> None:
    path = tmp_path / "state.json"
    staged = StagedState(path, {}, RUN_AT)
    path.mkdir()
    (path / "x").write_text("x", encoding="utf-8")
    with pytest.raises(DeliveryError) as caught:
        staged.commit(after_sending=after_sending)
    done = "delivered, but " if after_sending else ""
    assert str(caught.value) == (
        f"{path}: {done}the new state could not be saved: Is a directory; the previous one is "
        "kept, and the next run will report these changes again"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]


# The lock ----------------------------------------------------------------------------------


def test_the_lock_file_is_beside_the_state() -> None:
    assert lock_path(Path("/var/lib/vcaudit/state.json")) == Path(
        "/var/lib/vcaudit/state.json.lock"
    )


def test_a_held_lock_makes_the_second_run_wait_then_give_up(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    with locked(path, wait=0), pytest.raises(DeliveryError) as caught, locked(path, wait=0.1):
        pass
    assert str(caught.value) == (
        f"{path}: another vcaudit run is using this state file (it holds state.json.lock); "
        "waited 0.1 s, sent nothing; the next run will report these changes"
    )
    with locked(path, wait=0):  # released
        pass
    assert (tmp_path / "state.json.lock").stat().st_mode & 0o777 == 0o600


@pytest.mark.slow
def test_a_lock_is_taken_once_the_other_run_lets_go(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    release = threading.Event()
    holding = threading.Event()

    def other_run() -> None:
        with locked(path, wait=0):
            holding.set()
            release.wait(10)

    thread = threading.Thread(target=other_run)
    thread.start()
    holding.wait(10)
    threading.Timer(0.2, release.set).start()
    with locked(path, wait=30):
        assert release.is_set()
    thread.join()


def test_a_lock_that_cannot_be_created(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    lock_path(path).symlink_to(tmp_path / "elsewhere")
    with pytest.raises(InputError) as caught, locked(path, wait=0):
        pass
    assert str(caught.value) == (
        f"{path}: cannot keep the state here: cannot create state.json.lock: Too many levels "
        "of symbolic links"
    )


class FakeMsvcrt:
    """`msvcrt.locking` as Windows does it, over flock: one byte, non-blocking, OSError when
    another holds it."""

    LK_NBLCK = 2

    def __init__(self) -> None:
        self.calls: list[tuple[int, int, int]] = []

    def locking(self, fd: int, mode: int, nbytes: int) -> None:
        import fcntl

        self.calls.append((fd, mode, nbytes))
        if mode != self.LK_NBLCK or nbytes != 1:
            raise ValueError("not how vcaudit locks")
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OSError(errno.EACCES, "Permission denied") from None


def test_the_lock_on_windows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeMsvcrt()
    monkeypatch.setitem(sys.modules, "msvcrt", SimpleNamespace(LK_NBLCK=2, locking=fake.locking))
    monkeypatch.setattr(sys, "platform", "win32")
    path = tmp_path / "state.json"
    with locked(path, wait=0), pytest.raises(DeliveryError), locked(path, wait=0):
        pass
    assert [call[1:] for call in fake.calls] == [(2, 1), (2, 1)]
    with locked(path, wait=0):
        pass


# Open findings and what changed ------------------------------------------------------------


def test_open_findings_are_keyed_by_host_feed_product_and_platform(test_feed: Feed) -> None:
    rows = [
        make_installation("Meetly Workplace (64-bit)", "5.16.9", host="pc-1"),
        make_installation("meetly", "6.2.3", Platform.MACOS, host="pc-1"),
        make_installation("meetly", "6.2.5", host="pc-2"),  # current: not open
        make_installation("FooChat", "1.0", host="pc-3"),  # unknown: not open
        make_installation("chatter", "8.1", host="pc-4", line=9),
    ]
    found = open_entries(run_audit(rows, test_feed, Policy(), TODAY).findings)
    assert sorted(found) == [
        "pc-1\x1fmeetly\x1fmacos",
        "pc-1\x1fmeetly\x1fwindows",
        "pc-4\x1fchatter\x1fwindows",
    ]
    for key, item in found.items():
        assert item.key == key
        assert key == "\x1f".join((item.host, item.product, item.platform))
    windows = found["pc-1\x1fmeetly\x1fwindows"]
    assert (windows.version, windows.risk, windows.status) == (
        "5.16.9",
        Risk.CRITICAL,
        "vulnerable",
    )
    assert windows.advisories == ("MSB-001",)


def test_of_two_equal_findings_the_first_is_kept(test_feed: Feed) -> None:
    rows = [
        make_installation("meetly", "6.2.3", host="pc-1", line=2),
        make_installation("meetly", "6.2.4", host="pc-1", line=3),
    ]
    (kept,) = open_entries(run_audit(rows, test_feed, Policy(), TODAY).findings).values()
    assert (kept.version, kept.risk) == ("6.2.3", Risk.LOW)


def test_what_changed_between_two_runs() -> None:
    same = entry("pc-1")
    rose_before, rose_now = entry("pc-2", risk=Risk.LOW), entry("pc-2", risk=Risk.CRITICAL)
    fell_before, fell_now = entry("pc-3", risk=Risk.CRITICAL), entry("pc-3", risk=Risk.MEDIUM)
    gone = entry("pc-4", product="chatter")
    new_low, new_high = entry("pc-5", risk=Risk.LOW), entry("pc-6", product="a", risk=Risk.HIGH)
    previous = {e.key: e for e in (same, rose_before, fell_before, gone)}
    current = {e.key: e for e in (same, rose_now, fell_now, new_low, new_high)}
    found = compare(previous, current, "2026-01-14T06:30:00+00:00")
    assert found == Changes(
        new=(new_high, new_low),
        resolved=(gone,),
        rose=(rose_now,),
        still_open=(rose_now, same, fell_now),
        previous_run="2026-01-14T06:30:00+00:00",
    )
    assert found.any
    assert not compare(previous, previous, "").any
    assert compare({}, {same.key: same}, "").any
    assert compare({same.key: same}, {}, "").any


def test_findings_of_one_risk_are_listed_by_product_then_host() -> None:
    entries = [entry("pc-2", "b"), entry("pc-1", "b"), entry("pc-9", "a")]
    found = compare({}, {e.key: e for e in entries}, "")
    assert [(e.product, e.host) for e in found.new] == [("a", "pc-9"), ("b", "pc-1"), ("b", "pc-2")]


def test_a_state_file_that_cannot_be_read(tmp_path: Path) -> None:
    # /proc/self/mem is a regular file whose first bytes cannot be read (EIO).
    path = Path("/proc/self/mem")
    with pytest.raises(InputError) as caught:
        read_state(path)
    assert input_error(caught) == (f"{path}: cannot read the state file: Input/output error", "")


def test_a_risk_that_is_not_text(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    item = {**entry().to_json(), "risk": 5}
    path.write_text(json.dumps({"version": 1, "findings": [item]}), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_state(path)
    assert str(caught.value) == f"{path}: not a vcaudit state file (risk: expected text)"


def test_a_state_commits_as_not_yet_sent_by_default(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    staged = StagedState(path, {}, RUN_AT)
    path.mkdir()
    (path / "x").write_text("x", encoding="utf-8")
    with pytest.raises(DeliveryError) as caught:
        staged.commit()
    assert str(caught.value).startswith(f"{path}: the new state could not be saved: ")


def write_limited(limit: int, write: Callable[[], None]) -> None:
    """Run `write` with files limited to `limit` bytes (RLIMIT_FSIZE): a write past it fails
    with EFBIG, as on a full disk, and the SIGXFSZ it also sends is ignored."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        write()
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)


def test_a_new_state_that_cannot_be_written(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    one = entry()
    with pytest.raises(DeliveryError) as caught:
        write_limited(10, lambda: StagedState(path, {one.key: one}, RUN_AT).commit())
    assert (
        str(caught.value) == f"{path}: cannot write the new state: File too large; nothing was sent"
    )
    assert list(tmp_path.iterdir()) == []


# The history of runs -----------------------------------------------------------------------


def history_state(tmp_path: Path, *runs: object, run_at: object = "") -> Path:
    path = tmp_path / "state.json"
    doc: dict[str, object] = {"version": 1, "findings": [], "run_at": run_at}
    if runs:
        doc["history"] = list(runs[0]) if isinstance(runs[0], list) else runs[0]
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("history", "problem"),
    [
        ({}, "history: expected a list of runs"),
        ([{"run_at": "2026-01-14T06:30:00+00:00"}], "history[0]: expected run_at and open"),
        ([{"open": {}}], "history[0]: expected run_at and open"),
        ([{"run_at": 5, "open": {}}], "history[0].run_at: expected a date and time (ISO 8601)"),
        ([{"run_at": "2026-01-14", "open": []}], "history[0].open: expected counts by name"),
        ([{"run_at": "2026-01-14", "open": {}, "x" * 40: 1}],
         f"history[0]: unknown key {'x' * 40!r}"),
        ([{"run_at": "2026-01-14", "open": {}, "y" * 41: 1}],
         f"history[0]: unknown key {'y' * 39 + '…'!r}"),
        ([{"run_at": "2026-01-14", "open": {}, "hosts": 10**12 + 1}],
         "history[0].hosts: expected a count from 0 to 1000000000000"),
    ],
)  # fmt: skip
def test_a_history_that_is_not_vcaudits(tmp_path: Path, history: object, problem: str) -> None:
    path = history_state(tmp_path, history)
    with pytest.raises(InputError) as caught:
        changes.load_state(path)
    assert input_error(caught) == (f"{path}: not a vcaudit state file ({problem})", HINT)


def test_the_largest_history_values_are_read(tmp_path: Path) -> None:
    when = "2026-01-15 06:30:00.123456+05:30:00.1234"  # the longest run time read: 40
    assert len(when) == changes.MAX_RUN_AT
    path = history_state(tmp_path, [{"run_at": when, "open": {"high": 1}, "hosts": 10**12}])
    (run,) = changes.load_state(path).history
    assert (run.run_at, run.hosts) == (when, 10**12)
    legacy = history_state(tmp_path, run_at=when)  # a state kept before the history was
    assert [run.run_at for run in changes.load_state(legacy).history] == [when]
    too_long = history_state(tmp_path, run_at=when + "0")
    assert changes.load_state(too_long).history == ()
