"""Change tracking: only a risk that went up is "riskier" (a drop is still open, never riskier),
and the state keeps the worst finding per host, product and platform, whatever the row order."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from tests.conftest import TODAY, make_installation
from vcaudit.audit import run_audit
from vcaudit.errors import DeliveryError
from vcaudit.models import AuditReport, Feed, Platform, Risk
from vcaudit.notify.changes import (
    StagedState,
    compare,
    open_entries,
    read_state,
    write_state,
)
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


def test_entries_are_keyed_by_the_feed_product_and_listed_worst_first(test_feed: Feed) -> None:
    rows = [
        make_installation("Meetly Workplace (64-bit)", LOW, host="pc-1", line=2),
        make_installation("meetly", CRITICAL, host="pc-2", line=3),
        make_installation("com.example.meetly", LOW, Platform.MACOS, host="pc-0", line=4),
    ]
    now = open_entries(run_audit(rows, test_feed, Policy(), TODAY).findings)
    assert sorted((e.host, e.product) for e in now.values()) == [
        ("pc-0", "meetly"),
        ("pc-1", "meetly"),
        ("pc-2", "meetly"),
    ]
    changes = compare({}, now, "")
    assert [(e.host, e.risk) for e in changes.new] == [
        ("pc-2", Risk.CRITICAL),
        ("pc-0", Risk.LOW),
        ("pc-1", Risk.LOW),
    ]
    # Risen entries are listed worst first too.
    before = {k: dataclasses.replace(e, risk=Risk.NONE) for k, e in now.items()}
    assert [e.host for e in compare(before, now, "").rose] == ["pc-2", "pc-0", "pc-1"]


def test_the_state_reads_back_as_written(test_feed: Feed, tmp_path: Path) -> None:
    now = open_entries(audit(test_feed, CRITICAL).findings)
    path = tmp_path / "state.json"
    run_at = dt.datetime(2026, 1, 15, 8, 0, tzinfo=dt.UTC)
    write_state(path, now, run_at)
    assert read_state(path) == (now, run_at.isoformat())


@pytest.mark.parametrize("after_sending", [False, True])
def test_a_state_that_cannot_be_put_in_place_keeps_the_previous_one(
    test_feed: Feed, tmp_path: Path, after_sending: bool
) -> None:
    now = open_entries(audit(test_feed, CRITICAL).findings)
    path = tmp_path / "state.json"
    staged = StagedState(path, now, dt.datetime(2026, 1, 15, tzinfo=dt.UTC))
    path.mkdir()  # a folder in the way: the rename fails
    (path / "keep").write_text("x", encoding="utf-8")
    with pytest.raises(DeliveryError) as caught:
        staged.commit(after_sending=after_sending)
    said = str(caught.value)
    assert said.startswith(f"{path}: {'delivered, but ' if after_sending else ''}the new state")
    assert "the previous one is kept, and the next run will report these changes again" in said
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]  # no temporary left


def test_a_change_names_its_advisories_worst_first(bundled_feed: Feed) -> None:
    """The state keeps an open finding's advisory ids as every report lists them, worst
    first, so a change's line in the mail names those that make its risk (not the first
    ones by name)."""
    row = make_installation("Zoom", "5.0.0 (20000)")
    (entry,) = open_entries(run_audit([row], bundled_feed, Policy(), TODAY).findings).values()
    by_id = {a.id: a for p in bundled_feed.products for a in p.advisories}
    risks = [by_id[i].counted_risk for i in entry.advisories]
    assert len(risks) > 100
    assert risks == sorted(risks, reverse=True)
    assert list(entry.advisories) != sorted(entry.advisories)
