"""Hostile and broken inputs through the command line: streams that never end, values Python
cannot hold, outputs that would overwrite each other or an input, stdout that cannot be
written, and files that change between two reads. Each ends with one line naming the file
(exit 3, or 2 for a contradictory command line), never an internal error (70)."""

from __future__ import annotations

import json
import os
import plistlib
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO

import pytest

from tests.conftest import TEST_FEED_DIR
from tests.output.json_report import installation_rows
from vcaudit import yamlio
from vcaudit.cli import main
from vcaudit.errors import InputError
from vcaudit.inventory import native, sources
from vcaudit.inventory.aggregate import reread_csv
from vcaudit.inventory.context import ReadContext
from vcaudit.inventory.discover import MacAppsProbe, discover
from vcaudit.inventory.identify import Identifier
from vcaudit.models import Feed

BASE = ["--feed", str(TEST_FEED_DIR), "--as-of", "2026-01-15", "--fail-on", "none"]
HEADER = "host,platform,product,version\n"
ROW = "pc-1,windows,meetly,6.2.5\n"
ROW_JSON = '"host": "h", "platform": "linux", "product": "x"'
NATIVE_FORMATS = ("csv", "json", "jsonl", "yaml")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def one_error(err: str, start: str) -> str:
    """The one error line of `err` (tips aside), which must start with `start`."""
    lines = [line for line in err.splitlines() if not line.startswith("Tip: ")]
    assert len(lines) == 1, err
    assert lines[0].startswith(f"vcaudit: error: {start}"), err
    assert "Traceback" not in err
    return lines[0]


def cli(
    *args: str, stdin: IO[bytes] | None = None, stdout: IO[str] | IO[bytes] | None = None
) -> subprocess.CompletedProcess[str]:
    """vcaudit in a child process (for real standard streams: /dev/full, files, pipes)."""
    return subprocess.run(
        [sys.executable, "-m", "vcaudit", *args],
        stdin=stdin,
        stdout=stdout if stdout is not None else subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
        check=False,
    )


# Streams that never end ---------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["auto", *NATIVE_FORMATS, "osquery-log", "dpkg"])
def test_dev_zero_as_an_inventory_ends_with_one_line(
    capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    # /dev/zero says it is empty (stat size 0) and never ends: what is read is bounded.
    code, out, err = run(capsys, "scan", "/dev/zero", "--input-format", fmt, *BASE)
    assert code == 3
    assert out == ""
    line = one_error(err, "/dev/zero")
    # JSON and YAML documents are read whole and refuse the NUL byte; line readers the line.
    said = "contains a NUL byte" if fmt in ("json", "yaml") else "the line is longer than 8 MiB"
    assert said in line


def test_a_symlink_to_dev_zero_is_bounded_too(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    link = tmp_path / "fleet.csv"
    link.symlink_to("/dev/zero")
    code, _, err = run(capsys, "scan", str(link), *BASE)
    assert code == 3
    one_error(err, f"{link}, line 1: the line is longer than 8 MiB")


@pytest.mark.parametrize("command", [["config", "check"], ["scan", "--config"]])
def test_dev_zero_as_the_policy_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: list[str]
) -> None:
    link = tmp_path / "vcaudit.yaml"
    link.symlink_to("/dev/zero")
    fleet = tmp_path / "fleet.csv"
    fleet.write_text(HEADER + ROW, encoding="utf-8")
    args = [*command, str(link)]
    if command[0] == "scan":
        args = ["scan", str(fleet), *BASE, "--config", str(link)]
    code, out, err = run(capsys, *args)
    assert code == 3
    assert out == ""
    one_error(err, f"{link}: the policy file is larger than 1 MiB")


@pytest.mark.slow
def test_a_stream_without_newlines_on_stdin() -> None:
    with open("/dev/zero", "rb") as zero:
        done = cli("scan", "-", *BASE, stdin=zero)
    assert done.returncode == 3
    assert done.stdout == ""
    one_error(done.stderr, "<stdin>, line 1: the line is longer than 8 MiB")


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "fleet.fifo"
    os.mkfifo(path)
    return path


def _feed_fifo(path: Path, data: bytes, forever: bool = False) -> threading.Thread:
    """A writer on the other end of `path`: `data` once, or again and again until the reader
    goes away."""

    def write() -> None:
        try:
            with path.open("wb") as handle:
                handle.write(data)
                while forever:
                    handle.write(data)
        except BrokenPipeError:
            pass

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    return writer


def test_a_named_fifo_is_read_like_a_file(capsys: pytest.CaptureFixture[str], fifo: Path) -> None:
    # Named explicitly, a FIFO is read as `cat` would read it (process substitution).
    writer = _feed_fifo(fifo, (HEADER + ROW).encode())
    code, out, err = run(capsys, "scan", str(fifo), "--input-format", "csv", *BASE)
    writer.join(10)
    assert code == 0, err
    assert "1 installation" in out


def test_a_fifo_that_never_ends_a_line_is_refused(
    capsys: pytest.CaptureFixture[str], fifo: Path
) -> None:
    writer = _feed_fifo(fifo, b"x" * 65536, forever=True)
    code, _, err = run(capsys, "scan", str(fifo), *BASE)
    writer.join(10)
    assert code == 3
    one_error(err, f"{fifo}, line 1: the line is longer than 8 MiB")


def test_a_fifo_as_the_policy_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    policy = tmp_path / "policy.fifo"
    os.mkfifo(policy)
    writer = _feed_fifo(policy, b"fail_on: critical\n")
    code, out, err = run(capsys, "config", "check", str(policy), "--feed", str(TEST_FEED_DIR))
    writer.join(10)
    assert code == 0, err
    assert "fail_on critical" in out


def test_a_document_larger_than_its_limit(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The limit (256 MiB) lowered so the test stays small: what is read stops at it.
    monkeypatch.setattr(native, "MAX_DOCUMENT", 4096)
    items = (("json", f"{{{ROW_JSON}}},\n"), ("yaml", "- {host: h, version: '1'}\n"))
    for fmt, item in items:
        path = tmp_path / f"big.{fmt}"
        body = item * 200
        path.write_text(f"[{body[:-2]}]\n" if fmt == "json" else body, encoding="utf-8")
        code, _, err = run(capsys, "scan", str(path), *BASE)
        assert code == 3
        line = one_error(err, f"{path}: is larger than 0 MiB, too large to read as one document")
        assert "row by row" in err, line


# Amplification -------------------------------------------------------------------------------


def test_json_values_are_counted(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(native, "MAX_JSON_VALUES", 1000)
    path = tmp_path / "objects.json"
    path.write_text("[\n" + "{},\n" * 1000 + "{}]\n", encoding="utf-8")
    code, _, err = run(capsys, "scan", str(path), *BASE)
    assert code == 3
    one_error(err, f"{path}, line 1002: more than 1,000 values, too large to read as one document")


def test_yaml_values_are_counted(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(yamlio, "MAX_VALUES", 1000)
    path = tmp_path / "objects.yaml"
    path.write_text("- {}\n" * 1001, encoding="utf-8")
    code, _, err = run(capsys, "scan", str(path), *BASE)
    assert code == 3
    one_error(err, f"{path}, line 1000: more than 1,000 values, too large to read as one document")


def _peak_mb(*args: str) -> tuple[int, float, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "vcaudit", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert process.stderr is not None
    err = process.stderr.read().decode("utf-8", "replace")  # a line or two: no deadlock
    process.stderr.close()
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    return process.returncode, usage.ru_maxrss / 1024, err


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("objects.json", "[" + "{}," * (3 * 1024 * 1024) + "{}]\n"),  # 9 MiB of empty objects
        ("mappings.yaml", "[" + "{a: 1}," * (9 * 1024 * 1024 // 7) + "{}]\n"),
    ],
)
def test_a_9_mb_document_does_not_need_gigabytes(tmp_path: Path, name: str, content: str) -> None:
    # Before: 1.4 GB (JSON) and 3.2 GB (YAML) of memory. Memory is measured, not time.
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    code, peak, err = _peak_mb("scan", str(path), *BASE)
    assert code == 3, err  # neither holds installations; what matters is how it ended
    assert "Traceback" not in err
    assert peak < 700, f"{peak:.0f} MB"


# Values Python cannot hold -------------------------------------------------------------------

DIGITS = "1" * 5000


UNHOLDABLE = [
    ("long.csv", HEADER + f"pc,windows,meetly,{DIGITS}\n",
     "line 2: version: a number of 5000 digits is not a version (at most 18 digits"),
    ("long.csv", HEADER + f"pc,windows,meetly,5.{DIGITS}.1\n", "line 2: version: a number"),
    ("long.json", f'[{{{ROW_JSON}, "version": "{DIGITS}"}}]',
     "line 1: version: a number of 5000 digits"),
    ("int.json", f'[{{{ROW_JSON}, "version": {DIGITS}}}]',
     "line 1: a number of 5000 digits is too long (at most 100)"),
    ("int.json", f'[\n{{{ROW_JSON},\n "x": -{DIGITS}}}]',
     "line 3: a number of 5000 digits is too long"),
    ("int.jsonl", f'{{{ROW_JSON}, "version": {DIGITS}}}\n',
     "line 1: a number of 5000 digits is too long"),
    ("surrogate.json", '[\n{"host": "h\\ud800", "platform": "linux", "product": "x"}]',
     "line 2: not valid JSON: \\ud800 is half of a surrogate pair, not a character"),
    ("surrogate.json", '[{"host": "h", "platform": "linux", "product": "x", "\\udfff": 1}]',
     "line 1: not valid JSON: \\udfff is half of a surrogate pair"),
    ("surrogate.jsonl", '{"host": "h", "platform": "linux", "product": "x", "version": "1"}\n'
     '{"host": "\\uDBFF", "platform": "linux", "product": "x", "version": "1"}\n',
     "line 2: not valid JSON: \\udbff is half of a surrogate pair"),
    ("deep.jsonl", '{"a": ' * 100_000 + "1" + "}" * 100_000 + "\n",
     "line 1: JSON nested too deeply"),
    ("int.yaml", f"- {{host: h, platform: linux, product: x, version: {DIGITS}}}\n",
     "line 1: a number of 5000 characters is too long (at most 100)"),
    ("date.yaml", "- {host: h, platform: linux, product: x, version: '1',\n"
     "   last_seen: 2024-02-30}\n", "line 2: '2024-02-30' is not a valid !!timestamp value"),
    ("tag.yaml", "- {host: h, platform: linux, product: x, version: !!int x}\n",
     "line 1: 'x' is not a valid !!int value"),
    ("alias.yaml", "- {host: &h h, platform: linux, product: x, version: *h}\n",
     "line 1: aliases (*name) are not allowed"),
    ("deep.yaml", "hosts: " + "[" * 150 + "]" * 150 + "\n",
     "line 1: nested too deeply (more than 100 levels)"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "content", "message"),
    UNHOLDABLE,
    ids=[f"{i}-{case[0]}" for i, case in enumerate(UNHOLDABLE)],
)
def test_values_python_cannot_hold_are_input_errors(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str, content: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8", errors="surrogatepass")
    for fmt in ("table", "json"):
        code, out, err = run(capsys, "scan", str(path), *BASE, "--format", fmt)
        assert code == 3, err
        assert out == ""
        one_error(err, f"{path}, {message}")


def test_an_sla_past_the_year_9999_is_refused_by_check_and_scan(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    policy = tmp_path / "vcaudit.yaml"
    policy.write_text("sla:\n  high: 30\n  critical: 999999999\n", encoding="utf-8")
    fleet = tmp_path / "fleet.csv"
    fleet.write_text(HEADER + "pc,windows,meetly,5.16.9\n", encoding="utf-8")
    expected = f"{policy}, line 3: sla.critical: must be at most 3650 days (ten years)"
    code, _, err = run(capsys, "config", "check", str(policy), "--feed", str(TEST_FEED_DIR))
    assert code == 3
    one_error(err, expected)
    code, out, err = run(capsys, "scan", str(fleet), *BASE, "--config", str(policy))
    assert code == 3
    assert out == ""
    one_error(err, expected)
    policy.write_text("sla:\n  critical: 3650\n", encoding="utf-8")
    code, out, err = run(
        capsys, "scan", str(fleet), *BASE, "--config", str(policy), "--format", "json"
    )
    assert code == 0, err
    assert {i["due"] for i in installation_rows(json.loads(out))} != {None}


@pytest.mark.parametrize(
    ("versions", "shown"),
    [
        (">=5.x", "'>=5.x'"),
        (">=" + DIGITS, "'>=" + "1" * 58 + "…'"),
        (">=1" + " " * 300_000 + "!", "'>=1" + " " * 57 + "…'"),
        (" " * 300_000 + "<", None),
    ],
    ids=["letters", "digits", "spaces-after", "spaces-before"],
)
@pytest.mark.slow
def test_policy_versions_are_parsed_in_linear_time(
    tmp_path: Path, versions: str, shown: str | None
) -> None:
    # A pattern of `\s*` around a lazy class backtracked quadratically: 300,000 spaces took
    # hours. In a child process with a generous timeout, so a regression fails, never hangs.
    policy = tmp_path / "vcaudit.yaml"
    policy.write_text(
        "ignore:\n  - id: X\n    reason: r\n    product: meetly\n"
        f"    versions: {json.dumps(versions)}\n",
        encoding="utf-8",
    )
    done = cli("config", "check", str(policy), "--feed", str(TEST_FEED_DIR))
    assert done.returncode == 3
    line = one_error(done.stderr, f"{policy}, line 5: ignore[0].versions: expected comparisons")
    if shown is not None:
        assert line.endswith(f"got {shown}")


def test_valid_policy_versions_still_parse(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    policy = tmp_path / "vcaudit.yaml"
    policy.write_text(
        "ignore:\n  - {id: MSB-001, reason: r, product: meetly,\n"
        "     versions: ' >= 5.16.0 ,<5.16.10, = 5.16.9 (26100)'}\n",
        encoding="utf-8",
    )
    code, out, err = run(capsys, "config", "check", str(policy), "--feed", str(TEST_FEED_DIR))
    assert code == 0, err
    assert "1 ignore rule(s)" in out


# Outputs -------------------------------------------------------------------------------------


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    path = tmp_path / "fleet.csv"
    path.write_text(HEADER + ROW, encoding="utf-8")
    return path


@pytest.mark.parametrize("args", [["--format", "json"], ["--quiet"], []])
@pytest.mark.slow
def test_stdout_to_a_full_disk_is_one_line(fleet: Path, args: list[str]) -> None:
    with open("/dev/full", "w") as full:
        done = cli("scan", str(fleet), *BASE, *args, stdout=full)
    assert done.returncode == 3
    assert done.stderr == (
        "vcaudit: error: standard output: cannot write the report: No space left on device\n"
    )


@pytest.mark.slow
def test_stdout_to_a_closed_pipe_is_one_line(fleet: Path) -> None:
    # The reader is gone before vcaudit writes (`vcaudit scan ... | head -c0`).
    process = subprocess.Popen(
        [sys.executable, "-m", "vcaudit", "scan", str(fleet), *BASE, "--format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    process.stdout.close()
    _out, err = process.communicate(timeout=120)
    assert process.returncode == 3
    assert err.decode() == (
        "vcaudit: error: standard output: cannot write the report: Broken pipe\n"
    )


@pytest.mark.parametrize("args", [["--version"], ["config", "init", "--help"]])
def test_any_command_printing_to_a_full_disk_is_one_line(args: list[str]) -> None:
    with open("/dev/full", "w") as full:
        done = cli(*args, stdout=full)
    assert done.returncode == 3
    assert done.stderr == "vcaudit: error: cannot write the output: No space left on device\n"


def test_two_reports_to_one_file_are_refused(
    capsys: pytest.CaptureFixture[str], fleet: Path, tmp_path: Path
) -> None:
    out = tmp_path / "report.json"
    (tmp_path / "sub").mkdir()
    link = tmp_path / "link.json"
    link.symlink_to(out)
    cases = [
        (["-o", str(out), "--report", f"json={out}"], f"'{out}' is named twice"),
        (["-o", str(out), "--report", f"sarif={tmp_path}/sub/../report.json"], f"'{out}' and"),
        (["--report", f"json={out}", "--report", f"sarif={link}"], f"'{out}' and '{link}'"),
        (["--report", "json=-"], "two reports would be written to standard output"),
    ]
    for args, message in cases:
        code, stdout, err = run(capsys, "scan", str(fleet), *BASE, *args)
        assert code == 2, args
        assert stdout == ""
        one_error(err, message)
        assert not out.exists()  # refused before anything was written
    out.write_text("previous", encoding="utf-8")  # an existing file: by device and inode
    hard = tmp_path / "hard.json"
    os.link(out, hard)
    code, _, err = run(capsys, "scan", str(fleet), *BASE, "-o", str(out), "--report", f"csv={hard}")
    assert code == 2
    one_error(err, f"'{out}' and '{hard}': two reports would be written to one file")
    assert out.read_text(encoding="utf-8") == "previous"


@pytest.mark.slow
def test_an_output_that_is_standard_inputs_file_is_refused(fleet: Path, tmp_path: Path) -> None:
    link = tmp_path / "link.csv"
    link.symlink_to(fleet)
    before = fleet.read_bytes()
    for args in (["-", "-o", str(fleet)], ["-o", str(link)], ["--report", f"json={fleet}"]):
        with fleet.open("rb") as stdin:
            done = cli("scan", *args, *BASE, stdin=stdin)
        assert done.returncode == 3, args
        one_error(done.stderr, "")
        assert "is standard input's file; refusing to overwrite an input file" in done.stderr
        assert fleet.read_bytes() == before
    with fleet.open("rb") as stdin:
        done = cli("import", "auto", "-", "-o", str(fleet), stdin=stdin)
    assert done.returncode == 3
    assert fleet.read_bytes() == before


def test_stdout_appending_to_an_input_is_refused(fleet: Path) -> None:
    before = fleet.read_bytes()
    with fleet.open("ab") as stdout:
        done = cli("scan", str(fleet), *BASE, stdout=stdout)
    assert done.returncode == 3
    assert done.stderr == (
        f"vcaudit: error: standard output: is the input {fleet}; refusing to write the "
        "report into an input file\n"
    )
    assert fleet.read_bytes() == before


# Nothing lost: a file read twice ---------------------------------------------------------------


def test_a_file_changed_between_its_two_reads_is_an_error(tmp_path: Path) -> None:
    # Same size, same modification time, other bytes: only the content tells.
    path = tmp_path / "fleet.csv"
    path.write_text(
        HEADER + "".join(f"pc-{i:03d},windows,meetly,6.2.{i % 3}\n" for i in range(500)),
        encoding="utf-8",
    )
    counted = next(iter(sources.aggregate_inventories([str(path)]))).origin
    assert counted is not None
    before = path.stat()
    path.write_bytes(path.read_bytes().replace(b"pc-007,", b"pc-008,"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size
    with (
        pytest.raises(InputError, match="changed while it was being read"),
        sources.reopen_counted(counted) as lines,
    ):
        for _batch in reread_csv(lines, counted):
            pass
    # Unchanged, it reads again without a word.
    counted = next(iter(sources.aggregate_inventories([str(path)]))).origin
    assert counted is not None
    with sources.reopen_counted(counted) as lines:
        assert sum(len(batch[0]) for batch in reread_csv(lines, counted)) == 500


# Local discovery -------------------------------------------------------------------------------


def test_an_info_plist_that_never_ends_is_skipped_unread(
    tmp_path: Path, bundled_feed: Feed
) -> None:
    # Any user can make ~/Applications/X.app; a scan of this machine may run as root. A FIFO
    # nobody writes to (opening it would wait for ever) and a link to /dev/zero are skipped.
    apps = tmp_path / "Applications"
    for name in ("Waits", "Endless", "Zoom"):
        (apps / f"{name}.app" / "Contents").mkdir(parents=True)
    os.mkfifo(apps / "Waits.app" / "Contents" / "Info.plist")
    (apps / "Endless.app" / "Contents" / "Info.plist").symlink_to("/dev/zero")
    (apps / "Zoom.app" / "Contents" / "Info.plist").write_bytes(
        plistlib.dumps({"CFBundleIdentifier": "us.zoom.xos", "CFBundleShortVersionString": "6.2.3"})
    )
    context = ReadContext(relevant=Identifier(bundled_feed.products).relevant)
    found = discover([MacAppsProbe([apps])], context, "mac-1")
    assert [(i.product, i.version) for i in found.installations] == [("us.zoom.xos", "6.2.3")]
    assert found.failures == []
