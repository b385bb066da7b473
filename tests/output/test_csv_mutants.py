"""The CSV report's cells that hold several values (tags, advisories, ignored advisories,
advisories to review) list them separated by `;`, each piece safe from formula injection, and
every line ends with CRLF."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import replace

from tests.conftest import TODAY, make_installation
from vcaudit.audit import run_audit
from vcaudit.models import Advisory, AffectedRange, Feed, Platform, Risk
from vcaudit.output import OutputFormat, RenderOptions, formatter_for
from vcaudit.policy import IgnoreRule, Policy

ALL = frozenset(Platform)


def advisory(id: str, *, known: bool = True) -> Advisory:
    return Advisory(
        id=id,
        aliases=(),
        title=id,
        published=dt.date(2025, 1, 1),
        severity=Risk.HIGH,
        cvss=None,
        kev=False,
        server_side=False,
        affected=(AffectedRange(ALL, "0", "9.0"),) if known else (),
        references=("https://example.com/" + id,),
        range_known=known,
        platforms=ALL,
    )


def test_cells_of_several_values(test_feed: Feed) -> None:
    meetly = test_feed.product("meetly")
    assert meetly is not None
    ids = ("W-1", "W-2", "W-3", "W-4")
    widget = replace(
        meetly,
        version_scheme=test_feed.products[-1].version_scheme,
        advisories=(*(advisory(i) for i in ids), advisory("R-1", known=False),
                    advisory("R-2", known=False)),
    )  # fmt: skip
    feed = replace(test_feed, products=(widget,))
    row = replace(make_installation("meetly", "5.0", host="pc-1"), tags=("finance", "=cmd"))
    policy = Policy(ignores=(IgnoreRule("W-3", "accepted", index=0),
                             IgnoreRule("W-4", "accepted", index=1)))  # fmt: skip
    report = run_audit([row], feed, policy, TODAY)
    text = formatter_for(OutputFormat.CSV)(report, RenderOptions())
    assert text.endswith("\r\n")
    assert text.count("\r\n") == 2
    (cells,) = list(csv.DictReader(io.StringIO(text)))
    assert cells["tags"] == "finance;'=cmd"
    assert cells["advisories"] == "W-1;W-2"
    assert cells["ignored"] == "W-3;W-4"
    assert cells["review"] == "R-1;R-2"
