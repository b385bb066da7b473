"""An ignore rule holds through its `until` date and expires the day after (as the README
says): on the date itself the advisory is still ignored and no warning is given."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import TODAY, make_installation
from vcaudit.audit import run_audit
from vcaudit.config import parse_policy
from vcaudit.models import Feed
from vcaudit.policy import IgnoreRule


@pytest.mark.parametrize(
    ("until", "ignored"),
    [
        (TODAY + dt.timedelta(days=1), True),
        (TODAY, True),  # the last day it holds
        (TODAY - dt.timedelta(days=1), False),  # expired the day after its date
    ],
)
def test_a_rule_holds_through_its_until_date(
    test_feed: Feed, until: dt.date, ignored: bool
) -> None:
    text = f"ignore:\n  - {{id: MSB-001, reason: accepted, until: {until.isoformat()}}}\n"
    pol = parse_policy(text, "vcaudit.yaml").policy
    report = run_audit([make_installation("meetly", "5.16.9")], test_feed, pol, TODAY)
    (finding,) = list(report.findings)
    hits = [h.advisory.id for h in finding.assessment.hits]
    suppressed = [i.hit.advisory.id for i in finding.assessment.ignored]
    assert (hits, suppressed) == (([], ["MSB-001"]) if ignored else (["MSB-001"], []))
    expired = [w for w in report.warnings if "expired on" in w]
    assert len(expired) == (0 if ignored else 1)
    assert all(f"expired on {until.isoformat()}" in w for w in expired)


def test_expired_compares_dates() -> None:
    rule = IgnoreRule(id="X", reason="r", until=TODAY)
    assert not rule.expired(TODAY - dt.timedelta(days=1))
    assert not rule.expired(TODAY)
    assert rule.expired(TODAY + dt.timedelta(days=1))
    assert not IgnoreRule(id="X", reason="r").expired(dt.date(9999, 12, 31))
