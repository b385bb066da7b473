"""Making untrusted text inert for terminals and plain-text outputs.

Inventory names, hosts and advisory titles come from other programs and people. Before any of
them reaches a terminal, control characters (ESC sequences, CR, BEL, NUL...) and Unicode
direction overrides are shown as visible escapes, and very long values are shortened.
"""

from __future__ import annotations

import re

# C0 controls, DEL, C1 controls, and the bidi embedding/override/isolate characters that can
# reorder what a reader sees (CVE-2021-42574, "Trojan Source").
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: str, limit: int = 200) -> str:
    """`text` with control and direction characters escaped, cut to `limit` characters."""
    safe = _UNSAFE.sub(_escape, text)
    if limit and len(safe) > limit:
        return safe[: limit - 1] + "…"
    return safe
