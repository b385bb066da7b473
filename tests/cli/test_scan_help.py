"""`vcaudit scan -h` names what a user can type after `scan`: --debug (an option of vcaudit
itself, also accepted after the command), and what --color follows (NO_COLOR, FORCE_COLOR)."""

from __future__ import annotations

from pathlib import Path

import pytest

from vcaudit.cli import main


def _help(capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["scan", "-h"]) == 0
    return " ".join(capsys.readouterr().out.split())


def test_scan_help_says_debug_is_accepted_after_the_command(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    text = _help(capsys)
    assert "--debug, an option of vcaudit itself (vcaudit --debug scan ...), is accepted" in text
    assert "vcaudit scan fleet.csv --debug shows the traceback" in text
    # As the help says: after the command it is taken, not refused as an unknown option.
    missing = tmp_path / "missing.csv"
    assert main(["scan", str(missing), "--debug"]) == 3
    assert "No such option" not in capsys.readouterr().err


def test_color_help_names_both_variables(capsys: pytest.CaptureFixture[str]) -> None:
    text = _help(capsys)
    color = text[text.index("--color") : text.index("-q, --quiet")]
    assert "NO_COLOR set turns it off" in color
    assert "FORCE_COLOR set turns it on" in color
    assert "TERM=dumb" in color
