"""Local discovery: the conferencing clients installed on the machine vcaudit runs on.

One small interface, `Probe`, with one implementation per source:
- Linux: `dpkg-query`, `rpm`, `flatpak` and `snap` (each optional; a missing tool is skipped
  with a note), parsed by the same code as their exported text;
- macOS: the Info.plist of every app in /Applications, ~/Applications and
  /Users/*/Applications (plistlib);
- Windows: the Uninstall keys of HKLM (64- and 32-bit views), HKCU and every loaded HKU hive,
  and the MSIX packages of each loaded hive (new Teams).
Each probe is isolated: one failing source is reported and the others still run. The
commands, the file system and the registry are injected, so every probe is tested on Linux
with recorded output, plists written by the test, and registry dumps.
"""

from __future__ import annotations

import contextlib
import os
import plistlib
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar, Protocol

from vcaudit.files import read_regular
from vcaudit.inventory import linux_cli, records
from vcaudit.inventory.context import ReadContext
from vcaudit.models import Installation, Ownership, Platform, Source

MAX_PLIST = 4 * 1024 * 1024
"""Bytes of an Info.plist (real ones hold a few KiB to a few hundred)."""

Runner = Callable[[list[str]], bytes | None]
"""Runs a command and returns its standard output; None when the tool is not installed."""


def run_command(argv: list[str]) -> bytes | None:
    """The real runner: no shell, a timeout, and None when the program does not exist."""
    if shutil.which(argv[0]) is None:
        return None
    completed = subprocess.run(argv, capture_output=True, timeout=120, check=False)
    if completed.returncode != 0:
        message = completed.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RuntimeError(message[-1] if message else f"exit status {completed.returncode}")
    return completed.stdout


class Probe(Protocol):
    """One source of installed software on this machine."""

    name: str

    def collect(self, host: str, ctx: ReadContext) -> Iterator[Installation]:
        """The conferencing clients this source lists."""
        ...


@dataclass(slots=True)
class CommandProbe:
    """A Linux package tool whose text output `linux_cli` reads."""

    name: str
    argv: list[str]
    parse: Callable[[Iterable[bytes], str, ReadContext], Iterator[Installation]]
    runner: Runner = run_command

    def collect(self, host: str, ctx: ReadContext) -> Iterator[Installation]:
        output = self.runner(self.argv)
        if output is None:
            ctx.note(f"{self.argv[0]} is not installed here: {self.name} packages were not checked")
            return
        if not output.strip():
            return
        local = replace(ctx, host=host)
        yield from self.parse(output.splitlines(keepends=True), f"<{self.name}>", local)
        ctx.dropped = local.dropped


def linux_probes(runner: Runner = run_command) -> list[Probe]:
    """dpkg, rpm, flatpak and snap, each optional."""
    return [
        CommandProbe(
            "dpkg",
            [
                "dpkg-query",
                "-W",
                "-f=${Package}\\t${Version}\\t${Architecture}\\t${db:Status-Abbrev}\\n",
            ],
            linux_cli.read_dpkg,
            runner,
        ),
        CommandProbe(
            "rpm",
            ["rpm", "-qa", "--qf", "%{NAME}\\t%{EPOCH}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\n"],
            linux_cli.read_rpm,
            runner,
        ),
        CommandProbe(
            "flatpak",
            ["flatpak", "list", "--app", "--columns=application,version,branch,origin"],
            linux_cli.read_flatpak,
            runner,
        ),
        CommandProbe("snap", ["snap", "list"], linux_cli.read_snap, runner),
    ]


@dataclass(slots=True)
class MacAppsProbe:
    """Info.plist of every .app bundle in the application folders."""

    roots: list[Path]
    name: str = "macOS applications"

    def collect(self, host: str, ctx: ReadContext) -> Iterator[Installation]:
        for root in self.roots:
            try:
                bundles = sorted(root.glob("*.app"))
            except OSError:
                continue
            for bundle in bundles:
                plist = bundle / "Contents" / "Info.plist"
                try:
                    # Any user can put a bundle in their ~/Applications, and a scan may run as
                    # root: a plist that is a FIFO or a link to /dev/zero is skipped, unread.
                    info = plistlib.loads(read_regular(plist, MAX_PLIST))
                except (OSError, plistlib.InvalidFileException, ValueError):
                    continue
                if not isinstance(info, dict):
                    continue
                bundle_id = str(info.get("CFBundleIdentifier", "")).strip()
                label = str(info.get("CFBundleName", "") or bundle.stem)
                if not bundle_id or not (ctx.relevant(bundle_id, "") or ctx.relevant(label, "")):
                    ctx.dropped += 1
                    continue
                version = str(
                    info.get("CFBundleShortVersionString") or info.get("CFBundleVersion") or ""
                )
                yield records.imported(
                    host=host,
                    platform=Platform.MACOS,
                    product=bundle_id,
                    version=version,
                    file=str(plist),
                    line=1,
                )


def mac_roots(home: Path, users: Path = Path("/Users")) -> list[Path]:
    """/Applications, ~/Applications and every /Users/*/Applications."""
    roots = [Path("/Applications"), home / "Applications"]
    with contextlib.suppress(OSError):
        roots += sorted(p / "Applications" for p in users.iterdir() if p.is_dir())
    seen: list[Path] = []
    for root in roots:
        if root not in seen:
            seen.append(root)
    return seen


class Registry(Protocol):
    """The part of the Windows registry discovery reads."""

    def subkeys(self, hive: str, path: str, view: int = 0) -> list[str]:
        """Names of the subkeys of hive\\path ([] when it does not exist)."""
        ...

    def values(self, hive: str, path: str, view: int = 0) -> dict[str, object]:
        """Values of hive\\path ({} when it does not exist)."""
        ...


UNINSTALL = r"Software\Microsoft\Windows\CurrentVersion\Uninstall"
MSIX_PACKAGES = (
    r"Software\Classes\Local Settings\Software\Microsoft\Windows\CurrentVersion\AppModel"
    r"\Repository\Packages"
)
VIEW_64, VIEW_32 = 0x0100, 0x0200  # KEY_WOW64_64KEY, KEY_WOW64_32KEY
_PACKAGE_FULL_NAME = re.compile(
    r"^(?P<name>[^_]+)_(?P<version>[\d.]+)_(?P<arch>[^_]*)_(?P<resource>[^_]*)_(?P<hash>[a-z0-9]+)$"
)


@dataclass(slots=True)
class WindowsProbe:
    """Uninstall keys (HKLM 64/32-bit, HKCU, loaded HKU hives) and MSIX packages."""

    registry: Registry
    name: str = "Windows registry"

    def _keys(self) -> Iterator[tuple[str, str, int]]:
        yield "HKLM", UNINSTALL, VIEW_64
        yield "HKLM", UNINSTALL, VIEW_32
        yield "HKCU", UNINSTALL, 0
        for sid in self.registry.subkeys("HKU", ""):
            if sid.endswith("_Classes") or sid in (".DEFAULT",):
                continue
            yield "HKU", f"{sid}\\{UNINSTALL}", 0

    def collect(self, host: str, ctx: ReadContext) -> Iterator[Installation]:
        seen: set[tuple[str, str]] = set()
        for hive, path, view in self._keys():
            for key in self.registry.subkeys(hive, path, view):
                values = self.registry.values(hive, f"{path}\\{key}", view)
                label = str(values.get("DisplayName") or "").strip()
                version = str(values.get("DisplayVersion") or "").strip()
                publisher = str(values.get("Publisher") or "").strip()
                if not label or (label, version) in seen:
                    continue  # no DisplayName: updates and components; the rest once
                seen.add((label, version))
                if not ctx.relevant(label, publisher):
                    ctx.dropped += 1
                    continue
                where = f"{hive}\\{path}\\{key}"
                yield records.imported(
                    host=host,
                    platform=Platform.WINDOWS,
                    product=label,
                    version=version,
                    publisher=publisher,
                    file=where,
                    line=1,
                )
        for sid in [
            "HKCU",
            *(s for s in self.registry.subkeys("HKU", "") if not s.endswith("_Classes")),
        ]:
            hive, base = (
                ("HKCU", MSIX_PACKAGES) if sid == "HKCU" else ("HKU", f"{sid}\\{MSIX_PACKAGES}")
            )
            for full_name in self.registry.subkeys(hive, base):
                parsed = _PACKAGE_FULL_NAME.match(full_name)
                if parsed is None:
                    continue
                family = f"{parsed['name']}_{parsed['hash']}"
                if (family, parsed["version"]) in seen or not ctx.relevant(family, ""):
                    continue
                seen.add((family, parsed["version"]))
                yield records.imported(
                    host=host,
                    platform=Platform.WINDOWS,
                    product=family,
                    version=parsed["version"],
                    file=f"{hive}\\{base}\\{full_name}",
                    line=1,
                )


class WinReg:
    """The real registry, through winreg (Windows only)."""

    _HIVES: ClassVar[dict[str, str]] = {
        "HKLM": "HKEY_LOCAL_MACHINE",
        "HKCU": "HKEY_CURRENT_USER",
        "HKU": "HKEY_USERS",
    }

    def __init__(self) -> None:
        import importlib

        # Imported by name: the module exists only on Windows, and its stubs only there.
        self.winreg: Any = importlib.import_module("winreg")

    def _open(self, hive: str, path: str, view: int) -> Any:
        root = getattr(self.winreg, self._HIVES[hive])
        try:
            return self.winreg.OpenKey(root, path, 0, self.winreg.KEY_READ | view)
        except OSError:
            return None

    def subkeys(self, hive: str, path: str, view: int = 0) -> list[str]:
        key = self._open(hive, path, view)
        if key is None:
            return []
        names = []
        index = 0
        while True:
            try:
                names.append(self.winreg.EnumKey(key, index))
            except OSError:
                return names
            index += 1

    def values(self, hive: str, path: str, view: int = 0) -> dict[str, object]:
        key = self._open(hive, path, view)
        if key is None:
            return {}
        out: dict[str, object] = {}
        index = 0
        while True:
            try:
                name, value, _kind = self.winreg.EnumValue(key, index)
            except OSError:
                return out
            out[name] = value
            index += 1


def probes_for(platform: str, runner: Runner = run_command) -> list[Probe]:
    """The probes of the machine vcaudit runs on."""
    if platform.startswith("linux"):
        return linux_probes(runner)
    if platform == "darwin":
        return [MacAppsProbe(mac_roots(Path.home()))]
    if platform == "win32":
        return [WindowsProbe(WinReg())]
    return []


@dataclass(slots=True)
class Discovery:
    """What discovery found, and what it could not look at."""

    installations: list[Installation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def discover(
    probes: Iterable[Probe],
    ctx: ReadContext,
    host: str,
    *,
    ownership: Ownership = Ownership.COMPANY,
    owner: str = "",
) -> Discovery:
    """Run every probe; a failing one is reported and the others still run."""
    result = Discovery()
    line = 1
    for probe in probes:
        try:
            found = list(probe.collect(host, ctx))
        except Exception as exc:
            result.failures.append(f"{probe.name}: {type(exc).__name__}: {exc}")
            continue
        for inst in found:
            line += 1
            result.installations.append(
                replace(
                    inst,
                    ownership=ownership,
                    owner=owner or inst.owner,
                    source=Source(f"discover:{probe.name}", line),
                )
            )
    result.notes = list(ctx.notes)
    return result


def this_host() -> str:
    """This machine's name."""
    import socket

    return socket.gethostname() or os.environ.get("COMPUTERNAME", "") or "localhost"


def this_platform() -> str:
    """sys.platform, in one place for tests to see."""
    return sys.platform
