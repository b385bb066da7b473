"""Mappings and sequences that know the line of each entry, and the error a YAML document
raises (apart from `yamlio`, so reading them needs no PyYAML)."""

from __future__ import annotations

from typing import Any


class YamlProblem(Exception):
    """A YAML document that cannot be used, with the line where the problem is."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class LineDict(dict[str, Any]):
    """A mapping that knows the line of each key."""

    # Slots: a document may hold a million of these, and an instance dict each would double
    # what they cost.
    __slots__ = ("key_lines", "line")
    line: int
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        """The line of `key`, or of the mapping itself when the key is absent."""
        return self.key_lines.get(key, self.line)


class LineList(list[Any]):
    """A sequence that knows the line of each item."""

    __slots__ = ("item_lines", "line")
    line: int
    item_lines: list[int]
