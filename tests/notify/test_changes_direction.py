"""Change tracking: only a risk that went up is "riskier" (a drop is still open, never riskier),
and the state keeps the worst finding per host, product and platform, whatever the row order."""

from __future__ import annotations

import pytest

from tests.conftest import TODAY, make_installation
from vcaudit.audit import run_audit
from vcaudit.models import AuditReport, Feed, Risk
from vcaudit.notify.changes import compare, open_entries
from vcaudit.notify.digest import build, subject
from vcaudit.policy import Policy

CRITICAL = "5.16.9"  # MSB-001 in the test feed
LOW = "6.2.3"  # outdated only


def audit(feed: Feed, *versions: str) -> AuditReport:
    rows = [make_installation("meetly", v, host="pc-1", line=2 + i) for i, v in enumerate(versions)]
    return run_audit(rows, feed, Policy(), TODAY)


def test_a_risk_that_drops_is_still_open_not_riskier(test_feed: Feed) -> None:
    before = open_entries(audit(test_feed, CRITICAL).findings)
    report = audit(test_feed, LOW)
    now = open_entries(report.findings)
    changes = compare(before, now, "2026-01-14T00:00:00+00:00")
    assert changes.rose == ()
    assert changes.new == ()
    assert changes.resolved == ()
    assert [(e.version, e.risk) for e in changes.still_open] == [(LOW, Risk.LOW)]
    assert not changes.any
    assert "riskier" not in subject(report, changes)


def test_a_risk_that_rises_is_riskier(test_feed: Feed) -> None:
    before = open_entries(audit(test_feed, LOW).findings)
    report = audit(test_feed, CRITICAL)
    changes = compare(before, open_entries(report.findings), "2026-01-14T00:00:00+00:00")
    assert [(e.version, e.risk) for e in changes.rose] == [(CRITICAL, Risk.CRITICAL)]
    assert changes.any
    assert subject(report, changes).endswith("(1 riskier)")
    assert "Riskier:" in build(report, changes).text


def test_the_same_risk_is_not_riskier(test_feed: Feed) -> None:
    before = open_entries(audit(test_feed, CRITICAL).findings)
    changes = compare(before, open_entries(audit(test_feed, CRITICAL).findings), "")
    assert changes.rose == ()
    assert len(changes.still_open) == 1


@pytest.mark.parametrize("order", [(LOW, CRITICAL), (CRITICAL, LOW)])
def test_the_worst_finding_per_host_and_product_is_kept(
    test_feed: Feed, order: tuple[str, str]
) -> None:
    entries = open_entries(audit(test_feed, *order).findings)
    assert [(e.host, e.product, e.version, e.risk) for e in entries.values()] == [
        ("pc-1", "meetly", CRITICAL, Risk.CRITICAL)
    ]
    assert next(iter(entries.values())).advisories == ("MSB-001",)
