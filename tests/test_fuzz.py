"""Every parser, fuzzed: it parses, or raises vcaudit's own error with file and line."""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import Callable
from functools import partial
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vcaudit.config import parse_policy
from vcaudit.errors import VcauditError
from vcaudit.feed.load import load_feed
from vcaudit.inventory.context import ReadContext
from vcaudit.inventory.formats import InputFormat
from vcaudit.inventory.sources import READERS, Reader
from vcaudit.models import Installation
from vcaudit.yamlio import YamlProblem, load

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
TEXT = st.text(st.characters(codec="utf-8"), max_size=300)
FIELD = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)

YAML_PIECES = st.lists(
    st.sampled_from(
        ["hosts:", "installations:", "- ", "  ", "name: a", "platform: linux", "clients:",
         "{product: zoom, version: '1'}", "[", "]", "{", "}", "&a", "*a", "!!str", "!!python/x",
         "'", '"', ":", "\n", "#", "---", "version: 1.0", "product: ", "host: h", "<<: *a"]
    ),
    max_size=40,
).map("".join)  # fmt: skip


def lines_of(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True)


def read_all(reader: Reader, data: bytes, name: str) -> list[Installation]:
    return list(reader(lines_of(data), name, ReadContext()))


def error_of(call: Callable[[], object]) -> str:
    """The message of vcaudit's own error from `call`, or '' when it succeeds.

    Any other exception propagates and fails the test.
    """
    try:
        call()
    except VcauditError as exc:
        return str(exc)
    return ""


@FUZZ
@given(data=st.binary(max_size=400))
def test_every_reader_on_random_bytes(data: bytes) -> None:
    for fmt, reader in READERS.items():
        message = error_of(partial(read_all, reader, data, f"fuzz.{fmt.value}"))
        assert not message or message.startswith(f"fuzz.{fmt.value}")


@FUZZ
@given(text=st.one_of(TEXT, YAML_PIECES))
def test_every_reader_on_random_text(text: str) -> None:
    data = text.encode("utf-8", "surrogatepass")
    for fmt in (InputFormat.JSON, InputFormat.YAML, InputFormat.CSV, InputFormat.JSONL):
        message = error_of(partial(read_all, READERS[fmt], data, "fuzz"))
        assert not message or message.startswith("fuzz")


@FUZZ
@given(rows=st.lists(st.tuples(FIELD, FIELD, FIELD, FIELD), min_size=1, max_size=5))
def test_csv_rows_round_trip_or_fail_cleanly(rows: list[tuple[str, str, str, str]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["host", "platform", "product", "version"])
    writer.writerows(rows)
    data = buffer.getvalue().encode("utf-8")
    parsed: list[object] = []

    def parse() -> None:
        parsed.extend(read_all(READERS[InputFormat.CSV], data, "fuzz.csv"))

    message = error_of(parse)
    assert message.startswith("fuzz.csv") if message else len(parsed) <= len(rows)


@FUZZ
@given(text=st.one_of(TEXT, YAML_PIECES))
def test_yaml_loader_raises_only_its_problem(text: str) -> None:
    with contextlib.suppress(YamlProblem):
        load(text)


@FUZZ
@given(text=st.one_of(TEXT, YAML_PIECES))
def test_policy_parser(text: str) -> None:
    message = error_of(lambda: parse_policy(text, "vcaudit.yaml"))
    assert not message or message.startswith("vcaudit.yaml")


PRODUCT_PIECES = st.lists(
    st.sampled_from(
        ["id: demo\n", "name: D\n", "vendor: V\n", "version_scheme: zoom\n", "advisories:\n",
         "  - id: A\n", "    title: t\n", "    published: '2024-01-01'\n",
         "    severity: high\n", "    affected:\n", "      - platforms: [windows]\n",
         "        fixed: '1.2'\n", "        introduced: '3'\n", "    references: [https://x]\n",
         "latest: {windows: {version: '1', source: 'https://x'}}\n", "releases: [{}]\n",
         "identify: {windows: [{name: '('}]}\n", "lifecycle: {status: eol}\n", "x: &a 1\n",
         "y: *a\n", "        excluded: ['0.5']\n", "minimum_versions: [{version: 1}]\n"]
    ),
    max_size=25,
).map("".join)  # fmt: skip


@FUZZ
@given(text=st.one_of(TEXT, PRODUCT_PIECES))
def test_feed_loader(text: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "feed.yaml").write_text(
            "schema_version: 1\ngenerated_at: '2026-01-01T00:00:00Z'\npublisher: p\n",
            encoding="utf-8",
        )
        (root / "demo.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
        message = error_of(lambda: load_feed(root))
        assert not message or message.startswith(str(root))
