"""`--format gitlab`: a GitLab dependency-scanning security report, valid against GitLab's
published schema (15.1.5, copied into tests/data: see tests/data/SCHEMAS.md), one
vulnerability per advisory per (product, version) located at the inventory and the
dependency, identified by the advisory's id and its CVE aliases, the same bytes for the same
input."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.conftest import TEST_FEED_DIR, TODAY, make_installation, write_fleet
from tests.output.test_formats import CASES, build
from tests.output.test_markdown_links import LINKY, LIVE_REFERENCE, rendered
from vcaudit.audit import run_audit
from vcaudit.cli import main
from vcaudit.config import parse_policy
from vcaudit.feed.load import load_feed
from vcaudit.models import Feed, Installation, Platform, Source
from vcaudit.output import OutputFormat, RenderOptions, formatter_for
from vcaudit.policy import Policy

SCHEMA = json.loads(
    (
        Path(__file__).parent.parent / "data" / "gitlab-dependency-scanning-report-15.1.5.json"
    ).read_text("utf-8")
)
BASE = ["--feed", str(TEST_FEED_DIR), "--as-of", TODAY.isoformat(), "--fail-on", "none"]


def _doc(feed: Feed, rows: list[Installation], policy: Policy | None = None, **kw: Any) -> Any:
    report = run_audit(rows, feed, policy or Policy(), TODAY, tool_version="1.2.3")
    text = formatter_for(OutputFormat.GITLAB)(report, RenderOptions(**kw))
    doc = json.loads(text)
    jsonschema.validate(doc, SCHEMA)
    return doc


def _keys(doc: Any) -> list[tuple[str, str, str]]:
    return [
        (
            v["identifiers"][0]["value"],
            v["location"]["dependency"]["package"]["name"],
            v["location"]["dependency"]["version"],
        )
        for v in doc["vulnerabilities"]
    ]


def test_the_schema_copy_is_gitlab_s() -> None:
    assert SCHEMA["self"]["version"] == "15.1.5"
    assert set(SCHEMA["required"]) == {"scan", "version", "vulnerabilities"}


@pytest.mark.parametrize("case", list(CASES))
def test_every_case_is_valid_against_gitlab_s_schema(test_feed: Feed, case: str) -> None:
    doc = json.loads(formatter_for(OutputFormat.GITLAB)(build(test_feed, case), RenderOptions()))
    jsonschema.validate(doc, SCHEMA)
    assert doc["scan"]["type"] == "dependency_scanning"
    assert doc["scan"]["start_time"] == doc["scan"]["end_time"] == "2026-01-15T00:00:00"


def test_the_schema_check_has_teeth(test_feed: Feed) -> None:
    doc = _doc(test_feed, [make_installation("meetly", "5.16.9")])
    del doc["vulnerabilities"][0]["location"]["dependency"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, SCHEMA)


def test_one_vulnerability_per_advisory_and_product_version(test_feed: Feed) -> None:
    rows = [make_installation("meetly", "5.16.9", host=f"pc-{i}", line=2 + i) for i in range(50)]
    rows += [
        make_installation("Meetly Workplace (64-bit)", "5.16.9", host="pc-x", line=60),
        make_installation("meetly", "5.16.9", Platform.MACOS, host="mac-1", line=61),
        make_installation("meetly", "5.16.8", host="pc-old", line=62),
    ]
    doc = _doc(test_feed, rows)
    assert sorted(_keys(doc)) == [
        ("MSB-001", "meetly@5.16.8", "5.16.8"),
        ("MSB-001", "meetly@5.16.9", "5.16.9"),
    ]
    (many,) = [
        v for v in doc["vulnerabilities"] if v["location"]["dependency"]["version"] == "5.16.9"
    ]
    assert "52 installations on 52 hosts" in many["description"]
    assert "on macos, windows" in many["description"]
    # GitLab tracks a vulnerability by file, package name and first identifier: the two
    # versions must not collapse into one.
    tracked = {
        (
            v["location"]["file"],
            v["location"]["dependency"]["package"]["name"],
            v["identifiers"][0]["value"],
        )
        for v in doc["vulnerabilities"]
    }
    assert len(tracked) == 2
    assert len({v["id"] for v in doc["vulnerabilities"]}) == 2


def test_identifiers_are_the_advisory_then_its_cve_aliases(test_feed: Feed) -> None:
    doc = _doc(test_feed, [make_installation("meetly", "5.16.9")])
    (vuln,) = doc["vulnerabilities"]
    assert vuln["identifiers"] == [
        {
            "type": "msb",
            "name": "MSB-001",
            "value": "MSB-001",
            "url": "https://example.com/MSB-001",
        },
        {
            "type": "cve",
            "name": "CVE-2099-0001",
            "value": "CVE-2099-0001",
            "url": "https://www.cve.org/CVERecord?id=CVE-2099-0001",
        },
    ]
    assert vuln["severity"] == "Critical"
    assert vuln["name"] == "Critical bug with backports"
    assert "fixed in 5.16.10" in vuln["description"]
    assert vuln["solution"].startswith("Upgrade to 6.2.5")
    assert vuln["links"] == [{"url": "https://example.com/MSB-001"}]
    assert vuln["cvss_vectors"] == [
        {"vendor": "vendor", "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H"}
    ]


def test_real_feed_identifiers_carry_every_cve_alias(bundled_feed: Feed) -> None:
    doc = _doc(bundled_feed, [make_installation("zoom", "5.0.0")])
    assert len(doc["vulnerabilities"]) > 10
    zoom = {a.id: a for p in bundled_feed.products if p.id == "zoom" for a in p.advisories}
    for vuln in doc["vulnerabilities"]:
        ids = [i["value"] for i in vuln["identifiers"]]
        advisory = zoom[ids[0]]
        assert ids == [advisory.id, *advisory.aliases]
        cves = [i for i in vuln["identifiers"] if i["value"].startswith("CVE-")]
        assert all(i["type"] == "cve" for i in cves)


def test_end_of_life_is_a_vulnerability_but_an_ignored_advisory_is_not(
    test_feed: Feed,
) -> None:
    policy = build(test_feed, "policy")
    doc = json.loads(formatter_for(OutputFormat.GITLAB)(policy, RenderOptions()))
    assert [v["identifiers"][0]["value"] for v in doc["vulnerabilities"]] == ["vcaudit/end-of-life"]
    assert doc["vulnerabilities"][0]["solution"] == "Replace it with Meetly Workplace."
    ignored = build(test_feed, "ignored-by-alias")
    doc = json.loads(formatter_for(OutputFormat.GITLAB)(ignored, RenderOptions()))
    assert doc["vulnerabilities"] == []


def test_an_advisory_to_review_is_shown_as_info_never_as_a_finding() -> None:
    from tests.test_review import report_of

    feed = load_feed(Path(__file__).parent.parent / "data" / "review-feed")
    report = report_of(feed)
    doc = json.loads(formatter_for(OutputFormat.GITLAB)(report, RenderOptions()))
    jsonschema.validate(doc, SCHEMA)
    review = [v for v in doc["vulnerabilities"] if v["name"].startswith("To review: ")]
    assert {v["identifiers"][0]["value"] for v in review} == {"CSB-002", "CSB-003"}
    assert {v["severity"] for v in review} == {"Info"}
    for vuln in review:
        assert "not a confirmed finding" in vuln["description"]
        assert vuln["solution"].startswith("Check this version against the vendor's advisory")
    # Confer's confirmed finding stays confirmed (Confer Rooms publishes CSB-002's range).
    confirmed = {
        (v["identifiers"][0]["value"], v["location"]["dependency"]["package"]["name"])
        for v in doc["vulnerabilities"]
        if v not in review
    }
    assert confirmed == {("CSB-001", "confer@1.5.0"), ("CSB-002", "confer-rooms@3.0.1")}


def test_the_location_is_the_inventory_relative_to_the_root(
    test_feed: Feed, tmp_path: Path
) -> None:
    row = replace(
        make_installation("meetly", "5.16.9"),
        source=Source(str(tmp_path / "repo" / "inv" / "fleet.csv"), 4),
    )
    doc = _doc(test_feed, [row], root=str(tmp_path / "repo"))
    assert doc["vulnerabilities"][0]["location"]["file"] == "inv/fleet.csv"
    doc = _doc(test_feed, [row], root=str(tmp_path / "other"))
    assert doc["vulnerabilities"][0]["location"]["file"] == str(
        tmp_path / "repo" / "inv" / "fleet.csv"
    )
    piped = replace(row, source=Source("<stdin>", 4))
    assert _doc(test_feed, [piped])["vulnerabilities"][0]["location"]["file"] == "stdin"


def test_from_the_command_line_in_a_merge_request_pipeline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "inventory").mkdir()
    write_fleet(tmp_path / "inventory" / "fleet.csv", ["pc-1,windows,meetly,5.16.9"])
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "gl-dependency-scanning-report.json"
    args = ["scan", "inventory/fleet.csv", *BASE, "--report", f"gitlab={out}"]
    assert main([*args, "--color", "never"]) == 0
    capsys.readouterr()
    first = out.read_bytes()
    doc = json.loads(first)
    jsonschema.validate(doc, SCHEMA)
    assert doc["vulnerabilities"][0]["location"]["file"] == "inventory/fleet.csv"
    assert main([*args, "--color", "never"]) == 0
    assert out.read_bytes() == first  # same input, same bytes


def test_untrusted_text_is_inert_in_what_gitlab_renders(test_feed: Feed) -> None:
    rows = []
    for i, text in enumerate(LINKY):
        base = make_installation("meetly", f"5.16.{i % 9}", host=text, line=2 + i)
        rows.append(replace(base, owner=text))
    rows.append(make_installation("meetly", "5.16.9", host="::error::x\x1b[2J", line=99))
    report = run_audit(rows, test_feed, Policy(), TODAY)
    text = formatter_for(OutputFormat.GITLAB)(report, RenderOptions())
    assert "::" not in text  # no workflow command when the report is printed to a CI log
    doc = json.loads(text)
    jsonschema.validate(doc, SCHEMA)
    for vuln in doc["vulnerabilities"]:
        for field in ("description", "solution"):
            found = rendered(vuln[field])
            assert found.links == [], vuln[field]
            assert not LIVE_REFERENCE.search("".join(found.text))
        assert "\x1b" not in vuln["description"]


def test_warnings_are_scan_messages(test_feed: Feed) -> None:
    policy = parse_policy(
        "ignore:\n  - {id: MSB-001, reason: was accepted, until: 2025-12-31}\n", "vcaudit.yaml"
    ).policy
    doc = _doc(test_feed, [make_installation("meetly", "5.16.9")], policy)
    (message,) = doc["scan"]["messages"]
    assert message["level"] == "warn"
    assert "expired" in message["value"]
