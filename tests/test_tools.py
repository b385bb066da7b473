"""tools/cve_to_feed.py: drafts advisories from CVE records, never inventing a range."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

TOOL = Path(__file__).resolve().parent.parent / "tools" / "cve_to_feed.py"


def record(versions: list[dict[str, Any]], *, metrics: bool = True) -> dict[str, Any]:
    """A CVE JSON 5 record in the shape Zoom's CNA publishes (made up for the test)."""
    cna: dict[str, Any] = {
        "affected": [
            {
                "platforms": ["Windows", "macOS"],
                "product": "Meetly Desktop Client",
                "vendor": "Example",
                "versions": versions,
            }
        ],
        "descriptions": [{"lang": "en", "value": "Improper input validation in Meetly. More."}],
        "references": [{"url": "https://example.com/security-bulletin/ZSB-99001/"}],
        "title": "Meetly - Improper Input Validation",
    }
    if metrics:
        cna["metrics"] = [
            {
                "cvssV3_1": {
                    "baseScore": 8.8,
                    "baseSeverity": "HIGH",
                    "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H",
                }
            }
        ]
    return {
        "dataType": "CVE_RECORD",
        "cveMetadata": {"cveId": "CVE-2099-1234", "datePublished": "2099-02-14T00:01:30.884Z"},
        "containers": {"cna": cna},
    }


def run(tmp_path: Path, doc: dict[str, Any]) -> tuple[int, str, str]:
    path = tmp_path / "CVE-2099-1234.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(TOOL), "--product", "meetly", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode, done.stdout, done.stderr


def test_a_record_with_ranges(tmp_path: Path) -> None:
    code, out, err = run(
        tmp_path,
        record(
            [
                {
                    "status": "affected",
                    "version": "0",
                    "lessThan": "5.16.5",
                    "versionType": "custom",
                },
            ]
        ),
    )
    assert code == 0, err
    (advisory,) = yaml.safe_load(out)
    assert advisory["id"] == "ZSB-99001"
    assert advisory["aliases"] == ["CVE-2099-1234"]
    assert advisory["title"] == "Meetly - Improper Input Validation"
    assert advisory["published"] == "2099-02-14"
    assert advisory["severity"] == "high"
    assert advisory["cvss"]["score"] == 8.8
    assert advisory["affected"] == [
        {"platforms": ["windows", "macos"], "introduced": "0", "fixed": "5.16.5"}
    ]
    assert advisory["references"][0] == "https://www.cve.org/CVERecord?id=CVE-2099-1234"
    assert "TODO" not in out


def test_see_references_gets_no_range_and_a_todo(tmp_path: Path) -> None:
    code, out, _ = run(
        tmp_path,
        record([{"status": "affected", "version": "see references"}], metrics=False),
    )
    assert code == 0
    assert "# TODO: Meetly Desktop Client: no version range in the record" in out
    assert "# TODO: no CVSS in the CNA container" in out
    (advisory,) = yaml.safe_load(out)
    assert "affected" not in advisory  # so feed validate refuses it until a person fills it


def test_broken_record(tmp_path: Path) -> None:
    code, _, err = run(tmp_path, {"not": "a record"})
    assert code == 3
    assert "cannot draft" in err
