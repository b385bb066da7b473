"""Typed, line-aware reading of YAML mappings for the feed and the policy file.

`Fields` wraps one mapping and reads its keys as the expected types; every problem raises the
caller's error class naming file, line and the dotted field path. Unknown keys are errors:
a typo must never silently switch something off.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any, Protocol

from vcaudit.linedata import LineDict, LineList


class ErrorFactory(Protocol):
    """An error class taking (file, problem, line=, field=)."""

    def __call__(
        self, file: str, problem: str, *, line: int | None = ..., field: str = ..., hint: str = ...
    ) -> Exception: ...


class Fields:
    """One mapping of a YAML document, read with types and precise errors."""

    def __init__(self, data: Any, file: str, path: str, error: ErrorFactory, line: int = 0) -> None:
        if not isinstance(data, dict):
            raise error(file, "expected a mapping", line=_line(data, line), field=path or "(top)")
        self.data: dict[str, Any] = data
        self.file = file
        self.path = path
        self.error = error
        self.line = _line(data, line)

    def field(self, key: str) -> str:
        """The dotted path of `key`, for messages."""
        return f"{self.path}.{key}" if self.path else key

    def line_of(self, key: str) -> int:
        """The line of `key`, or of this mapping."""
        if isinstance(self.data, LineDict):
            return self.data.line_of(key)
        return self.line

    def fail(self, key: str, problem: str) -> Exception:
        """An error about `key`, to raise."""
        return self.error(self.file, problem, line=self.line_of(key), field=self.field(key))

    def has(self, key: str) -> bool:
        """Whether `key` is present and not null."""
        return self.data.get(key) is not None

    def only(self, *allowed: str) -> None:
        """Fail on the first key not in `allowed`."""
        for key in self.data:
            if key not in allowed:
                raise self.fail(key, f"unknown key (expected one of: {', '.join(allowed)})")

    def text(self, key: str, *, required: bool = False, default: str = "") -> str:
        """A string (numbers are accepted and written back as text)."""
        value = self.data.get(key)
        if value is None:
            if required:
                raise self.error(self.file, "is required", line=self.line, field=self.field(key))
            return default
        if isinstance(value, float):
            raise self.fail(key, f"write {value!r} in quotes: as a number it loses digits")
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise self.fail(key, "expected text")
        text = str(value).strip()
        if required and not text:
            raise self.fail(key, "must not be empty")
        return text

    def flag(self, key: str, *, default: bool = False) -> bool:
        """A boolean."""
        value = self.data.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.fail(key, "expected true or false")
        return value

    def integer(self, key: str, *, default: int | None = None, minimum: int = 0) -> int | None:
        """A whole number at least `minimum`."""
        value = self.data.get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, "expected a whole number")
        if value < minimum:
            raise self.fail(key, f"must be at least {minimum}")
        return value

    def number(self, key: str) -> float | None:
        """A number."""
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(key, "expected a number")
        return float(value)

    def date(self, key: str, *, required: bool = False) -> dt.date | None:
        """An ISO date (`2024-02-13`)."""
        value = self.data.get(key)
        if value is None:
            if required:
                raise self.error(self.file, "is required", line=self.line, field=self.field(key))
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        raise self.fail(key, f"expected a date like 2024-02-13, got {value!r}")

    def texts(self, key: str) -> tuple[str, ...]:
        """A list of strings (a single string is taken as a list of one)."""
        value = self.data.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            return (value.strip(),)
        if not isinstance(value, list):
            raise self.fail(key, "expected a list")
        out: list[str] = []
        for index, item in enumerate(value):
            if isinstance(item, bool) or not isinstance(item, str | int):
                line = value.item_lines[index] if isinstance(value, LineList) else self.line
                problem = "write it in quotes" if isinstance(item, float) else "expected text"
                raise self.error(self.file, problem, line=line, field=f"{self.field(key)}[{index}]")
            out.append(str(item).strip())
        return tuple(out)

    def sub(self, key: str, *, required: bool = False) -> Fields | None:
        """A nested mapping."""
        value = self.data.get(key)
        if value is None:
            if required:
                raise self.error(self.file, "is required", line=self.line, field=self.field(key))
            return None
        return Fields(value, self.file, self.field(key), self.error, self.line_of(key))

    def items(self, key: str) -> Iterator[Fields]:
        """The mappings of a list."""
        value = self.data.get(key)
        if value is None:
            return
        if not isinstance(value, list):
            raise self.fail(key, "expected a list")
        for index, item in enumerate(value):
            line = value.item_lines[index] if isinstance(value, LineList) else self.line
            yield Fields(item, self.file, f"{self.field(key)}[{index}]", self.error, line)

    def entries(self) -> Iterator[tuple[str, Any, int]]:
        """Every (key, value, line) of this mapping."""
        for key, value in self.data.items():
            yield key, value, self.line_of(key)


def _line(data: Any, fallback: int) -> int:
    line = getattr(data, "line", 0)
    return line if isinstance(line, int) and line else fallback
