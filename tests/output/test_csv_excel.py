"""CSV for spreadsheet users: `--excel` starts the file with a UTF-8 byte order mark (so
Excel reads accents instead of mojibake), and no cell becomes a formula even in a spreadsheet
that splits cells on `;` or trims leading spaces."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tests.conftest import TEST_FEED_DIR, TODAY, make_installation, write_fleet
from vcaudit.audit import run_audit
from vcaudit.cli import main
from vcaudit.models import Feed
from vcaudit.output import OutputFormat, RenderOptions, formatter_for
from vcaudit.policy import Policy
from vcaudit.sanitize import spreadsheet_safe

BASE = ["--feed", str(TEST_FEED_DIR), "--as-of", TODAY.isoformat(), "--fail-on", "none"]
BOM = b"\xef\xbb\xbf"
FORMULA = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")

HOSTS = [
    "a;=cmd|'/C calc'!A0",
    "b; +SUM(1)",
    "c;;-2+3",
    " =HYPERLINK(1)",
    "d;\uff1dcmd",
    "e;\uff20SUM(1)",
    "\uff0bx",
    "plain;text",
]


def _fleet(tmp_path: Path) -> Path:
    return write_fleet(tmp_path / "fleet.csv", ["pc-1,windows,meetly,6.2.5", "pc-2,linux,Zoë,1"])


def test_excel_writes_a_byte_order_mark(tmp_path: Path) -> None:
    out = tmp_path / "report.csv"
    assert main(["scan", str(_fleet(tmp_path)), *BASE, "-f", "csv", "--excel", "-o", str(out)]) == 0
    data = out.read_bytes()
    assert data.startswith(BOM)
    assert not data[3:].startswith(BOM)
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0]["host"] in {"pc-1", "pc-2"}  # the header's first cell is `host`, not BOM+host
    assert "Zoë" in {row["name"] for row in rows}


def test_excel_reaches_a_report_file_too(tmp_path: Path) -> None:
    out = tmp_path / "report.csv"
    args = ["scan", str(_fleet(tmp_path)), *BASE, "--report", f"csv={out}", "--excel"]
    assert main([*args, "--color", "never"]) == 0
    assert out.read_bytes().startswith(BOM + b"host,")


def test_without_excel_there_is_no_byte_order_mark(tmp_path: Path) -> None:
    out = tmp_path / "report.csv"
    assert main(["scan", str(_fleet(tmp_path)), *BASE, "-f", "csv", "-o", str(out)]) == 0
    assert out.read_bytes().startswith(b"host,")


def test_other_formats_ignore_excel(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    assert (
        main(["scan", str(_fleet(tmp_path)), *BASE, "-f", "json", "--excel", "-o", str(out)]) == 0
    )
    assert out.read_bytes().startswith(b"{")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a;=cmd", "a;'=cmd"),
        ("a; =cmd", "a;' =cmd"),
        (" =cmd", "' =cmd"),
        ("=cmd", "'=cmd"),
        ("a;;@x", "a;;'@x"),
        ("a;\uff0dx", "a;'\uff0dx"),
        ("a;\tx", "a;'\tx"),
        ("a;\rx", "a;'\rx"),
        ("=a;=b", "'=a;'=b"),
    ],
)
def test_each_piece_after_a_semicolon_is_safe(text: str, expected: str) -> None:
    assert spreadsheet_safe(text) == expected


@pytest.mark.parametrize("text", ["pc-1", "", "a;b", "a=b;c+d", "1;2;3", "x;'=quoted", ";"])
def test_other_text_is_kept(text: str) -> None:
    assert spreadsheet_safe(text) == text


def _report_text(feed: Feed) -> str:
    rows = [
        make_installation("meetly", "6.2.5", host=host, line=2 + i) for i, host in enumerate(HOSTS)
    ]
    return formatter_for(OutputFormat.CSV)(run_audit(rows, feed, Policy(), TODAY), RenderOptions())


@pytest.mark.parametrize("delimiter", [",", ";"])
def test_no_cell_is_a_formula_whichever_delimiter_a_spreadsheet_uses(
    test_feed: Feed, delimiter: str
) -> None:
    """Read the report as a spreadsheet would: with `,`, or with `;` (Excel where `;` is the
    list separator splits a quoted `"a;=cmd"` into `"a` and `=cmd"`)."""
    text = _report_text(test_feed)
    cells = [cell for row in csv.reader(io.StringIO(text), delimiter=delimiter) for cell in row]
    assert len(cells) > len(HOSTS)
    for cell in cells:
        assert not cell.lstrip(" ").startswith(FORMULA), cell


def test_the_values_are_still_there(test_feed: Feed) -> None:
    table = list(csv.DictReader(io.StringIO(_report_text(test_feed))))
    assert {row["host"] for row in table} == {
        "a;'=cmd|'/C calc'!A0",
        "b;' +SUM(1)",
        "c;;'-2+3",
        "' =HYPERLINK(1)",
        "d;'\uff1dcmd",
        "e;'\uff20SUM(1)",
        "'\uff0bx",
        "plain;text",
    }


@pytest.mark.parametrize(("name", "char"), [("semicolon", ";"), ("tab", "\t"), (",", ",")])
def test_csv_delimiter_separates_cells_as_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, char: str
) -> None:
    code = main(["scan", str(_fleet(tmp_path)), *BASE, "-f", "csv", "--csv-delimiter", name])
    assert code == 0
    out = capsys.readouterr().out
    rows = list(csv.reader(io.StringIO(out), delimiter=char))
    assert rows[0][:4] == ["host", "platform", "product", "name"]
    assert [row[0] for row in rows[1:]] == ["pc-1", "pc-2"]
    assert all(len(row) == len(rows[0]) for row in rows)


def test_a_semicolon_file_keeps_each_cell_safe_and_whole(test_feed: Feed) -> None:
    rows = [make_installation("meetly", "6.2.5", host=h, line=2 + i) for i, h in enumerate(HOSTS)]
    report = run_audit(rows, test_feed, Policy(), TODAY)
    text = formatter_for(OutputFormat.CSV)(report, RenderOptions(csv_delimiter=";"))
    read = list(csv.reader(io.StringIO(text), delimiter=";"))
    hosts = [row[0] for row in read[1:]]
    # A host holding ';' is quoted: read back with ';' it is one cell, and no piece of it
    # starts a formula.
    assert len(hosts) == len(HOSTS)
    for host in hosts:
        for piece in host.split(";"):
            assert not piece.lstrip(" ").startswith(FORMULA), host


def test_an_unknown_csv_delimiter_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["scan", str(_fleet(tmp_path)), *BASE, "-f", "csv", "--csv-delimiter", "|"])
    assert code == 2
    assert "--csv-delimiter: expected comma, semicolon or tab, got '|'" in capsys.readouterr().err
