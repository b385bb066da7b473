"""Unicode's line and paragraph separators (U+2028, U+2029) and NEL (U+0085) in untrusted
text: not controls, but line breaks to many terminals, editors, mail readers and Markdown
viewers. `terminal_safe` shows them as escapes (`\\u2028`), so a host or an owner can never
start a line of its own in any report that a person or a CI log reads."""

from __future__ import annotations

import sys

import pytest

from tests.conftest import TODAY
from tests.output.test_formats import numbered, row
from vcaudit.audit import run_audit
from vcaudit.models import Feed
from vcaudit.output import OutputFormat, RenderOptions, formatter_for
from vcaudit.policy import Policy
from vcaudit.sanitize import markdown_safe, terminal_safe

SEPARATORS = {"\u2028": "\\u2028", "\u2029": "\\u2029", "\x85": "\\x85"}
BREAKS = [chr(c) for c in range(sys.maxunicode + 1) if len(f"a{chr(c)}b".splitlines()) > 1]


def test_the_separators_are_shown_as_escapes() -> None:
    for char, shown in SEPARATORS.items():
        assert terminal_safe(f"pc-1{char}::error::x") == f"pc-1{shown}:\u2060:error:\u2060:x"
        assert shown in markdown_safe(f"pc-1{char}x").replace("\\\\", "\\")


def test_no_character_that_breaks_a_line_comes_through() -> None:
    """Every character Python's str.splitlines breaks at (CR, LF, VT, FF, the file, group
    and record separators, NEL, U+2028, U+2029) is escaped, so the value stays one line."""
    assert {"\n", "\r", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u2029"} <= set(BREAKS)
    for char in BREAKS:
        for safe in (terminal_safe, markdown_safe):
            text = safe(f"host{char}name")
            assert char not in text, (safe.__name__, hex(ord(char)))
            assert len(text.splitlines()) == 1


@pytest.mark.parametrize(
    "fmt", [f for f in OutputFormat if f not in (OutputFormat.JSON, OutputFormat.JSONL)]
)
def test_no_report_for_people_carries_a_raw_separator(test_feed: Feed, fmt: OutputFormat) -> None:
    """Table, Markdown, CSV, SARIF, JUnit, HTML and GitLab: the separators in a host, an
    owner, a product name and a version are escapes; JSON carries values as data (its
    encoder escapes them)."""
    rows = numbered(
        [
            row("meetly", "5.16.9", host="pc\u2028one\u2029two\x85three", owner="it\u2028ops"),
            row("Foo\u2028Chat", "1.0\u2029", host="lin\u2028ux"),
        ]
    )
    report = run_audit(rows, test_feed, Policy(), TODAY)
    text = formatter_for(fmt)(report, RenderOptions(color=False, width=100, details=True))
    for char in SEPARATORS:
        assert char not in text, (fmt, hex(ord(char)))
    if fmt is OutputFormat.TABLE:
        assert "pc\\u2028one\\u2029two\\x85three" in text
        assert "it\\u2028ops" in text
