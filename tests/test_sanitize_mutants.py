"""vcaudit.sanitize, function by function: the exact text each escaper gives for controls,
direction overrides, workflow commands, Markdown and formula characters, and where it cuts."""

from __future__ import annotations

import json

import pytest

from vcaudit.sanitize import (
    csv_safe,
    json_safe,
    markdown_safe,
    spreadsheet_safe,
    terminal_safe,
    xml_safe,
)

WJ = "\u2060"  # the word joiner that splits `::` and `#[`


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("\x1b[31mred", "\\x1b[31mred"),
        ("a\x00b\x07c\rd\ne\tf", "a\\x00b\\x07c\\x0dd\\x0ae\\x09f"),
        ("\x7f\x85\x9f", "\\x7f\\x85\\x9f"),
        ("\u202eevil\u202c", "\\u202eevil\\u202c"),
        ("\u061c\u200e\u200f\u2066\u2069", "\\u061c\\u200e\\u200f\\u2066\\u2069"),
        ("café ünïcode €", "café ünïcode €"),
        ("::error::x", f":{WJ}:error:{WJ}:x"),
        (":::", f":{WJ}:{WJ}:"),
        ("##[error]x", f"##{WJ}[error]x"),
        ("a: b # c [d]", "a: b # c [d]"),
    ],
)
def test_terminal_safe(text: str, shown: str) -> None:
    assert terminal_safe(text) == shown


def test_terminal_safe_cuts_at_its_limit_with_an_ellipsis() -> None:
    assert terminal_safe("x" * 200) == "x" * 200
    assert terminal_safe("x" * 201) == "x" * 199 + "…"
    assert terminal_safe("abcdef", 5) == "abcd…"
    assert terminal_safe("abcde", 5) == "abcde"
    assert terminal_safe("x" * 1000, 0) == "x" * 1000
    # The cut counts the escaped text, so an escape is never half shown beyond the limit.
    assert len(terminal_safe("\x1b" * 100, 50)) == 50


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("a|b", "a\\|b"),
        ("[x](javascript:y)", "\\[x\\](javascript:y)"),
        ("<img src=x>", "\\<img src=x\\>"),
        ("*_`~!#&\\", "\\*\\_\\`\\~\\!\\#\\&\\\\"),
        ("plain text 1.2", "plain text 1.2"),
        ("\x1b", "\\\\x1b"),
        ("::", f":{WJ}:"),
    ],
)
def test_markdown_safe(text: str, shown: str) -> None:
    assert markdown_safe(text) == shown


def test_markdown_safe_cuts_at_its_limit() -> None:
    assert markdown_safe("y" * 201) == "y" * 199 + "…"
    assert markdown_safe("y" * 300, 10) == "y" * 9 + "…"
    assert markdown_safe("y" * 300, 0) == "y" * 300


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("a\x00b\x08c\x0bd\x0ce\x1ff", "a\\x00b\\x08c\\x0bd\\x0ce\\x1ff"),
        ("tab\tnew\nline\rok", "tab\tnew\nline\rok"),  # XML 1.0 carries these
        ("\x7f\x9f\ufffe\uffff", "\\x7f\\x9f\\ufffe\\uffff"),
        ("\u202e", "\\u202e"),
        ("<b>&amp;", "<b>&amp;"),  # the XML writer escapes markup
        ("::warning::", f":{WJ}:warning:{WJ}:"),
        ("##[group]", f"##{WJ}[group]"),
    ],
)
def test_xml_safe(text: str, shown: str) -> None:
    assert xml_safe(text) == shown


def test_xml_safe_cuts_only_when_asked() -> None:
    assert xml_safe("z" * 5000) == "z" * 5000
    assert xml_safe("z" * 11, 10) == "z" * 9 + "…"


@pytest.mark.parametrize(
    "text",
    [
        "=1+1",
        "+1",
        "-1",
        "@SUM(A1)",
        "\tx",
        "\rx",
        "\nx",
        "\uff1dcmd",
        "\uff0bx",
        "\uff0dx",
        "\uff20x",
    ],
)
def test_csv_safe_neutralises_a_formula(text: str) -> None:
    assert csv_safe(text) == "'" + text


@pytest.mark.parametrize("text", ["", "host-1", "1+1", "a=b", " =x", "'quoted"])
def test_csv_safe_keeps_what_is_no_formula(text: str) -> None:
    assert csv_safe(text) == text


def test_json_safe_escapes_only_the_bracket_after_a_hash() -> None:
    text = json.dumps({"title": "##[error] and #[x] and [y] #z"})
    safe = json_safe(text)
    assert "#[" not in safe
    assert safe == text.replace("#[", "#\\u005b")
    assert json.loads(safe) == json.loads(text)
    assert json_safe('{"a": "[#]"}') == '{"a": "[#]"}'


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("a;=cmd", "a;'=cmd"),
        (" =cmd", "' =cmd"),
        ("a; -1;b", "a;' -1;b"),
        ("X=1", "X=1"),
        ("a;b", "a;b"),
        ("finance;X+1", "finance;X+1"),
        ("", ""),
    ],
)
def test_spreadsheet_safe_neutralises_every_piece(text: str, safe: str) -> None:
    assert spreadsheet_safe(text) == safe
