"""The terminal report, `vcaudit products` and `vcaudit advisory` at 80, 120 and 200 columns,
in colour and without, under TERM=dumb and NO_COLOR: no line is wider than the terminal, no
version, host, owner or advisory id is split across two lines, names wrap at spaces, wide
screens show whole names, each group names its hosts, counts have separators."""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import termios
from collections.abc import Iterable
from pathlib import Path

import pytest

from tests.conftest import TEST_FEED_DIR
from vcaudit.audit import run_audit
from vcaudit.cli import main
from vcaudit.console import ColorMode, terminal_width, use_color
from vcaudit.feed.load import load_feed
from vcaudit.models import AuditReport, Feed, Installation, Platform, Source
from vcaudit.output import RenderOptions
from vcaudit.output import advisories as advisory_output
from vcaudit.output import products as products_output
from vcaudit.output.layout import cells
from vcaudit.output.table import render
from vcaudit.policy import Policy

TODAY = dt.date(2026, 1, 15)
WIDTHS = (80, 120, 200)
ROOT = Path(__file__).parent.parent.parent
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")

TEAMS = "Microsoft Teams (work or school)"
WEBEX = "Cisco Webex Meetings Desktop App"
ZOOM = "Zoom Workplace (64-bit)"
CONTOSO = "Contoso Enterprise Conferencing Suite for Regulated Industries (Preview)"
LAPTOPS = [f"LAPTOP-7F3K2J9{c}.corp.example.com" for c in "QRSTUVW"]
DESKTOP = "DESKTOP-4QK2M7XL.corp.example.com"
VDI = "VDI-POOL-07-HOST-0042.corp.example.com"
COLLAB = "it-collaboration@example.org"
WORKPLACE = "workplace-engineering@example.org"
RCE = "cisco-sa-webex-app-client-rce-2024"
TOKENS = (
    # versions
    "24243.1309.3132.617", "44.6.0.29928", "6.2.47507", "2026.11.0-beta.3+build.20261104",
    "25100.1000.3500.1000", "44.8.0.30404",
    # hosts (the first five laptops in natural order), owners, advisory ids
    *LAPTOPS[:5], DESKTOP, VDI, COLLAB, WORKPLACE, RCE, "CVE-2099-53783",
)  # fmt: skip

PRODUCTS = {
    "teams-work.yaml": f"""
id: teams-work
name: {TEAMS}
vendor: Example Corp
version_scheme: dotted
identify:
  windows:
    - {{name: 'Microsoft Teams \\(work or school\\)'}}
latest:
  windows: {{version: '25100.1000.3500.1000', date: '2025-12-01', source: 'https://example.com/t'}}
advisories:
  - id: CVE-2099-53783
    title: Microsoft Teams Information Disclosure Vulnerability in the meeting chat
    published: '2025-06-01'
    severity: high
    affected:
      - platforms: [windows]
        fixed: '25100.1000.3500.1000'
    references: ['https://example.com/CVE-2099-53783']
""",
    "webex-meetings-desktop.yaml": f"""
id: webex-meetings-desktop
name: {WEBEX}
vendor: Example Corp
version_scheme: dotted
identify:
  windows:
    - {{name: 'Cisco Webex Meetings Desktop App'}}
latest:
  windows: {{version: '44.8.0.30404', date: '2025-12-01', source: 'https://example.com/w'}}
advisories:
  - id: {RCE}
    aliases: [CVE-2099-20001]
    title: Cisco Webex App client software remote code execution through a crafted meeting link
    published: '2025-03-01'
    severity: critical
    affected:
      - platforms: [windows, macos]
        introduced: '44.0'
        fixed: '44.8.0.30404'
    references: ['https://sec.cloudapps.cisco.example/security/center/content/CiscoSecurityAdvisory/{RCE}']
""",
}


@pytest.fixture(scope="module")
def feed(tmp_path_factory: pytest.TempPathFactory) -> Feed:
    folder = tmp_path_factory.mktemp("feed")
    for path in TEST_FEED_DIR.iterdir():
        shutil.copy(path, folder / path.name)
    for name, text in PRODUCTS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return load_feed(folder)


def row(product: str, version: str, host: str, owner: str = "", line: int = 2) -> Installation:
    return Installation(
        host=host,
        platform=Platform.WINDOWS,
        product=product,
        version=version,
        source=Source("inventories/corp/fleet-export-2026-11.csv", line),
        owner=owner,
    )


def fleet(current_hosts: int = 0) -> list[Installation]:
    """Long names, host names, owners and versions: too long for a table even at 200
    columns (one host and one version take 70 cells), so every width gets the list."""
    rows = [row(TEAMS, "24243.1309.3132.617", host, COLLAB) for host in LAPTOPS]
    rows += [
        row(WEBEX, "44.6.0.29928", LAPTOPS[0], COLLAB),
        row(ZOOM, "6.2.47507", DESKTOP, WORKPLACE),
        row(CONTOSO, "2026.11.0-beta.3+build.20261104", VDI),
    ]
    hosts = [f"pc-{i}" for i in range(1, current_hosts + 1)]
    random.Random(7).shuffle(hosts)  # named in natural order whatever order they came in
    rows += [row(WEBEX, "44.8.0.30404", host) for host in hosts]
    return rows


def tabular() -> list[Installation]:
    """Long names, versions, owners and ids, short host names: a table from 200 columns."""
    rows = [row(TEAMS, "24243.1309.3132.617", f"pc-0{i}", COLLAB) for i in range(1, 8)]
    rows += [row(WEBEX, "44.6.0.29928", "pc-01", COLLAB), row(ZOOM, "6.2.47507", "pc-08")]
    return rows


FLEETS = {"long": fleet, "tabular": tabular}


def tokens_of(rows: list[Installation], details: bool) -> list[str]:
    """What must be whole on a line: versions, owners, the hosts each group names (five) or
    --details lists (all), and the advisory ids (in the groups and in every detail)."""
    named = {r.host for r in rows if r.host not in LAPTOPS[5:] or details}
    named -= {f"pc-0{i}" for i in range(6, 8) if not details}
    tokens = {r.version for r in rows} | {r.owner for r in rows if r.owner} | named
    return sorted(tokens | {RCE, "CVE-2099-53783"})


def audit(feed: Feed, rows: Iterable[Installation]) -> AuditReport:
    return run_audit(list(rows), feed, Policy(), TODAY)


def lines_of(text: str) -> list[str]:
    return ANSI.sub("", text).splitlines()


def assert_fits(text: str, width: int, tokens: Iterable[str] = TOKENS) -> list[str]:
    """No line wider than `width` (in cells or characters) and each token whole on a line."""
    lines = lines_of(text)
    for line in lines:
        assert cells(line) <= width, (width, line)
        assert len(line) <= width, (width, line)
    for token in tokens:
        assert any(token in line for line in lines), (width, token, text)
    return lines


@pytest.mark.parametrize("rows", list(FLEETS))
@pytest.mark.parametrize("details", [False, True], ids=["groups", "details"])
@pytest.mark.parametrize("color", [False, True], ids=["plain", "colour"])
@pytest.mark.parametrize("width", WIDTHS)
def test_no_line_is_wider_than_the_terminal_and_no_token_is_split(
    feed: Feed, width: int, color: bool, details: bool, rows: str
) -> None:
    installations = FLEETS[rows]()
    report = audit(feed, installations)
    text = render(report, RenderOptions(color=color, width=width, details=details))
    assert ("\x1b[" in text) is color
    lines = assert_fits(text, width, tokens_of(installations, details))
    # Long names wrap at spaces: every word of them is whole on a line.
    for name in {r.product for r in installations}:
        for word in name.split():
            assert any(word in line.split() for line in lines), (width, word)


def test_wide_screens_show_whole_names_and_a_table(feed: Feed) -> None:
    lines = lines_of(render(audit(feed, tabular()), RenderOptions(width=200)))
    header = next(line for line in lines if line.startswith("Risk"))
    assert header.split() == [
        "Risk", "Status", "Product", "Version", "OS", "Hosts", "Upgrade", "to", "Owner", "Why",
    ]  # fmt: skip
    for name in (TEAMS, WEBEX, ZOOM):
        assert any(name in line for line in lines), name
    # Where a table cannot hold every word whole, the list takes the width, names whole.
    lines = lines_of(render(audit(feed, fleet()), RenderOptions(width=200)))
    assert not any(line.startswith("Risk") for line in lines)
    for name in (TEAMS, WEBEX, CONTOSO):
        assert any(name in line for line in lines), name


def test_narrow_screens_get_hanging_items(feed: Feed) -> None:
    """At 80 columns each group starts at the left edge with its risk; everything else it
    says (continuations included) stays indented under the product."""
    lines = lines_of(render(audit(feed, fleet()), RenderOptions(width=80)))
    start = lines.index("") + 1
    body = lines[start : lines.index("Next steps") - 1]
    assert body[0].startswith("critical vulnerable  Cisco Webex Meetings Desktop App 44.6.0.29928")
    for line in body:
        assert line.startswith(("critical ", "high ", "none ", " " * 21)), line


def test_a_group_with_nothing_to_say_is_one_line(feed: Feed) -> None:
    rows = [row(WEBEX, "44.8.0.30404", "pc-1"), row(TEAMS, "25100.1000.3500.1000", "pc-2")]
    lines = lines_of(render(audit(feed, rows), RenderOptions(width=108)))  # the list
    start = lines.index("") + 1
    assert lines[start : start + 3] == [
        f"none     current     {WEBEX} 44.8.0.30404 (windows) on 1 host (pc-1)",
        f"none     current     {TEAMS} 25100.1000.3500.1000 (windows) on 1 host (pc-2)",
        "",
    ]
    # Narrower, the line wraps (indented further), but no second paragraph starts.
    lines = lines_of(render(audit(feed, rows), RenderOptions(width=80)))
    assert all(line.strip() or not line for line in lines)
    assert not any(re.match(r" {21}\S", line) for line in lines)
    assert sum(line.startswith("none     current") for line in lines) == 2


def test_groups_name_five_hosts_in_natural_order_and_count_with_separators(feed: Feed) -> None:
    report = audit(feed, fleet(current_hosts=1_234))
    narrow = " ".join(lines_of(render(report, RenderOptions(width=80))))
    flowing = " ".join(narrow.split())
    assert "vcaudit: 1,243 hosts, 1,244 installations" in flowing
    assert "1,234 current" in flowing
    assert (
        f"{WEBEX} 44.8.0.30404 (windows) on 1,234 hosts (pc-1, pc-2, pc-3, pc-4, pc-5 +1,229 more)"
    ) in flowing
    laptops = ", ".join(LAPTOPS[:5])
    assert f"on 7 hosts ({laptops} +2 more), owner {COLLAB}" in flowing
    wide = assert_fits(render(report, RenderOptions(width=200)), 200, ["pc-1,", "+1,229"])
    assert all("pc-1234" not in line for line in wide)


def test_markup_and_escapes_in_names_are_shown_not_obeyed(feed: Feed) -> None:
    rows = [
        row("[bold]Zoom[/bold] [link=https://x.example]W[/link]", "1.0", "pc-1"),
        row(WEBEX, "44.6.0.29928", "host\x1b]8;;https://evil.example\x07x", "[blink]o[/blink]"),
    ]
    for width in WIDTHS:
        for details in (False, True):
            options = RenderOptions(color=True, width=width, details=details)
            text = render(audit(feed, rows), options)
            plain = ANSI.sub("", text)
            assert "[bold]Zoom[/bold]" in plain
            assert "[link=https://x.example]W[/link]" in plain
            assert "[blink]o[/blink]" in plain
            assert "\\x1b]8;;https://evil.example\\x07x" in plain
            assert "\x1b]8;" not in text  # no hyperlink
            assert "\x07" not in text
            assert "\x1b[5m" not in text  # no blink


@pytest.mark.parametrize("width", WIDTHS)
def test_products_listing_keeps_ids_and_versions_whole(width: int) -> None:
    feed = load_feed()
    tokens = [p.id for p in feed.products]
    tokens += [release.version for p in feed.products for _, release in p.latest]
    for color in (False, True):
        assert_fits(products_output.render_table(feed, color, width), width, tokens)


def test_products_listing_is_a_table_when_it_fits_and_a_list_when_not() -> None:
    feed = load_feed()
    wide = lines_of(products_output.render_table(feed, False, 200))
    assert wide[0].split() == [
        "Id",
        "Product",
        "Lifecycle",
        "windows",
        "macos",
        "linux",
        "Advisories",
    ]
    narrow = products_output.render_table(feed, False, 80)
    assert "Advisories" not in narrow
    zoom = feed.product("zoom")
    assert zoom is not None
    latest = ", ".join(
        f"{p.value} {r.version}" for p in Platform if (r := zoom.latest_for(p)) is not None
    )
    assert f"latest: {latest}" in " ".join(narrow.split())


@pytest.mark.parametrize("width", WIDTHS)
def test_advisory_text_wraps_under_its_labels(feed: Feed, width: int) -> None:
    found = advisory_output.find(feed, RCE)
    text = advisory_output.render_text(found, None, width)
    url = found[0][1].references[0]
    lines = text.splitlines()
    for line in lines:
        # An address longer than a line stands whole on its own line, to be copied.
        assert len(line) <= width or line.strip() == url, line
    for token in (RCE, "CVE-2099-20001", "44.8.0.30404", WEBEX, url):
        assert any(token in line for line in lines), token
    title = next(i for i, line in enumerate(lines) if line.startswith("  title:"))
    assert lines[title].startswith("  title:     Cisco Webex App")
    if width < 100:
        assert lines[title + 1].startswith(" " * 13 + lines[title + 1].strip())


# --- colour and width: the terminal, COLUMNS, TERM=dumb, NO_COLOR ------------------------------


class _Terminal:
    def __init__(self, fd: int) -> None:
        self.fd = fd

    def isatty(self) -> bool:
        return True

    def fileno(self) -> int:
        return self.fd


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"TERM": "dumb"}, False),
        ({"TERM": "xterm-256color"}, True),
        ({"TERM": "dumb", "FORCE_COLOR": "1"}, True),
        ({"TERM": "dumb", "NO_COLOR": "1"}, False),
    ],
)
def test_a_dumb_terminal_gets_no_colour_unless_forced(
    environ: dict[str, str], expected: bool
) -> None:
    assert use_color(ColorMode.AUTO, _Terminal(1), environ) is expected  # type: ignore[arg-type]
    assert use_color(ColorMode.ALWAYS, _Terminal(1), environ) is True  # type: ignore[arg-type]


def test_width_follows_columns_then_the_terminal_then_100() -> None:
    primary, secondary = os.openpty()
    try:
        fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 132, 0, 0))
        with open(secondary, "w", closefd=False) as tty:
            assert terminal_width(tty, {}) == 132
            assert terminal_width(tty, {"COLUMNS": "80"}) == 80
            for junk in ("", "0", "-5", "abc", "8" * 5000, "١٢٠"):
                assert terminal_width(tty, {"COLUMNS": junk}) == 132, junk
    finally:
        os.close(primary)
        os.close(secondary)
    with open(os.devnull, "w") as piped:
        assert terminal_width(piped, {}) == 100
        assert terminal_width(piped, {"COLUMNS": "200"}) == 200
        assert terminal_width(piped, {"COLUMNS": "abc"}) == 100


def _scan_fleet(tmp_path: Path) -> Path:
    path = tmp_path / "fleet.csv"
    lines = ["host,platform,product,version,owner"]
    lines += [f"{r.host},windows,{r.product},{r.version},{r.owner}" for r in fleet()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("width", WIDTHS)
def test_piped_output_honours_columns(
    feed: Feed,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    width: int,
) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    args = ["scan", str(_scan_fleet(tmp_path)), "--fail-on", "none", "--as-of", str(TODAY)]
    assert main([*args, "--feed", str(feed.info.location)]) == 0
    assert_fits(capsys.readouterr().out, width)


def test_piped_output_is_100_columns_without_columns(
    feed: Feed, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["scan", str(_scan_fleet(tmp_path)), "--fail-on", "none", "--as-of", str(TODAY)]
    assert main([*args, "--feed", str(feed.info.location)]) == 0
    lines = assert_fits(capsys.readouterr().out, 100)
    assert max(len(line) for line in lines) > 90  # the width is used


def test_quiet_prints_the_verdict_on_one_line_when_it_wraps(
    feed: Feed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    args = ["scan", str(_scan_fleet(tmp_path)), "--strict", "-q", "--as-of", str(TODAY)]
    assert main([*args, "--feed", str(feed.info.location)]) == 1
    assert capsys.readouterr().out == (
        "FAIL: 10 installations at or above --fail-on high or unknown (--strict)\n"
    )


@pytest.mark.slow
@pytest.mark.parametrize("width", WIDTHS)
def test_the_example_fleet_as_a_user_sees_it(width: int) -> None:
    """`vcaudit scan examples/fleet.csv` in a terminal that says TERM=dumb, and piped with
    NO_COLOR: no escape sequence, no line wider than COLUMNS, no version or host split."""
    example = ROOT / "examples" / "fleet.csv"
    tokens = ["25100.1000.3500.1000", "25163.3001.3726.6503", "8.101.0.212", "mac-byod-02"]
    tokens += ["it-workplace", "CVE-2024-21411", "GHSA-m6c8-98f4-75rr"]
    command = [sys.executable, "-m", "vcaudit", "scan", str(example), "--as-of", "2026-11-27"]
    command += ["--fail-on", "none"]
    base = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    primary, secondary = os.openpty()
    try:
        fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 50, width, 0, 0))
        child = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=secondary,
            stderr=subprocess.PIPE,
            env={**base, "TERM": "dumb"},
        )
        os.close(secondary)
        chunks = []
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        _, err = child.communicate(timeout=60)
        assert child.returncode == 0, err
    finally:
        os.close(primary)
    shown = b"".join(chunks).decode("utf-8").replace("\r\n", "\n")
    assert "\x1b" not in shown
    assert_fits(shown, width, tokens)
    piped = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**base, "NO_COLOR": "1", "COLUMNS": str(width)},
    )
    assert piped.returncode == 0, piped.stderr
    assert "\x1b" not in piped.stdout
    assert_fits(piped.stdout, width, tokens)
    assert piped.stdout == shown
