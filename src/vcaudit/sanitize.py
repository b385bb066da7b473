"""Making untrusted text inert in every output.

Inventory names, hosts and advisory titles come from other programs, people and mirrors.
Before any of it reaches an output it passes through the function for that output:

- `terminal_safe`: control characters (ESC sequences, CR, BEL, NUL...) and Unicode direction
  overrides are shown as visible escapes; `::` is split so a line can never become a GitHub
  Actions workflow command; very long values are shortened.
- `markdown_safe`: the same, plus Markdown and HTML metacharacters escaped and pipes
  neutralised so a value stays inside its table cell.
- `xml_safe`: characters XML 1.0 cannot carry become visible escapes (the XML writer escapes
  the markup characters).
- `csv_safe`: a cell that a spreadsheet would run as a formula is prefixed with `'`.
JSON needs none of this: it carries text unchanged and escaped by the encoder.
"""

from __future__ import annotations

import re

# C0 controls, DEL, C1 controls, and the bidi embedding/override/isolate characters that can
# reorder what a reader sees (CVE-2021-42574, "Trojan Source").
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# Characters XML 1.0 cannot hold at all, plus the direction controls.
_XML_UNSAFE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufffe\uffff]"
)
# A word joiner between the colons keeps the text readable but never `::` (workflow
# commands such as `::error::` or `::add-mask::` start with it).
_WORKFLOW = re.compile("::")
_WORD_JOINER = "\u2060"
_MARKDOWN = re.compile(r"([\\`*_\[\]<>&|~!#])")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _cut(text: str, limit: int) -> str:
    if limit and len(text) > limit:
        return text[: limit - 1] + "…"
    return text


def terminal_safe(text: str, limit: int = 200) -> str:
    """`text` with controls escaped and `::` split, cut to `limit` characters (0: no cut)."""
    safe = _UNSAFE.sub(_escape, text)
    safe = _WORKFLOW.sub(":" + _WORD_JOINER + ":", safe)
    return _cut(safe, limit)


def markdown_safe(text: str, limit: int = 200) -> str:
    """`text` for a Markdown table cell or line: inert as Markdown and as HTML."""
    safe = terminal_safe(text, limit)
    return _MARKDOWN.sub(r"\\\1", safe)


def xml_safe(text: str, limit: int = 0) -> str:
    """`text` that an XML 1.0 document can carry; markup characters are left to the writer."""
    safe = _XML_UNSAFE.sub(_escape, text)
    safe = _WORKFLOW.sub(":" + _WORD_JOINER + ":", safe)
    return _cut(safe, limit)


def csv_safe(text: str) -> str:
    """A CSV cell that spreadsheets show as text, never run as a formula."""
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text
