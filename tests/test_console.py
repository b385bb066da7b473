"""Colour: --color first, then NO_COLOR (set and not empty), then FORCE_COLOR, then a terminal."""

from __future__ import annotations

import io

import pytest

from vcaudit.console import ColorMode, use_color


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("mode", "environ", "terminal", "expected"),
    [
        (ColorMode.AUTO, {}, True, True),
        (ColorMode.AUTO, {}, False, False),
        (ColorMode.AUTO, {"NO_COLOR": "1"}, True, False),
        (ColorMode.AUTO, {"NO_COLOR": ""}, True, True),  # set but empty: ignored
        (ColorMode.AUTO, {"FORCE_COLOR": "1"}, False, True),
        (ColorMode.AUTO, {"FORCE_COLOR": ""}, False, False),
        (ColorMode.AUTO, {"NO_COLOR": "1", "FORCE_COLOR": "1"}, False, False),
        (ColorMode.ALWAYS, {"NO_COLOR": "1"}, False, True),
        (ColorMode.NEVER, {"FORCE_COLOR": "1"}, True, False),
    ],
)
def test_colour_follows_the_flag_then_the_environment_then_the_terminal(
    mode: ColorMode, environ: dict[str, str], terminal: bool, expected: bool
) -> None:
    stream = _Terminal() if terminal else io.StringIO()
    assert use_color(mode, stream, environ) is expected
