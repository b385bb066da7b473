"""The golden matrix through the other reading path: each case written as a native CSV file,
counted (rows that differ only in host and user share one verdict) and read a second time
where a format lists every row, as `vcaudit scan` does for CSV input. Every format must give
the same bytes as the row-by-row golden files.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import TODAY
from tests.output.test_formats import CASES, EXTENSIONS, GOLDEN, numbered
from vcaudit.audit import run_audit, run_audit_counts
from vcaudit.config import parse_policy
from vcaudit.inventory.sources import aggregate_inventories, read_inventories, reopen_counted
from vcaudit.models import AuditReport, Feed, Installation
from vcaudit.output import OutputFormat, RenderOptions, formatter_for

COLUMNS = ("host", "platform", "product", "version", "owner", "ownership", "user", "tags")
# Cases whose rows cannot be written as one CSV line each (a host with a line break moves the
# later rows' line numbers), or that have no rows (a CSV needs one): their counted reading is
# compared with the row-by-row reading of the same file instead of the golden files.
NOT_LINE_FOR_LINE = {"hostile"}


@pytest.fixture
def in_tmp(tmp_path: Path) -> Iterator[Path]:
    here = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(here)


def write_case(rows: list[Installation]) -> str:
    """The rows as `inventory/fleet.csv` (the name the golden files show), relative path."""
    Path("inventory").mkdir(exist_ok=True)
    with open("inventory/fleet.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        for r in numbered(rows):
            writer.writerow(
                [
                    r.host,
                    r.platform.value,
                    r.product,
                    r.version,
                    r.owner,
                    r.ownership.value,
                    r.user,
                    ";".join(r.tags),
                ]
            )
    return "inventory/fleet.csv"


def counted(feed: Feed, name: str, path: str) -> AuditReport:
    policy = parse_policy(CASES[name][1], "vcaudit.yaml").policy
    return run_audit_counts(
        aggregate_inventories([path]),
        feed,
        policy,
        TODAY,
        tool_version="0.0.0-test",
        reopen=reopen_counted,
    )


def row_by_row(feed: Feed, name: str, path: str) -> AuditReport:
    policy = parse_policy(CASES[name][1], "vcaudit.yaml").policy
    return run_audit(read_inventories([path]), feed, policy, TODAY, tool_version="0.0.0-test")


def text(report: AuditReport, fmt: OutputFormat) -> str:
    return formatter_for(fmt)(report, RenderOptions(color=False, width=100))


@pytest.mark.parametrize("fmt", list(OutputFormat))
@pytest.mark.parametrize("case", [c for c in CASES if CASES[c][0]])
def test_counted_reading_gives_the_golden_bytes(
    test_feed: Feed, in_tmp: Path, case: str, fmt: OutputFormat
) -> None:
    del in_tmp
    path = write_case(CASES[case][0])
    got = text(counted(test_feed, case, path), fmt)
    if case in NOT_LINE_FOR_LINE:
        assert got == text(row_by_row(test_feed, case, path), fmt)
    else:
        assert got == (GOLDEN / f"{case}.{EXTENSIONS[fmt]}").read_bytes().decode("utf-8")
