"""Making untrusted text inert in every output.

Inventory names, hosts and advisory titles come from other programs, people and mirrors.
Before any of it reaches an output it passes through the function for that output:

- `terminal_safe`: control characters (ESC sequences, CR, BEL, NUL, NEL...), Unicode's line
  and paragraph separators (U+2028, U+2029) and direction overrides are shown as visible
  escapes (`\x1b`, `\u2028`); `::` and `#[` are split so a line can never become a
  GitHub Actions workflow command (`::error::` at a line's start, or the legacy `##[error]`
  anywhere in a line); very long values are shortened.
- `markdown_safe`: the same, plus Markdown and HTML metacharacters escaped and pipes
  neutralised so a value stays inside its table cell, and nothing a renderer would turn into
  a link on its own: a word joiner goes into every `://`, `www.`, `@` and `#` or `!` before
  a digit, so GitHub (cmark-gfm's autolink extension, @mentions, #123 references) and GitLab
  (the same, and !123 merge requests) leave a URL, an address or a name as text.
- `xml_safe`: characters XML 1.0 cannot carry become visible escapes (the XML writer escapes
  the markup characters).
- `csv_safe`: a cell that a spreadsheet would run as a formula is prefixed with `'`;
  `spreadsheet_safe` also each piece after a `;` (where a spreadsheet splits cells on `;`)
  and a formula behind leading spaces (where it trims them).
- `json_safe`: JSON text (reports printed to a CI log) with the `[` of every `#[` escaped as
  `\u005b`, so no line holds the legacy `##[command]`; readers decode the same values.
JSON needs nothing else: it carries text unchanged and escaped by the encoder.
"""

from __future__ import annotations

import re

# C0 controls, DEL, C1 controls (NEL, U+0085, among them), Unicode's line and paragraph
# separators (U+2028, U+2029: not controls, but line breaks to many viewers, terminals,
# editors, mail readers and JavaScript, so a value could start a line of its own), and the
# bidi embedding/override/isolate characters that can reorder what a reader sees
# (CVE-2021-42574, "Trojan Source"). Every character str.splitlines breaks at is among them.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# Characters XML 1.0 cannot hold at all, plus the direction controls.
_XML_UNSAFE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufffe\uffff]"
)
# A word joiner after every `:` followed by `:`, and every `#` followed by `[`, keeps the text
# readable but holds neither `::` (workflow commands such as `::error::` or `::add-mask::`
# start a line with it) nor `##[` (the runner's legacy form, `##[add-mask]`, `##[error]`, is
# found anywhere in a line: actions/runner ActionCommand.TryParse). Lookaheads, so `:::`
# loses every pair, not only the first.
_WORKFLOW = re.compile(r":(?=:)|#(?=\[)")
_WORD_JOINER = "\u2060"
_SPLIT = "\\g<0>" + _WORD_JOINER
_MARKDOWN = re.compile(r"([\\`*_\[\]<>&|~!#])")
# What GFM renderers link without any markup: `scheme://` URLs, `www.` names, e-mail
# addresses and @mentions (at `@`), #123 issue and !123 merge-request references, and
# GitLab's ~label, %milestone (either as a word or "quoted"), &123 epic and $123 snippet
# references, which GitLab finds in the rendered text, backslash escapes or not. Matched after
# escaping, so `\#` and `\!` are found as written.
_AUTOLINK = re.compile(
    r"(?<=:)(?=//)|(?i:(?<=www))(?=\.)|(?<=@)|(?<=[#!&$])(?=\d)|(?<=[~%])(?=[\w\"])"
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _cut(text: str, limit: int) -> str:
    if limit and len(text) > limit:
        return text[: limit - 1] + "…"
    return text


def terminal_safe(text: str, limit: int = 200) -> str:
    """`text` with controls escaped and `::` and `#[` split, cut to `limit` characters (0: no
    cut)."""
    safe = _UNSAFE.sub(_escape, text)
    safe = _WORKFLOW.sub(_SPLIT, safe)
    return _cut(safe, limit)


def markdown_safe(text: str, limit: int = 200) -> str:
    """`text` for a Markdown table cell or line: inert as Markdown and as HTML."""
    safe = _MARKDOWN.sub(r"\\\1", terminal_safe(text, limit))
    return _AUTOLINK.sub(_WORD_JOINER, safe)


def xml_safe(text: str, limit: int = 0) -> str:
    """`text` that an XML 1.0 document can carry; markup characters are left to the writer."""
    safe = _XML_UNSAFE.sub(_escape, text)
    safe = _WORKFLOW.sub(_SPLIT, safe)
    return _cut(safe, limit)


def csv_safe(text: str) -> str:
    """A CSV cell that spreadsheets show as text, never run as a formula."""
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def _piece_safe(piece: str) -> str:
    return "'" + piece if piece.lstrip(" ").startswith(_FORMULA_START) else piece


def spreadsheet_safe(text: str) -> str:
    """A report's CSV cell that no spreadsheet runs as a formula, even one that splits cells
    on `;` (Excel where `;` is the list separator, LibreOffice when told to) or trims leading
    spaces: `a;=cmd` becomes `a;'=cmd`, ` =cmd` becomes `' =cmd`."""
    if ";" not in text:
        return _piece_safe(text)
    return ";".join(_piece_safe(piece) for piece in text.split(";"))


def json_safe(text: str) -> str:
    """JSON text in which no line holds `#[`: a `#` is only ever inside a string in JSON, so
    the `[` after it is written as the escape `\\u005b`, which every reader decodes back."""
    return text.replace("#[", "#\\u005b") if "#[" in text else text
