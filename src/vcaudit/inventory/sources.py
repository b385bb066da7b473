"""Opening inventory inputs: files or `-` for stdin, format from extension or content.

`read_inventories` yields every installation of every input in order, streaming: each file is
opened when its turn comes and closed when it is done.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from vcaudit.errors import InputError
from vcaudit.inventory import native
from vcaudit.inventory.formats import InputFormat
from vcaudit.models import Installation

STDIN = "-"
_SNIFF_BYTES = 4096


Reader = Callable[[Iterable[bytes], str], Iterator[Installation]]

READERS: dict[InputFormat, Reader] = {
    InputFormat.CSV: native.read_csv,
    InputFormat.JSON: native.read_json,
    InputFormat.JSONL: native.read_jsonl,
    InputFormat.YAML: native.read_yaml,
}

_EXTENSIONS = {
    ".csv": InputFormat.CSV,
    ".json": InputFormat.JSON,
    ".jsonl": InputFormat.JSONL,
    ".ndjson": InputFormat.JSONL,
    ".yaml": InputFormat.YAML,
    ".yml": InputFormat.YAML,
}


def sniff(head: bytes) -> InputFormat:
    """Guess a format from the first bytes of an input."""
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if text.startswith("["):
        return InputFormat.JSON
    if text.startswith("{"):
        first, _, rest = text.partition("\n")
        # One complete object on the first line followed by another object: JSON Lines.
        if first.rstrip().endswith("}") and rest.lstrip().startswith("{"):
            return InputFormat.JSONL
        return InputFormat.JSON
    first_line = text.partition("\n")[0]
    if first_line.startswith(("---", "hosts:", "installations:", "- ", "#")):
        return InputFormat.YAML
    return InputFormat.CSV


def detect(name: str, head: bytes) -> InputFormat:
    """The format of input `name`: its extension when known, else its content."""
    if name != STDIN:
        by_extension = _EXTENSIONS.get(Path(name).suffix.lower())
        if by_extension is not None:
            return by_extension
    return sniff(head)


def _open(name: str, stdin: BinaryIO | None) -> BinaryIO:
    if name == STDIN:
        return stdin if stdin is not None else sys.stdin.buffer
    path = Path(name)
    if path.is_dir():
        raise InputError(name, "is a directory, not an inventory file")
    try:
        return path.open("rb")
    except FileNotFoundError:
        raise InputError(name, "no such file") from None
    except OSError as exc:
        raise InputError(name, f"cannot open: {exc.strerror}") from None


def _lines(head: bytes, rest: BinaryIO) -> Iterator[bytes]:
    """The lines of `head` followed by the rest of the stream, as file iteration gives them."""
    *complete, partial = head.split(b"\n")
    for line in complete:
        yield line + b"\n"
    if partial:
        yield partial + rest.readline()
    yield from rest


def read_inventory(
    name: str, fmt: InputFormat = InputFormat.AUTO, stdin: BinaryIO | None = None
) -> Iterator[Installation]:
    """Every installation in one input."""
    stream = _open(name, stdin)
    shown = "<stdin>" if name == STDIN else name
    try:
        try:
            head = stream.read(_SNIFF_BYTES)
        except OSError as exc:
            raise InputError(shown, f"cannot read: {exc.strerror or exc}") from None
        if not head:
            raise InputError(shown, "the file is empty")
        chosen = detect(name, head) if fmt is InputFormat.AUTO else fmt
        try:
            yield from READERS[chosen](_lines(head, stream), shown)
        except OSError as exc:
            raise InputError(shown, f"cannot read: {exc.strerror or exc}") from None
    finally:
        if name != STDIN:
            stream.close()


def read_inventories(
    names: Sequence[str], fmt: InputFormat = InputFormat.AUTO, stdin: BinaryIO | None = None
) -> Iterator[Installation]:
    """Every installation of every input, in order."""
    if sum(1 for n in names if n == STDIN) > 1:
        raise InputError(STDIN, "standard input can be read only once")
    for name in names:
        yield from read_inventory(name, fmt, stdin)
