"""`vcaudit scan --details`: every installation says what to do and why, as the groups do
(the advisory ids worst first, end of life and what replaces the product, the rule of the
policy it breaks, why it is unknown, the required data-protection facts nobody states, the
advisories the policy ignores), in the table of wide terminals and in the list of narrow
ones; the inventory row it came from is never read as part of the advice."""

from __future__ import annotations

import re

import pytest

from tests.conftest import TODAY
from tests.output.test_formats import numbered, row
from vcaudit.advice import short_ids, upgrade_advice
from vcaudit.audit import run_audit
from vcaudit.config import parse_policy
from vcaudit.models import AuditReport, Feed, Platform
from vcaudit.output import RenderOptions
from vcaudit.output.table import render

POLICY = """
data_protection: {require: [e2ee_available]}
approved: [meetly, chatter, slackish]
ignore:
  - {id: MSB-002, reason: accepted until the rollout, until: 2026-06-30}
"""
# Each row's host, and what its line must say (what to do, then why).
EXPECTED = {
    "pc-1": "upgrade to 6.2.5 (latest); MSB-001",
    "pc-2": "replace with Meetly Workplace; end of life 2025-05-05",
    "pc-5": "upgrade to 6.2.5 (latest); behind the latest release; ignored: MSB-002",
    "lin-3": "data_protection.require unknown: e2ee_available",
    "pc-4": "not a product in the feed",
}
RISKS = ("critical", "high", "medium", "low", "none")


def fleet_report(feed: Feed, policy: str = POLICY) -> AuditReport:
    rows = numbered(
        [
            row("meetly", "5.16.9", host="pc-1"),
            row("chatter", "8.150.0.1", host="pc-2"),
            row("slackish", "4.51.180", Platform.LINUX, host="lin-3"),
            row("FooChat", "1.0", host="pc-4"),
            row("meetly", "6.1.0", host="pc-5"),
        ]
    )
    return run_audit(rows, feed, parse_policy(policy, "vcaudit.yaml").policy, TODAY)


def details(report: AuditReport, width: int) -> list[str]:
    text = render(report, RenderOptions(width=width, details=True))
    lines = text.splitlines()
    return lines[lines.index("") + 1 : lines.index("Next steps") - 1]


def items(lines: list[str]) -> dict[str, list[str]]:
    """The list's items by host: the lines from a risk at the left edge to the next."""
    out: dict[str, list[str]] = {}
    for line in lines:
        if line.startswith(RISKS):
            host = line[21:].split(":")[0]
            out[host] = []
        out[host].append(line.strip())
    return out


def fix_column(lines: list[str]) -> dict[str, str]:
    """The table's "Fix and why" cells by host, their wrapped lines joined."""
    start, end = lines[0].index("Fix and why"), lines[0].index("Owner")
    out: dict[str, str] = {}
    host = ""
    for line in lines[2:]:
        if not line.startswith(" "):
            host = line.split()[0]
        out[host] = " ".join((out.get(host, ""), line[start:end].strip())).strip()
    return out


@pytest.mark.parametrize("width", [80, 100])
def test_each_item_of_the_list_says_what_to_do_and_why(test_feed: Feed, width: int) -> None:
    found = items(details(fleet_report(test_feed), width))
    assert set(found) == set(EXPECTED)
    for host, expected in EXPECTED.items():
        told = " ".join(found[host][1:-1])
        assert told == expected, (host, found[host])


def test_the_table_says_what_to_do_and_why_in_a_column_of_its_own(test_feed: Feed) -> None:
    lines = details(fleet_report(test_feed), 200)
    assert lines[0].split() == [
        "Host", "Product", "Version", "OS", "Status", "Risk", "Fix", "and", "why", "Owner",
        "Source",
    ]  # fmt: skip
    assert fix_column(lines) == EXPECTED


@pytest.mark.parametrize("width", [80, 200])
def test_an_unapproved_row_says_which_rule_it_breaks(test_feed: Feed, width: int) -> None:
    """`data_protection.unknown: fail` and Chatter off the approved list: the reason of each
    unapproved verdict, as the groups give it."""
    policy = "data_protection: {require: [e2ee_available], unknown: fail}\napproved: [meetly]\n"
    report = fleet_report(test_feed, policy)
    flowing = " ".join(" ".join(details(report, width)).split())
    slackish = next(f for f in report.findings if f.installation.host == "lin-3")
    assert slackish.assessment.reason == (
        "not on the approved list; does not meet data_protection.require: e2ee_available (unknown)"
    )
    if width == 80:
        assert slackish.assessment.reason in flowing
    else:  # a column: each word of the reason is in the row's cell
        assert fix_column(details(report, width))["lin-3"] == slackish.assessment.reason


def test_the_source_stands_apart_from_the_advice(test_feed: Feed) -> None:
    """On a narrow terminal the inventory row is a line of its own, named as the source:
    never `upgrade to 6.2.5 (latest) from inventory/fleet.csv:2`."""
    lines = details(fleet_report(test_feed), 80)
    sources = [line.strip() for line in lines if "inventory/fleet.csv" in line]
    assert sources == [f"source: inventory/fleet.csv:{n}" for n in (2, 3, 6, 4, 5)]
    assert not any("upgrade to" in line and "fleet.csv" in line for line in lines)
    assert not any(re.search(r"\bfrom inventory/", line) for line in lines)


def test_advisory_ids_are_the_worst_first_as_in_the_groups(test_feed: Feed) -> None:
    report = fleet_report(test_feed, "")
    vulnerable = next(f for f in report.findings if f.installation.host == "pc-5")
    ids = short_ids(vulnerable.assessment, 3)
    assert ids  # MSB-002 applies when no rule ignores it
    advice = upgrade_advice(vulnerable.assessment, short=True)
    assert fix_column(details(report, 200))["pc-5"] == f"{advice}; {ids}"
    grouped = render(report, RenderOptions(width=200))
    assert ids in grouped


def test_the_groups_name_required_facts_nobody_states(test_feed: Feed) -> None:
    """`data_protection.unknown: report` (the default): Slackish stays current, and its group
    says which required fact no source states."""
    text = render(fleet_report(test_feed), RenderOptions(width=80))
    flowing = " ".join(text.split())
    assert "Slackish 4.51.180 (linux) on 1 host (lin-3) data_protection.require unknown: " in (
        flowing
    )
    report = fleet_report(test_feed, "approved: [meetly, chatter, slackish]\n")
    assert "data_protection.require" not in render(report, RenderOptions(width=80, details=True))


@pytest.mark.parametrize("width", [80, 120, 200])
@pytest.mark.parametrize("detailed", [False, True], ids=["groups", "details"])
def test_hosts_alike_in_their_first_forty_characters_print_apart(
    test_feed: Feed, width: int, detailed: bool
) -> None:
    """A host name is an identifier: VDI pools name hosts alike but for their end, and each
    is shown whole (the table gives way to the list when it cannot hold them)."""
    hosts = [f"vdi-pool-finance-emea-frankfurt-primary-000{n}" for n in (1, 2)]
    rows = numbered([row("meetly", "5.16.9", host=host) for host in hosts])
    report = run_audit(rows, test_feed, parse_policy("", "vcaudit.yaml").policy, TODAY)
    text = render(report, RenderOptions(width=width, details=detailed))
    for host in hosts:
        whole = re.compile(rf"(?<![\w.-]){re.escape(host)}(?![\w.…-])")
        assert any(whole.search(line) for line in text.splitlines()), (host, text)
    assert "…" not in text
