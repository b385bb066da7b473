"""Local discovery, on Linux, with recorded command output, plists and registry dumps."""

from __future__ import annotations

import plistlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from vcaudit.inventory.context import ReadContext
from vcaudit.inventory.discover import (
    MSIX_PACKAGES,
    UNINSTALL,
    VIEW_32,
    VIEW_64,
    MacAppsProbe,
    Probe,
    Runner,
    WindowsProbe,
    discover,
    linux_probes,
)
from vcaudit.inventory.identify import Identifier
from vcaudit.inventory.sources import read_inventory
from vcaudit.inventory.writer import InventoryFormat, render
from vcaudit.models import Feed, Installation, Ownership, Platform

# Recorded on Debian 12 with the probe's own dpkg-query format (see inventory-formats.md §6).
DPKG = (
    b"bash\t5.2.15-2+b8\tamd64\tii \n"
    b"zoom\t6.2.11.4905\tamd64\tii \n"
    b"slack-desktop\t4.41.98\tamd64\trc \n"
)
RPM = b"skypeforlinux\t(none)\t8.65.0.78\t1\tx86_64\n"
SNAP = (
    b"Name   Version  Rev  Tracking       Publisher   Notes\n"
    b"slack  4.51.180 170  latest/stable  slack**     -\n"
)


def ctx(feed: Feed) -> ReadContext:
    return ReadContext(relevant=Identifier(feed.products).relevant)


def recorded(outputs: dict[str, bytes | Exception | None]) -> Runner:
    def runner(argv: list[str]) -> bytes | None:
        result = outputs.get(argv[0])
        if isinstance(result, Exception):
            raise result
        return result

    return runner


def test_linux_with_some_tools(bundled_feed: Feed) -> None:
    runner = recorded({"dpkg-query": DPKG, "rpm": RPM, "flatpak": None, "snap": SNAP})
    context = ctx(bundled_feed)
    found = discover(linux_probes(runner), context, "lin-7")
    assert [(i.host, i.platform, i.product, i.version) for i in found.installations] == [
        ("lin-7", Platform.LINUX, "zoom", "6.2.11.4905"),
        ("lin-7", Platform.LINUX, "skypeforlinux", "8.65.0.78-1"),
        ("lin-7", Platform.LINUX, "slack", "4.51.180"),
    ]
    assert found.notes == ["flatpak is not installed here: flatpak packages were not checked"]
    assert found.failures == []


def test_linux_with_none_of_the_tools(bundled_feed: Feed) -> None:
    found = discover(linux_probes(recorded({})), ctx(bundled_feed), "bare")
    assert found.installations == []
    assert len(found.notes) == 4


def test_one_failing_probe_does_not_stop_the_others(bundled_feed: Feed) -> None:
    runner = recorded({"dpkg-query": RuntimeError("database locked"), "snap": SNAP})
    found = discover(linux_probes(runner), ctx(bundled_feed), "lin-8")
    assert [i.product for i in found.installations] == ["slack"]
    assert found.failures == ["dpkg: RuntimeError: database locked"]


def write_app(root: Path, name: str, info: dict[str, str]) -> None:
    contents = root / f"{name}.app" / "Contents"
    contents.mkdir(parents=True)
    with (contents / "Info.plist").open("wb") as handle:
        plistlib.dump(info, handle)


def test_macos_info_plists(bundled_feed: Feed, tmp_path: Path) -> None:
    system, user = tmp_path / "Applications", tmp_path / "Users" / "ana" / "Applications"
    write_app(
        system,
        "zoom.us",
        {
            "CFBundleIdentifier": "us.zoom.xos",
            "CFBundleShortVersionString": "5.16.10 (25689)",
            "CFBundleVersion": "5.16.10.25689",
        },
    )
    write_app(
        system,
        "Safari",
        {"CFBundleIdentifier": "com.apple.Safari", "CFBundleShortVersionString": "17.3"},
    )
    write_app(
        user,
        "Slack",
        {
            "CFBundleIdentifier": "com.tinyspeck.slackmacgap",
            "CFBundleShortVersionString": "4.40.128",
            "CFBundleVersion": "440000128",
        },
    )
    (system / "Broken.app" / "Contents").mkdir(parents=True)
    (system / "Broken.app" / "Contents" / "Info.plist").write_bytes(b"not a plist")
    context = ctx(bundled_feed)
    found = discover([MacAppsProbe([system, user])], context, "mac-1")
    assert [(i.platform, i.product, i.version) for i in found.installations] == [
        (Platform.MACOS, "us.zoom.xos", "5.16.10 (25689)"),
        (Platform.MACOS, "com.tinyspeck.slackmacgap", "4.40.128"),
    ]
    assert context.dropped == 1


class RegistryDump:
    """A registry as exported: {(hive, path, view): {subkey: values}}."""

    def __init__(self, keys: dict[tuple[str, str, int], dict[str, dict[str, object]]]) -> None:
        self.keys = keys

    def subkeys(self, hive: str, path: str, view: int = 0) -> list[str]:
        if hive == "HKU" and path == "":
            return ["S-1-5-21-1", "S-1-5-21-1_Classes", ".DEFAULT"]
        return list(self.keys.get((hive, path, view), {}))

    def values(self, hive: str, path: str, view: int = 0) -> dict[str, object]:
        parent, _, name = path.rpartition("\\")
        return self.keys.get((hive, parent, view), {}).get(name, {})


def test_windows_registry(bundled_feed: Feed) -> None:
    user = "S-1-5-21-1"
    dump = RegistryDump(
        {
            ("HKLM", UNINSTALL, VIEW_64): {
                "{ABC}": {
                    "DisplayName": "Zoom Workplace (64-bit)",
                    "DisplayVersion": "6.2.47507",
                    "Publisher": "Zoom",
                },
                "KB5034441": {"ParentKeyName": "OperatingSystem"},  # no DisplayName: skipped
                "{OFFICE}": {
                    "DisplayName": "Microsoft 365",
                    "DisplayVersion": "16.0",
                    "Publisher": "Microsoft Corporation",
                },
            },
            ("HKLM", UNINSTALL, VIEW_32): {
                "{WEBEX}": {
                    "DisplayName": "Webex",
                    "DisplayVersion": "44.2.0.28714",
                    "Publisher": "Cisco Systems, Inc",
                },
            },
            ("HKCU", UNINSTALL, 0): {
                "ZoomUMX": {
                    "DisplayName": "Zoom",
                    "DisplayVersion": "5.12.2 (8964)",
                    "Publisher": "Zoom Video Communications, Inc.",
                },
            },
            ("HKU", f"{user}\\{UNINSTALL}", 0): {
                "Teams": {
                    "DisplayName": "Microsoft Teams classic",
                    "DisplayVersion": "1.6.00.376",
                    "Publisher": "Microsoft Corporation",
                },
            },
            ("HKU", f"{user}\\{MSIX_PACKAGES}", 0): {
                "MSTeams_25060.205.3499.6849_x64__8wekyb3d8bbwe": {},
                "Microsoft.WindowsCalculator_11.2401.0.0_x64__8wekyb3d8bbwe": {},
            },
        }
    )
    context = ctx(bundled_feed)
    found = discover([WindowsProbe(dump)], context, "win-9")
    assert [(i.product, i.version, i.publisher) for i in found.installations] == [
        ("Zoom Workplace (64-bit)", "6.2.47507", "Zoom"),
        ("Webex", "44.2.0.28714", "Cisco Systems, Inc"),
        ("Zoom", "5.12.2 (8964)", "Zoom Video Communications, Inc."),
        ("Microsoft Teams classic", "1.6.00.376", "Microsoft Corporation"),
        ("MSTeams_8wekyb3d8bbwe", "25060.205.3499.6849", ""),
    ]
    assert {i.platform for i in found.installations} == {Platform.WINDOWS}
    identifier = Identifier(bundled_feed.products)
    ids = [identifier.identify(i.product, i.publisher) for i in found.installations]
    assert [x.product.id if x else None for x in ids] == [
        "zoom",
        "webex",
        "zoom",
        "teams-classic",
        "teams",
    ]


class Exploding:
    name = "exploding"

    def collect(self, host: str, ctx: ReadContext) -> Iterator[Installation]:
        del host, ctx
        raise PermissionError("access denied")


def test_discovery_output_reads_back(bundled_feed: Feed, tmp_path: Path) -> None:
    runner = recorded({"dpkg-query": DPKG, "snap": SNAP})
    probes: list[Probe] = [Exploding(), *linux_probes(runner)]
    found = discover(
        probes, ctx(bundled_feed), "lin-9", ownership=Ownership.PERSONAL, owner="it@example.com"
    )
    assert found.failures == ["exploding: PermissionError: access denied"]
    for fmt in InventoryFormat:
        path = tmp_path / f"inventory.{fmt.value}"
        path.write_text(render(found.installations, fmt), encoding="utf-8")
        back = list(read_inventory(str(path)))
        assert [(i.host, i.product, i.version, i.ownership, i.owner) for i in back] == [
            ("lin-9", "zoom", "6.2.11.4905", Ownership.PERSONAL, "it@example.com"),
            ("lin-9", "slack", "4.51.180", Ownership.PERSONAL, "it@example.com"),
        ]


def test_discover_command_on_this_machine(capsys: pytest.CaptureFixture[str]) -> None:
    from vcaudit.cli import main

    code = main(["discover", "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.startswith('{\n  "installations": [')
    assert "conferencing client(s) on this machine" in err


@pytest.mark.slow
def test_import_command(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from vcaudit.cli import main

    source = Path(__file__).parent.parent / "data" / "imports" / "jamf-computers.json"
    target = tmp_path / "fleet.csv"
    code = main(["import", "jamf", str(source), "-o", str(target)])
    assert code == 0, capsys.readouterr().err
    rows = list(read_inventory(str(target)))
    assert [(r.host, r.product) for r in rows] == [
        ("mac-finance-2", "us.zoom.xos"),
        ("mac-finance-2", "Cisco-Systems.Spark"),
    ]
    assert "1 row of the exports was other software" in capsys.readouterr().err


class FakeWinreg:
    """The `winreg` module's calls that WinReg makes, over a dump, with winreg's behaviour:
    opening a missing key and enumerating past the last subkey or value raise OSError.
    Records the access each key was opened with (the 64- or 32-bit view is part of it)."""

    HKEY_LOCAL_MACHINE, HKEY_CURRENT_USER, HKEY_USERS = 0x80000002, 0x80000001, 0x80000003
    KEY_READ = 0x20019
    REG_SZ = 1

    def __init__(self, keys: dict[tuple[int, str, int], dict[str, object]]) -> None:
        """keys: (root, path, view) -> {value name: value}; subkeys come from the paths."""
        self.keys = keys
        self.opened: list[tuple[int, str, int]] = []

    def OpenKey(self, root: int, path: str, reserved: int, access: int) -> tuple[int, str, int]:
        assert reserved == 0
        assert access & self.KEY_READ == self.KEY_READ
        view = access & ~self.KEY_READ
        self.opened.append((root, path, access))
        prefix = f"{path}\\" if path else ""
        if (root, path, view) not in self.keys and not any(
            r == root and v == view and p.startswith(prefix) for r, p, v in self.keys
        ):
            raise FileNotFoundError(2, "The system cannot find the file specified")
        return root, path, view

    def _children(self, key: tuple[int, str, int]) -> list[str]:
        root, path, view = key
        prefix = f"{path}\\" if path else ""
        found: list[str] = []
        for r, p, v in self.keys:
            if r == root and v == view and p.startswith(prefix):
                child = p[len(prefix) :].split("\\")[0]
                if child and child not in found:
                    found.append(child)
        return found

    def EnumKey(self, key: tuple[int, str, int], index: int) -> str:
        children = self._children(key)
        if index >= len(children):
            raise OSError(259, "No more data is available")
        return children[index]

    def EnumValue(self, key: tuple[int, str, int], index: int) -> tuple[str, object, int]:
        values = list(self.keys.get(key, {}).items())
        if index >= len(values):
            raise OSError(259, "No more data is available")
        name, value = values[index]
        return name, value, self.REG_SZ


def test_the_windows_registry_adapter_reads_keys_and_values_through_winreg(
    monkeypatch: pytest.MonkeyPatch, bundled_feed: Feed
) -> None:
    from vcaudit.inventory.discover import WinReg, probes_for

    fake = FakeWinreg(
        {
            (FakeWinreg.HKEY_LOCAL_MACHINE, f"{UNINSTALL}\\{{ZOOM}}", VIEW_64): {
                "DisplayName": "Zoom Workplace (64-bit)",
                "DisplayVersion": "6.2.47507",
                "Publisher": "Zoom",
            },
            (FakeWinreg.HKEY_LOCAL_MACHINE, f"{UNINSTALL}\\{{WEBEX}}", VIEW_32): {
                "DisplayName": "Webex",
                "DisplayVersion": "44.2.0.28714",
            },
            (FakeWinreg.HKEY_USERS, f"S-1-5-21-7\\{UNINSTALL}\\Teams", 0): {
                "DisplayName": "Microsoft Teams classic",
                "DisplayVersion": "1.6.00.376",
            },
            (FakeWinreg.HKEY_USERS, "S-1-5-21-7_Classes\\x", 0): {},
        }
    )
    monkeypatch.setitem(sys.modules, "winreg", fake)
    registry = WinReg()
    # Keys and values as winreg enumerates them, until it says there are no more.
    assert registry.subkeys("HKLM", UNINSTALL, VIEW_64) == ["{ZOOM}"]
    assert registry.subkeys("HKLM", UNINSTALL, VIEW_32) == ["{WEBEX}"]
    assert registry.subkeys("HKU", "") == ["S-1-5-21-7", "S-1-5-21-7_Classes"]
    assert registry.values("HKLM", f"{UNINSTALL}\\{{WEBEX}}", VIEW_32) == {
        "DisplayName": "Webex",
        "DisplayVersion": "44.2.0.28714",
    }
    # A key that does not exist (or not in this view) is empty, not an error.
    assert registry.subkeys("HKCU", UNINSTALL) == []
    assert registry.values("HKLM", f"{UNINSTALL}\\{{WEBEX}}", VIEW_64) == {}
    assert (FakeWinreg.HKEY_LOCAL_MACHINE, UNINSTALL, FakeWinreg.KEY_READ | VIEW_32) in (
        fake.opened
    )
    # The probe vcaudit uses on Windows reads the machine through it.
    (probe,) = probes_for("win32")
    assert isinstance(probe, WindowsProbe)
    assert isinstance(probe.registry, WinReg)
    found = discover([probe], ctx(bundled_feed), "win-7")
    assert [(i.host, i.product, i.version) for i in found.installations] == [
        ("win-7", "Zoom Workplace (64-bit)", "6.2.47507"),
        ("win-7", "Webex", "44.2.0.28714"),
        ("win-7", "Microsoft Teams classic", "1.6.00.376"),
    ]
    assert found.failures == []
