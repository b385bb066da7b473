"""The row counter on stderr is drawn only where it can be wiped away again: on a terminal
that says TERM=dumb (it cannot move the cursor) nothing is drawn, so nothing is left before
the report, not even an empty line."""

from __future__ import annotations

import fcntl
import os
import select
import struct
import subprocess
import sys
import termios
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

import pytest

from vcaudit.cli.common import _progress_rows
from vcaudit.console import can_redraw

ROOT = Path(__file__).parent.parent.parent


def _drain(fd: int) -> bytes:
    chunks = []
    while select.select([fd], [], [], 0.2)[0]:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the other side is closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


@contextmanager
def _terminal() -> Iterator[tuple[int, TextIO]]:
    """A pseudo-terminal: its primary side to read what was shown, its secondary side as a
    text stream, as a program's stderr."""
    primary, secondary = os.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 80, 0, 0))
    stream = open(secondary, "w", encoding="utf-8")  # noqa: SIM115 - closed below
    try:
        yield primary, stream
    finally:
        stream.close()
        os.close(primary)


def _shown_while_counting(monkeypatch: pytest.MonkeyPatch, term: str) -> bytes:
    monkeypatch.setenv("TERM", term)
    for name in ("NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    with _terminal() as (primary, stream):
        monkeypatch.setattr(sys, "stderr", stream)
        with _progress_rows(quiet=False) as update:
            drawn = update is not None
            if update is not None:
                update(12_000)
        stream.flush()
        shown = _drain(primary)
    assert drawn is (term != "dumb")
    return shown


def test_a_dumb_terminal_gets_no_row_counter_and_no_empty_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert _shown_while_counting(monkeypatch, "dumb") == b""


def test_a_terminal_that_can_redraw_gets_the_counter_wiped_away(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shown = _shown_while_counting(monkeypatch, "xterm-256color")
    assert b"reading inventories: 12,000 rows" in shown
    # Each line the counter took is taken back: the cursor goes up over it and erases it.
    assert shown.count(b"\n") == shown.count(b"\x1b[1A\x1b[2K") == 1
    assert shown.endswith(b"\x1b[1A\x1b[2K")


def test_can_redraw_needs_a_terminal_that_is_not_dumb() -> None:
    with _terminal() as (_, tty):
        assert can_redraw(tty, {"TERM": "xterm"})
        assert can_redraw(tty, {})
        assert not can_redraw(tty, {"TERM": "dumb"})
    with open(os.devnull, "w") as piped:
        assert not can_redraw(piped, {"TERM": "xterm"})


@pytest.mark.slow
def test_a_scan_on_a_dumb_terminal_starts_with_the_report() -> None:
    """`TERM=dumb vcaudit scan examples/fleet.csv` with stdout and stderr on one terminal,
    as a user sees it: the first thing shown is the report's first line."""
    command = [sys.executable, "-m", "vcaudit", "scan", str(ROOT / "examples" / "fleet.csv")]
    command += ["--as-of", "2026-11-27", "--fail-on", "none"]
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env |= {"TERM": "dumb", "COLUMNS": "80"}
    primary, secondary = os.openpty()
    try:
        fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 80, 0, 0))
        child = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=secondary, stderr=secondary, env=env
        )
        os.close(secondary)
        chunks = []
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert child.wait(timeout=60) == 0
    finally:
        os.close(primary)
    shown = b"".join(chunks).decode("utf-8")
    assert shown.startswith("vcaudit: "), shown[:80]
    assert "\x1b" not in shown
