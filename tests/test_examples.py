"""The shipped example fleet: both forms agree and exercise every kind of verdict."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import TODAY
from vcaudit.audit import run_audit
from vcaudit.inventory.sources import read_inventory
from vcaudit.models import Feed, Status
from vcaudit.policy import Policy

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def verdicts(feed: Feed, name: str) -> list[tuple[str, str, str, Status]]:
    report = run_audit(read_inventory(str(EXAMPLES / name)), feed, Policy(), TODAY)
    return [
        (f.installation.host, f.installation.product, f.installation.version, f.assessment.status)
        for f in report.findings
    ]


def test_csv_and_yaml_examples_agree(bundled_feed: Feed) -> None:
    csv_rows = verdicts(bundled_feed, "fleet.csv")
    assert len(csv_rows) == 30
    assert len({host for host, *_ in csv_rows}) == 18
    assert sorted(csv_rows) == sorted(verdicts(bundled_feed, "fleet.yaml"))


def test_example_shows_every_kind_of_finding(bundled_feed: Feed) -> None:
    statuses = {status for *_, status in verdicts(bundled_feed, "fleet.csv")}
    assert {Status.VULNERABLE, Status.EOL, Status.OUTDATED, Status.CURRENT, Status.UNKNOWN} <= (
        statuses
    )
