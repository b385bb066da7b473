"""vcaudit's own warnings on standard error: wrapped to a terminal's width like the report
(words whole, continuation lines indented), and one line each for a log or a script."""

from __future__ import annotations

import fcntl
import os
import select
import struct
import sys
import termios
from pathlib import Path

import pytest

from tests.conftest import TEST_FEED_DIR, write_fleet
from vcaudit.cli import main
from vcaudit.output.layout import message

WARNING = (
    "vcaudit: warning: Slackish: the data-protection sheet does not state e2ee_available, "
    "which the policy requires (reported only; data_protection.unknown: fail would make it "
    "unapproved)"
)


def _scan(tmp_path: Path) -> list[str]:
    fleet = write_fleet(tmp_path / "fleet.csv", ["lin-1,linux,slackish,4.51.180"])
    config = tmp_path / "vcaudit.yaml"
    config.write_text("data_protection: {require: [e2ee_available]}\n", encoding="utf-8")
    args = ["scan", str(fleet), "--feed", str(TEST_FEED_DIR), "--config", str(config)]
    return [*args, "--as-of", "2026-01-15", "--fail-on", "none"]


def _drain(fd: int) -> str:
    chunks = []
    while select.select([fd], [], [], 0.2)[0]:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


@pytest.mark.parametrize("width", [60, 80])
def test_warnings_on_a_terminal_are_wrapped_to_its_width(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    width: int,
) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    monkeypatch.setenv("TERM", "dumb")  # no row counter drawn: only the messages are shown
    primary, secondary = os.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
    with open(secondary, "w", encoding="utf-8") as tty:
        monkeypatch.setattr(sys, "stderr", tty)
        assert main(_scan(tmp_path)) == 0
        tty.flush()
        shown = _drain(primary)
    os.close(primary)
    capsys.readouterr()
    lines = [line for line in shown.split("\n") if line]
    assert len(lines) > 1
    assert all(len(line) <= width for line in lines), lines
    assert lines[0].startswith("vcaudit: warning: Slackish:")
    assert all(line.startswith("  ") and line[2] != " " for line in lines[1:]), lines
    assert " ".join(line.strip() for line in lines) == WARNING


def test_warnings_elsewhere_are_one_line_each(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    assert main(_scan(tmp_path)) == 0
    assert capsys.readouterr().err == WARNING + "\n"


def test_a_message_keeps_addresses_and_paths_whole() -> None:
    url = "https://example.com/" + "x" * 80
    text = message(f"vcaudit: warning: cannot read {url} (timed out) at all", 60)
    assert text.split("\n") == [
        "vcaudit: warning: cannot read",
        f"  {url}",
        "  (timed out) at all",
    ]
    assert message("short", 60) == "short"
