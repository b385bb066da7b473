"""`vcaudit feed export --format osv`: one OSV record per vendor advisory, valid under the
official OSV schema (tests/data/osv-schema.json, a copy of /work/shared/schemas), naming its
products so another scanner can match them, and never a range for an advisory without one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.conftest import DATA, TEST_FEED_DIR
from vcaudit.cli import main
from vcaudit.feed import osv
from vcaudit.feed.load import load_feed
from vcaudit.models import Feed

REVIEW_FEED_DIR = DATA / "review-feed"
OSV_SCHEMA = json.loads((DATA / "osv-schema.json").read_text(encoding="utf-8"))


def validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(OSV_SCHEMA, format_checker=jsonschema.FormatChecker())


def export(capsys: pytest.CaptureFixture[str], target: Path, feed: Path | None) -> dict[str, Any]:
    args = ["feed", "export", "--format", "osv", str(target)]
    code = main([*args, "--feed", str(feed)] if feed else args)
    out, err = capsys.readouterr()
    assert code == 0, err
    files = sorted(target.glob("*.json"))
    assert out == f"wrote {len(files)} OSV records to {target}\n"
    records = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in files}
    check = validator()
    for name, record in records.items():
        assert [e.message for e in check.iter_errors(record)] == [], name
        assert name == f"{record['id']}.json"
    return records


def test_one_record_per_vendor_advisory_joining_its_products(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    records = export(capsys, tmp_path / "osv", REVIEW_FEED_DIR)
    # CSB-001..CSB-005: CSB-002 is written under both products, and exported once.
    assert sorted(records) == [f"x_vcaudit-CSB-00{n}.json" for n in range(1, 6)]
    csb2 = records["x_vcaudit-CSB-002.json"]
    assert csb2["aliases"] == ["CSB-002", "CVE-2099-1001"]
    assert csb2["database_specific"]["products"] == ["confer", "confer-rooms"]
    desktop, rooms = csb2["affected"]
    # No range is ever made up for the product whose range is not published.
    assert "ranges" not in desktop
    assert "versions" not in desktop
    assert desktop["database_specific"]["range"] == "unknown"
    assert desktop["database_specific"]["platforms"] == ["macos", "windows"]
    assert rooms["ranges"] == [
        {"type": "ECOSYSTEM", "events": [{"introduced": "3.0.0"}, {"fixed": "3.0.5"}]}
    ]
    assert "range" not in rooms["database_specific"]
    assert "Affected versions not published yet for Confer Desktop" in csb2["details"]


@pytest.mark.slow
def test_each_entry_names_its_product_for_another_scanner(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    records = export(capsys, tmp_path / "osv", None)
    zoom = records["x_vcaudit-ZSB-26015.json"]
    (entry,) = zoom["affected"]
    named = entry["database_specific"]
    assert named["package"] == {"ecosystem": "vcaudit", "name": "zoom"}
    assert named["product_name"] == "Zoom Workplace"
    assert named["identifiers"]["winget"] == ["Zoom.Zoom"]
    assert "us.zoom.xos" in named["identifiers"]["macos"]
    assert named["range"] == "unknown"
    assert "ranges" not in entry
    for record in records.values():
        for item in record["affected"]:
            product = item["database_specific"]["product"]
            assert item["database_specific"]["package"] == {"ecosystem": "vcaudit", "name": product}


def test_a_real_package_field_would_not_validate() -> None:
    # Why the product is named in database_specific: the OSV schema admits only registered
    # ecosystems, and none names a desktop conferencing client.
    record = {
        "id": "x_vcaudit-TEST-1",
        "modified": "2026-01-15T12:00:00Z",
        "affected": [{"package": {"ecosystem": "vcaudit", "name": "zoom"}}],
    }
    assert list(validator().iter_errors(record))
    record["affected"] = [{"database_specific": {"package": {"ecosystem": "vcaudit"}}}]
    assert not list(validator().iter_errors(record))


@pytest.mark.slow
def test_the_bundled_feed_exports_one_record_per_vendor_id(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, bundled_feed: Feed
) -> None:
    records = export(capsys, tmp_path / "osv", None)
    vendor_ids = {a.id for p in bundled_feed.products for a in p.advisories}
    assert len(records) == len(vendor_ids)
    by_id = {r["aliases"][0]: r for r in records.values()}
    assert set(by_id) == vendor_ids
    for product in bundled_feed.products:
        for advisory in product.advisories:
            record = by_id[advisory.id]
            assert set(advisory.ids) <= set(record["aliases"])
            assert product.id in record["database_specific"]["products"]
    # ZSB-26014: a range for Zoom Workplace, none yet for the VDI client and the SDK.
    entries = {e["database_specific"]["product"]: e for e in by_id["ZSB-26014"]["affected"]}
    assert entries["zoom"]["ranges"][0]["events"] == [{"introduced": "0"}, {"fixed": "7.0.0"}]
    for unranged in ("zoom-vdi", "zoom-sdk"):
        assert "ranges" not in entries[unranged]
        assert entries[unranged]["database_specific"]["range"] == "unknown"
    # ZSB-26017 is one bulletin for two CVEs of two products, each entry keeping its title.
    zsb = by_id["ZSB-26017"]
    assert zsb["aliases"] == ["ZSB-26017", "CVE-2026-53415", "CVE-2026-53416"]
    vdi = next(e for e in zsb["affected"] if e["database_specific"]["product"] == "zoom-vdi")
    assert vdi["database_specific"]["summary"] == "Path traversal in Zoom VDI Client and Plugins"


def test_server_side_and_withdrawn_advisories_give_no_range_to_match(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    records = export(capsys, tmp_path / "osv", TEST_FEED_DIR)
    server = records["x_vcaudit-MSB-003.json"]
    (entry,) = server["affected"]
    assert "ranges" not in entry
    assert entry["database_specific"]["fix"] == "server"
    assert server["database_specific"]["fix"] == "server"
    withdrawn = records["x_vcaudit-MSB-005.json"]
    assert withdrawn["withdrawn"] == withdrawn["modified"]


def test_ids_are_safe_file_names_and_stay_unique(tmp_path: Path) -> None:
    feed_dir = tmp_path / "feed"
    shutil.copytree(REVIEW_FEED_DIR, feed_dir)
    path = feed_dir / "confer.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("- id: CSB-004\n", "- id: ../../evil/CSB 4\n")
    text = text.replace("- id: CSB-005\n", "- id: ../../evil/CSB?4\n")
    path.write_text(text, encoding="utf-8")
    files = osv.export(load_feed(feed_dir))
    assert "x_vcaudit-.._.._evil_CSB_4.json" in files
    assert "x_vcaudit-.._.._evil_CSB_4-2.json" in files
    assert all("/" not in name and "\\" not in name for name in files)
    ids = [json.loads(text)["id"] for text in files.values()]
    assert len(set(ids)) == len(ids)
    check = validator()
    for text in files.values():
        assert not list(check.iter_errors(json.loads(text)))
