"""Reading what people export, through the command line: spreadsheets saved by Excel with
semicolons or tabs, other header names, OS names, no platform column, mapped columns, many
bad rows, inputs that yield nothing, and inventories piped on standard input.

The files are in tests/data/spreadsheets (its README says where each shape comes from); the
feed is the bundled one, so product names and versions are the real ones.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from vcaudit.cli import main
from vcaudit.inventory.piped import piped_input

SHEETS = Path(__file__).parent.parent / "data" / "spreadsheets"
EXAMPLE = Path(__file__).parent.parent.parent / "examples" / "fleet.csv"
AS_OF = ["--as-of", "2026-12-01"]


def scan_rows(
    capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, list[dict[str, str]], str]:
    """Exit code, the CSV report's rows, and stderr."""
    code = main(["scan", *args, "--format", "csv", *AS_OF])
    out, err = capsys.readouterr()
    return code, list(csv.DictReader(io.StringIO(out))), err


def verdicts(rows: list[dict[str, str]]) -> list[tuple[str, str, str, str]]:
    return [(r["host"], r["platform"], r["product"], r["status"]) for r in rows]


def test_excel_semicolon_file_with_bom_crlf_and_os_names(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, rows, err = scan_rows(capsys, str(SHEETS / "excel-semicolon.csv"))
    assert code == 1, err
    assert verdicts(rows) == [
        ("PC-0001", "windows", "zoom", "vulnerable"),
        ("PC-0002", "windows", "teams-classic", "vulnerable"),
        ("PC-0003", "windows", "teams", "vulnerable"),
        ("MAC-0001", "macos", "zoom", "vulnerable"),
        ("LX-0001", "linux", "zoom", "vulnerable"),
    ]
    # Zoom's legal name in the publisher column does not hide the critical Zoom row.
    assert rows[0]["risk"] == "critical"


def test_tab_separated_spreadsheet_is_not_dpkg_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, rows, err = scan_rows(capsys, str(SHEETS / "fleet.tsv"))
    assert code == 1, err
    assert verdicts(rows) == [
        ("pc-01", "windows", "webex-meetings", "unknown"),  # the feed knows no latest release
        ("pc-02", "windows", "slack", "outdated"),
        ("mac-01", "macos", "teams-classic", "eol"),
        ("lx-01", "linux", "teams-classic", "eol"),
    ]


def test_platform_from_the_product_when_there_is_no_platform_column(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, rows, err = scan_rows(capsys, str(SHEETS / "no-platform.csv"))
    assert code == 1, err
    assert [(r["host"], r["platform"], r["product"]) for r in rows] == [
        ("mac-1", "macos", "zoom"),
        ("mac-2", "macos", "slack"),
        ("lx-1", "linux", "slack"),
        ("pc-1", "windows", "teams"),
    ]


@pytest.mark.slow
def test_a_row_whose_platform_nothing_tells_is_an_error_or_takes_the_default(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "plain.csv"
    path.write_text("host,product,version\npc-1,zoom,6.2.47507\n", encoding="utf-8")
    code, _rows, err = scan_rows(capsys, str(path))
    assert code == 3
    assert f"{path}, line 2: platform: no platform, and 'zoom' does not say which one" in err
    assert "--platform" in err
    code, rows, err = scan_rows(capsys, str(path), "--platform", "windows")
    assert code == 1, err
    assert verdicts(rows) == [("pc-1", "windows", "zoom", "vulnerable")]


@pytest.mark.slow
def test_headers_no_alias_covers_are_mapped_with_columns(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = str(SHEETS / "custom-headers.csv")
    code, _rows, err = scan_rows(capsys, path)
    assert code == 3
    assert "line 1: missing columns host, product, version" in err
    assert "Asset Tag, Endpoint OS, App Title, Installed Ver, Cost Centre" in err
    mapping = "host=Asset Tag,platform=endpoint os,product=App Title,version=installed_ver"
    code, rows, err = scan_rows(capsys, path, "--columns", mapping)
    assert code == 1, err
    assert verdicts(rows) == [
        ("A-100", "windows", "zoom", "vulnerable"),
        ("A-101", "macos", "zoom", "vulnerable"),
    ]
    # The same mapping from vcaudit.yaml.
    config = tmp_path / "vcaudit.yaml"
    config.write_text(
        "inventory:\n  columns:\n    host: Asset Tag\n    platform: Endpoint OS\n"
        "    product: App Title\n    version: Installed Ver\n",
        encoding="utf-8",
    )
    code, rows, err = scan_rows(capsys, path, "--config", str(config))
    assert code == 1, err
    assert len(rows) == 2


def test_columns_option_errors_are_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(SHEETS / "custom-headers.csv")
    assert main(["scan", path, "--columns", "hostname=Asset Tag"]) == 2
    assert "--columns: unknown field 'hostname'" in capsys.readouterr().err
    assert main(["scan", path, "--columns", "host=Nope,product=App Title"]) == 3
    assert "--columns maps host to 'Nope', which is not a column here" in capsys.readouterr().err


def test_twenty_bad_rows_are_named_in_one_run(capsys: pytest.CaptureFixture[str]) -> None:
    code, rows, err = scan_rows(capsys, str(SHEETS / "many-bad-rows.csv"))
    assert code == 3
    assert rows == []
    lines = err.splitlines()
    named = [line for line in lines if "platform: unknown platform 'Solaris 11'" in line]
    assert [line.split(", line ")[1].split(":")[0] for line in named] == [
        str(n) for n in range(2, 22)
    ]
    assert lines[20].endswith(
        "the first 20 bad rows (reading stopped) cannot be used; nothing was audited"
    )


def test_a_few_bad_rows_are_all_named(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "three.csv"
    path.write_text(
        "host,platform,product,version\n"
        ",linux,zoom,1\nb,linux,zoom\nc,iOS 17,zoom,1\nd,linux,zoom,1\n",
        encoding="utf-8",
    )
    code, _rows, err = scan_rows(capsys, str(path))
    assert code == 3
    assert f"{path}, line 2: host: is empty" in err
    assert f"{path}, line 3: expected 4 fields, found 3" in err
    assert "line 4: platform: platform 'iOS 17' is not audited" in err
    assert "3 rows cannot be used; nothing was audited" in err
    assert "Traceback" not in err


def test_a_malformed_optional_value_warns_and_the_row_is_audited(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "own.csv"
    path.write_text(
        "host,platform,product,version,ownership,Cost Centre\n"
        "pc-1,windows,zoom,7.2.48358,Corp,4711\n",
        encoding="utf-8",
    )
    code, rows, err = scan_rows(capsys, str(path))
    assert code == 0, err
    assert rows[0]["ownership"] == "company"
    assert f"{path}, line 2: ownership: unknown ownership 'Corp'" in err


@pytest.mark.parametrize(
    ("content", "described"),
    [
        ("pkg\t1.0\nother\t2.0\n", "2 lines read as dpkg-query output: 0 installations"),
        ("Desired=Unknown\n", "read as"),
    ],
)
@pytest.mark.slow
def test_an_input_that_yields_nothing_exits_3_unless_allowed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str, described: str
) -> None:
    path = tmp_path / "inventory.txt"
    path.write_text(content, encoding="utf-8")
    code = main(["scan", str(path), *AS_OF])
    err = capsys.readouterr().err
    assert code == 3
    assert f"vcaudit: error: {path}: " in err
    assert described in err
    assert "nothing to audit" in err
    code = main(["scan", str(path), "--allow-empty", *AS_OF])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "0 installations" in out


# -- standard input -----------------------------------------------------------------------------


def _vcaudit(
    stdin: int | None, *args: str, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "vcaudit", "scan", "--format", "csv", *AS_OF, *args],
        stdin=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )


@pytest.mark.slow
def test_piped_inventory_is_audited() -> None:
    data = EXAMPLE.read_bytes()
    read, write = os.pipe()
    os.write(write, data)
    os.close(write)
    try:
        done = _vcaudit(read)
    finally:
        os.close(read)
    assert done.returncode == 1, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert len(rows) == 30
    assert {r["file"] for r in rows} == {"<stdin>"}


@pytest.mark.slow
def test_redirected_file_is_audited() -> None:
    with EXAMPLE.open("rb") as handle:
        done = _vcaudit(handle.fileno())
    assert done.returncode == 1, done.stderr
    assert len(list(csv.DictReader(io.StringIO(done.stdout)))) == 30


@pytest.mark.slow
def test_dev_null_or_closed_stdin_audits_this_machine() -> None:
    with open(os.devnull, "rb") as null:
        done = _vcaudit(null.fileno())
    assert done.returncode in (0, 1), done.stderr
    assert "<stdin>" not in done.stdout


def test_piped_input_reads_what_a_pipe_sends_and_gives_it_all_back() -> None:
    read, write = os.pipe()
    os.write(write, b"host,platform,product,version\n")
    os.close(write)
    with os.fdopen(read, "rb") as stream:
        piped = piped_input(stream, wait=5)
        assert piped.stream is not None
        assert piped.stream.read() == b"host,platform,product,version\n"


def test_piped_input_gives_up_on_a_silent_pipe() -> None:
    read, write = os.pipe()
    try:
        with os.fdopen(read, "rb", closefd=False) as stream:
            started = time.monotonic()
            piped = piped_input(stream, wait=0.2)
            waited = time.monotonic() - started
        assert piped.stream is None
        assert "standard input sent nothing in 0.2 s" in piped.note
        assert waited < 5  # it did not wait for the writer
    finally:
        os.close(read)
        os.close(write)


def test_an_inventory_that_comes_after_the_wait_is_noticed() -> None:
    read, write = os.pipe()
    try:
        with os.fdopen(read, "rb", closefd=False) as stream:
            piped = piped_input(stream, wait=0.1)
            assert piped.stream is None
            assert not piped.sent_late()
            os.write(write, b"host,platform,product,version\n")
            assert piped.sent_late()
    finally:
        os.close(read)
        os.close(write)


@pytest.mark.slow
def test_a_closed_pipe_is_no_inventory_an_empty_file_is_an_empty_one(tmp_path: Path) -> None:
    read, write = os.pipe()
    os.close(write)
    with os.fdopen(read, "rb") as stream:
        closed = piped_input(stream, wait=5)
    assert (closed.stream, closed.note) == (None, "")  # cron gives such a pipe: nothing said
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    with empty.open("rb") as stream:
        # `vcaudit scan < empty.csv`: the file is the inventory, refused as empty (a scan of
        # this machine in its place would pass).
        assert piped_input(stream).stream is stream
    with empty.open("rb") as stdin:
        code = subprocess.run(
            [sys.executable, "-m", "vcaudit", "scan", "-q", *AS_OF],
            stdin=stdin,
            capture_output=True,
            text=True,
            check=False,
        )
    assert (code.returncode, code.stderr) == (3, "vcaudit: error: <stdin>: the file is empty\n")


@pytest.mark.slow
def test_a_pipe_that_never_sends_anything_does_not_hang_the_scan() -> None:
    read, write = os.pipe()
    try:
        started = time.monotonic()
        done = _vcaudit(read, timeout=30)
        elapsed = time.monotonic() - started
    finally:
        os.close(read)
        os.close(write)
    assert done.returncode in (0, 1), done.stderr
    assert "standard input sent nothing in 10 s, so this machine was audited" in done.stderr
    assert elapsed < 30


# -- vcaudit identify ---------------------------------------------------------------------------


def identify(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["identify", *args])
    out, err = capsys.readouterr()
    assert err == ""
    return code, out


def test_identify_names_the_product_release_and_rule(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = identify(
        capsys,
        "Zoom Workplace (64-bit)",
        "--platform",
        "windows",
        "--version",
        "6.2.47507",
        "--publisher",
        "Zoom Video Communications, Inc.",
    )
    assert code == 0
    lines = out.splitlines()
    assert lines[1] == (
        "Product: Zoom Workplace (zoom), by name rule 'Zoom Workplace \\((64-bit|32-bit|ARM64)\\)',"
        " publisher 'Zoom'"
    )
    assert "note: the row's publisher 'Zoom Video Communications, Inc.' differs" in out
    assert "Release: 6.2.3 (build 47507)" in out  # the MSI build placed by the release table


def test_identify_says_why_the_other_product_with_that_name_was_not_taken(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _code, out = identify(
        capsys, "Microsoft Teams", "--platform", "macos", "--version", "1.6.00.4472"
    )
    assert "Product: Microsoft Teams classic (teams-classic)" in out
    assert "of teams (precedence 2); the version does not fit (2xxxx.x.x.x" in out
    assert "of teams-classic (precedence 2); the version fits" in out


def test_identify_unknown_and_helpers(capsys: pytest.CaptureFixture[str]) -> None:
    _code, out = identify(capsys, "Zoom Workplace Beta")
    assert "Product: none: not a product in the feed (closest: " in out
    _code, out = identify(capsys, "Microsoft Teams Meeting Add-in for Microsoft Office")
    assert "an Outlook add-in of Microsoft Teams, not a client: nothing to audit" in out
    _code, out = identify(capsys, "Cisco Webex", "--platform", "macos")
    assert "Product: Webex App (webex)" in out
    assert "note: a name seen on windows, here on macos" in out


@pytest.mark.parametrize(
    ("name", "content", "lines"),
    [
        (
            "hosts.yaml",
            "hosts:\n  - name: a\n    platform: Solaris\n    clients:\n"
            "      - {product: zoom, version: '1'}\n      - {product: '', version: '2'}\n",
            ["line 5: platform: unknown platform 'Solaris'", "line 6: product: is empty"],
        ),
        (
            "rows.jsonl",
            '{"host": "a", "platform": "beos", "product": "zoom", "version": "1"}\n'
            '{"host": "", "platform": "linux", "product": "zoom", "version": "1"}\n',
            ["line 1: platform: unknown platform 'beos'", "line 2: host: is empty"],
        ),
    ],
)
def test_bad_records_of_json_and_yaml_are_all_named(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str, content: str, lines: list[str]
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    code, _rows, err = scan_rows(capsys, str(path))
    assert code == 3
    for line in lines:
        assert f"{path}, {line}" in err
    assert err.rstrip().endswith(f"{path}: 2 rows cannot be used; nothing was audited")


def test_identify_an_empty_name_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["identify", "  "]) == 2
    assert "identify: NAME must not be empty" in capsys.readouterr().err


def test_a_file_named_twice_is_read_once_and_said(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`vcaudit scan *.csv fleet.csv`, or one path spelt two ways: every row counted once."""
    fleet = tmp_path / "fleet.csv"
    fleet.write_text("host,platform,product,version\npc-1,windows,Slack,4.41.98\n", "utf-8")
    other = tmp_path / "other.csv"
    other.write_text("host,platform,product,version\npc-2,windows,Slack,4.41.98\n", "utf-8")
    monkeypatch.chdir(tmp_path)
    names = ["fleet.csv", str(other), str(tmp_path / "." / "fleet.csv")]
    code, rows, err = scan_rows(capsys, *names, "--fail-on", "none")
    assert code == 0
    assert sorted(r["host"] for r in rows) == ["pc-1", "pc-2"]
    assert (
        f"warning: {tmp_path / '.' / 'fleet.csv'} is fleet.csv, named before: it is read once"
        in (" ".join(err.split()))
    )


@pytest.mark.slow
def test_host_names_the_machine_of_a_file_without_a_host_column(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """One machine's export (its Uninstall keys, say) has no host column: `--host` names
    it, counted or read row by row; without `--host` the column is still required."""
    path = tmp_path / "uninstall.csv"
    path.write_text(
        '"DisplayName","DisplayVersion","Publisher"\n'
        '"Zoom Workplace (64-bit)","6.2.47507","Zoom Video Communications, Inc."\n'
        '"Slack","4.41.98","Slack Technologies Inc."\n',
        "utf-8",
    )
    code, rows, err = scan_rows(capsys, str(path), "--host", "PC-17", "--platform", "windows")
    assert code == 1, err
    assert [(r["host"], r["product"], r["version"]) for r in rows] == [
        ("PC-17", "zoom", "6.2.47507"),
        ("PC-17", "slack", "4.41.98"),
    ]
    assert main(["scan", str(path), "--host", "PC-17", "--platform", "windows", *AS_OF]) == 1
    assert "1 host, 2 installations" in capsys.readouterr().out
    assert main(["scan", str(path), "--platform", "windows", *AS_OF]) == 3
    assert "line 1: missing column host" in capsys.readouterr().err


UNINSTALL_KEYS = (
    '"ComputerName","DisplayName","DisplayVersion","Publisher","PSChildName"\n'
    '"PC-17","Zoom Workplace (64-bit)","6.2.47507","Zoom Video Communications, Inc.","{1F3A}"\n'
    '"PC-17","","","","AddressBook"\n'
    '"PC-18","Slack","4.41.98","Slack Technologies Inc.","slack"\n'
    '"PC-19","","","","DirectDrawEx"\n'
)


@pytest.mark.parametrize("how", ["file", "stdin"])
def test_uninstall_keys_without_a_display_name_are_passed_over_and_said(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    how: str,
) -> None:
    """Every machine's Uninstall keys hold some without a DisplayName (AddressBook,
    DirectDrawEx): Windows lists none of them, and nothing in them can be audited. Counted
    (a file) or read row by row (standard input), they are passed over and said; their hosts
    are no hosts of the fleet."""
    path = tmp_path / "uninstall.csv"
    path.write_text(UNINSTALL_KEYS, "utf-8")
    args = [str(path)] if how == "file" else ["-"]
    if how == "stdin":
        monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(UNINSTALL_KEYS.encode())))
    code = main(["scan", *args, "--platform", "windows", "-f", "json", *AS_OF])
    out, err = capsys.readouterr()
    assert code == 1, err
    report = json.loads(out)
    assert [(i["host"], i["source"]["line"]) for i in report["installations"]] == [
        ("PC-17", 2),
        ("PC-18", 4),
    ]
    assert report["summary"]["hosts"] == 2
    shown = "<stdin>" if how == "stdin" else str(path)
    assert any(
        r == f"{shown}: 5 lines read as CSV: 2 installations (2 other programs skipped)"
        for r in report["inputs"]
    ), report["inputs"]


def test_a_row_with_a_version_and_no_product_is_still_an_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "fleet.csv"
    path.write_text("host,platform,product,version\npc-1,windows,,6.2.3\n", "utf-8")
    assert main(["scan", str(path), *AS_OF]) == 3
    assert "line 2: product: is empty" in capsys.readouterr().err
    path.write_text("host,platform,product,version\npc-1,windows,,\npc-2,windows,,\n", "utf-8")
    assert main(["scan", str(path), *AS_OF]) == 3
    assert "no installations after the header row" in capsys.readouterr().err


def test_blank_records_are_not_counted_as_rows_passed_over(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`,,,` in a file without a host column (read with --host): a blank record, as the
    row-by-row reader sees it, not a row naming no product; counted and piped alike."""
    text = "DisplayName,DisplayVersion,Platform\nSlack,4.41.98,windows\n,,\n,,\n,,windows\n"
    path = tmp_path / "keys.csv"
    path.write_text(text, "utf-8")
    said = []
    for args in ([str(path)], ["-"]):
        if args == ["-"]:
            monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
        assert (
            main(["scan", *args, "--host", "PC-1", "-f", "json", "--fail-on", "none", *AS_OF]) == 0
        )
        said.append(json.loads(capsys.readouterr().out)["inputs"][0].split(": ", 1)[1])
    assert said == ["5 lines read as CSV: 1 installation (1 other program skipped)"] * 2


GERMAN_EXCEL = (
    "Computer;OS;Application;Version;Owner\r\n"
    "PC-Jörg;Windows 11 Pro;Zoom Workplace (64-bit);6.2.47507;jörg.müller@example.de\r\n"
    "PC-Zoë;Windows 11 Pro;Slack;4.41.98;zoë@example.de\r\n"
).encode("cp1252")


@pytest.mark.slow
def test_a_spreadsheet_in_a_code_page_is_read_with_its_encoding(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Excel's plain "CSV" on a German or French Windows is cp1252: refused as not UTF-8,
    saying how; read with --encoding (or inventory.encoding), counted and read again, or
    piped, alike."""
    path = tmp_path / "inventar.csv"
    path.write_bytes(GERMAN_EXCEL)
    base = ["-f", "json", "--fail-on", "none", *AS_OF]
    assert main(["scan", str(path), *base]) == 3
    assert "--encoding cp1252" in capsys.readouterr().err
    expected = [("PC-Jörg", "jörg.müller@example.de"), ("PC-Zoë", "zoë@example.de")]
    assert main(["scan", str(path), "--encoding", "cp1252", *base]) == 0
    found = json.loads(capsys.readouterr().out)["installations"]
    assert [(i["host"], i["owner"]) for i in found] == expected
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(GERMAN_EXCEL)))
    assert main(["scan", "-", "--encoding", "windows-1252", *base]) == 0
    piped = json.loads(capsys.readouterr().out)["installations"]
    assert [(i["host"], i["owner"]) for i in piped] == expected
    config = tmp_path / "vcaudit.yaml"
    config.write_text("inventory:\n  encoding: cp1252\n", "utf-8")
    assert main(["scan", str(path), "--config", str(config), *base]) == 0
    assert [i["host"] for i in json.loads(capsys.readouterr().out)["installations"]] == [
        "PC-Jörg",
        "PC-Zoë",
    ]
    # A byte-order mark still decides: UTF-8 with a BOM is read as UTF-8.
    marked = tmp_path / "marked.csv"
    marked.write_bytes(b"\xef\xbb\xbf" + GERMAN_EXCEL.decode("cp1252").encode("utf-8"))
    assert main(["scan", str(marked), "--encoding", "cp1252", *base]) == 0
    assert json.loads(capsys.readouterr().out)["installations"][0]["host"] == "PC-Jörg"
    assert main(["scan", str(path), "--encoding", "klingon", *AS_OF]) == 2
    assert "--encoding: 'klingon' is not an encoding" in capsys.readouterr().err
    config.write_text("inventory:\n  encoding: klingon\n", "utf-8")
    assert main(["scan", str(path), "--config", str(config), *AS_OF]) != 0
    assert "encoding: not an encoding" in capsys.readouterr().err
