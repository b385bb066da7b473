"""Every enum member that selects a plugin has one registered: a new member without its
plugin fails here, not in a user's run."""

from __future__ import annotations

import pytest

from vcaudit import versioning
from vcaudit.models import VersionScheme


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
        assert callable(source.reader), fmt
        # A sniffer, or a documented reason why only a flag or an extension chooses it.
        assert source.sniffer is not None or source.unsniffed.strip(), fmt


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
