"""Every enum member that selects a plugin has one registered: a new member without its
plugin fails here, not in a user's run."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from vcaudit import versioning
from vcaudit.models import AuditReport, Feed, Finding, VersionScheme
from vcaudit.notify.kinds import WebhookFormat
from vcaudit.output import OutputFormat


@pytest.mark.parametrize("scheme", list(VersionScheme))
def test_every_version_scheme_has_a_scheme_object(scheme: VersionScheme) -> None:
    registered = versioning.SCHEMES[scheme]
    # A working object, not a placeholder: it reads a plain feed version of its vendor.
    parsed = registered.parse_feed("1.2.3")
    assert parsed is not None
    assert parsed.parts == (1, 2, 3)
    assert versioning.parse_feed_version(scheme, "1.2.3") == parsed


def test_schemes_registry_holds_exactly_the_enum() -> None:
    assert set(versioning.SCHEMES) == set(VersionScheme)
    assert versioning.Scheme is VersionScheme


# Inventory sources: every InputFormat but AUTO is read, recognised and named by one source.

_INPUT_SAMPLES: dict[str, tuple[str, ...]] = {
    # format value -> first lines that must be recognised as it (its sniffer, then its shape)
    "osquery-log": ('{"hostIdentifier": "pc-1", "snapshot": []}\n',),
    "jsonl": ('{"host": "pc-1"}\n{"host": "pc-2"}\n',),
    "fleet": ('{"software": [{"name": "zoom.us"}]}',),
    "jamf": ('{"results": [{"general": {}, "applications": []}]}',),
    "snap": ("Name   Version  Rev  Tracking  Publisher  Notes\n",),
    "flatpak": ("Name  Application ID  Version  Branch\n", "us.zoom.Zoom\t6.0.0\tstable\n"),
    "configmgr": ("Name0,DisplayName0,Version0,Publisher0\n",),
    "intune": ("ApplicationName,ApplicationVersion\n", '[{"displayName": "Zoom"}]'),
    "osquery": ('[{"name": "zoom.us.app", "bundle_identifier": "us.zoom.xos"}]',),
    "json": ('[{"host": "pc-1", "product": "Zoom"}]',),
    "yaml": ("hosts:\n  - name: pc-1\n",),
    "dpkg": ("Desired=Unknown/Install/Remove/Purge/Hold\n", "zoom\t6.0.0\n"),
    "rpm": ("zoom-6.0.0-1.x86_64\n", "zoom\t(none)\t6.0.0\t1\tx86_64\n"),
    "csv": ("host;product;version\n", "host,platform,product,version\n"),
}


def test_every_input_format_has_one_source() -> None:
    from vcaudit.inventory.formats import InputFormat
    from vcaudit.inventory.registry import SOURCES

    assert set(SOURCES) == set(InputFormat) - {InputFormat.AUTO}
    for fmt, source in SOURCES.items():
        assert source.format is fmt
        # A sniffer, or a documented reason why only a flag or an extension chooses it.
        assert source.sniffer is not None or source.unsniffed.strip(), fmt


# One real input per format (a recorded export, or vcaudit's own format written out) and the
# first installation its reader gives: (host, product, version, platform).
_IMPORTS = Path(__file__).parent / "data" / "imports"
_READ_SAMPLES: dict[str, tuple[bytes, tuple[str, str, str, str]]] = {
    "osquery-log": (
        (_IMPORTS / "osqueryd.results.log").read_bytes(),
        ("mac-7", "us.zoom.xos", "5.16.10 (25689)", "macos"),
    ),
    "jsonl": (
        b'{"host": "pc-1", "platform": "windows", "product": "Zoom", "version": "6.0.2"}\n'
        b'{"host": "pc-2", "platform": "linux", "product": "Slack", "version": "4.41.98"}\n',
        ("pc-1", "Zoom", "6.0.2", "windows"),
    ),
    "fleet": (
        (_IMPORTS / "fleet-host.json").read_bytes(),
        ("mbp-ana", "us.zoom.xos", "6.0.2", "macos"),
    ),
    "jamf": (
        (_IMPORTS / "jamf-computers.json").read_bytes(),
        ("mac-finance-2", "us.zoom.xos", "5.16.10 (25689)", "macos"),
    ),
    "snap": ((_IMPORTS / "snap.txt").read_bytes(), ("pc-1", "core22", "20240111", "linux")),
    "flatpak": (
        (_IMPORTS / "flatpak.txt").read_bytes(),
        ("pc-1", "us.zoom.Zoom", "7.0.5.3034", "linux"),
    ),
    "configmgr": (
        (_IMPORTS / "configmgr-arp.csv").read_bytes(),
        ("PC-0042", "Zoom Workplace (64-bit)", "6.4.64384", "windows"),
    ),
    "intune": (
        (_IMPORTS / "intune-portal.csv").read_bytes(),
        ("(Intune device 1 of 5)", "Microsoft Teams classic", "1.6.00.376", "windows"),
    ),
    "osquery": (
        (_IMPORTS / "osqueryi-apps.json").read_bytes(),
        ("pc-1", "us.zoom.xos", "5.16.10 (25689)", "macos"),
    ),
    "json": (
        b'[{"host": "pc-1", "platform": "windows", "product": "Zoom", "version": "6.0.2"}]',
        ("pc-1", "Zoom", "6.0.2", "windows"),
    ),
    "yaml": (
        b"hosts:\n  - name: pc-1\n    platform: windows\n    clients:\n"
        b"      - {product: Zoom, version: 6.0.2}\n",
        ("pc-1", "Zoom", "6.0.2", "windows"),
    ),
    "dpkg": ((_IMPORTS / "dpkg.txt").read_bytes(), ("pc-1", "bash", "5.2.15-2+b8", "linux")),
    "rpm": (
        (_IMPORTS / "rpm.txt").read_bytes(),
        ("pc-1", "skypeforlinux", "8.65.0.78-1", "linux"),
    ),
    "csv": (
        b"host,platform,product,version\npc-1,windows,Zoom,6.0.2\n",
        ("pc-1", "Zoom", "6.0.2", "windows"),
    ),
}


def test_every_input_formats_reader_reads_that_format() -> None:
    from vcaudit.inventory.context import ReadContext
    from vcaudit.inventory.registry import SOURCES

    assert set(_READ_SAMPLES) == {fmt.value for fmt in SOURCES}, "a sample for every format"
    for fmt, source in SOURCES.items():
        data, first = _READ_SAMPLES[fmt.value]
        lines = iter(data.splitlines(keepends=True))
        read = list(source.reader(lines, f"sample.{fmt.value}", ReadContext(host="pc-1")))
        assert read, fmt
        row = read[0]
        assert (row.host, row.product, row.version, row.platform.value) == first, fmt
        assert row.source.file == f"sample.{fmt.value}", fmt


def test_every_input_format_is_recognised_by_its_content() -> None:
    from vcaudit.inventory.formats import InputFormat
    from vcaudit.inventory.registry import SOURCES
    from vcaudit.inventory.sources import detect, sniff

    assert set(_INPUT_SAMPLES) == {fmt.value for fmt in SOURCES}, "a sample for every format"
    for value, samples in _INPUT_SAMPLES.items():
        for sample in samples:
            assert sniff(sample.encode()) is InputFormat(value), sample
            # Standard input has no extension: the content alone decides.
            assert detect("-", sample.encode()) is InputFormat(value), sample


def test_every_extension_names_one_input_format() -> None:
    from collections import Counter

    from vcaudit.inventory.registry import EXTENSIONS, SOURCES

    listed = Counter(ext for source in SOURCES.values() for ext in source.extensions)
    assert [ext for ext, n in listed.items() if n > 1] == []
    assert set(EXTENSIONS) == set(listed)
    for ext, fmt in EXTENSIONS.items():
        assert ext.startswith("."), ext
        assert ext == ext.lower(), ext
        assert ext in SOURCES[fmt].extensions
    for source in SOURCES.values():
        # An extension that decides over content must name a format.
        assert set(source.yields_to) <= set(EXTENSIONS), source.format


def test_a_generic_content_follows_the_extension_and_a_tool_export_does_not() -> None:
    from vcaudit.inventory.formats import InputFormat
    from vcaudit.inventory.registry import EXTENSIONS
    from vcaudit.inventory.sources import detect

    for ext, fmt in EXTENSIONS.items():
        # vcaudit's own JSON in a file named for any of vcaudit's own formats.
        assert detect(f"fleet{ext}", b'[{"host": "pc-1"}]') is fmt, ext
        # Jamf's export is Jamf's whatever the file's name.
        assert detect(f"fleet{ext}", b'{"results": [{"general": {}, "applications": []}]}') is (
            InputFormat.JAMF
        ), ext


def test_only_countable_formats_take_the_counted_path(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    from vcaudit.inventory.formats import InputFormat
    from vcaudit.inventory.registry import SOURCES
    from vcaudit.inventory.sources import rereadable

    path = tmp_path_factory.mktemp("inventory") / "fleet.csv"
    path.write_text("host,platform,product,version\npc-1,windows,Zoom,6.0.0\n", encoding="utf-8")
    assert [fmt for fmt, s in SOURCES.items() if s.counter is not None] == [InputFormat.CSV]
    for fmt, source in SOURCES.items():
        assert rereadable([str(path)], fmt) is (source.counter is not None), fmt
    assert rereadable([str(path)], InputFormat.AUTO)


def test_every_input_format_has_a_label() -> None:
    from vcaudit.inventory.context import FORMAT_LABELS
    from vcaudit.inventory.formats import InputFormat

    assert set(FORMAT_LABELS) == set(InputFormat)
    assert all(label.strip() for label in FORMAT_LABELS.values())


# --- output formats, styles and notification channels (issue 15, output+notify) -----------


class _RowsNotKept:
    """Findings of a report that kept only counts, failing loudly if a format iterates them
    although its capabilities say it needs no rows."""

    def __init__(self, count: int) -> None:
        self.count = count

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[Finding]:
        raise AssertionError("iterated the rows of a format that declares it needs none")


def _report(feed: Feed) -> AuditReport:
    from tests.conftest import make_installation
    from vcaudit.audit import run_audit
    from vcaudit.policy import Policy

    rows = [
        make_installation("meetly", "5.16.9", host="pc-vulnerable", line=2),
        make_installation("meetly", "6.2.5", host="pc-current", line=3),
        make_installation("FooChat", "1.0", host="pc-unknown", line=4),
    ]
    return run_audit(rows, feed, Policy(), dt.date(2026, 3, 1), tool_version="0.0.0-test")


@pytest.mark.parametrize("fmt", list(OutputFormat))
def test_every_output_format_has_a_formatter_with_capabilities(
    test_feed: Feed, fmt: OutputFormat
) -> None:
    from vcaudit.output import FORMATTERS, Capabilities, RenderOptions, formatter

    assert set(FORMATTERS) == set(OutputFormat)
    assert isinstance(fmt.capabilities, Capabilities)
    assert fmt.capabilities is FORMATTERS[fmt].capabilities
    loaded = formatter(fmt)
    report = _report(test_feed)
    text = loaded.render(report, RenderOptions(width=120))
    stream = io.StringIO()
    loaded.write(report, RenderOptions(width=120), stream)
    assert stream.getvalue() == text
    # Every format names the vulnerable host, its version and the advisory that applies.
    for said in ("pc-vulnerable", "5.16.9", "MSB-001"):
        assert said in text, (fmt, said)


@pytest.mark.parametrize("fmt", list(OutputFormat))
@pytest.mark.parametrize("details", [False, True])
def test_formats_capabilities_say_whether_they_read_rows(
    test_feed: Feed, fmt: OutputFormat, details: bool
) -> None:
    """A format that says it needs no rows renders a report of counts only (without touching
    its rows); one that lists rows refuses such a report before writing a byte, and lists
    every row of a report that kept them (the CLI keeps rows from these capabilities)."""
    from vcaudit.output import RenderOptions, formatter

    options = RenderOptions(width=120, details=details)
    report = _report(test_feed)
    counts_only = replace(report, findings=_RowsNotKept(len(report.findings)), rows=False)
    stream = io.StringIO()
    if fmt.capabilities.needs_rows(options):
        with pytest.raises(ValueError, match="kept only its counts"):
            formatter(fmt).write(counts_only, options, stream)
        assert stream.getvalue() == ""
        # Rows from a report that kept them: the source line of every row is there.
        text = formatter(fmt).render(report, options)
        for finding in report.findings:
            assert str(finding.installation.source.line) in text
    else:
        formatter(fmt).write(counts_only, options, stream)
        assert stream.getvalue() == formatter(fmt).render(report, options)


def test_every_status_and_risk_has_a_style_in_every_map() -> None:
    from vcaudit.models import Platform, Risk, Status
    from vcaudit.notify.digest import RISK_COLOURS
    from vcaudit.output import html, table

    assert set(table.STATUS_STYLE) == set(Status)
    assert set(table.RISK_STYLE) == set(Risk)
    assert set(table._OS) == set(Platform)
    assert set(RISK_COLOURS) == set(Risk)
    # The HTML report styles a risk cell by the class named after its label.
    for risk in Risk:
        assert f".{risk.label}{{" in html._STYLE, risk


@pytest.mark.parametrize("kind", list(WebhookFormat))
def test_every_webhook_format_has_its_own_channel(test_feed: Feed, kind: WebhookFormat) -> None:
    from vcaudit.notify import digest
    from vcaudit.notify.channels import CHANNELS, EMAIL, webhook_channel
    from vcaudit.notify.interface import NotifySettings
    from vcaudit.notify.webhook import WebhookChannel, payload

    assert set(CHANNELS) == {EMAIL, *(k.value for k in WebhookFormat)}
    channel = webhook_channel(kind)
    assert isinstance(channel, WebhookChannel)
    assert channel.kind is kind
    settings = NotifySettings(webhooks=("https://hooks.example/x",), webhook_format=kind)
    # Exactly one channel posts a webhook of this kind; the others stay out of it.
    posting = [name for name, c in CHANNELS.items() if c.wanted(settings)]
    assert posting == [kind.value]
    report = _report(test_feed)
    body = payload(kind, report, digest.build(report, None), None)
    bodies = {
        k: payload(k, report, digest.build(report, None), None) for k in WebhookFormat if k != kind
    }
    assert body not in bodies.values()  # no kind falls back to another's body
