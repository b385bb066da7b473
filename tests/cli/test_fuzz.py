"""Every parser, fuzzed: it parses, or raises vcaudit's own error with file and line; and the
command line, fuzzed with hostile values in every input format and every option that takes
text: never an internal error (exit 70), never a traceback."""

from __future__ import annotations

import contextlib
import csv
import io
import json
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.conftest import TEST_FEED_DIR
from vcaudit.cli import main
from vcaudit.config import parse_policy
from vcaudit.errors import VcauditError
from vcaudit.feed.load import load_feed
from vcaudit.inventory.context import ReadContext
from vcaudit.inventory.formats import InputFormat
from vcaudit.inventory.sources import READERS, Reader
from vcaudit.models import Installation
from vcaudit.output import OutputFormat
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


# Mostly readable rows (a plain host and product, a real platform), so that the property
# compares what was read with what was written instead of only error messages.
PLAIN = st.text(st.sampled_from("abcXYZ019-. "), min_size=1, max_size=12)
CSV_ROW = st.tuples(
    st.one_of(PLAIN, FIELD),
    st.one_of(st.sampled_from(["windows", "linux", "macos", "Windows"]), FIELD),
    st.one_of(PLAIN, FIELD),
    st.one_of(PLAIN, FIELD),
)


@pytest.mark.slow
@FUZZ
@given(rows=st.lists(CSV_ROW, min_size=1, max_size=5))
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
    event("error" if message else "read")
    if message:
        assert message.startswith("fuzz.csv")
        return
    # Every row that names a product or a version is one installation, in order, with its host
    # and product; a row that names neither (an Uninstall key without a DisplayName) is passed
    # over, and counted.
    kept = [row for row in rows if row[2].strip() or row[3].strip()]
    assert len(parsed) == len(kept)
    for found, row in zip(parsed, kept, strict=True):
        assert isinstance(found, Installation)
        assert found.platform.value == row[1].strip().lower()
        if all(set(field) <= set("abcXYZ019-. ") for field in row):
            assert (found.host, found.product) == (row[0].strip(), row[2].strip())


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


@pytest.mark.slow
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


# The command line ----------------------------------------------------------------------------

CLI_FUZZ = settings(FUZZ, max_examples=15)
"""Each example runs vcaudit once or twice: fewer of them keep the suite fast; the slow
variants (CI) run many more."""
CLI_FUZZ_SLOW = settings(FUZZ, max_examples=400)

# Values that broke vcaudit once, or that Python cannot hold: thousands of digits (Python's
# 4300-digit limit on int()), 1e400 (inf), lone surrogates, nesting, dates past 9999, digits
# int() refuses, line and direction controls, workflow commands old and new.
HOSTILE = [
    "1" * 5000, "9" * 19, "-" + "1" * 120, "1e400", "-1e400", "NaN", "Infinity", "1" + "0" * 400,
    "2024-02-30", "9999-12-31", "0001-01-01", "999999999", "0x" + "f" * 200, "\u00b2", "\u0663",
    "##[add-mask]x", "::error::x", ":::", "#[", "\x00", "\x1b[2J", "\r\n", "\u2028", "\u202e",
    "=1+1", "<script>", "%0A", "", " ", "a" * 70000, "5.16.10 (25689)", "6.2.47507",
    "\ud800", "\udfff",
]  # fmt: skip
VALUE = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=30))
# Raw JSON tokens, written as they are: numbers Python cannot read, escapes of lone
# surrogates, nesting, and every JSON value type.
JSON_TOKEN = st.one_of(
    st.sampled_from(
        ["1" * 5000, "-" + "1" * 5000, "1e400", "-1e400", "NaN", "Infinity", '"\\ud800"',
         '"\\udc00x"', '"\\ud83d\\ude00"', "[" * 3000 + "]" * 3000,
         '{"a":' * 3000 + "1" + "}" * 3000,
         "true", "null", "[]", "{}", '"6.2.5"', "0.1", '"\\u0000"']
    ),
    VALUE.map(lambda v: json.dumps(v, ensure_ascii=False)),
)  # fmt: skip
YAML_TOKEN = st.one_of(
    st.sampled_from(
        ["1" * 5000, "0x" + "f" * 5000, "190:20:30" + ":30" * 500, "2024-02-30", "!!int x",
         "!!float x", "!!bool x", "!!timestamp x", "!!binary x", "!!set {a}", "*a", "&a x",
         "[" * 300 + "]" * 300, "1e400", "'\\ud800'", '"\\ud800"', "<<", "!!python/name:os.system",
         "9999-12-31", "~", "'6.2.5'"]
    ),
    VALUE.map(lambda v: json.dumps(v, ensure_ascii=False)),
)  # fmt: skip
FIELDS = ("host", "platform", "product", "version", "owner", "ownership", "user", "tags",
          "last_seen", "publisher")  # fmt: skip
PLATFORM = st.sampled_from(["windows", "macos", "linux", "Windows 11 Pro", "iOS", ""])


@st.composite
def inventories(draw: st.DrawFn) -> tuple[str, str]:
    """(input format, file content) with hostile values where a tool would put text."""
    fmt = draw(st.sampled_from([f.value for f in InputFormat if f is not InputFormat.AUTO]))
    product = draw(st.sampled_from(["meetly", "Meetly Workplace (64-bit)", "chatter", "x"]))
    if fmt in ("json", "jsonl", "osquery", "osquery-log", "fleet", "jamf", "intune"):
        token = draw(JSON_TOKEN)
        key = draw(st.sampled_from([*FIELDS, "counter", "deviceCount", "hosts_count", "name",
                                    "version", "DisplayVersion", "x"]))  # fmt: skip
        row = (f'{{"host": "h", "platform": "linux", "product": "{product}", "name": '
               f'"{product}", "version": "6.2.5", "{key}": {token}}}')  # fmt: skip
        documents = {
            "json": f"[\n{row}\n]\n",
            "jsonl": f"{row}\n{row}\n",
            "osquery": f"[\n{row}\n]\n",
            "osquery-log": f'{{"name": "q", "hostIdentifier": "h", "counter": {token}, '
            f'"columns": {row}}}\n',
            "fleet": f'{{"software": [{{"name": "{product}", "version": "1", '
            f'"hosts_count": {token}, "x": {row}}}]}}\n',
            "jamf": f'{{"results": [{{"general": {{"name": {token}}}, '
            f'"applications": [{{"name": "{product}", "version": {token}}}]}}]}}\n',
            "intune": f'{{"value": [{{"displayName": "{product}", "version": {token}, '
            f'"deviceCount": {token}, "platform": "windows"}}]}}\n',
        }
        return fmt, documents[fmt]
    if fmt == "yaml":
        token = draw(YAML_TOKEN)
        key = draw(st.sampled_from(FIELDS))
        return fmt, (
            f"installations:\n  - {{host: h, platform: linux, product: {product}, "
            f"version: '1', {key}: {token}}}\n"
        )
    values = [draw(VALUE) for _ in range(4)]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if fmt in ("csv", "configmgr"):
        header = (["host", "platform", "product", "version"] if fmt == "csv"
                  else ["Name0", "DisplayName0", "Version0", "Publisher0"])  # fmt: skip
        writer.writerow(header)
        writer.writerow([values[0], draw(PLATFORM) if fmt == "csv" else product, product,
                         values[1]])  # fmt: skip
        writer.writerow(values)
        return fmt, buffer.getvalue()
    lines = {
        "dpkg": f"{product}\t{values[0]}\n{values[1]}\t{values[2]}\n",
        "rpm": f"{product}-{values[0]}-1.x86_64\n{values[1]}\n",
        "flatpak": f"{product}\tcom.example.App\t{values[0]}\tstable\tflathub\n",
        "snap": f"Name Version Rev Tracking Publisher Notes\n{product} {values[0]} 1 x y -\n",
    }
    return fmt, lines[fmt]


def assert_handled(code: int, err: str) -> None:
    """What every run must hold: an exit code of vcaudit's own, and words, not a trace."""
    assert code != 70, err
    assert "Traceback" not in err, err
    assert "internal error" not in err, err


def scan_file(
    capsys: pytest.CaptureFixture[str], folder: Path, fmt: str, content: str, *args: str
) -> tuple[int, str]:
    path = folder / f"fuzz.{fmt}"
    path.write_bytes(content.encode("utf-8", "surrogatepass"))
    code = main(["scan", str(path), "--input-format", fmt, *CLI_BASE, *args])
    _out, err = capsys.readouterr()
    return code, err


CLI_BASE = ["--feed", str(TEST_FEED_DIR), "--as-of", "2026-01-15", "--fail-on", "none"]
OUTPUT = st.sampled_from([f.value for f in OutputFormat])


def _every_input_format(
    capsys: pytest.CaptureFixture[str], folder: Path, inventory: tuple[str, str], output: str
) -> None:
    fmt, content = inventory
    code, err = scan_file(capsys, folder, fmt, content, "--format", output)
    assert_handled(code, err)
    code, err = scan_file(capsys, folder, "auto", content, "--format", output, "--details")
    assert_handled(code, err)
    export = folder / f"fuzz.{fmt}"
    for written in ("csv", "json", "yaml"):
        code = main(["import", fmt, str(export), "--format", written, "--host", "h",
                     "--feed", str(TEST_FEED_DIR)])  # fmt: skip
        assert_handled(code, capsys.readouterr()[1])


@CLI_FUZZ
@given(inventory=inventories(), output=OUTPUT)
@pytest.mark.slow
def test_scan_every_input_format_with_hostile_values(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, inventory: tuple[str, str], output: str
) -> None:
    _every_input_format(capsys, tmp_path, inventory, output)


@pytest.mark.slow
@CLI_FUZZ_SLOW
@given(inventory=inventories(), output=OUTPUT)
def test_scan_every_input_format_with_hostile_values_at_length(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, inventory: tuple[str, str], output: str
) -> None:
    _every_input_format(capsys, tmp_path, inventory, output)


POLICY_KEYS = st.sampled_from(
    ["fail_on: {v}", "strict: {v}", "max_feed_age_days: {v}", "sla: {{critical: {v}}}",
     "sla: {{low: {v}, high: {v}}}", "approved: [{v}]", "owners: {{products: {{meetly: {v}}}}}",
     "outdated: {{default: {{days: {v}, releases: {v}}}}}",
     "ignore: [{{id: MSB-001, reason: r, product: meetly, versions: {v}}}]",
     "ignore: [{{id: {v}, reason: r, until: {v}, hosts: [{v}], tags: [{v}]}}]",
     "devices: {{personal: {{outdated: {{days: {v}}}, not_allowed: [{v}]}}}}",
     "inventory: {{columns: {{host: {v}}}, platform: {v}}}", "review: {v}"]
)  # fmt: skip


@st.composite
def policies(draw: st.DrawFn) -> str:
    lines = draw(st.lists(POLICY_KEYS, min_size=1, max_size=3, unique=True))
    return "\n".join(line.format(v=draw(YAML_TOKEN)) for line in lines) + "\n"


@st.composite
def text_options(draw: st.DrawFn) -> list[str]:
    """Options of `vcaudit scan` that take text, with hostile values (mail goes to a dry-run
    folder and webhooks to a closed local port: nothing leaves the machine)."""
    value = draw(VALUE)
    choice = draw(
        st.sampled_from(
            ["--fail-on", "--as-of", "--columns", "--host", "--report", "--platform",
             "--max-feed-age", "--email-to", "--email-from", "--smtp-host", "--smtp-user",
             "--smtp-timeout", "--webhook", "--webhook-format", "--input-format", "--format",
             "--output", "--config", "--feed", "--cache-dir", "--state", "--email-dry-run",
             "--smtp-password-file", "--smtp-ca-file", "--state-wait", "--webhook-timeout"]
        )
    )  # fmt: skip
    # Paths stay inside the test's folder: no separator, so no way out of it.
    path = "out-" + value.replace("/", "_").replace("\\", "_")
    if choice in ("--output", "--config", "--feed", "--cache-dir"):
        return [choice, path]
    if choice in ("--state", "--email-dry-run", "--smtp-password-file", "--smtp-ca-file"):
        return [choice, path, "--email-to", "it@example.com", "--email-from", "v@example.com",
                *([] if choice == "--email-dry-run" else ["--email-dry-run", "mail"])]  # fmt: skip
    if choice == "--columns":
        value = f"host={value}"
    elif choice == "--report":
        value = draw(st.sampled_from([f"json={value}", f"{value}=x.json", value, "json=-"]))
    elif choice == "--webhook":
        value = draw(st.sampled_from([f"http://127.0.0.1:1/{value}", f"http://[{value}",
                                      f"https://u:p@{value}:1/", value]))  # fmt: skip
    elif choice in ("--email-to", "--email-from", "--smtp-host", "--smtp-user"):
        return [choice, value, "--email-to", "it@example.com", "--email-from", "v@example.com",
                "--email-dry-run", "mail"]  # fmt: skip
    elif choice == "--smtp-timeout":
        return [choice, value, "--email-to", "it@example.com", "--email-from", "v@example.com",
                "--smtp-host", "127.0.0.1", "--smtp-port", "1"]  # fmt: skip
    elif choice == "--webhook-timeout":
        return [choice, value, "--webhook", "http://127.0.0.1:1/"]
    elif choice == "--state-wait":
        return [choice, value, "--state", "state.json", "--email-to", "it@example.com",
                "--email-from", "v@example.com", "--email-dry-run", "mail"]  # fmt: skip
    return [choice, value]


def _options_and_commands(
    capsys: pytest.CaptureFixture[str],
    folder: Path,
    options: list[str],
    policy: str,
    name: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(folder)
    fleet = folder / "fleet.csv"
    fleet.write_text("host,platform,product,version\npc,windows,meetly,5.16.9\n", encoding="utf-8")
    if "\x00" not in "".join(options):  # a NUL cannot be passed in an argument at all
        code = main(["scan", str(fleet), *CLI_BASE, *options])
        assert_handled(code, capsys.readouterr()[1])
    config = folder / "vcaudit.yaml"
    config.write_bytes(policy.encode("utf-8", "surrogatepass"))
    for args in (
        ["config", "check", str(config), "--feed", str(TEST_FEED_DIR)],
        ["scan", str(fleet), *CLI_BASE, "--config", str(config), "--format", "json"],
        ["identify", name, "--version", name, "--publisher", name, "--feed", str(TEST_FEED_DIR)],
        ["advisory", name, "--feed", str(TEST_FEED_DIR)],
    ):
        if "\x00" in "".join(args):
            continue
        code = main(args)
        assert_handled(code, capsys.readouterr()[1])


@CLI_FUZZ
@given(options=text_options(), policy=policies(), name=VALUE)
@pytest.mark.slow
def test_every_text_option_and_the_policy_file_with_hostile_values(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    options: list[str],
    policy: str,
    name: str,
) -> None:
    _options_and_commands(capsys, tmp_path, options, policy, name, monkeypatch)


@pytest.mark.slow
@CLI_FUZZ_SLOW
@given(options=text_options(), policy=policies(), name=VALUE)
def test_every_text_option_and_the_policy_file_with_hostile_values_at_length(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    options: list[str],
    policy: str,
    name: str,
) -> None:
    _options_and_commands(capsys, tmp_path, options, policy, name, monkeypatch)
