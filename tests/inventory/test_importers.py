"""Exports sysadmins already have, read as they come: right products, versions and hosts.

Fixtures under tests/data/imports use each tool's real column names and value styles
(shared/reference/inventory-formats.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.output.json_report import installation_rows
from vcaudit.inventory.context import ReadContext
from vcaudit.inventory.formats import InputFormat
from vcaudit.inventory.identify import Identifier
from vcaudit.inventory.sources import detect, read_inventory
from vcaudit.models import Feed, Platform

IMPORTS = Path(__file__).parent.parent / "data" / "imports"
W, M, L = Platform.WINDOWS, Platform.MACOS, Platform.LINUX
Row = tuple[str, Platform, str, str]


def counted(what: str, count: int, platform: Platform, product: str, version: str) -> list[Row]:
    """The rows a counted export row stands for: one per device or host it counts."""
    return [(f"({what} {n} of {count})", platform, product, version) for n in range(1, count + 1)]


CASES = {
    "osqueryi-programs.json": (
        InputFormat.OSQUERY,
        [
            ("osqueryi-programs", W, "Zoom Workplace (64-bit)", "6.2.47507"),
            ("osqueryi-programs", W, "MSTeams_8wekyb3d8bbwe", "25122.1415.3698.6812"),
        ],
        3,  # Office, 7-Zip, and the Zoom Outlook Plugin (an add-in, not a client)
    ),
    "osqueryi-apps.json": (
        InputFormat.OSQUERY,
        [
            ("osqueryi-apps", M, "us.zoom.xos", "5.16.10 (25689)"),
            ("osqueryi-apps", M, "com.tinyspeck.slackmacgap", "4.40.128"),
        ],
        1,
    ),
    "osqueryi-deb.json": (
        InputFormat.OSQUERY,
        [("osqueryi-deb", L, "zoom", "6.2.11.4905")],
        1,
    ),
    "osqueryi-rpm.json": (
        InputFormat.OSQUERY,
        [("osqueryi-rpm", L, "skypeforlinux", "8.65.0.78-1")],
        1,
    ),
    "osqueryi-homebrew.json": (
        InputFormat.OSQUERY,
        [("osqueryi-homebrew", M, "zoom", "7.1.0.83064")],
        1,
    ),
    "osqueryi-chocolatey.json": (
        InputFormat.OSQUERY,
        [("osqueryi-chocolatey", W, "zoom", "6.2.3.47507")],
        1,
    ),
    "osqueryd.results.log": (
        InputFormat.OSQUERY_LOG,
        [
            ("mac-7", M, "us.zoom.xos", "5.16.10 (25689)"),
            # hostIdentifier names the host; the decorations' hostname does not replace it.
            ("E0804EAC-481F-5BF3-AA00-8AA4EDE72395", M, "us.zoom.xos", "6.0.2 (33403)"),
            ("win-3", W, "Webex", "44.2.0.28714"),
        ],
        1,
    ),
    "fleet-host.json": (
        InputFormat.FLEET,
        [("mbp-ana", M, "us.zoom.xos", "6.0.2")],
        2,
    ),
    "fleet-versions.json": (
        InputFormat.FLEET,
        counted("Fleet host", 14, W, "Zoom Workplace (64-bit)", "6.4.64384"),
        1,
    ),
    "intune-appinvaggregate.csv": (
        InputFormat.INTUNE,
        counted("Intune device", 12, W, "Zoom Workplace (64-bit)", "6.2.47507"),
        2,
    ),
    "intune-appinvbydevice.csv": (
        InputFormat.INTUNE,
        [
            ("LAPTOP-17", W, "Webex", "44.2.0.28714"),
            ("MAC-4", M, "com.microsoft.teams2", "25122.1207.3700.1444"),
        ],
        0,
    ),
    "intune-portal.csv": (
        InputFormat.INTUNE,
        counted("Intune device", 5, W, "Microsoft Teams classic", "1.6.00.376"),
        0,
    ),
    "intune-graph.json": (
        InputFormat.INTUNE,
        counted("Intune device", 3, W, "Zoom Workplace (64-bit)", "6.2.47507"),
        1,
    ),
    "jamf-computers.json": (
        InputFormat.JAMF,
        [
            ("mac-finance-2", M, "us.zoom.xos", "5.16.10 (25689)"),
            ("mac-finance-2", M, "Cisco-Systems.Spark", "46.4.0.34620"),
        ],
        1,
    ),
    "configmgr-arp.csv": (
        InputFormat.CONFIGMGR,
        [
            ("PC-0042", W, "Zoom Workplace (64-bit)", "6.4.64384"),
            ("PC-0042", W, "Teams Machine-Wide Installer", "1.7.0.27855"),
        ],
        1,
    ),
    "dpkg.txt": (
        InputFormat.DPKG,
        [("dpkg", L, "zoom", "6.2.11.4905"), ("dpkg", L, "slack-desktop", "4.41.98")],
        1,
    ),
    "dpkg-status.txt": (InputFormat.DPKG, [("dpkg-status", L, "zoom", "6.2.11.4905")], 0),
    "rpm.txt": (InputFormat.RPM, [("rpm", L, "skypeforlinux", "8.65.0.78-1")], 1),
    "flatpak.txt": (
        InputFormat.FLATPAK,
        [
            ("flatpak", L, "us.zoom.Zoom", "7.0.5.3034"),
            ("flatpak", L, "com.slack.Slack", "4.51.180"),
        ],
        1,
    ),
    "flatpak-default.txt": (
        InputFormat.FLATPAK,
        [
            ("flatpak-default", L, "us.zoom.Zoom", "7.0.5.3034"),
            ("flatpak-default", L, "im.riot.Riot", "1.12.26"),
        ],
        0,
    ),
    "snap.txt": (
        InputFormat.SNAP,
        [("snap", L, "slack", "4.41.98"), ("snap", L, "skype", "8.133.0.202")],
        1,
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_import(bundled_feed: Feed, name: str) -> None:
    fmt, expected, dropped = CASES[name]
    path = IMPORTS / name
    assert detect(str(path), path.read_bytes()[:4096]) is (
        fmt if path.suffix not in (".csv", ".json") else detect(str(path), path.read_bytes())
    )
    ctx = ReadContext(relevant=Identifier(bundled_feed.products).relevant)
    rows = list(read_inventory(str(path), fmt, ctx=ctx))
    assert [(r.host, r.platform, r.product, r.version) for r in rows] == expected
    assert ctx.dropped == dropped
    assert all(r.source.line >= 1 for r in rows)


@pytest.mark.parametrize("name", sorted(CASES))
def test_auto_detection(name: str) -> None:
    path = IMPORTS / name
    fmt = CASES[name][0]
    from vcaudit.inventory.sources import sniff

    assert sniff(path.read_bytes()[:4096]) is fmt


def test_identification_of_imported_rows(bundled_feed: Feed) -> None:
    identifier = Identifier(bundled_feed.products)
    ctx = ReadContext(relevant=identifier.relevant)
    rows = list(read_inventory(str(IMPORTS / "osqueryi-programs.json"), ctx=ctx))
    found = [identifier.identify(r.product, r.publisher) for r in rows]
    assert [f.product.id if f else None for f in found] == ["zoom", "teams"]


def test_blind_spots_are_noted(bundled_feed: Feed) -> None:
    relevant = Identifier(bundled_feed.products).relevant
    ctx = ReadContext(relevant=relevant)
    list(read_inventory(str(IMPORTS / "configmgr-arp.csv"), ctx=ctx))
    assert any("misses per-user installs" in n for n in ctx.notes)
    ctx = ReadContext(relevant=relevant)
    list(read_inventory(str(IMPORTS / "osqueryi-programs-old-agent.json"), ctx=ctx))
    assert any("osquery before 5.17" in n for n in ctx.notes)


def test_host_option_for_hostless_exports(bundled_feed: Feed) -> None:
    ctx = ReadContext(relevant=Identifier(bundled_feed.products).relevant, host="build-07")
    rows = list(read_inventory(str(IMPORTS / "dpkg.txt"), ctx=ctx))
    assert {r.host for r in rows} == {"build-07"}


@pytest.mark.slow
def test_scan_reads_exports_end_to_end(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from vcaudit.cli import main

    programs, snaps = IMPORTS / "osqueryi-programs.json", IMPORTS / "snap-terminal.txt"
    code = main(
        [
            "scan",
            str(programs),
            str(snaps),
            "-f",
            "json",
            "--fail-on",
            "none",
            "--as-of",
            "2026-11-27",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    doc = json.loads(out)
    products = [(i["product"], i["status"]) for i in installation_rows(doc)]
    assert ("zoom", "vulnerable") in products
    # Every row read is in the report, the unrecognised teams-for-linux snap included.
    assert [(i["source"]["file"], i["source"]["line"]) for i in doc["installations"]] == [
        (str(programs), 2),
        (str(programs), 3),
        (str(snaps), 5),
        (str(snaps), 6),
        (str(snaps), 8),
    ]
    assert (None, "unknown") in products
    assert any("were other software" in w for w in doc["warnings"])


def test_osquery_pack_selects_what_vcaudit_reads() -> None:
    import json
    import re

    from vcaudit.inventory.osquery import table_of

    pack = json.loads(
        (IMPORTS.parent.parent.parent / "examples" / "osquery" / "vcaudit.conf").read_text(
            encoding="utf-8"
        )
    )
    tables = []
    for query in pack["queries"].values():
        found = re.match(r"SELECT (.+?) FROM (\w+)", query["query"])
        assert found is not None
        columns = {c.strip(): "x" for c in found.group(1).split(",")}
        assert table_of(columns) == found.group(2)
        tables.append(found.group(2))
    assert sorted(tables) == sorted(
        [
            "programs",
            "chocolatey_packages",
            "apps",
            "homebrew_packages",
            "deb_packages",
            "rpm_packages",
        ]
    )
