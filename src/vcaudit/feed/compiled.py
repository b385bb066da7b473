"""The compiled bundled feed: the `Feed` model as plain JSON, and back.

Parsing and checking the bundled YAML takes most of a small scan's start-up; a compiled
copy in the cache folder makes it a few milliseconds. The copy is data only: JSON holds
text, numbers, lists and mappings, and decoding builds the frozen dataclasses field by field,
checking every value against the type the model declares. A cache file can therefore hold
wrong data at worst, never run code, and wrong data is caught before use:

- the first line is a header naming the format, vcaudit's version, a fingerprint of the
  model's layout, the digest of the feed files it was compiled from and the digest of the
  payload that follows; any difference means the copy is rebuilt;
- the payload must decode to exactly the model (no missing, extra or mistyped field).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import functools
import hashlib
import json
import types
import typing
from collections.abc import Callable, Iterable
from typing import Any

from vcaudit.models import Feed

FORMAT = "vcaudit compiled feed 2"
"""2: products carry their data-protection sheet (facts whose value is yes/no, text or
unknown)."""


class Mismatch(ValueError):
    """The data is not a compiled copy of the feed it claims to be."""


Decoder = Callable[[Any], Any]


def source_digest(files: Iterable[tuple[str, bytes]]) -> str:
    """The digest of a feed's files (name and content), in name order."""
    digest = hashlib.sha256()
    for name, data in sorted(files):
        digest.update(f"{name}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def dumps(feed: Feed, *, version: str, source: str) -> bytes:
    """The compiled copy of `feed`: a header line, then the payload."""
    payload = json.dumps(
        _plain(feed), ensure_ascii=False, separators=(",", ":"), allow_nan=False
    ).encode()
    header = {
        "format": FORMAT,
        "vcaudit": version,
        "model": model_fingerprint(),
        "source": source,
        "payload": hashlib.sha256(payload).hexdigest(),
    }
    return json.dumps(header, sort_keys=True).encode() + b"\n" + payload


def loads(data: bytes, *, version: str, source: str) -> Feed:
    """The feed in a compiled copy; raises Mismatch unless it is exactly what it claims."""
    head, newline, payload = data.partition(b"\n")
    if not newline:
        raise Mismatch("no header")
    try:
        header = json.loads(head)
    except (ValueError, RecursionError):
        raise Mismatch("the header is not JSON") from None
    expected = {
        "format": FORMAT,
        "vcaudit": version,
        "model": model_fingerprint(),
        "source": source,
        "payload": hashlib.sha256(payload).hexdigest(),
    }
    if header != expected:
        raise Mismatch("compiled from another feed, version or layout, or damaged")
    try:
        doc = json.loads(payload)
    except (ValueError, RecursionError):
        raise Mismatch("the payload is not JSON") from None
    feed = _decoder(Feed)(doc)
    assert isinstance(feed, Feed)
    return feed


def _plain(value: Any) -> Any:
    """A model value as JSON data; `_decoder` of its declared type reverses it."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.date):  # datetimes too
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, frozenset):
        return sorted(_plain(item) for item in value)
    if value is None or isinstance(value, str | int | float):
        return value
    raise TypeError(f"the compiled feed cannot hold a {type(value).__name__}")


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


@functools.cache
def model_fingerprint() -> str:
    """A digest of every dataclass and enum reachable from `Feed`: names, fields, types."""
    layout: dict[str, Any] = {}

    def walk(tp: Any) -> None:
        for arg in typing.get_args(tp):
            walk(arg)
        if not isinstance(tp, type) or tp.__qualname__ in layout:
            return
        if dataclasses.is_dataclass(tp):
            hints = _hints(tp)
            fields = [(f.name, repr(hints[f.name])) for f in dataclasses.fields(tp)]
            layout[tp.__qualname__] = fields
            for field in dataclasses.fields(tp):
                walk(hints[field.name])
        elif issubclass(tp, enum.Enum):
            layout[tp.__qualname__] = [(m.name, m.value) for m in tp]

    walk(Feed)
    return hashlib.sha256(json.dumps(layout, sort_keys=True).encode()).hexdigest()


def _exact(kind: type) -> Decoder:
    def decode(value: Any) -> Any:
        # type() rather than isinstance(): JSON true is not the number 1.
        if type(value) is not kind:
            raise Mismatch(f"expected {kind.__name__}, got {type(value).__name__}")
        return value

    return decode


def _iso(kind: type[dt.date]) -> Decoder:
    def decode(value: Any) -> Any:
        if type(value) is not str:
            raise Mismatch(f"expected an ISO {kind.__name__}")
        try:
            return kind.fromisoformat(value)
        except ValueError:
            raise Mismatch(f"expected an ISO {kind.__name__}") from None

    return decode


def _enum(kind: type[enum.Enum]) -> Decoder:
    value_type = type(next(iter(kind)).value)

    members = {member.value: member for member in kind}

    def decode(value: Any) -> Any:
        member = members.get(value) if type(value) is value_type else None
        if member is None:
            raise Mismatch(f"not a {kind.__name__}: {value!r}")
        return member

    return decode


def _scalars(kinds: tuple[type, ...]) -> Decoder:
    """A value declared as a union of JSON scalars (`bool | str | None`): one of them, exactly."""

    def decode(value: Any) -> Any:
        if type(value) not in kinds:
            names = ", ".join(kind.__name__ for kind in kinds)
            raise Mismatch(f"expected one of {names}, got {type(value).__name__}")
        return value

    return decode


_SCALARS = (str, bool, int, float, type(None))


def _optional(inner: Decoder) -> Decoder:
    def decode(value: Any) -> Any:
        return None if value is None else inner(value)

    return decode


def _sequence(inner: Decoder, build: Callable[[Iterable[Any]], Any]) -> Decoder:
    def decode(value: Any) -> Any:
        if type(value) is not list:
            raise Mismatch("expected a list")
        return build(inner(item) for item in value)

    return decode


def _texts(value: Any) -> Any:
    """`tuple[str, ...]`, the most common type, checked without a call per item."""
    if type(value) is not list or not all(type(item) is str for item in value):
        raise Mismatch("expected a list of text")
    return tuple(value)


def _pair(first: Decoder, second: Decoder) -> Decoder:
    def decode(value: Any) -> Any:
        if type(value) is not list or len(value) != 2:
            raise Mismatch("expected a pair")
        return (first(value[0]), second(value[1]))

    return decode


def _dataclass(cls: type) -> Decoder:
    hints = _hints(cls)
    fields = dataclasses.fields(cls)
    if any(f.kw_only or not f.init for f in fields):
        raise TypeError(f"{cls.__name__}: the compiled feed passes fields by position")
    names = [f.name for f in fields]
    decoders: list[tuple[str, Decoder | None]] = []
    # Registered before its fields' decoders are made, so a recursive model would not loop.
    _DECODERS[cls] = lambda value: decode(value)

    def decode(value: Any) -> Any:
        if type(value) is not dict or len(value) != len(decoders):
            raise Mismatch(f"expected the {len(decoders)} fields of {cls.__name__}")
        args: list[Any] = []
        try:
            for name, dec in decoders:
                item = value[name]
                if dec is not None:
                    args.append(dec(item))
                elif type(item) is str:  # most fields: checked here, for speed
                    args.append(item)
                else:
                    raise Mismatch(f"{cls.__name__}.{name}: expected text")
        except KeyError as exc:
            raise Mismatch(f"{cls.__name__} has no {exc.args[0]}") from None
        return cls(*args)

    decoders.extend((name, None if hints[name] is str else _decoder(hints[name])) for name in names)
    return decode


_DECODERS: dict[Any, Decoder] = {}


def _decoder(tp: Any) -> Decoder:
    """The decoder for values declared as `tp` in the model."""
    found = _DECODERS.get(tp)
    if found is not None:
        return found
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    decoder: Decoder
    if tp in (str, bool, int, float):
        decoder = _exact(tp)
    elif tp is dt.datetime or tp is dt.date:
        decoder = _iso(tp)
    elif isinstance(tp, type) and issubclass(tp, enum.Enum):
        decoder = _enum(tp)
    elif isinstance(tp, type) and dataclasses.is_dataclass(tp):
        decoder = _dataclass(tp)
    elif origin in (types.UnionType, typing.Union) and len(args) == 2 and type(None) in args:
        decoder = _optional(_decoder(next(a for a in args if a is not type(None))))
    elif origin in (types.UnionType, typing.Union) and all(a in _SCALARS for a in args):
        decoder = _scalars(args)
    elif origin is tuple and len(args) == 2 and args[1] is Ellipsis and args[0] is str:
        decoder = _texts
    elif origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        decoder = _sequence(_decoder(args[0]), tuple)
    elif origin is tuple and len(args) == 2:
        decoder = _pair(_decoder(args[0]), _decoder(args[1]))
    elif origin is frozenset and len(args) == 1:
        decoder = _sequence(_decoder(args[0]), frozenset)
    else:
        raise TypeError(f"the compiled feed cannot hold {tp!r}")
    _DECODERS[tp] = decoder
    return decoder
