"""Exports as the tools really write them, through the command line: encodings, differential
logs, every Fleet shape, paged exports, one Graph device, dpkg states, plain rpm -qa, flatpak
and snap as printed on a terminal, spreadsheets saved as tab-separated text.

Where each file under tests/data/imports comes from is in tests/data/imports/README.md.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from tests.output.json_report import installation_rows
from vcaudit.cli import main
from vcaudit.errors import InputError
from vcaudit.inventory.aggregate import reread_csv
from vcaudit.inventory.context import FORMAT_LABELS, InputRead, ReadContext, reading_context
from vcaudit.inventory.formats import InputFormat
from vcaudit.inventory.identify import Identifier
from vcaudit.inventory.records import RowOptions
from vcaudit.inventory.sources import (
    aggregate_inventories,
    detect,
    read_inventory,
    reopen_counted,
    rereadable,
    sniff,
)
from vcaudit.models import Feed, Installation, Platform

IMPORTS = Path(__file__).parent.parent / "data" / "imports"
AS_OF = ["--as-of", "2026-11-27", "--fail-on", "none"]


@pytest.fixture(scope="module")
def module_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(autouse=True)
def _module_cache(module_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One private cache folder for this module's runs (no test here installs a feed), so
    the bundled feed is prepared once rather than once per test."""
    monkeypatch.setenv("VCAUDIT_CACHE_DIR", str(module_cache))


@pytest.fixture(scope="module")
def relevant(bundled_feed: Feed) -> Any:
    return Identifier(bundled_feed.products).relevant


def scan(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any], str]:
    """`vcaudit scan ... -f json`: exit code, the report (empty on failure), stderr."""
    code = main(["scan", *args, "-f", "json", *AS_OF])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out.strip() else {}, err


def rows_of(report: dict[str, Any]) -> list[tuple[str, str, str]]:
    return sorted((i["host"], i["name"], i["version"]) for i in installation_rows(report))


def read(name: str, relevant: Any, **kw: Any) -> tuple[list[Installation], ReadContext]:
    ctx = ReadContext(relevant=relevant, **kw)
    return list(read_inventory(str(IMPORTS / name), ctx=ctx)), ctx


# --- encodings -------------------------------------------------------------------------


def test_osqueryi_output_saved_by_windows_powershell_is_audited(
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = IMPORTS / "osqueryi-programs-ps51.json"
    assert path.read_bytes()[:2] == b"\xff\xfe"  # UTF-16LE with a BOM, as PowerShell 5.1 `>`
    assert sniff(path.read_bytes()[:4096]) is InputFormat.OSQUERY
    code, report, err = scan(capsys, str(path))
    assert code == 0, err
    assert rows_of(report) == [
        ("osqueryi-programs-ps51", "MSTeams_8wekyb3d8bbwe", "25122.1415.3698.6812"),
        ("osqueryi-programs-ps51", "Zoom Workplace (64-bit)", "6.2.47507"),
    ]
    zoom = next(i for i in installation_rows(report) if i["product"] == "zoom")
    assert zoom["status"] == "vulnerable"
    assert zoom["source"] == {"file": str(path), "line": 2}


ENCODED_CSV = (
    "host,platform,product,version\r\n"
    "pc-1,windows,Zoom Workplace (64-bit),6.2.47507\r\n"
    "pc-2,windows,Zoom Workplace (64-bit),6.2.47507\r\n"
    "mac-1,macos,us.zoom.xos,6.0.2 (33403)\r\n"
)


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [
        ("utf-16-le", b"\xff\xfe"),
        ("utf-16-be", b"\xfe\xff"),
        ("utf-8", b"\xef\xbb\xbf"),
        ("utf-32-le", b"\xff\xfe\x00\x00"),
        ("utf-16-le", b""),  # no BOM: told by the NUL in every other byte
    ],
)
def test_native_csv_in_any_unicode_encoding_is_counted_and_read_again(
    tmp_path: Path, encoding: str, bom: bytes
) -> None:
    path = tmp_path / "fleet.csv"
    path.write_bytes(bom + ENCODED_CSV.encode(encoding))
    assert rereadable([str(path)], InputFormat.AUTO)
    aggregates = list(aggregate_inventories([str(path)]))
    assert [(a.installation.product, a.count, sorted(a.hosts)) for a in aggregates] == [
        ("Zoom Workplace (64-bit)", 2, ["pc-1", "pc-2"]),
        ("us.zoom.xos", 1, ["mac-1"]),
    ]
    counted = aggregates[0].origin
    assert counted is not None
    with reopen_counted(counted) as lines:
        batches = list(reread_csv(lines, counted))
    assert [row for batch in batches for row in zip(*batch, strict=True)] == [
        (0, "pc-1", "", 2),
        (0, "pc-2", "", 3),
        (1, "mac-1", "", 4),
    ]


def test_utf16_native_csv_through_the_cli(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "fleet.csv"
    path.write_bytes(b"\xff\xfe" + ENCODED_CSV.encode("utf-16-le"))
    # JSON lists every installation: the file is counted, then read a second time.
    code, report, err = scan(capsys, str(path))
    assert code == 0, err
    assert [(i["host"], i["version"], i["source"]["line"]) for i in installation_rows(report)] == [
        ("pc-1", "6.2.47507", 2),
        ("pc-2", "6.2.47507", 3),
        ("mac-1", "6.0.2 (33403)", 4),
    ]


def test_broken_utf16_names_the_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "apps.json"
    path.write_bytes(b"\xff\xfe" + '[\n {"name": "x"},\n'.encode("utf-16-le") + b"\x00\xd8")
    code, report, err = scan(capsys, str(path))
    assert code == 3
    assert report == {}
    assert f"{path}, line 3: not valid UTF-16 text" in err
    assert "Traceback" not in err


# --- osqueryd differential logs ----------------------------------------------------------


def test_event_log_reports_each_client_at_its_last_version(
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = IMPORTS / "osqueryd-events.results.log"
    code, report, err = scan(capsys, str(path))
    assert code == 0, err
    # Zoom was removed at 5.16.10 and added at 6.0.2; Slack was added, then removed; Webex
    # went from 43.10 to 44.2. The host is hostIdentifier, not the decorations' hostname.
    assert rows_of(report) == [
        ("E0804EAC-481F-5BF3-AA00-8AA4EDE72395", "us.zoom.xos", "6.0.2 (33403)"),
        ("WIN-0193", "Webex", "44.2.0.28714"),
    ]
    assert [i["source"]["line"] for i in report["installations"]] == [7, 9]


def test_batch_log_replays_diffs_and_starts_again_at_counter_zero(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, report, err = scan(capsys, str(IMPORTS / "osqueryd-batch.results.log"))
    assert code == 0, err
    # lnx-build-2 upgraded zoom (removed 5.17.11, added 6.2.11); on mac-lab-1 a new epoch
    # logged the whole result again without classic Teams: it is gone.
    assert rows_of(report) == [
        ("lnx-build-2", "zoom", "6.2.11.4905"),
        ("mac-lab-1", "us.zoom.xos", "6.0.2 (33403)"),
    ]


def test_log_host_falls_back_to_decorations_without_host_identifier(
    relevant: Any, tmp_path: Path
) -> None:
    row = {"bundle_identifier": "us.zoom.xos", "bundle_short_version": "6.0.2 (33403)"}
    lines = [
        {"name": "apps", "decorations": {"hostname": "mac-9"}, "counter": 0, "columns": row,
         "action": "added"},
        {"name": "apps", "hostname": "mac-10", "columns": row, "action": "added"},
        {"name": "apps", "hostIdentifier": "mac-11", "columns": row, "action": "added"},
        {"name": "apps", "hostIdentifier": "mac-11", "columns": row, "action": "removed"},
    ]  # fmt: skip
    path = tmp_path / "osqueryd.results.log"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    ctx = ReadContext(relevant=relevant)
    found = list(read_inventory(str(path), ctx=ctx))
    assert [(r.host, r.source.line) for r in found] == [("mac-9", 1), ("mac-10", 2)]


def test_a_snapshot_replaces_what_the_host_held(relevant: Any, tmp_path: Path) -> None:
    old = {"bundle_identifier": "us.zoom.xos", "bundle_short_version": "5.16.10 (25689)"}
    new = {"bundle_identifier": "us.zoom.xos", "bundle_short_version": "6.0.2 (33403)"}
    lines = [
        {"name": "apps", "hostIdentifier": "mac-1", "counter": 1, "columns": old,
         "action": "added"},
        {"name": "apps", "hostIdentifier": "mac-1", "snapshot": [new], "action": "snapshot"},
    ]  # fmt: skip
    path = tmp_path / "osqueryd.snapshots.log"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    found = list(read_inventory(str(path), ctx=ReadContext(relevant=relevant)))
    assert [(r.host, r.version) for r in found] == [("mac-1", "6.0.2 (33403)")]


# --- Fleet -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("fleet-host.json", [("mbp-ana", "us.zoom.xos", "6.0.2")]),
        (
            "fleet-hosts.json",
            [("WIN-0193", "Zoom Workplace (64-bit)", "6.2.47507"), ("lnx-build-2", "zoom",
             "6.2.11.4905")],
        ),
        # /hosts/:id/software names no host: the file's name stands for it.
        ("fleet-host-software.json", [("fleet-host-software", "us.zoom.xos", "6.0.2")]),
        (
            "fleet-title.json",
            [(f"(Fleet host {i} of 3)", "us.zoom.xos", "5.16.10") for i in (1, 2, 3)]
            + [(f"(Fleet host {i} of 2)", "us.zoom.xos", "6.0.2") for i in (1, 2)],
        ),
        (
            "fleet-titles.json",
            [("(hosts in Fleet)", "zoom.us.app", "5.16.10"),
             ("(hosts in Fleet)", "zoom.us.app", "6.0.2")],
        ),
        (
            "fleet-versions.json",
            [(f"(Fleet host {i} of 14)", "Zoom Workplace (64-bit)", "6.4.64384")
             for i in range(1, 15)],
        ),
    ],
)  # fmt: skip
def test_every_fleet_shape(relevant: Any, name: str, expected: list[tuple[str, str, str]]) -> None:
    assert sniff((IMPORTS / name).read_bytes()) is InputFormat.FLEET
    found, ctx = read(name, relevant)
    assert [(r.host, r.product, r.version) for r in found] == expected
    assert ctx.reads == [
        InputRead(str(IMPORTS / name), InputFormat.FLEET, ctx.reads[0].lines, len(expected),
                  ctx.dropped)
    ]  # fmt: skip
    if name == "fleet-titles.json":
        assert any("no host count per version" in note for note in ctx.notes)


def test_fleet_host_software_takes_the_host_option(capsys: pytest.CaptureFixture[str]) -> None:
    code, report, err = scan(capsys, str(IMPORTS / "fleet-host-software.json"), "--host", "mbp-7")
    assert code == 0, err
    assert rows_of(report) == [("mbp-7", "us.zoom.xos", "6.0.2")]


def test_fleet_counts_reach_the_summary(capsys: pytest.CaptureFixture[str]) -> None:
    code, report, err = scan(capsys, str(IMPORTS / "fleet-title.json"))
    assert code == 0, err
    assert report["summary"]["installations"] == 5
    assert report["summary"]["hosts"] == 5  # a count names no hosts: each is its own


# --- incomplete (paged) exports ------------------------------------------------------------


PAGED = [
    (
        "jamf-computers-paged.json",
        "totalCount says 250 computers, the file holds 2: a paged export read in part",
    ),
    ("graph-detectedapps-paged.json", "@odata.nextLink says more pages follow"),
    (
        "fleet-versions-paged.json",
        "meta.has_next_results says more pages follow (count says 3, the file holds 1)",
    ),
    # The last page says only that pages came before it: it passed as a whole export.
    (
        "fleet-versions-last-page.json",
        "meta.has_previous_results says pages came before this one (count says 3, the file "
        "holds 1)",
    ),
    (
        "graph-detectedapps-last-page.json",
        "@odata.count says 350 apps, the file holds 1 (a list filtered after export keeps the "
        "count: drop @odata.count from it)",
    ),
]


@pytest.mark.parametrize(("name", "problem"), PAGED)
def test_a_paged_export_is_refused(
    capsys: pytest.CaptureFixture[str], name: str, problem: str
) -> None:
    path = IMPORTS / name
    code, report, err = scan(capsys, str(path))
    assert code == 3
    assert report == {}
    assert err.splitlines() == [
        f"vcaudit: error: {path}: {problem}; export every page, or pass --allow-partial"
        if problem.endswith("read in part")
        else f"vcaudit: error: {path}: {problem}: a paged export read in part; "
        "export every page, or pass --allow-partial"
    ]


def test_a_fleet_host_whose_software_comes_after_kilobytes_of_labels(tmp_path: Path) -> None:
    """GET /api/v1/fleet/hosts/:id lists labels, policies and more before `software`: the
    response is told by its `{"host": {` (it was read as vcaudit's own JSON, and refused)."""
    data = json.loads((IMPORTS / "fleet-host.json").read_text("utf-8"))
    host = data["host"]
    labels = [{"id": i, "name": f"label {i}", "description": "x" * 40} for i in range(1000)]
    data["host"] = {"id": host["id"], "hostname": host["hostname"], "labels": labels,
                    "platform": host["platform"], "software": host["software"]}  # fmt: skip
    text = json.dumps(data, indent=2)
    assert text.index('"software"') > 64 * 1024  # past what formats are told from
    path = tmp_path / "host.json"
    path.write_text(text, "utf-8")
    expected = list(read_inventory(str(IMPORTS / "fleet-host.json")))
    assert expected
    assert [(i.product, i.version) for i in read_inventory(str(path))] == [
        (i.product, i.version) for i in expected
    ]


def test_a_fleet_count_alone_is_no_page(tmp_path: Path) -> None:
    """A list filtered with jq keeps the count of the whole: without the paging flags, a
    count above what the file holds is no proof of a missing page."""
    data = json.loads((IMPORTS / "fleet-versions-paged.json").read_text("utf-8"))
    del data["meta"]
    path = tmp_path / "versions.json"
    path.write_text(json.dumps(data), "utf-8")
    assert [i.version for i in read_inventory(str(path))][:1] == ["6.4.64384"]


def test_allow_partial_reads_paged_exports_with_a_warning(
    capsys: pytest.CaptureFixture[str],
) -> None:
    paths = [IMPORTS / name for name, _ in PAGED]
    code, report, err = scan(capsys, *map(str, paths), "--allow-partial")
    assert code == 0, err
    assert {i["source"]["file"] for i in report["installations"]} == set(map(str, paths))
    for path, (_, problem) in zip(paths, PAGED, strict=True):
        assert any(
            w.startswith(f"{path}: {problem}") and "(--allow-partial)" in w
            for w in report["warnings"]
        ), report["warnings"]


def test_import_refuses_a_paged_export_unless_allowed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = IMPORTS / "jamf-computers-paged.json"
    out = tmp_path / "fleet.csv"
    assert main(["import", "jamf", str(path), "-o", str(out)]) == 3
    assert not out.exists()
    capsys.readouterr()
    assert main(["import", "jamf", str(path), "-o", str(out), "--allow-partial"]) == 0
    err = capsys.readouterr().err
    assert "totalCount says 250 computers, the file holds 2" in err
    assert out.read_text().splitlines()[1:] == [
        "mac-finance-2,macos,us.zoom.xos,5.16.10 (25689),,,company,,,",
        "mac-design-4,macos,com.microsoft.teams2,24215.1007.3082.1590,,,company,,,",
    ]


def test_jamf_without_the_applications_section_is_an_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "jamf.json"
    path.write_text(
        json.dumps({"totalCount": 1, "results": [{"id": "1", "general": {"name": "mac-1"}}]})
    )
    code, _, err = scan(capsys, str(path), "--input-format", "jamf")
    assert code == 3
    assert f"{path}: no computer has an applications list" in err
    assert "section=APPLICATIONS" in err


# --- Microsoft Graph / Intune ---------------------------------------------------------------


def test_graph_detected_apps_of_one_device_is_one_host(
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = IMPORTS / "graph-device-detectedapps.json"
    code, report, err = scan(capsys, str(path), "--host", "LAPTOP-0193")
    assert code == 0, err
    # Each app carries the tenant-wide deviceCount (412): never 412 installations here.
    assert rows_of(report) == [("LAPTOP-0193", "Zoom Workplace (64-bit)", "6.2.47507")]
    assert report["summary"]["hosts"] == 1
    code, report, err = scan(capsys, str(path))
    assert code == 0, err
    assert rows_of(report) == [("graph-device-detectedapps", "Zoom Workplace (64-bit)",
                                "6.2.47507")]  # fmt: skip


def test_graph_device_with_expanded_apps_names_itself(relevant: Any) -> None:
    found, _ = read("graph-device-expanded.json", relevant)
    assert [(r.host, r.platform.value, r.product, r.user) for r in found] == [
        ("LAPTOP-0193", "windows", "Zoom Workplace (64-bit)", "ana@example.com")
    ]


INTUNE_COUNTS = {
    "intune-appinvaggregate.csv": 12,
    "intune-portal.csv": 5,
    "intune-portal-semicolon.csv": 7,
    "intune-graph.json": 3,
}


def test_intune_device_counts_count_as_installations(capsys: pytest.CaptureFixture[str]) -> None:
    code, report, err = scan(capsys, *(str(IMPORTS / name) for name in INTUNE_COUNTS))
    assert code == 0, err
    assert report["summary"]["installations"] == sum(INTUNE_COUNTS.values())
    for name, count in INTUNE_COUNTS.items():
        hosts = sorted(
            i["host"] for i in report["installations"] if i["source"]["file"] == str(IMPORTS / name)
        )
        assert hosts == sorted(f"(Intune device {n} of {count})" for n in range(1, count + 1))


def test_a_bad_device_count_names_file_line_and_field(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "AppInvAggregate.csv"
    header = "ApplicationName,ApplicationVersion,ApplicationPublisher,DeviceCount,Platform\n"
    for count, problem in [
        ("-3", "expected a number, got '-3'"),
        ("2000000", "2000000 is more than 1000000 installations"),
    ]:
        path.write_text(f"{header}Zoom Workplace (64-bit),6.2.47507,Zoom,{count},Windows\n")
        with pytest.raises(InputError) as caught:
            list(read_inventory(str(path)))
        assert str(caught.value) == f"{path}, line 2: DeviceCount: {problem}"
    path.write_text(f"{header}Zoom Workplace (64-bit),6.2.47507,Zoom,lots,Windows\n")
    code, _, err = scan(capsys, str(path))
    assert code == 3
    assert err == f"vcaudit: error: {path}, line 2: DeviceCount: expected a number, got 'lots'\n"


def test_intune_platforms_as_graph_and_exports_write_them(
    bundled_feed: Feed, tmp_path: Path
) -> None:
    """`Windows10` and `Windows_NT` are Windows; a client whose platform is `unknown`, `Other`
    or empty takes the one its name says (a Windows DisplayName), or --platform; Android and
    `windowsMobile` rows are not audited. A conferencing client was skipped as "other
    software" for want of a platform, and the run passed."""
    path = tmp_path / "AppInvAggregate.csv"
    header = "ApplicationName,ApplicationVersion,ApplicationPublisher,DeviceCount,Platform\n"
    path.write_text(
        header
        + "Zoom Workplace (64-bit),6.2.47507,Zoom,2,Windows10\n"
        + "Zoom Workplace (64-bit),6.2.47507,Zoom,1,unknown\n"
        + "Webex,44.2.0.28714,Cisco,3,Windows_NT\n"
        + "Zoom,6.2.1,Zoom,4,androidWorkProfile\n"
        + "Zoom,6.2.1,Zoom,1,windowsMobile\n"
    )
    ctx = reading_context(bundled_feed.products)
    found = list(read_inventory(str(path), ctx=ctx))
    assert [(i.product, i.platform) for i in found] == [
        *[("Zoom Workplace (64-bit)", Platform.WINDOWS)] * 3,
        *[("Webex", Platform.WINDOWS)] * 3,
    ]
    assert ctx.dropped == 2  # the Android and Windows Mobile rows
    path.write_text(header + "Webex,44.2.0.28714,Cisco,3,\nSlack,4.41.98,Slack,2,Other\n")
    with pytest.raises(InputError) as caught:
        list(read_inventory(str(path), ctx=reading_context(bundled_feed.products)))
    assert str(caught.value) == f"{path}, line 2: Platform: 'Webex' has no platform"
    assert "--platform" in caught.value.hint
    given = ReadContext(rows=RowOptions(platform=Platform.WINDOWS))
    assert [i.platform for i in read_inventory(str(path), ctx=given)] == [Platform.WINDOWS] * 5


# --- Linux package lists ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fmt", "expected"),
    [
        # hi (held) and iU (unpacked) have their files on disk; rc and un do not.
        ("dpkg-held.txt", InputFormat.DPKG, [("zoom", "6.2.11.4905"),
                                             ("skypeforlinux", "8.133.0.202")]),
        ("dpkg-status-long.txt", InputFormat.DPKG, [("zoom", "6.2.11.4905"),
                                                    ("skypeforlinux", "8.133.0.202")]),
        ("dpkg-l.txt", InputFormat.DPKG, [("zoom", "6.2.11.4905")]),
        ("rpm-qa.txt", InputFormat.RPM, [("zoom", "6.2.11.4905-1"), ("teams", "1.5.00.23861-1"),
                                         ("skypeforlinux", "8.133.0.202-1")]),
        ("rpm-nevra.txt", InputFormat.RPM, [("zoom", "6.2.11.4905-1")]),
        ("flatpak-terminal.txt", InputFormat.FLATPAK, [("us.zoom.Zoom", "6.2.11.4905"),
                                                       ("com.slack.Slack", "4.41.98"),
                                                       ("im.riot.Riot", "")]),
        # Disabled revisions (kept for a rollback) are not installed.
        ("snap-terminal.txt", InputFormat.SNAP, [("slack", "4.41.98"),
                                                 ("teams-for-linux", "1.4.27"),
                                                 ("zoom-client", "6.2.11.4905")]),
    ],
)  # fmt: skip
def test_linux_package_lists_as_printed(
    relevant: Any, name: str, fmt: InputFormat, expected: list[tuple[str, str]]
) -> None:
    path = IMPORTS / name
    assert detect(str(path), path.read_bytes()[:4096]) is fmt
    found, ctx = read(name, relevant)
    assert [(r.product, r.version) for r in found] == expected
    assert {r.host for r in found} == {path.stem}
    assert ctx.reads[0].format is fmt


def test_snap_publisher_badges_are_dropped(relevant: Any) -> None:
    found, _ = read("snap-terminal.txt", relevant)
    assert [r.publisher for r in found] == ["slack", "ismaelmartinez", "zoom"]


def test_terminal_listings_through_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    names = ["snap-terminal.txt", "flatpak-terminal.txt", "rpm-qa.txt", "dpkg-held.txt"]
    code, report, err = scan(capsys, *(str(IMPORTS / n) for n in names))
    assert code == 0, err
    by_host = {(i["host"], i["name"], i["version"]) for i in installation_rows(report)}
    assert ("snap-terminal", "zoom-client", "6.2.11.4905") in by_host
    assert ("snap-terminal", "zoom-client", "5.17.11.3835") not in by_host
    assert ("dpkg-held", "zoom", "6.2.11.4905") in by_host
    assert not any(name == "slack-desktop" for _, name, _ in by_host)  # rc
    assert report["summary"]["installations"] == 3 + 3 + 3 + 2


def test_flatpak_ids_cut_short_on_a_narrow_terminal_are_noted(
    relevant: Any, tmp_path: Path
) -> None:
    path = tmp_path / "flatpak.txt"
    path.write_text(
        "Name  Application ID  Version      Branch\n"
        "Zoom  \u2026zoom.Zoom      6.2.11.4905  stable\n",
        encoding="utf-8",
    )
    ctx = ReadContext()
    found = list(read_inventory(str(path), ctx=ctx))
    assert [(r.product, r.version) for r in found] == [("\u2026zoom.Zoom", "6.2.11.4905")]
    assert any("cut some application ids" in note for note in ctx.notes)


# --- spreadsheets saved as tab- or semicolon-separated text ---------------------------------


@pytest.mark.parametrize(
    "name", ["spreadsheet.tsv", "spreadsheet-tabs.txt", "spreadsheet-semicolon.csv"]
)
def test_spreadsheets_with_a_header_are_native_csv(name: str) -> None:
    path = IMPORTS / name
    assert detect(str(path), path.read_bytes()[:4096]) is InputFormat.CSV
    assert detect("-", path.read_bytes()[:4096]) is InputFormat.CSV  # stdin: the content says


@pytest.mark.parametrize(
    ("head", "fmt"),
    [
        (b"bash\t5.2.15-2+b8\nzoom\t6.2.11.4905\n", InputFormat.DPKG),  # no header
        (b"jitsi-meet\t2.0.5963-1\tall\tii\n", InputFormat.DPKG),  # with arch and status
        (b"zoom:amd64\t1:6.2.11.4905\n", InputFormat.DPKG),  # multiarch, an epoch
        (b"accountsservice\t\n", InputFormat.DPKG),  # not installed: no version
        (b"ii \tadduser\t3.118ubuntu5\n", InputFormat.DPKG),  # ${db:Status-Abbrev} first
        (b"install ok installed\tzoom\t6.2.5.2287\n", InputFormat.DPKG),
        # rpm -qa --qf '%{NAME}\t%{VERSION}-%{RELEASE}\n', read by the same reader
        (b"NetworkManager\t1.42.2-1.el9\n", InputFormat.DPKG),
        (b"gpg-pubkey\tfd431d51\n", InputFormat.DPKG),
        # A spreadsheet saved as tab-separated text is not dpkg output: no header row (the
        # first field is no package name), or a header vcaudit does not know (mapped with
        # --columns); the CSV reader then reads it, or says which columns are missing.
        (b"PC-1\tZoom Workplace\t6.2.47507\n", InputFormat.CSV),
        (b"Asset Tag\tEndpoint OS\tApp Title\tInstalled Ver\n", InputFormat.CSV),
        (b"asset\tzoom\n", InputFormat.CSV),  # a package name, then no version
        (b"PC-1\t\tZoom\t6.2\n", InputFormat.CSV),  # an empty cell, then no status
        (b"LAPTOP-7\tjsmith2\tZoom Workplace (64-bit)\t6.2.47507\n", InputFormat.CSV),
        (b"Computer\tApp\tVer\n", InputFormat.CSV),
        (b"Device Name\tDisplay Name\tDisplay Version\n", InputFormat.CSV),
        (b"HOST NAME;PRODUCT;VERSION\n", InputFormat.CSV),
        (b"\xff\xfe" + "Hostname\tOS\n".encode("utf-16-le"), InputFormat.CSV),
    ],
)
def test_sniffing_tab_separated_text(head: bytes, fmt: InputFormat) -> None:
    assert sniff(head) is fmt


def test_dpkg_query_with_the_status_first(relevant: Any, tmp_path: Path) -> None:
    listing = tmp_path / "packages.txt"
    listing.write_text("ii \tadduser\t3.118ubuntu5\nrc \tzoom\t6.1.0\nii \tzoom\t6.2.5.2287\n")
    found = list(read_inventory(str(listing), ctx=ReadContext(relevant=relevant)))
    assert [(i.product, i.version, i.source.line) for i in found] == [("zoom", "6.2.5.2287", 3)]


def test_a_powershell_type_line_does_not_hide_the_format(tmp_path: Path) -> None:
    """Windows PowerShell 5.1's Export-Csv writes `#TYPE ...` first: the format is told
    from the line after it (on standard input or a .txt it was taken for YAML), and an
    Intune export keeps its line numbers."""
    type_line = b"#TYPE System.Management.Automation.PSCustomObject\n"
    assert detect("-", type_line + b'"host","platform","product","version"\n') is (InputFormat.CSV)
    path = tmp_path / "AppInvAggregate.csv"
    header = "ApplicationName,ApplicationVersion,ApplicationPublisher,DeviceCount,Platform\n"
    path.write_text(
        type_line.decode() + header + "Zoom Workplace (64-bit),6.2.47507,Zoom,2,Windows\n"
        "Webex,44.2.0.28714,Cisco,lots,Windows\n"
    )
    with pytest.raises(InputError) as caught:
        list(read_inventory(str(path)))
    assert str(caught.value) == f"{path}, line 4: DeviceCount: expected a number, got 'lots'"


def test_a_tsv_file_is_csv_whatever_its_header() -> None:
    assert detect("fleet.tsv", b"PC-1\tZoom\t6.2\n") is InputFormat.CSV
    assert detect("fleet.tsv", b"zoom\t6.2.11.4905\n") is InputFormat.CSV
    assert detect("packages.txt", b"zoom\t6.2.11.4905\n") is InputFormat.DPKG


# --- what was read, and how ----------------------------------------------------------------


def test_each_input_says_how_it_was_read(relevant: Any, tmp_path: Path) -> None:
    listing = tmp_path / "packages.txt"
    listing.write_text("bash\t5.2.15-2+b8\nzoom\t6.2.11.4905\nslack-desktop\t4.41.98\n")
    ctx = ReadContext(relevant=relevant)
    found = list(read_inventory(str(listing), ctx=ctx))
    assert [(i.product, i.version) for i in found] == [
        ("zoom", "6.2.11.4905"),
        ("slack-desktop", "4.41.98"),
    ]
    assert ctx.reads == [InputRead(str(listing), InputFormat.DPKG, 3, 2, 1)]
    assert ctx.reads[0].describe() == (
        f"{listing}: 3 lines read as dpkg-query output: 2 installations (1 other program skipped)"
    )


def test_a_spreadsheet_saved_without_its_header_is_not_taken_for_dpkg_output(
    relevant: Any, tmp_path: Path
) -> None:
    """The issue's case: tab-separated rows of a spreadsheet, its header row left out, were
    read as dpkg output (every row "other software", a quiet PASS). They are CSV now, and
    the missing header is said."""
    odd = tmp_path / "fleet.txt"
    odd.write_text("PC-1\tWindows\tZoom\t6.2\nPC-2\tWindows\tSlack\t4.41\nPC-3\tmacOS\tZoom\t6.2\n")
    with pytest.raises(InputError, match=r"line 1: missing columns host, platform, product") as e:
        list(read_inventory(str(odd), ctx=ReadContext(relevant=relevant)))
    assert (e.value.hint or "").startswith("the first line looks like a row, not a header")


def test_counted_reading_records_installations(tmp_path: Path) -> None:
    path = tmp_path / "fleet.csv"
    path.write_text(
        "host,platform,product,version\npc-1,windows,zoom,6.2.5\npc-2,windows,zoom,6.2.5\n"
    )
    ctx = ReadContext()
    aggregates = list(aggregate_inventories([str(path), str(IMPORTS / "dpkg-held.txt")], ctx=ctx))
    assert sum(a.count for a in aggregates) == 5
    assert [(r.format, r.lines, r.installations) for r in ctx.reads] == [
        (InputFormat.CSV, 3, 2),
        (InputFormat.DPKG, 5, 3),
    ]


def test_every_format_has_a_label() -> None:
    assert set(FORMAT_LABELS) == set(InputFormat)


def test_input_error_is_the_one_raised(relevant: Any, tmp_path: Path) -> None:
    path = tmp_path / "rpm.txt"
    path.write_text("zoom-6.2.11.4905-1.x86_64\nnot an rpm line at all\n")
    with pytest.raises(InputError, match=r"rpm.txt, line 2: expected NAME<TAB>EPOCH"):
        list(read_inventory(str(path), ctx=ReadContext(relevant=relevant)))


def test_utf16_on_standard_input(relevant: Any) -> None:
    text = (IMPORTS / "osqueryi-programs-ps51.json").read_bytes()
    ctx = ReadContext(relevant=relevant, host="win-7")
    found = list(read_inventory("-", stdin=io.BytesIO(text), ctx=ctx))
    assert [(r.host, r.version, r.source.line) for r in found] == [
        ("win-7", "6.2.47507", 2),
        ("win-7", "25122.1415.3698.6812", 3),
    ]
    assert ctx.reads[0].name == "<stdin>"
    assert ctx.reads[0].format is InputFormat.OSQUERY


def test_the_read_line_separates_thousands() -> None:
    from vcaudit.inventory.context import InputRead
    from vcaudit.inventory.formats import InputFormat

    read = InputRead("fleet.csv", InputFormat.CSV, 200_001, 200_000, 1_234)
    assert read.describe() == (
        "fleet.csv: 200,001 lines read as CSV: 200,000 installations (1,234 other programs skipped)"
    )
