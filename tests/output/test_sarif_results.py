"""SARIF results: one alert per rule, product, version and platform, whatever name the
inventory gave the product, counting every installation and host it covers; the location is
the inventory, relative to the working folder when it is inside it, else its absolute
`file:` URI."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TODAY, make_installation
from vcaudit.audit import run_audit
from vcaudit.models import Feed, Installation, Source
from vcaudit.output import OutputFormat, RenderOptions, formatter_for
from vcaudit.policy import Policy


def results(feed: Feed, rows: list[Installation]) -> list[dict[str, Any]]:
    report = run_audit(rows, feed, Policy(), TODAY)
    doc = json.loads(formatter_for(OutputFormat.SARIF)(report, RenderOptions()))
    found: list[dict[str, Any]] = doc["runs"][0]["results"]
    return found


def test_one_alert_for_one_version_under_several_names(test_feed: Feed) -> None:
    rows = [
        make_installation("meetly", "5.16.9", host="pc-a", line=2),
        make_installation("Meetly Workplace (64-bit)", "5.16.9", host="pc-b", line=3),
        make_installation("com.example.Meetly", "5.16.9", host="pc-a", line=4),
    ]
    (only,) = [r for r in results(test_feed, rows) if r["ruleId"] == "MSB-001"]
    assert only["properties"]["installations"] == 3
    assert only["properties"]["hosts"] == 2
    assert "pc-a" in only["message"]["text"]
    assert "pc-b" in only["message"]["text"]


def test_two_versions_are_two_alerts(test_feed: Feed) -> None:
    rows = [
        make_installation("meetly", "5.16.9", host="pc-a", line=2),
        make_installation("meetly", "5.16.8", host="pc-b", line=3),
    ]
    found = sorted(
        (r["properties"]["version"], r["properties"]["installations"])
        for r in results(test_feed, rows)
        if r["ruleId"] == "MSB-001"
    )
    assert found == [("5.16.8", 1), ("5.16.9", 1)]


def _located(feed: Feed, file: str) -> str:
    row = dataclasses.replace(make_installation("meetly", "5.16.9"), source=Source(file, 7))
    (result,) = results(feed, [row])
    location = result["locations"][0]["physicalLocation"]
    assert location["region"]["startLine"] == 7
    uri: str = location["artifactLocation"]["uri"]
    return uri


@pytest.mark.parametrize("stdin", ["<stdin>", "-"])
def test_standard_input_is_located_as_stdin(test_feed: Feed, stdin: str) -> None:
    assert _located(test_feed, stdin) == "stdin"


def test_an_inventory_inside_the_working_folder_is_relative(
    test_feed: Feed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert _located(test_feed, str(tmp_path / "inv" / "fleet.csv")) == "inv/fleet.csv"
    assert _located(test_feed, "fleet.csv") == "fleet.csv"
    assert _located(test_feed, "my fleet#1.csv") == "my%20fleet%231.csv"


def test_an_inventory_outside_the_working_folder_is_an_absolute_file_uri(
    test_feed: Feed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inside = tmp_path / "work"
    inside.mkdir()
    monkeypatch.chdir(inside)
    outside = tmp_path / "elsewhere" / "fleet.csv"
    assert _located(test_feed, str(outside)) == outside.as_uri()
    assert _located(test_feed, "../elsewhere/fleet.csv") == outside.as_uri()
