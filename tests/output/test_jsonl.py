"""JSON Lines (`--format jsonl`): one self-contained object per installation and line, saying
what the JSON report says of it, written as the rows are read."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TEST_FEED_DIR, TODAY, make_installation, write_fleet
from tests.output.json_report import installation_rows
from tests.output.test_formats import CASES, render
from vcaudit.audit import run_audit
from vcaudit.cli import main
from vcaudit.models import Feed, Finding
from vcaudit.output import OutputFormat, RenderOptions, formatter_for, writer_for
from vcaudit.policy import Policy

KEYS = [
    "host", "user", "owner", "ownership", "tags", "source", "name", "product", "version",
    "platform", "finding", "status", "risk", "due", "advisories", "ignored", "review",
]  # fmt: skip


def lines(text: str) -> list[dict[str, Any]]:
    assert text == "" or text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


def expected(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """What the JSON report says of each installation, as a JSON Lines object would: the
    advisories' vendor ids rather than their keys in the report's map."""
    return [
        {
            "host": r["host"],
            "user": r["user"],
            "owner": r["owner"],
            "ownership": r["ownership"],
            "tags": r["tags"],
            "source": r["source"],
            "name": r["name"],
            "product": r["product"],
            "version": r["version"],
            "platform": r["platform"],
            "finding": r["finding"],
            "status": r["status"],
            "risk": r["risk"],
            "due": r["due"],
            "advisories": [a["id"] for a in r["advisories"]],
            "ignored": [a["id"] for a in r["ignored"]],
            "review": [a["id"] for a in r["review"]],
        }
        for r in installation_rows(doc)
    ]


@pytest.mark.parametrize("case", list(CASES))
def test_each_line_says_what_the_json_report_says_of_its_installation(
    test_feed: Feed, case: str
) -> None:
    text = render(test_feed, case, OutputFormat.JSONL)
    got = lines(text)
    assert len(got) == len(text.splitlines()) == len(CASES[case][0])
    assert all(list(line) == KEYS for line in got)
    assert got == expected(json.loads(render(test_feed, case, OutputFormat.JSON)))


def test_a_line_carries_advisory_ids_not_bodies(test_feed: Feed) -> None:
    (line,) = lines(render(test_feed, "ignored-by-alias", OutputFormat.JSONL))
    assert line["status"] == "outdated"
    assert line["advisories"] == []
    assert line["ignored"] == ["MSB-001"]
    text = render(test_feed, "one-vulnerable", OutputFormat.JSONL)
    assert "MSB-001" in text
    assert "Critical bug with backports" not in text  # the title is the JSON report's


def test_hostile_text_stays_on_its_line(test_feed: Feed) -> None:
    """A host with a line break and a workflow command is one escaped value of one line."""
    text = render(test_feed, "hostile", OutputFormat.JSONL)
    got = lines(text)
    assert len(got) == 3
    assert got[0]["host"].endswith("\r\n::error::boom")
    assert all(line.startswith('{"host":') for line in text.splitlines())
    assert "\x1b" not in text
    assert "\u202e" not in text


class _Watched:
    def __init__(self, findings: list[Finding], stream: io.StringIO) -> None:
        self._findings = findings
        self._stream = stream
        self.written: list[int] = []

    def __len__(self) -> int:
        return len(self._findings)

    def __iter__(self) -> Iterator[Finding]:
        for finding in self._findings:
            self.written.append(self._stream.getvalue().count("\n"))
            yield finding


def test_each_line_is_written_before_the_next_row_is_taken(test_feed: Feed) -> None:
    rows = [make_installation("meetly", "5.16.9", host=f"pc-{i}", line=i + 2) for i in range(4)]
    report = run_audit(rows, test_feed, Policy(), TODAY)
    stream = io.StringIO()
    watched = _Watched(list(report.findings), stream)
    writer_for(OutputFormat.JSONL)(replace(report, findings=watched), RenderOptions(), stream)
    assert watched.written == [0, 1, 2, 3]
    assert stream.getvalue() == formatter_for(OutputFormat.JSONL)(report, RenderOptions())


def test_counted_and_read_again_gives_the_same_lines(tmp_path: Path) -> None:
    """A native CSV is counted then read again: the same lines as reading it row by row (from
    standard input), each row at its own line, host and user."""
    fleet = write_fleet(
        tmp_path / "fleet.csv",
        [f"h{i % 7},windows,meetly,{'5.16.9' if i % 3 else '6.2.5'},u{i}" for i in range(50)],
        header="host,platform,product,version,user",
    )
    out = tmp_path / "out.jsonl"
    args = ["--feed", str(TEST_FEED_DIR), "--fail-on", "none", "--as-of", "2026-01-15"]
    assert main(["scan", str(fleet), "--format", "jsonl", "-o", str(out), *args]) == 0
    counted = lines(out.read_text(encoding="utf-8"))
    assert [(r["host"], r["user"], r["source"]["line"]) for r in counted] == [
        (f"h{i % 7}", f"u{i}", i + 2) for i in range(50)
    ]
    assert {r["finding"] for r in counted} == {"meetly@5.16.9/windows", "meetly@6.2.5/windows"}
    again = tmp_path / "again.jsonl"
    assert main(["scan", str(fleet), "--report", f"jsonl={again}", *args]) == 0
    assert again.read_bytes() == out.read_bytes()


@pytest.mark.parametrize("case", list(CASES))
def test_every_line_is_valid_against_the_line_schema(test_feed: Feed, case: str) -> None:
    import jsonschema

    schema = json.loads(
        (Path(__file__).parents[2] / "schema" / "report-line.schema.json").read_text("utf-8")
    )
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    text = render(test_feed, case, OutputFormat.JSONL)
    lines = text.splitlines()
    for line in lines:
        validator.validate(json.loads(line))
    # The check has teeth: a line missing its status, or with a risk the scale lacks, fails.
    if lines:
        line = json.loads(lines[0])
        assert not validator.is_valid({k: v for k, v in line.items() if k != "status"})
        assert not validator.is_valid({**line, "risk": "severe"})
