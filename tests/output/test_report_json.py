"""The JSON report contract: pinned keys, the published schema, byte stability."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from tests.conftest import TODAY, make_installation
from tests.output.json_report import installation_rows
from vcaudit.audit import run_audit
from vcaudit.models import Feed, Platform
from vcaudit.output import OutputFormat, RenderOptions, formatter_for
from vcaudit.policy import Policy

ROOT = Path(__file__).resolve().parent.parent.parent
REPORT_SCHEMA = json.loads((ROOT / "schema" / "report.schema.json").read_text(encoding="utf-8"))


def render(feed: Feed) -> str:
    rows = [
        make_installation("Meetly Workplace (64-bit)", "5.16.9", line=2),
        make_installation("com.example.meetly", "6.1.5", Platform.MACOS, line=3),
        make_installation("Unknown Thing", "1", Platform.LINUX, line=4),
    ]
    report = run_audit(rows, feed, Policy(), TODAY, tool_version="9.9.9")
    return formatter_for(OutputFormat.JSON)(report, RenderOptions())


def test_facts_of_each_installation(test_feed: Feed) -> None:
    """Keys are pinned in test_json_v2; here what the report says of each row, its finding
    and its advisory joined back."""
    doc = json.loads(render(test_feed))
    rows = installation_rows(doc)
    assert len(rows) == 3
    advisory = rows[0]["advisories"][0]
    assert {k: advisory[k] for k in ("id", "aliases", "title", "severity", "cvss", "kev")} == {
        "id": "MSB-001",
        "aliases": ["CVE-2099-0001"],
        "title": "Critical bug with backports",
        "severity": "critical",
        "cvss": {
            "version": "3.1",
            "score": 9.6,
            "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H",
        },
        "kev": False,
    }
    assert (advisory["published"], advisory["fixed"]) == ("2025-02-01", ["5.16.10"])
    first = rows[0]
    assert first["product"] == "meetly"
    assert first["name"] == "Meetly Workplace (64-bit)"
    assert first["status"] == "vulnerable"
    assert first["fixed_in"] == "5.16.10"
    # 5.16.10 clears MSB-001, but MSB-002 affects 6.0.0 up to 6.2.3: the latest is advised.
    assert (first["upgrade_to"], first["or_later"]) == ("6.2.5", True)
    assert first["source"] == {"file": "fleet.csv", "line": 2}
    unknown = rows[2]
    assert unknown["product"] is None
    assert unknown["status"] == "unknown"


def test_report_validates_against_published_schema(test_feed: Feed) -> None:
    jsonschema.Draft202012Validator.check_schema(REPORT_SCHEMA)
    jsonschema.validate(json.loads(render(test_feed)), REPORT_SCHEMA)


def test_same_report_same_bytes(test_feed: Feed) -> None:
    assert render(test_feed) == render(test_feed)


def test_every_output_format_has_a_formatter(test_feed: Feed) -> None:
    """Each format's formatter writes the report: the vulnerable client's version is in it."""
    rows = [make_installation("Meetly Workplace (64-bit)", "5.16.9", line=2)]
    report = run_audit(rows, test_feed, Policy(), TODAY, tool_version="9.9.9")
    for fmt in OutputFormat:
        text = formatter_for(fmt)(report, RenderOptions())
        assert "5.16.9" in text, fmt


def test_an_unscored_advisory_in_the_report(bundled_feed: Feed) -> None:
    """Zoom's ZSB-26023 has a range but no score in the feed yet: the advisory says
    "unscored", the installation's risk counts it as high, and the report stays valid."""
    inst = make_installation(product="Zoom Workplace (64-bit)", version="7.1.43453")
    report = run_audit([inst], bundled_feed, Policy(), TODAY)
    doc = json.loads(formatter_for(OutputFormat.JSON)(report, RenderOptions()))
    jsonschema.validate(doc, REPORT_SCHEMA)
    (row,) = installation_rows(doc)
    unscored = [a for a in row["advisories"] if a["id"] == "ZSB-26023"]
    keys = ("id", "aliases", "severity", "cvss", "kev", "published", "fixed")
    assert [{k: a[k] for k in keys} for a in unscored] == [
        {
            "id": "ZSB-26023",
            "aliases": ["CVE-2026-108186"],
            "severity": "unscored",
            "cvss": None,
            "kev": False,
            "published": "2026-11-10",
            "fixed": ["7.1.8"],
        }
    ]
    assert row["status"] == "vulnerable"
    assert row["risk"] == "high"  # its only advisory, counted as high
