"""SARIF as GitHub code scanning takes it from a CI job: the upload action's `category`
works (vcaudit writes automationDetails.id only for `--sarif-category`), locations are
relative to the repository root ($GITHUB_WORKSPACE, else `--sarif-root`, else the working
folder), each result names its own advisory and fix, no address the project does not own,
and every document is valid against the SARIF 2.1.0 schema."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.conftest import TEST_FEED_DIR, TODAY, make_installation, write_fleet
from vcaudit.audit import run_audit
from vcaudit.cli import main
from vcaudit.models import Feed, Platform, Source
from vcaudit.output import OutputFormat, RenderOptions, formatter_for
from vcaudit.policy import Policy

SCHEMA = json.loads(
    (Path(__file__).parent.parent / "data" / "sarif-schema-2.1.0.json").read_text("utf-8")
)
BASE = ["--feed", str(TEST_FEED_DIR), "--as-of", TODAY.isoformat(), "--fail-on", "none"]


def _document(feed: Feed, options: RenderOptions, *rows: Any) -> dict[str, Any]:
    report = run_audit(list(rows), feed, Policy(), TODAY)
    doc: dict[str, Any] = json.loads(formatter_for(OutputFormat.SARIF)(report, options))
    jsonschema.validate(doc, SCHEMA)
    return doc


def _scan(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[dict[str, Any], str]:
    assert main(["scan", *args, *BASE, "--format", "sarif"]) == 0
    out, err = capsys.readouterr()
    doc: dict[str, Any] = json.loads(out)
    jsonschema.validate(doc, SCHEMA)
    return doc, err


def _fleet(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_fleet(path, ["pc-1,windows,meetly,5.16.9"])


def _uris(doc: dict[str, Any]) -> set[str]:
    return {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in doc["runs"][0]["results"]
    }


def test_no_category_unless_asked(test_feed: Feed) -> None:
    """upload-sarif fills automationDetails.id from its `category` input only when the file
    has none: a fixed id would make that input do nothing."""
    doc = _document(test_feed, RenderOptions(), make_installation("meetly", "5.16.9"))
    assert "automationDetails" not in doc["runs"][0]


@pytest.mark.parametrize(
    ("category", "expected"),
    [("fleet", "fleet/"), ("fleet/", "fleet/"), ("inventory/laptops", "inventory/laptops/")],
)
def test_a_category_is_the_id_before_the_last_slash(
    test_feed: Feed, category: str, expected: str
) -> None:
    options = RenderOptions(sarif_category=category)
    doc = _document(test_feed, options, make_installation("meetly", "5.16.9"))
    assert doc["runs"][0]["automationDetails"] == {"id": expected}


def test_the_project_names_no_address_of_its_own(test_feed: Feed) -> None:
    doc = _document(test_feed, RenderOptions(), make_installation("meetly", "5.16.9"))
    driver = doc["runs"][0]["tool"]["driver"]
    assert "informationUri" not in driver
    assert "github.com/vcaudit" not in json.dumps(doc)


def test_each_result_names_its_own_advisory_and_fix(bundled_feed: Feed) -> None:
    doc = _document(bundled_feed, RenderOptions(), make_installation("zoom", "5.0.0"))
    results = [r for r in doc["runs"][0]["results"] if not r["ruleId"].startswith("vcaudit/")]
    assert len(results) > 3
    rules = {r["id"] for r in doc["runs"][0]["tool"]["driver"]["rules"]}
    messages = [r["message"]["text"] for r in results]
    assert len(set(messages)) == len(messages)  # no two results say the same
    for result in results:
        text = result["message"]["text"]
        assert result["ruleId"] in rules
        assert f": {result['ruleId']} (" in text
        others = {r["ruleId"] for r in results} - {result["ruleId"]}
        assert not [other for other in others if f" {other} " in text]
        assert "fixed in " in text or "no fixed release is known" in text
        assert "Upgrade to" in text or "Replace it" in text


def test_the_message_carries_the_advisory_fix_not_only_the_overall_one(test_feed: Feed) -> None:
    doc = _document(test_feed, RenderOptions(), make_installation("meetly", "6.1.5"))
    (result,) = [r for r in doc["runs"][0]["results"] if r["ruleId"] == "MSB-002"]
    assert result["message"]["text"] == (
        "Meetly Workplace 6.1.5 on windows: MSB-002 (CVE-2099-0002, medium): Windows-only bug; "
        "fixed in 6.2.3. Upgrade to 6.2.3 or later. 1 host: host-1."
    )


def test_a_known_exploited_advisory_without_a_fix_says_so(test_feed: Feed) -> None:
    doc = _document(
        test_feed, RenderOptions(), make_installation("meetly", "6.1.5", Platform.MACOS)
    )
    (result,) = [r for r in doc["runs"][0]["results"] if r["ruleId"] == "MSB-004"]
    assert (
        "MSB-004 (CVE-2099-0004, medium, known exploited): Known exploited, macOS"
        in (result["message"]["text"])
    )


def test_locations_are_relative_to_the_given_root(test_feed: Feed, tmp_path: Path) -> None:
    inventory = tmp_path / "repo" / "inventory" / "fleet.csv"
    row = replace(make_installation("meetly", "5.16.9"), source=Source(str(inventory), 3))
    doc = _document(test_feed, RenderOptions(root=str(tmp_path / "repo")), row)
    assert _uris(doc) == {"inventory/fleet.csv"}
    doc = _document(test_feed, RenderOptions(root=str(tmp_path / "other")), row)
    assert _uris(doc) == {inventory.as_uri()}


def test_the_github_workspace_is_the_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """In GitHub Actions the job may run in a sub-folder: locations stay relative to the
    checkout, as code scanning resolves them."""
    repo = tmp_path / "repo"
    fleet = _fleet(repo / "inventory" / "fleet.csv")
    monkeypatch.chdir(fleet.parent)
    monkeypatch.setenv("GITHUB_WORKSPACE", str(repo))
    doc, err = _scan(["fleet.csv"], capsys)
    assert _uris(doc) == {"inventory/fleet.csv"}
    assert "warning" not in err


def test_sarif_root_outside_github_actions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "repo"
    fleet = _fleet(repo / "inventory" / "fleet.csv")
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    monkeypatch.chdir(tmp_path)
    doc, _ = _scan([str(fleet), "--sarif-root", "repo"], capsys)
    assert _uris(doc) == {"inventory/fleet.csv"}
    # Without it, the working folder is the root.
    doc, _ = _scan([str(fleet)], capsys)
    assert _uris(doc) == {"repo/inventory/fleet.csv"}


def test_sarif_root_wins_over_the_workspace_for_a_checkout_below_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # actions/checkout with `path: repo`: the workspace is the parent of the repository.
    repo = tmp_path / "repo"
    fleet = _fleet(repo / "fleet.csv")
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    doc, _ = _scan([str(fleet)], capsys)
    assert _uris(doc) == {"repo/fleet.csv"}
    doc, err = _scan([str(fleet), "--sarif-root", "repo"], capsys)
    assert _uris(doc) == {"fleet.csv"}
    assert "outside" not in err


def test_a_sarif_root_outside_the_workspace_is_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    fleet = _fleet(tmp_path / "elsewhere" / "fleet.csv")
    monkeypatch.setenv("GITHUB_WORKSPACE", str(repo))
    monkeypatch.chdir(tmp_path)
    doc, err = _scan([str(fleet), "--sarif-root", "elsewhere"], capsys)
    assert _uris(doc) == {"fleet.csv"}
    assert "--sarif-root" in err
    assert "is outside $GITHUB_WORKSPACE" in err


def test_an_inventory_outside_the_root_is_an_absolute_uri_and_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fleet = _fleet(tmp_path / "exports" / "fleet.csv")
    repo = tmp_path / "repo"
    repo.mkdir()
    monkeypatch.setenv("GITHUB_WORKSPACE", str(repo))
    monkeypatch.chdir(repo)
    doc, err = _scan([str(fleet)], capsys)
    assert _uris(doc) == {fleet.as_uri()}
    (warning,) = [line for line in err.splitlines() if "outside the repository root" in line]
    assert str(fleet) in warning
    # The SARIF says it too, as a notification of the run.
    notes = doc["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert any("outside the repository root" in n["message"]["text"] for n in notes)


def test_a_sarif_root_that_is_not_a_folder_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fleet = _fleet(tmp_path / "fleet.csv")
    code = main(["scan", str(fleet), *BASE, "-f", "sarif", "--sarif-root", str(fleet)])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert "--sarif-root" in err
    assert "is not a folder" in err


@pytest.mark.parametrize("bad", ["", "   ", "a\nb", "a\x1bb"])
def test_a_blank_or_control_category_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], bad: str
) -> None:
    fleet = _fleet(tmp_path / "fleet.csv")
    code = main(["scan", str(fleet), *BASE, "-f", "sarif", "--sarif-category", bad])
    _, err = capsys.readouterr()
    assert code == 2
    assert "--sarif-category" in err


def test_the_category_reaches_a_report_file_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fleet = _fleet(tmp_path / "fleet.csv")
    out = tmp_path / "vcaudit.sarif"
    args = ["scan", str(fleet), *BASE, "--report", f"sarif={out}", "--sarif-category", "fleet"]
    assert main(args) == 0
    capsys.readouterr()
    doc = json.loads(out.read_text("utf-8"))
    assert doc["runs"][0]["automationDetails"] == {"id": "fleet/"}


def test_results_scale_with_versions_not_hosts(test_feed: Feed) -> None:
    """A fleet of 2,000 hosts on four versions: one result per (rule, product, version,
    platform), however many hosts."""
    versions = ["5.16.8", "5.16.9", "6.1.5", "6.2.3"]
    rows = [
        make_installation("meetly", versions[i % 4], host=f"pc-{i}", line=i + 2)
        for i in range(2000)
    ]
    doc = _document(test_feed, RenderOptions(), *rows)
    keys = [
        (r["ruleId"], r["properties"]["version"], r["properties"]["platform"])
        for r in doc["runs"][0]["results"]
    ]
    assert len(keys) == len(set(keys)) == 4  # MSB-001 x2, MSB-002, outdated
    assert sum(r["properties"]["hosts"] for r in doc["runs"][0]["results"]) == 2000
