"""Mail addresses: what counts as one, and which domains owner mail may go to.

Owner addresses come from inventories and policy files that many people write, so they are
held to a narrow form: a plain ASCII `local@domain` (optionally as `Name <local@domain>`,
whose name is dropped). Anything else (a list, a comment, an encoded word, a control or
line-break character such as CR, LF or U+2028, a quoted local part, a non-ASCII address)
is not an address: its findings go to the default recipients instead. Only the plain
address is ever written to a header or an SMTP command.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*")
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_NAMED = re.compile(r"(?P<name>[^<>]*)<(?P<address>[^<>]*)>\s*")
_LINE_BREAKS = "\u0085\u2028\u2029"


def _is_domain(text: str) -> bool:
    labels = text.split(".")
    return len(text) <= 253 and all(_LABEL.fullmatch(label) for label in labels)


def parse_address(text: str) -> str:
    """The plain address in `text` (domain in lower case); ValueError saying why not."""
    if not text.strip():
        raise ValueError("empty")
    if len(text) > 320:
        raise ValueError("longer than an address can be")
    if any(c in _LINE_BREAKS or unicodedata.category(c).startswith("C") for c in text):
        raise ValueError("contains a control or line-break character")
    if "=?" in text:
        raise ValueError("contains an encoded word")
    if any(c in text for c in ",;"):
        raise ValueError("holds more than one address")
    named = _NAMED.fullmatch(text.strip())
    address = named.group("address").strip() if named else text.strip()
    if not address.isascii():
        raise ValueError("not a plain ASCII address")
    local, at, domain = address.rpartition("@")
    if not at or not _LOCAL.fullmatch(local) or len(local) > 64:
        raise ValueError("not of the form name@domain")
    if not _is_domain(domain):
        raise ValueError(f"{domain!r} is not a domain name")
    return f"{local}@{domain.lower()}"


def domain_of(address: str) -> str:
    """The domain of a plain address."""
    return address.rpartition("@")[2].lower()


def check_domain_pattern(text: str) -> str:
    """A domain (`example.com`) or all of its subdomains (`*.example.com`), in lower case;
    ValueError otherwise."""
    value = text.strip().lower()
    bare = value[2:] if value.startswith("*.") else value
    if not bare.isascii() or not _is_domain(bare):
        raise ValueError(f"expected a domain like example.com or *.example.com, got {text!r}")
    return value


def domain_allowed(domain: str, patterns: Iterable[str]) -> bool:
    """Whether `domain` is one of `patterns`, or a subdomain of a `*.` pattern."""
    domain = domain.lower()
    for pattern in patterns:
        if pattern.startswith("*."):
            if domain.endswith(pattern[1:]):
                return True
        elif domain == pattern:
            return True
    return False
