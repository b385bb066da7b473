"""`vcaudit feed validate|info|export` and `vcaudit advisory`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import TEST_FEED_DIR
from vcaudit.cli import main

# The official OSV schema, copied from shared/schemas.
OSV_SCHEMA_PATH = Path(__file__).resolve().parent.parent / "data" / "osv-schema.json"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def copy_feed(tmp_path: Path) -> Path:
    target = tmp_path / "feed"
    shutil.copytree(TEST_FEED_DIR, target)
    return target


@pytest.mark.slow
def test_bundled_feed_is_valid(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "feed", "validate")
    assert code == 0, err
    assert out.startswith("feed is valid: ")


def test_test_feed_is_valid(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "feed", "validate", str(TEST_FEED_DIR))
    assert code == 0, err
    assert "3 products, 6 advisories" in out


def test_semantic_problems_exit_4_with_file_and_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    feed = copy_feed(tmp_path)
    meetly = feed / "meetly.yaml"
    text = meetly.read_text(encoding="utf-8")
    text = text.replace("aliases: [CVE-2099-0002]", "aliases: [CVE-2099-0001]")
    text = text.replace("excluded: ['5.14.14', '5.15.12']", "excluded: ['5.14.14', '6.0.0']")
    meetly.write_text(text, encoding="utf-8")
    code, _, err = run(capsys, "feed", "validate", str(feed))
    assert code == 4
    assert (
        "meetly.yaml, line 41: MSB-002.aliases: CVE-2099-0001 is already listed under MSB-001"
        in (err)
    )
    assert "MSB-001.affected[0].excluded: 6.0.0 is outside the range" in err
    assert err.rstrip().endswith("problem(s)")


def test_schema_problems_are_reported(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    feed = copy_feed(tmp_path)
    (feed / "feed.yaml").write_text(
        (feed / "feed.yaml").read_text(encoding="utf-8") + "kev_catalog_date: 'soon'\n",
        encoding="utf-8",
    )
    code, _, err = run(capsys, "feed", "validate", str(feed))
    assert code == 4
    assert "feed.yaml" in err
    assert "kev_catalog_date" in err


def test_identification_overlap(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    feed = copy_feed(tmp_path)
    path = feed / "slackish.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("snap: [slackish]", "snap: [chatter]"),
        encoding="utf-8",
    )
    code, _, err = run(capsys, "feed", "validate", str(feed))
    assert code == 4
    assert "'chatter' of slackish also matches the name rule 'Chatter' of chatter" in err


def test_info(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "feed", "info", "--feed", str(TEST_FEED_DIR))
    assert code == 0
    assert f"source:       {TEST_FEED_DIR}" in out
    assert "generated at: 2026-01-15T12:00:00+00:00" in out
    assert "products:     3, advisories: 6" in out


@pytest.mark.slow
def test_osv_export_validates_against_the_official_schema(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    schema = json.loads(OSV_SCHEMA_PATH.read_text(encoding="utf-8"))
    out_dir = tmp_path / "osv"
    code, out, err = run(capsys, "feed", "export", "--format", "osv", str(out_dir))
    assert code == 0, err
    files = sorted(out_dir.glob("*.json"))
    assert len(files) >= 100
    assert out == f"wrote {len(files)} OSV records to {out_dir}\n"
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    for path in files:
        record = json.loads(path.read_text(encoding="utf-8"))
        errors = [e.message for e in validator.iter_errors(record)]
        assert errors == [], path.name
    # One record per vendor advisory: ZSB-24008's products are its affected entries.
    sample = json.loads((out_dir / "x_vcaudit-ZSB-24008.json").read_text(encoding="utf-8"))
    assert sample["aliases"] == ["ZSB-24008", "CVE-2024-24691"]
    vdi = [a for a in sample["affected"] if a["database_specific"]["product"] == "zoom-vdi"]
    assert vdi[0]["ranges"][0]["events"] == [
        {"introduced": "0"},
        {"fixed": "5.16.10"},
    ]
    assert vdi[0]["database_specific"]["excluded_versions"] == [
        "5.14.14",
        "5.15.12",
    ]


def test_advisory_by_id_and_alias(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "advisory", "cve-2099-0001", "--feed", str(TEST_FEED_DIR))
    assert code == 0
    assert out.startswith("MSB-001  Meetly Workplace (meetly)")
    assert "fixed in 5.16.10 (not affected: 5.14.14, 5.15.12)" in out
    assert "https://example.com/MSB-001" in out
    code, out, _ = run(capsys, "advisory", "MSB-003", "--feed", str(TEST_FEED_DIR), "-f", "json")
    assert code == 0
    assert json.loads(out)["advisories"][0]["fix"] == "server"


def test_unknown_advisory(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "advisory", "NOPE-1", "--feed", str(TEST_FEED_DIR))
    assert code == 2
    assert "no advisory 'NOPE-1' in the feed" in err
