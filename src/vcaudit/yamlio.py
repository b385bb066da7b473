"""Safe YAML loading that remembers line numbers and refuses what a typo or an attacker adds.

Every mapping and sequence comes back as `LineDict` / `LineList`, which know the line of each
of their entries, so errors can name file, line and field. Duplicate keys are an error (the
second would silently win), and so are aliases: none of vcaudit's files needs them, and
refusing them defuses alias bombs ("billion laughs").

The document is built straight from the parser's events, never as a tree of PyYAML nodes
first: a node costs hundreds of bytes (its marks, its tag), so a 9 MB file of small
collections needed gigabytes that way. What a document may hold is bounded: at most
`MAX_VALUES` values, nested at most `MAX_DEPTH` deep, and no number longer than
`MAX_NUMBER` characters (Python refuses to read integers of more than 4300 digits, and no
field of vcaudit's needs one). A value a scalar's tag cannot read (`2024-02-30`,
`!!int x`) is an error with its line, like any other.
"""

from __future__ import annotations

from typing import Any

import yaml

from vcaudit.linedata import LineDict, LineList, YamlProblem

__all__ = ["MAX_DEPTH", "MAX_VALUES", "LineDict", "LineList", "YamlProblem", "load"]

try:  # the C parser is much faster; the constructor stays the safe Python one
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

MAX_VALUES = 2_000_000
"""Values (mappings, sequences, scalars) a document may hold: under 400 MB in the worst
shape (small mappings), and more than any policy file, feed or YAML inventory needs (a 9 MB
inventory of 55,000 installations holds about 700,000)."""
MAX_DEPTH = 100
"""Mappings and sequences nested in each other."""
MAX_NUMBER = 100
"""Characters of a number (`1_000`, `0x1f`, `190:20:30` included)."""

_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"
_NUMBERS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
_SHOWN = 40
"""Characters of an unreadable scalar quoted in its error."""


class _Loader(_BaseLoader):
    """The safe loader: its parser gives the events, its resolver and constructors the
    scalars' types and values."""


def _line(event: yaml.Event | None) -> int:
    mark = event.start_mark if event is not None else None
    return int(mark.line) + 1 if mark is not None else 0


def _short_tag(tag: str) -> str:
    return tag.replace("tag:yaml.org,2002:", "!!")


def _scalar(loader: _Loader, event: yaml.ScalarEvent) -> Any:
    tag = event.tag
    if tag is None or tag == "!":
        resolved: str = loader.resolve(  # type: ignore[no-untyped-call]  # PyYAML's stubs
            yaml.ScalarNode, event.value, event.implicit
        )
        tag = resolved
    if tag == _MERGE:
        raise YamlProblem("merge keys (<<) are not allowed", _line(event))
    if tag in _NUMBERS and len(event.value) > MAX_NUMBER:
        raise YamlProblem(
            f"a number of {len(event.value)} characters is too long (at most {MAX_NUMBER}); "
            "put it in quotes if it is text",
            _line(event),
        )
    constructor = loader.yaml_constructors.get(tag)
    if constructor is None or tag in (_MAP, _SEQ):
        raise YamlProblem(f"the tag {_short_tag(tag)} is not allowed", _line(event))
    # The constructors read only the node's tag and value (and their marks for messages).
    node = yaml.ScalarNode(tag, event.value, style=event.style)
    try:
        return constructor(loader, node)
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError, yaml.YAMLError):
        # e.g. `2024-02-30` (a timestamp with no such day), `!!int x`, `!!bool maybe`
        shown = event.value if len(event.value) <= _SHOWN else event.value[:_SHOWN] + "…"
        raise YamlProblem(
            f"{shown!r} is not a valid {_short_tag(tag)} value", _line(event)
        ) from None


def _check_tag(event: yaml.CollectionStartEvent, expected: str) -> None:
    tag = event.tag
    if tag is not None and tag not in ("!", expected):
        raise YamlProblem(f"the tag {_short_tag(tag)} is not allowed", _line(event))


class _Frame:
    """A mapping or sequence being filled."""

    __slots__ = ("key", "key_line", "value")

    def __init__(self, value: LineDict | LineList) -> None:
        self.value = value
        self.key: str | None = None
        self.key_line = 0


def _build(loader: _Loader, max_values: int) -> Any:
    """The one node whose first event is next, built from events with an explicit stack
    (no recursion, so depth is bounded by MAX_DEPTH, not by Python's stack)."""
    stack: list[_Frame] = []
    count = 0
    get_event = loader.get_event
    while True:
        event = get_event()
        line = _line(event)
        value: Any
        if isinstance(event, yaml.CollectionEndEvent):
            done = stack.pop()
            value, line = done.value, done.value.line
        else:
            count += 1
            if count > max_values:
                raise YamlProblem(_too_many(max_values), line)
            if isinstance(event, yaml.ScalarEvent):
                value = _scalar(loader, event)
            elif isinstance(event, yaml.CollectionStartEvent):
                if len(stack) >= MAX_DEPTH:
                    raise YamlProblem(f"nested too deeply (more than {MAX_DEPTH} levels)", line)
                stack.append(_Frame(_container(event, line)))
                continue
            elif isinstance(event, yaml.AliasEvent):
                raise YamlProblem("aliases (*name) are not allowed", line)
            else:  # pragma: no cover - the parser gives nothing else inside a document
                raise YamlProblem(f"unexpected {type(event).__name__}", line)
        if not stack:
            return value
        _add(stack[-1], value, line)


def _container(event: yaml.CollectionStartEvent, line: int) -> LineDict | LineList:
    if isinstance(event, yaml.MappingStartEvent):
        _check_tag(event, _MAP)
        mapping = LineDict()
        mapping.line, mapping.key_lines = line, {}
        return mapping
    _check_tag(event, _SEQ)
    sequence = LineList()
    sequence.line, sequence.item_lines = line, []
    return sequence


def _add(frame: _Frame, value: Any, line: int) -> None:
    target = frame.value
    if isinstance(target, LineList):
        target.append(value)
        target.item_lines.append(line)
        return
    if frame.key is None:
        key = value if isinstance(value, str) else str(value)
        if key in target:
            raise YamlProblem(f"duplicate key {key!r}", line)
        frame.key, frame.key_line = key, line
        return
    target[frame.key] = value
    target.key_lines[frame.key] = frame.key_line
    frame.key = None


def _too_many(max_values: int) -> str:
    return f"more than {max_values:,} values, too large to read as one document"


def load(text: str, *, max_values: int = 0) -> Any:
    """Parse one YAML document safely, with at most `max_values` values (default
    `MAX_VALUES`); raises YamlProblem with the line on any error."""
    max_values = max_values or MAX_VALUES
    loader = _Loader(text)
    try:
        loader.get_event()  # the stream's start
        if loader.check_event(yaml.StreamEndEvent):
            return None
        loader.get_event()  # the document's start
        data = _build(loader, max_values)
        loader.get_event()  # the document's end
        if not loader.check_event(yaml.StreamEndEvent):
            raise YamlProblem(
                "expected a single document, found another", _line(loader.peek_event())
            )
        return data
    except YamlProblem:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise YamlProblem(f"not valid YAML: {exc.problem or exc.context}", line) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(f"not valid YAML: {exc}", None) from None
    finally:
        loader.dispose()
