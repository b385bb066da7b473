"""docs/ci.md's jobs run as written: valid YAML, current major versions of the actions, the
permissions SARIF upload needs in a private repository, uploads that tolerate a missing
report, vcaudit installed from its repository (never from a package index it is not on), and
the `vcaudit scan` command of each job runs and writes the reports the job uploads."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.conftest import TEST_FEED_DIR, write_fleet
from vcaudit.cli import main

DOC = Path(__file__).parent.parent / "docs" / "ci.md"
DATA = Path(__file__).parent / "data"
CURRENT = {
    "actions/checkout": "v4",
    "actions/setup-python": "v5",
    "github/codeql-action/upload-sarif": "v3",
    "actions/upload-artifact": "v4",
}


def _blocks() -> list[Any]:
    text = DOC.read_text(encoding="utf-8")
    return [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", text, re.S)]


def _workflow() -> dict[str, Any]:
    (found,) = [b for b in _blocks() if "jobs" in b]
    return dict(found)


def _gitlab_job() -> dict[str, Any]:
    (found,) = [b for b in _blocks() if "vcaudit" in b and "jobs" not in b]
    return dict(found["vcaudit"])


def _scan_args(script: str) -> list[str]:
    """The arguments of the `vcaudit scan` command in a shell script."""
    words = shlex.split(script.replace("\\\n", " "))
    start = words.index("vcaudit")
    return words[start + 1 :]


def test_the_workflow_uses_current_actions_and_the_permissions_upload_needs() -> None:
    workflow = _workflow()
    assert workflow["permissions"] == {
        "contents": "read",
        "security-events": "write",
        "actions": "read",
    }
    steps = workflow["jobs"]["audit"]["steps"]
    used = [step["uses"] for step in steps if "uses" in step]
    assert used
    for action in used:
        name, _, version = action.partition("@")
        assert CURRENT[name] == version, action
    assert {a.partition("@")[0] for a in used} == set(CURRENT)


def test_uploads_run_after_a_failing_scan_and_tolerate_a_missing_report() -> None:
    steps = _workflow()["jobs"]["audit"]["steps"]
    scan = next(i for i, s in enumerate(steps) if "vcaudit scan" in s.get("run", ""))
    later = steps[scan + 1 :]
    assert len(later) == 3
    for step in later:
        condition = step.get("if", "")
        assert "always()" in condition, step
        uploads_one_file = "sarif_file" in step.get("with", {}) or "STEP_SUMMARY" in step.get(
            "run", ""
        )
        if uploads_one_file:
            assert "hashFiles(" in condition, step
        else:
            assert step["with"]["if-no-files-found"] == "ignore"


def test_vcaudit_comes_from_its_repository_not_a_package_index() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert not re.search(r"pip install vcaudit\b", text)
    steps = _workflow()["jobs"]["audit"]["steps"]
    installs = [s["run"] for s in steps if "pip install" in s.get("run", "")]
    assert installs == ["pip install ./.vcaudit"]
    checkout = next(s for s in steps if s.get("with", {}).get("path") == ".vcaudit")
    assert checkout["with"]["repository"].endswith("/vcaudit")
    script = " ".join(_gitlab_job()["script"])
    assert 'pip install "git+https://' in script


def test_the_gitlab_job_keeps_its_reports() -> None:
    job = _gitlab_job()
    artifacts = job["artifacts"]
    assert artifacts["when"] == "always"
    assert artifacts["reports"]["dependency_scanning"] == "gl-dependency-scanning-report.json"
    assert artifacts["reports"]["junit"] == "vcaudit-junit.xml"


def _run(args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    (tmp_path / "inventory").mkdir()
    write_fleet(
        tmp_path / "inventory" / "fleet.csv",
        ["pc-1,windows,meetly,5.16.9", "pc-2,windows,meetly,6.2.5"],
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))
    return main([*args, "--feed", str(TEST_FEED_DIR), "--as-of", "2026-01-15"])


def test_the_github_scan_step_runs_and_writes_what_is_uploaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    steps = _workflow()["jobs"]["audit"]["steps"]
    (script,) = [s["run"] for s in steps if "vcaudit scan" in s.get("run", "")]
    assert _run(_scan_args(script), tmp_path, monkeypatch) == 1  # MSB-001 is critical
    capsys.readouterr()
    sarif = json.loads((tmp_path / "vcaudit.sarif").read_text(encoding="utf-8"))
    jsonschema.validate(sarif, json.loads((DATA / "sarif-schema-2.1.0.json").read_text()))
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in sarif["runs"][0]["results"]
    }
    assert uris == {"inventory/fleet.csv"}
    assert "automationDetails" not in sarif["runs"][0]  # the upload's `category` applies
    assert (tmp_path / "vcaudit.md").read_text(encoding="utf-8").startswith("# vcaudit report")
    assert (tmp_path / "vcaudit.json").exists()


def test_the_gitlab_scan_runs_and_writes_what_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (script,) = [line for line in _gitlab_job()["script"] if "vcaudit scan" in line]
    assert _run(_scan_args(script), tmp_path, monkeypatch) == 1
    capsys.readouterr()
    report = json.loads((tmp_path / "gl-dependency-scanning-report.json").read_text("utf-8"))
    schema = json.loads((DATA / "gitlab-dependency-scanning-report-15.1.5.json").read_text())
    jsonschema.validate(report, schema)
    assert report["vulnerabilities"][0]["location"]["file"] == "inventory/fleet.csv"
    assert (tmp_path / "vcaudit-junit.xml").read_text("utf-8").startswith("<?xml")
    for name in ("vcaudit.html", "vcaudit.json"):
        assert (tmp_path / name).exists(), name
