"""Counting rows (for the table, Markdown and SARIF) gives exactly the report row-by-row
reading gives, and accepts and refuses exactly the same files."""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

import pytest

from tests.conftest import TODAY
from vcaudit.audit import run_audit, run_audit_counts
from vcaudit.cli import main
from vcaudit.config import parse_policy
from vcaudit.errors import InputError
from vcaudit.inventory.sources import aggregate_inventories, read_inventories
from vcaudit.models import AuditReport, Feed
from vcaudit.policy import Policy

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
HOSTILE = sorted(
    p for p in (Path(__file__).parent / "data" / "hostile").iterdir() if p.suffix == ".csv"
)


def shape(report: AuditReport) -> object:
    groups = sorted(
        (
            g.product,
            g.version,
            g.platform.value,
            g.assessment.status.value,
            g.assessment.risk,
            g.installations,
            g.hosts,
            g.owner,
            g.first.line if g.first else 0,
        )
        for g in report.groups
    )
    return report.summary, groups, report.warnings


def both(feed: Feed, names: list[str], policy: Policy) -> tuple[AuditReport, AuditReport]:
    counted = run_audit_counts(aggregate_inventories(names), feed, policy, TODAY)
    rows = run_audit(read_inventories(names), feed, policy, TODAY, keep_findings=False)
    return counted, rows


def test_example_fleet(bundled_feed: Feed) -> None:
    counted, rows = both(bundled_feed, [str(EXAMPLES / "fleet.csv")], Policy())
    assert shape(counted) == shape(rows)
    assert counted.summary.installations == 30


def test_repeated_rows_with_tags_owners_and_policy(test_feed: Feed, tmp_path: Path) -> None:
    rng = random.Random(3)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["host", "platform", "product", "version", "owner", "ownership", "tags", "user"]
    )
    for i in range(3000):
        writer.writerow(
            [
                f" host-{i % 700} ",
                rng.choice(["windows", "Win64", "macos"]),
                rng.choice(["meetly", "Meetly Workplace (64-bit)", "chatter", "nope"]),
                rng.choice(["5.16.9", "6.2.5", "6.1.0", "6.2.47507", "x"]),
                rng.choice(["", "ops@example.com"]),
                rng.choice(["company", "byod", ""]),
                rng.choice(["", "fin", "fin;lab"]),
                f"user{i}",
            ]
        )
    path = tmp_path / "fleet.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    policy = parse_policy(
        "ignore:\n  - {id: MSB-002, reason: r, tags: [lab]}\napproved: [meetly]\n"
        "devices: {personal: {raise_risk: true}}\nowners: {tags: {fin: fin@example.com}}\n",
        "p.yaml",
    ).policy
    counted, rows = both(test_feed, [str(path)], policy)
    assert shape(counted) == shape(rows)
    assert counted.summary.installations == 3000


@pytest.mark.parametrize("path", HOSTILE, ids=lambda p: p.name)
def test_same_files_accepted_and_refused(test_feed: Feed, path: Path) -> None:
    def outcome(count: bool) -> object:
        try:
            if count:
                report = run_audit_counts(
                    aggregate_inventories([str(path)]), test_feed, Policy(), TODAY
                )
            else:
                report = run_audit(
                    read_inventories([str(path)]), test_feed, Policy(), TODAY, keep_findings=False
                )
        except InputError as exc:
            return str(exc)
        return shape(report)

    assert outcome(True) == outcome(False)


def test_table_is_the_same_either_way(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    args = ["scan", str(EXAMPLES / "fleet.csv"), "--as-of", "2026-11-27", "--color", "never"]
    main(args)
    counted = capsys.readouterr().out
    main([*args, "--report", f"json={tmp_path / 'rows.json'}"])  # a row format: rows kept
    rows = capsys.readouterr().out
    assert counted == rows
