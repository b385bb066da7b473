"""Rows that stand for many installations: an aggregate export's device or host count.

Intune's `AppInvAggregate` report and Graph's tenant-wide `detectedApps` give a
`DeviceCount`, Fleet's software lists a `hosts_count`, and no host names. Each such row
counts as that many installations, on hosts named after the count ("(Intune device 3 of
12)"), so summaries and next steps count installations and hosts as the export does.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from vcaudit.errors import InputError

MAX_COUNT = 1_000_000
"""The largest count one row may claim: more is a broken or hostile file, not a fleet."""


def parse_count(value: Any, name: str, line: int, field: str) -> int | None:
    """A row's count of devices or hosts; None when the row has none. A row present in an
    export stands for at least one installation, so 0 counts as 1."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise InputError(name, f"expected a number, got {value!r}", line=line, field=field)
    text = str(value).strip().replace(",", "").replace("\u00a0", "").replace(" ", "")
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    if not (text.isascii() and text.isdigit()):  # `²` is a digit to isdigit, not to int
        raise InputError(name, f"expected a number, got {value!r}", line=line, field=field)
    if len(text) > len(str(MAX_COUNT)):
        raise InputError(name, f"more than {MAX_COUNT} installations", line=line, field=field)
    count = int(text)
    if count > MAX_COUNT:
        raise InputError(
            name, f"{count} is more than {MAX_COUNT} installations", line=line, field=field
        )
    return max(count, 1)


def hosts(tool: str, noun: str, count: int) -> Iterator[str]:
    """Names for the `count` hosts of a counted row: `(Intune device 1 of 12)`..."""
    for number in range(1, count + 1):
        yield f"({tool} {noun} {number} of {count})"
