"""Native inventory formats: parsing, line numbers, detection, and bad input."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from vcaudit.errors import InputError
from vcaudit.inventory.context import ReadContext
from vcaudit.inventory.formats import InputFormat
from vcaudit.inventory.records import RowOptions
from vcaudit.inventory.sources import read_inventories, read_inventory, sniff
from vcaudit.models import Ownership, Platform

CSV = (
    "host,platform,product,version,owner,ownership,user,tags,last_seen\n"
    "pc-1,windows,Zoom Workplace (64-bit),6.2.47507,it-ops,company,ann,finance;eu,2026-01-10\n"
    "mac-1,macOS,us.zoom.xos,5.16.10 (25689),,byod,,,\n"
)


def write(tmp_path: Path, name: str, text: str | bytes) -> str:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return str(path)


def test_csv_rows_with_lines_and_optional_columns(tmp_path: Path) -> None:
    rows = list(read_inventory(write(tmp_path, "fleet.csv", CSV)))
    assert [(r.host, r.platform, r.product, r.version) for r in rows] == [
        ("pc-1", Platform.WINDOWS, "Zoom Workplace (64-bit)", "6.2.47507"),
        ("mac-1", Platform.MACOS, "us.zoom.xos", "5.16.10 (25689)"),
    ]
    assert [r.source.line for r in rows] == [2, 3]
    assert rows[0].tags == ("eu", "finance")
    assert rows[0].owner == "it-ops"
    assert rows[1].ownership is Ownership.PERSONAL


def test_csv_from_excel_with_bom_and_crlf(tmp_path: Path) -> None:
    data = ("\ufeff" + CSV.replace("\n", "\r\n")).encode("utf-8")
    rows = list(read_inventory(write(tmp_path, "excel.csv", data)))
    assert [r.host for r in rows] == ["pc-1", "mac-1"]


def test_csv_quoted_multiline_field_keeps_line_numbers(tmp_path: Path) -> None:
    text = 'host,platform,product,version\n"a\nb",linux,zoom,6.2.3\nc,linux,zoom,6.2.3\n'
    rows = list(read_inventory(write(tmp_path, "multi.csv", text)))
    assert [r.source.line for r in rows] == [2, 4]


def test_json_array_lines(tmp_path: Path) -> None:
    text = (
        "[\n"
        '  {"host": "a", "platform": "linux", "product": "zoom", "version": "6.2.3"},\n'
        "  {\n"
        '    "host": "b", "platform": "darwin", "product": "us.zoom.xos", "version": "6.2.3"\n'
        "  }\n"
        "]\n"
    )
    rows = list(read_inventory(write(tmp_path, "fleet.json", text)))
    assert [(r.host, r.platform, r.source.line) for r in rows] == [
        ("a", Platform.LINUX, 2),
        ("b", Platform.MACOS, 3),
    ]


def test_json_hosts_shape(tmp_path: Path) -> None:
    text = (
        '{"hosts": [\n'
        ' {"name": "a", "platform": "windows", "ownership": "personal", "owner": "x",\n'
        '  "clients": [\n'
        '   {"product": "zoom", "version": "6.2.3"},\n'
        '   {"product": "slack", "version": "4.41.98", "owner": "y"}\n'
        "  ]}\n"
        "]}\n"
    )
    rows = list(read_inventory(write(tmp_path, "hosts.json", text)))
    assert [(r.host, r.product, r.owner, r.ownership, r.source.line) for r in rows] == [
        ("a", "zoom", "x", Ownership.PERSONAL, 4),
        ("a", "slack", "y", Ownership.PERSONAL, 5),
    ]


def test_jsonl(tmp_path: Path) -> None:
    text = (
        '{"host": "a", "platform": "linux", "product": "zoom", "version": "6.2.3"}\n'
        "\n"
        '{"host": "b", "platform": "linux", "product": "zoom", "version": "6.2.4"}\n'
    )
    rows = list(read_inventory(write(tmp_path, "fleet.jsonl", text)))
    assert [(r.host, r.source.line) for r in rows] == [("a", 1), ("b", 3)]


def test_yaml_hosts_shape(tmp_path: Path) -> None:
    text = (
        "hosts:\n"
        "  - name: laptop-7\n"
        "    platform: macos\n"
        "    ownership: personal\n"
        "    clients:\n"
        "      - {product: us.zoom.xos, version: '5.16.10 (25689)'}\n"
        "      - product: com.tinyspeck.slackmacgap\n"
        "        version: '4.40.128'\n"
    )
    rows = list(read_inventory(write(tmp_path, "fleet.yaml", text)))
    assert [(r.host, r.product, r.source.line) for r in rows] == [
        ("laptop-7", "us.zoom.xos", 6),
        ("laptop-7", "com.tinyspeck.slackmacgap", 7),
    ]
    assert all(r.ownership is Ownership.PERSONAL for r in rows)


@pytest.mark.parametrize(
    ("head", "fmt"),
    [
        (b"host,platform,product,version\n", InputFormat.CSV),
        (b"\xef\xbb\xbfhost,platform\n", InputFormat.CSV),
        (b"  [\n {}", InputFormat.JSON),
        (b'{"hosts": [\n', InputFormat.JSON),
        (b'{"host": "a"}\n{"host": "b"}\n', InputFormat.JSONL),
        (b"hosts:\n  - name: a\n", InputFormat.YAML),
        (b"---\n", InputFormat.YAML),
    ],
)
def test_sniff(head: bytes, fmt: InputFormat) -> None:
    assert sniff(head) is fmt


def test_stdin_and_several_inputs(tmp_path: Path) -> None:
    first = write(tmp_path, "a.csv", CSV)
    stdin = io.BytesIO(
        b'{"host": "s", "platform": "linux", "product": "zoom", "version": "1"}\n'
        b'{"host": "t", "platform": "linux", "product": "zoom", "version": "1"}\n'
    )
    rows = list(read_inventories([first, "-"], stdin=stdin))
    assert [r.host for r in rows] == ["pc-1", "mac-1", "s", "t"]
    assert rows[-1].source.file == "<stdin>"


def test_forced_format(tmp_path: Path) -> None:
    path = write(tmp_path, "inventory.txt", CSV)
    assert len(list(read_inventory(path, InputFormat.CSV))) == 2


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", "", "empty.csv: the file is empty"),
        ("header-only.csv", "host,platform,product,version\n", "no installations"),
        ("cols.csv", "host,product,version\na,zoom,1\n", "line 1: missing column platform"),
        (
            "short.csv",
            "host,platform,product,version\na,linux,zoom\n",
            "line 2: expected 4 fields, found 3",
        ),
        (
            "plat.csv",
            "host,platform,product,version\na,beos,zoom,1\n",
            "line 2: platform: unknown platform 'beos'",
        ),
        ("nohost.csv", "host,platform,product,version\n,linux,zoom,1\n", "line 2: host: is empty"),
        ("bad.json", '[\n{"host": "a",,}\n]', "line 2: not valid JSON"),
        ("scalar.json", '"hello"', "expected a list of installations"),
        ("both.yaml", "hosts: []\ninstallations: []\n", "exactly one of the keys"),
        ("dup.yaml", "hosts:\n  - name: a\n    name: b\n    clients: []\n", "duplicate key 'name'"),
        ("bad.jsonl", '{"host": "a"\n', "line 1: not valid JSON"),
        (
            "clients.yaml",
            "hosts:\n  - name: a\n    platform: linux\n",
            "expected a list of clients",
        ),
    ],
)
def test_bad_input_names_file_line_and_field(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    path = write(tmp_path, name, content)
    with pytest.raises(InputError) as caught:
        list(read_inventory(path))
    assert message in str(caught.value)
    assert str(caught.value).startswith(path)


@pytest.mark.parametrize(
    ("content", "warning"),
    [
        (
            "host,platform,product,version,ownership\na,linux,zoom,1,mine\n",
            "line 2: ownership: unknown ownership 'mine' (expected company or personal); "
            "the value was ignored",
        ),
        (
            "host,platform,product,version,last_seen\na,linux,zoom,1,yesterday\n",
            "line 2: last_seen: expected an ISO date or time, got 'yesterday'; "
            "the value was ignored",
        ),
    ],
)
def test_a_malformed_optional_value_is_a_warning(
    tmp_path: Path, content: str, warning: str
) -> None:
    path = write(tmp_path, "optional.csv", content)
    warnings: list[str] = []
    ctx = ReadContext(rows=RowOptions(warn=warnings.append))
    rows = list(read_inventory(path, ctx=ctx))
    assert [(r.host, r.ownership, r.last_seen) for r in rows] == [("a", Ownership.COMPANY, "")]
    assert warnings == [f"{path}, {warning}"]


def test_undecodable_bytes_name_the_line(tmp_path: Path) -> None:
    data = b"host,platform,product,version\na,linux,zoom,1\nb,linux,zo\xffom,1\n"
    with pytest.raises(InputError, match=r"line 3: not UTF-8"):
        list(read_inventory(write(tmp_path, "latin1.csv", data)))


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        list(read_inventory(str(tmp_path / "missing.csv")))
    with pytest.raises(InputError, match="is a directory"):
        list(read_inventory(str(tmp_path)))


def test_rows_stream_lazily(tmp_path: Path) -> None:
    # A broken row late in the file is reported only when reached: rows are not read ahead.
    path = write(tmp_path, "late.csv", CSV + "broken\n")
    rows = read_inventory(path)
    assert next(rows).host == "pc-1"
    assert next(rows).host == "mac-1"
    with pytest.raises(InputError, match="line 4"):
        next(rows)


@pytest.mark.parametrize(("bad", "message"), [(b"zo\xffom", "not UTF-8"), (b"zo\x00om", "NUL")])
def test_errors_deep_in_large_files_name_their_line(
    tmp_path: Path, bad: bytes, message: str
) -> None:
    rows = [b"host,platform,product,version\n"]
    rows += [b"h%d,linux,zoom,6.2.3\r\n" % i for i in range(3000)]
    rows[2500] = b"h,linux," + bad + b",1\r\n"
    path = write(tmp_path, "big.csv", b"".join(rows))
    with pytest.raises(InputError, match=rf"line 2501: .*{message}"):
        list(read_inventory(path))
    rows[2500] = b"h,linux,zoom,1\r\n"
    good = list(read_inventory(write(tmp_path, "good.csv", b"".join(rows))))
    assert len(good) == 3000
    assert [r.source.line for r in good[2498:2501]] == [2500, 2501, 2502]


def test_a_registry_export_is_read_by_its_display_version(tmp_path: Path) -> None:
    """`Get-ItemProperty ...\\Uninstall\\* | Export-Csv` has DisplayVersion and Version, the
    packed DWORD (100841875 is 6.2.47507's): the row's version is DisplayVersion, wherever the
    columns stand."""
    header = '"ComputerName","DisplayName","DisplayVersion","Publisher","Version","VersionMajor"'
    row = (
        '"PC-17","Zoom Workplace (64-bit)","6.2.47507","Zoom Video Communications, Inc.",'
        '"100841875","6"'
    )
    path = write(tmp_path, "uninstall.csv", f"{header}\n{row}\n")
    options = RowOptions(platform=Platform.WINDOWS)
    ctx = ReadContext(rows=options)
    (found,) = list(read_inventory(path, ctx=ctx))
    assert (found.host, found.product, found.version) == (
        "PC-17",
        "Zoom Workplace (64-bit)",
        "6.2.47507",
    )
    swapped = write(
        tmp_path, "swapped.csv", "host,version,display version,product\npc,1,6.2.3,Zoom\n"
    )
    (again,) = list(read_inventory(swapped, ctx=ctx))
    assert again.version == "6.2.3"


@pytest.mark.parametrize(
    ("header", "said"),
    [
        (
            "host,platform,product,version,version",
            "names the version more than once ('version' in column 4, 'version' in column 5)",
        ),
        (
            "Computer,Platform,Version,Application,Display Version,DisplayVersion",
            "('Display Version' in column 5, 'DisplayVersion' in column 6)",
        ),
        ("host,platform,Product,product,version", "names the product more than once"),
        ("host,platform,product,version,Tags,Tags", "names the tags more than once"),
    ],
)
def test_a_column_named_twice_is_an_error_not_a_guess(
    tmp_path: Path, header: str, said: str
) -> None:
    """Two columns of one title: the one that holds the value is not known, and the other
    would be dropped without a word (a Zoom row read with an empty version passed)."""
    path = write(tmp_path, "dup.csv", f"{header}\npc-1,windows,Zoom,,6.2.47507\n")
    with pytest.raises(InputError, match="line 1: ") as caught:
        list(read_inventory(path))
    assert said in str(caught.value)


def test_a_column_named_twice_that_vcaudit_does_not_read_is_no_error(tmp_path: Path) -> None:
    """`Notes` twice, or `Name` twice beside `Application` (the better title for the product,
    which is the one read): no doubt about any value read."""
    rows = {
        "host,platform,product,version,Notes,Notes": "pc,windows,Zoom,6.2.3,a,b",
        "Name,Name,Application,Version,Host,OS": "a,b,Zoom,6.2.3,pc,windows",
    }
    for header, row in rows.items():
        path = write(tmp_path, "twice.csv", f"{header}\n{row}\n")
        (found,) = read_inventory(path)
        assert (found.host, found.product) == ("pc", "Zoom"), header


def test_windows_powershell_export_csv_type_line_is_passed_over(tmp_path: Path) -> None:
    """Windows PowerShell 5.1's Export-Csv writes `#TYPE ...` first (unless
    -NoTypeInformation): the header is the line after it, and lines keep their numbers."""
    text = (
        "#TYPE System.Management.Automation.PSCustomObject\r\n"
        '"ComputerName","DisplayName","DisplayVersion","Publisher"\r\n'
        '"PC-17","Zoom Workplace (64-bit)","6.2.47507","Zoom Video Communications, Inc."\r\n'
        '"","Slack","4.41.98","Slack Technologies Inc."\r\n'
    )
    path = write(tmp_path, "ps51.csv", text)
    ctx = ReadContext(rows=RowOptions(platform=Platform.WINDOWS))
    rows = read_inventory(path, ctx=ctx)
    first = next(rows)
    assert (first.product, first.version, first.source.line) == (
        "Zoom Workplace (64-bit)",
        "6.2.47507",
        3,
    )
    with pytest.raises(InputError, match=r"ps51.csv, line 4: host: is empty"):
        next(rows)
    # Only as the first line: later, `#TYPE` is a cell like any other.
    late = write(
        tmp_path, "late.csv", "host,platform,product,version\n#TYPE x,windows,Zoom,6.2.3\n"
    )
    assert [i.host for i in read_inventory(late)] == ["#TYPE x"]


def test_lines_ending_in_a_lone_cr_are_lines(tmp_path: Path) -> None:
    """Excel for Mac's "CSV (Macintosh)" ends lines with CR alone: read as lines, numbered
    as such (Python's csv module stopped with 'new-line character seen in unquoted field')."""
    text = "host,platform,product,version\rpc-1,windows,Zoom,6.2.3\r,windows,Slack,4.41.98\r"
    path = write(tmp_path, "mac.csv", text.encode("utf-8"))
    rows = read_inventory(path)
    first = next(rows)
    assert (first.host, first.version, first.source.line) == ("pc-1", "6.2.3", 2)
    with pytest.raises(InputError, match=r"mac.csv, line 3: host: is empty"):
        next(rows)


@pytest.mark.parametrize(
    "head", [b"PK\x03\x04\x14\x00\x06\x00", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00"]
)
def test_a_workbook_is_refused_with_what_to_do(tmp_path: Path, head: bytes) -> None:
    path = write(tmp_path, "fleet.xlsx", head + b"\x00" * 64)
    with pytest.raises(InputError, match=r"fleet\.xlsx: is a workbook or another archive") as e:
        list(read_inventory(path))
    assert "CSV UTF-8" in e.value.hint


def test_json_records_are_read_by_the_titles_a_sheet_gives_them(tmp_path: Path) -> None:
    """`Import-Csv ... | ConvertTo-Json` keeps the sheet's titles (`ComputerName`,
    `DisplayName`, `DisplayVersion`), in any case; the record's own field names win; one
    record alone is an object, not a list."""
    records_json = (
        '[{"ComputerName": "PC-17", "Platform": "Windows", "DisplayName": "Zoom Workplace",'
        ' "DisplayVersion": "6.2.47507", "Version": "100841875"},\n'
        ' {"host": "PC-18", "Host": "ignored", "platform": "windows", "product": "Webex",'
        ' "Name": "ignored too", "version": "44.2.0.28714"}]\n'
    )
    found = list(read_inventory(write(tmp_path, "sheet.json", records_json)))
    assert [(i.host, i.product, i.version) for i in found] == [
        ("PC-17", "Zoom Workplace", "6.2.47507"),
        ("PC-18", "Webex", "44.2.0.28714"),
    ]
    one = '{"Host": "PC-19", "OS": "macOS", "Application": "Slack", "Version": "4.41.98"}\n'
    (alone,) = read_inventory(write(tmp_path, "one.json", one))
    assert (alone.host, alone.platform, alone.product) == ("PC-19", Platform.MACOS, "Slack")
    lines = write(tmp_path, "rows.jsonl", one + one.replace("PC-19", "PC-20"))
    assert [i.host for i in read_inventory(lines)] == ["PC-19", "PC-20"]
    with pytest.raises(InputError, match="expected exactly one of the keys"):
        list(read_inventory(write(tmp_path, "other.json", '{"Host": "PC-19"}\n')))


def test_an_unquoted_yaml_date_is_a_last_seen_date(tmp_path: Path) -> None:
    text = (
        "installations:\n"
        "  - {host: pc-1, platform: windows, product: Slack, version: 4.41.98,"
        " last_seen: 2025-01-01}\n"
        "  - {host: pc-2, platform: windows, product: Slack, version: 4.41.98,"
        " last_seen: 2025-01-02 10:30:00}\n"
    )
    found = list(read_inventory(write(tmp_path, "fleet.yaml", text)))
    assert [i.last_seen for i in found] == ["2025-01-01", "2025-01-02T10:30:00"]


def test_a_number_under_an_alias_is_checked_as_under_the_field(tmp_path: Path) -> None:
    """`DisplayVersion: 5.17` (a YAML float, a JSON number) was left behind, and Zoom
    passed with no version: it is the version, refused as the field's own key would be."""
    yaml_doc = (
        "installations:\n  - {Host: pc-1, OS: windows, DisplayName: Zoom, DisplayVersion: 5.17}\n"
    )
    with pytest.raises(InputError, match=r"line 2: version: write 5\.17 as a string"):
        list(read_inventory(write(tmp_path, "fleet.yaml", yaml_doc)))
    json_doc = '[{"Host": "pc-1", "OS": "windows", "Product": "Zoom", "Version": 5.17}]\n'
    with pytest.raises(InputError, match=r"version: write 5\.17 as a string"):
        list(read_inventory(write(tmp_path, "fleet.json", json_doc)))
    tagged = (
        "installations:\n  - {Host: pc-1, OS: windows, Product: Zoom, Version: '6.2.3',"
        " Tags: [vip, lab], LastSeen: 2025-01-01}\n"
    )
    (found,) = read_inventory(write(tmp_path, "tagged.yaml", tagged))
    assert (found.tags, found.last_seen) == (("lab", "vip"), "2025-01-01")  # tags sorted


def test_json_records_and_clients_naming_nothing_are_passed_over(tmp_path: Path) -> None:
    """ConvertTo-Json of the Uninstall keys: a key without a DisplayName is passed over and
    counted, as in CSV; the hosts form reads the host's own keys as headers too."""
    from vcaudit.inventory.context import ReadContext as Context

    records = (
        '[{"PSComputerName": "WS001", "DisplayName": "Zoom Workplace (64-bit)", '
        '"DisplayVersion": "6.2.47507", "OS": "windows"},\n'
        ' {"PSComputerName": "WS001", "DisplayName": null, "DisplayVersion": null, '
        '"OS": "windows", "PSChildName": "AddressBook"}]\n'
    )
    ctx = Context()
    ctx.rows = RowOptions(skipped=ctx.pass_over)
    found = list(read_inventory(write(tmp_path, "keys.json", records), ctx=ctx))
    assert [(i.host, i.product) for i in found] == [("WS001", "Zoom Workplace (64-bit)")]
    assert (ctx.dropped, ctx.nameless) == (1, 1)
    assert ctx.report_notes() == [
        "1 row named neither a product nor a version (an Uninstall key without a DisplayName, "
        "say) and was skipped"
    ]
    host = (
        '{"ComputerName": "WS002", "Platform": "Windows", "clients": ['
        '{"DisplayName": "Slack", "DisplayVersion": "4.41.98"}, {"DisplayName": ""}]}\n'
    )
    (one,) = read_inventory(write(tmp_path, "host.json", host))
    assert (one.host, one.platform, one.product) == ("WS002", Platform.WINDOWS, "Slack")


def test_a_missing_host_column_points_at_host(tmp_path: Path) -> None:
    path = write(tmp_path, "keys.csv", "DisplayName,DisplayVersion,Platform\nZoom,6.2.3,windows\n")
    with pytest.raises(InputError, match="missing column host") as caught:
        list(read_inventory(path))
    assert caught.value.hint.endswith("for one machine's export, --host NAME names its host")
