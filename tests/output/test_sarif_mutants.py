"""SARIF, rule by rule and result by result, on a feed built for the purpose: what each rule
says (advisory, known exploited, policy and review rules), the score and level code scanning
reads, the order of the results, each result's message, location, fingerprint and
properties, and the run's own fields (category, warnings, totals)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import replace
from typing import Any

import pytest

from tests.conftest import TODAY, make_installation
from vcaudit.audit import run_audit
from vcaudit.models import (
    Advisory,
    AffectedRange,
    AuditReport,
    Cvss,
    Feed,
    Installation,
    Platform,
    Risk,
)
from vcaudit.output import RenderOptions
from vcaudit.output.sarif import automation_id, document, render
from vcaudit.policy import Policy

ALL = frozenset(Platform)
W, M = Platform.WINDOWS, Platform.MACOS


def advisory(
    id: str,
    *,
    severity: Risk = Risk.HIGH,
    cvss: Cvss | None = None,
    kev: bool = False,
    known: bool = True,
    refs: tuple[str, ...] = (),
    aliases: tuple[str, ...] = (),
) -> Advisory:
    return Advisory(
        id=id,
        aliases=aliases,
        title=f"{id} title",
        published=dt.date(2025, 1, 1),
        severity=severity,
        cvss=cvss,
        kev=kev,
        server_side=False,
        affected=(AffectedRange(ALL, "0", "9.0"),) if known else (),
        references=refs or (f"https://example.com/{id}",),
        range_known=known,
        platforms=ALL,
    )


def fleet(test_feed: Feed) -> tuple[Feed, list[Installation]]:
    """Widget 5.0 on 22 Windows hosts and a Mac (three advisories and one to review), an
    end-of-life Chatter and an outdated Meetly."""
    chatter, meetly, slackish = (test_feed.product(i) for i in ("chatter", "meetly", "slackish"))
    assert chatter is not None
    assert meetly is not None
    assert slackish is not None
    widget = replace(
        slackish,
        id="widget",
        name="Widget",
        advisories=(
            advisory(
                "A-1",
                cvss=Cvss("3.1", 8.1, "CVSS:3.1/AV:N"),
                aliases=("CVE-2099-1",),
                refs=("https://example.com/a1", "see the vendor's page"),
            ),
            advisory("A-2", severity=Risk.MEDIUM, kev=True),
            advisory("A-3", severity=Risk.LOW),
            advisory("R-1", known=False, cvss=Cvss("3.1", 7.0, "v")),
        ),
    )
    feed = replace(test_feed, products=(chatter, meetly, slackish, widget))
    rows = [make_installation("widget", "5.0", host=f"pc-{i:02d}", line=2 + i) for i in range(22)]
    rows += [
        make_installation("widget", "5.0", M, host="mac-1", line=30),
        make_installation("chatter", "8.150.0.1", host="old-1", line=31),
        make_installation("meetly", "6.2.3", host="out-1", line=32),
    ]
    return feed, rows


@pytest.fixture
def report(test_feed: Feed) -> AuditReport:
    feed, rows = fleet(test_feed)
    return run_audit(rows, feed, Policy(), TODAY, tool_version="1.2.3")


def run_of(report: AuditReport, options: RenderOptions | None = None) -> dict[str, Any]:
    run: dict[str, Any] = document(report, options)["runs"][0]
    return run


def rules_of(report: AuditReport) -> dict[str, dict[str, Any]]:
    return {rule["id"]: rule for rule in run_of(report)["tool"]["driver"]["rules"]}


def fingerprint(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]


# Rules -------------------------------------------------------------------------------------


def test_an_advisory_rule(report: AuditReport) -> None:
    assert rules_of(report)["A-1"] == {
        "id": "A-1",
        "name": "A1",
        "shortDescription": {"text": "A-1 title"},
        "fullDescription": {"text": "Widget: A-1 title"},
        "help": {
            "text": "A-1 title\nIds: A-1, CVE-2099-1\nSeverity: high (CVSS 8.1)\nSources:\n"
            "https://example.com/a1\nsee the vendor's page",
            "markdown": "**A-1 title**\n\nIds: A-1, CVE-2099-1\n\nSeverity: high (CVSS 8.1)\n\n"
            "Sources:\n\n- <https://example.com/a1>\n- see the vendor's page\n",
        },
        "helpUri": "https://example.com/a1",
        "defaultConfiguration": {"level": "error"},
        "properties": {
            "tags": ["security", "vulnerability", "videoconferencing"],
            "precision": "high",
            "security-severity": "8.1",
        },
    }


def test_a_known_exploited_advisory_scores_critical(report: AuditReport) -> None:
    rule = rules_of(report)["A-2"]
    assert rule["help"] == {
        "text": "A-2 title\nIds: A-2\nSeverity: medium\nKnown exploited (CISA KEV).\nSources:\n"
        "https://example.com/A-2",
        "markdown": "**A-2 title**\n\nIds: A-2\n\nSeverity: medium\n\nKnown exploited (CISA KEV)."
        "\n\nSources:\n\n- <https://example.com/A-2>\n",
    }
    assert rule["defaultConfiguration"] == {"level": "warning"}
    assert rule["properties"]["security-severity"] == "9.5"
    low = rules_of(report)["A-3"]
    assert (low["defaultConfiguration"], low["properties"]["security-severity"]) == (
        {"level": "note"},
        "2.0",
    )


@pytest.mark.parametrize(
    ("cvss", "kev", "severity", "score"),
    [
        (9.8, True, Risk.CRITICAL, "9.8"),  # above the critical band: the CVSS score
        (4.0, True, Risk.MEDIUM, "9.5"),  # below it: the band
        (None, False, Risk.CRITICAL, "9.5"),
        (None, False, Risk.HIGH, "8.0"),
        (None, False, Risk.MEDIUM, "5.5"),
        (6.1, False, Risk.CRITICAL, "6.1"),  # a CVSS score wins over the severity band
    ],
)
def test_the_security_severity_code_scanning_reads(
    test_feed: Feed, cvss: float | None, kev: bool, severity: Risk, score: str
) -> None:
    feed, rows = fleet(test_feed)
    widget = feed.product("widget")
    assert widget is not None
    scored = advisory(
        "S-1", severity=severity, kev=kev, cvss=Cvss("3.1", cvss, "v") if cvss else None
    )
    feed = replace(feed, products=(*feed.products[:3], replace(widget, advisories=(scored,))))
    report = run_audit(rows[:1], feed, Policy(), TODAY)
    assert rules_of(report)["S-1"]["properties"]["security-severity"] == score


def test_policy_rules(test_feed: Feed, report: AuditReport) -> None:
    rules = rules_of(report)
    assert rules["vcaudit/end-of-life"] == {
        "id": "vcaudit/end-of-life",
        "name": "EndOfLife",
        "shortDescription": {"text": "End-of-life conferencing client"},
        "fullDescription": {
            "text": "The product is no longer supported by its vendor and receives no security "
            "updates. Replace it with its successor."
        },
        "help": {
            "text": "The product is no longer supported by its vendor and receives no security "
            "updates. Replace it with its successor.",
            "markdown": "The product is no longer supported by its vendor and receives no "
            "security updates. Replace it with its successor.",
        },
        "defaultConfiguration": {"level": "error"},
        "properties": {
            "tags": ["security", "videoconferencing", "policy"],
            "precision": "high",
            "security-severity": "8.0",
        },
    }
    outdated = rules["vcaudit/outdated"]
    assert (outdated["name"], outdated["defaultConfiguration"]["level"]) == ("Outdated", "note")
    assert outdated["properties"]["security-severity"] == "2.0"
    feed, _ = fleet(test_feed)
    unapproved = run_audit(
        [make_installation("meetly", "6.2.5")], feed, Policy(approved=frozenset()), TODAY
    )
    rule = rules_of(unapproved)["vcaudit/unapproved"]
    assert (rule["name"], rule["defaultConfiguration"]["level"]) == ("Unapproved", "warning")
    assert rule["properties"]["security-severity"] == "5.5"
    later = dt.date(2027, 2, 1)  # Meetly's 5.15.0 minimum on Windows is in force
    below = run_audit([make_installation("meetly", "5.14.14")], feed, Policy(), later)
    rule = rules_of(below)["vcaudit/below-minimum"]
    assert (rule["name"], rule["defaultConfiguration"]["level"]) == ("BelowMinimum", "error")
    assert rule["properties"]["security-severity"] == "8.0"


def test_a_review_rule(report: AuditReport) -> None:
    why = (
        "Its affected versions are not published yet, so vcaudit cannot tell which installations "
        "it affects. It is shown on every installation of the product on its platforms, never "
        "counted as a vulnerability. Check them against the vendor's advisory."
    )
    assert rules_of(report)["vcaudit/review/R-1"] == {
        "id": "vcaudit/review/R-1",
        "name": "ReviewR1",
        "shortDescription": {"text": "To review: R-1 title"},
        "fullDescription": {"text": "R-1 title: affected versions not published yet"},
        "help": {
            "text": f"To review: R-1 title\nIds: R-1\nSeverity: high (CVSS 7.0)\n{why}\nSources:\n"
            "https://example.com/R-1",
            "markdown": f"**To review: R-1 title**\n\nIds: R-1\n\nSeverity: high (CVSS 7.0)\n\n"
            f"{why}\n\nSources:\n\n- <https://example.com/R-1>\n",
        },
        "helpUri": "https://example.com/R-1",
        "defaultConfiguration": {"level": "note"},
        "properties": {
            "tags": ["security", "videoconferencing", "review"],
            "precision": "low",
            "security-severity": "0.0",
        },
    }


# Results -----------------------------------------------------------------------------------


def test_results_worst_first_each_pointing_at_its_rule(report: AuditReport) -> None:
    run = run_of(report)
    rule_ids = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert rule_ids == sorted(rule_ids)
    found = [
        (r["ruleId"], r["properties"]["platform"], r["level"], r["ruleIndex"])
        for r in run["results"]
    ]
    assert found == [
        ("A-2", "macos", "warning", 1),
        ("A-2", "windows", "warning", 1),
        ("A-1", "macos", "error", 0),
        ("A-1", "windows", "error", 0),
        ("vcaudit/end-of-life", "windows", "error", 3),
        ("A-3", "macos", "note", 2),
        ("A-3", "windows", "note", 2),
        ("vcaudit/outdated", "windows", "note", 4),
        ("vcaudit/review/R-1", "macos", "note", 5),
        ("vcaudit/review/R-1", "windows", "note", 5),
    ]
    for result in run["results"]:
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]


def result_of(report: AuditReport, rule: str, platform: str) -> dict[str, Any]:
    (found,) = (
        r
        for r in run_of(report)["results"]
        if r["ruleId"] == rule and r["properties"]["platform"] == platform
    )
    result: dict[str, Any] = found
    return result


def test_a_result_for_many_hosts(report: AuditReport) -> None:
    hosts = ", ".join(f"pc-{i:02d}" for i in range(20))
    assert result_of(report, "A-1", "windows") == {
        "ruleId": "A-1",
        "ruleIndex": 0,
        "level": "error",
        "message": {
            "text": "Widget 5.0 on windows: A-1 (CVE-2099-1, high, CVSS 8.1): A-1 title; fixed in "
            f"9.0. Upgrade to 9.0 or later. 22 hosts: {hosts} and 2 more."
        },
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": "fleet.csv"},
                    "region": {"startLine": 2, "startColumn": 1, "endLine": 2, "endColumn": 2},
                }
            }
        ],
        "partialFingerprints": {
            "primaryLocationLineHash": fingerprint("A-1", "widget", "5.0", "windows"),
            "vcaudit/v1": fingerprint("A-1", "widget", "5.0", "windows"),
        },
        "properties": {
            "product": "widget",
            "version": "5.0",
            "platform": "windows",
            "status": "vulnerable",
            "risk": "critical",
            "installations": 22,
            "hosts": 22,
            "fixedIn": "9.0",
            "owner": None,
        },
    }


def test_a_result_for_one_host(report: AuditReport) -> None:
    result = result_of(report, "A-2", "macos")
    assert result["message"]["text"] == (
        "Widget 5.0 on macos: A-2 (medium, known exploited): A-2 title; fixed in 9.0. Upgrade to "
        "9.0 (no latest release is known here, so later ones are unchecked). 1 host: mac-1."
    )
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 30
    assert (result["properties"]["installations"], result["properties"]["hosts"]) == (1, 1)
    assert "review" not in result["properties"]


def test_results_of_policy_and_review_rules(report: AuditReport) -> None:
    eol = result_of(report, "vcaudit/end-of-life", "windows")
    assert eol["message"]["text"] == (
        "Chatter 8.150.0.1 on windows: end of life since 2025-05-05; replace with Meetly "
        "Workplace. Replace it with Meetly Workplace. 1 host: old-1."
    )
    assert (eol["properties"]["status"], eol["properties"]["fixedIn"]) == ("eol", None)
    outdated = result_of(report, "vcaudit/outdated", "windows")
    assert outdated["message"]["text"] == (
        "Meetly Workplace 6.2.3 on windows: behind the latest release 6.2.5. Upgrade to 6.2.5, "
        "the latest. 1 host: out-1."
    )
    review = result_of(report, "vcaudit/review/R-1", "macos")
    assert review["message"]["text"] == (
        "Widget 5.0 on macos: to review: R-1 (high) concerns it, but its affected versions are "
        "not published yet; check them against the vendor's advisory. 1 host: mac-1."
    )
    assert review["properties"]["review"] is True
    assert review["partialFingerprints"]["vcaudit/v1"] == fingerprint(
        "vcaudit/review/R-1", "widget", "5.0", "macos"
    )


def test_an_owner_is_named(test_feed: Feed) -> None:
    feed, rows = fleet(test_feed)
    owned = replace(rows[-1], owner="it@example.com")
    report = run_audit([owned], feed, Policy(), TODAY)
    assert result_of(report, "vcaudit/outdated", "windows")["properties"]["owner"] == (
        "it@example.com"
    )


# The run -----------------------------------------------------------------------------------


def test_the_run(report: AuditReport) -> None:
    run = run_of(report, RenderOptions(sarif_category="fleet"))
    assert run["tool"]["driver"]["name"] == "vcaudit"
    assert (run["tool"]["driver"]["version"], run["tool"]["driver"]["semanticVersion"]) == (
        "1.2.3",
        "1.2.3",
    )
    assert run["automationDetails"] == {"id": "fleet/"}
    assert run["invocations"] == [
        {
            "executionSuccessful": True,
            "toolExecutionNotifications": [
                {"level": "warning", "message": {"text": warning}} for warning in report.warnings
            ],
        }
    ]
    assert report.warnings
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["properties"] == {
        "feedGeneratedAt": "2026-01-15T12:00:00+00:00",
        "installations": 25,
        "hosts": 25,
        "inputs": [],
    }
    assert list(run) == [
        "tool",
        "automationDetails",
        "invocations",
        "columnKind",
        "results",
        "properties",
    ]


def test_a_run_without_category_or_warnings(test_feed: Feed) -> None:
    feed, rows = fleet(test_feed)
    report = run_audit(rows[-1:], feed, Policy(), TODAY)
    assert report.warnings == ()
    run = run_of(report)
    assert "automationDetails" not in run
    assert "invocations" not in run
    assert (run["tool"]["driver"]["version"], run["tool"]["driver"]["semanticVersion"]) == (
        "0",
        "0.0.0",
    )


def test_a_category_ends_with_one_slash() -> None:
    assert automation_id("fleet") == "fleet/"
    assert automation_id("fleet/") == "fleet/"
    assert automation_id("a/b") == "a/b/"


def test_the_text_is_indented_ascii_json_without_workflow_commands(test_feed: Feed) -> None:
    feed, rows = fleet(test_feed)
    rows = [replace(rows[-1], host="##[error]é")]
    report = run_audit(rows, feed, Policy(), TODAY)
    text = render(report, RenderOptions())
    assert text.endswith("}\n")
    assert text.startswith('{\n  "$schema": "https://json.schemastore.org/sarif-2.1.0.json",\n')
    assert text.isascii()
    assert "##[" not in text
    assert json.loads(text) == document(report, RenderOptions())


# Long texts, odd ids and other edges -------------------------------------------------------

LONG_TITLE = "t" * 1500
ALIASES = tuple(f"CVE-2099-{i:05d}" for i in range(30))  # 480 characters of ids
UNLINKED = "see the vendor's page " + "x" * 300  # no link: written as text, whole


def edge_feed(test_feed: Feed) -> Feed:
    slackish, chatter = test_feed.product("slackish"), test_feed.product("chatter")
    assert slackish is not None
    assert chatter is not None
    long = replace(
        advisory("L-1", aliases=ALIASES, refs=("https://example.com/l1", UNLINKED)),
        title=LONG_TITLE,
        affected=(AffectedRange(ALL, "0"),),  # no fix known
    )
    review = replace(
        advisory("R-2", known=False, aliases=ALIASES, refs=("https://example.com/r2", UNLINKED)),
        title=LONG_TITLE,
    )
    odd = advisory("---")
    unfixed = replace(advisory("N-1"), affected=(AffectedRange(ALL, "0"),))
    widget = replace(slackish, id="widget", name="Widget", advisories=(long, review, odd, unfixed))
    retired = replace(chatter, lifecycle=replace(chatter.lifecycle, successor=""))
    return replace(test_feed, products=(retired, widget))


def edge_report(test_feed: Feed, rows: list[Installation]) -> AuditReport:
    return run_audit(rows, edge_feed(test_feed), Policy(), TODAY)


def test_long_titles_are_cut_at_1000_characters_and_ids_never(test_feed: Feed) -> None:
    report = edge_report(test_feed, [make_installation("widget", "5.0")])
    rules = rules_of(report)
    cut = "t" * 999 + "…"
    for rule_id, lead, url in (
        ("L-1", "", "https://example.com/l1"),
        ("vcaudit/review/R-2", "To review: ", "https://example.com/r2"),
    ):
        rule = rules[rule_id]
        text, markdown = rule["help"]["text"], rule["help"]["markdown"]
        assert text.split("\n")[0] == lead + cut
        assert markdown.split("\n")[0] == f"**{lead}{cut}**"
        ids = f"Ids: {rule_id.rpartition('/')[2]}, {', '.join(ALIASES)}\n"
        assert ids in text
        assert ids in markdown
        assert "Severity: high\n" in text  # no CVSS score to give
        assert "Severity: high\n\n" in markdown
        assert text.endswith(f"Sources:\n{url}\n{UNLINKED}")
        assert f"\n- <{url}>\n- see the vendor" in markdown
        assert markdown.endswith("x" * 300 + "\n")
    message = result_of(report, "L-1", "windows")["message"]["text"]
    said = message.removeprefix("Widget 5.0 on windows: ").partition("…")[0] + "…"
    assert len(said) == 1000  # the advisory's words, cut at 1000 characters
    assert said.endswith("t…")
    assert message.startswith("Widget 5.0 on windows: L-1 (")


def test_an_advisory_without_a_fix_says_so(test_feed: Feed) -> None:
    report = edge_report(test_feed, [make_installation("widget", "5.0")])
    message = result_of(report, "N-1", "windows")["message"]["text"]
    assert "N-1 (high): N-1 title; no fixed release is known." in message


def test_an_id_without_letters_or_digits_gets_a_name(test_feed: Feed) -> None:
    report = edge_report(test_feed, [make_installation("widget", "5.0")])
    assert rules_of(report)["---"]["name"] == "Advisory"
    plain = advisory("---", known=False)
    widget = replace(edge_feed(test_feed).products[1], advisories=(plain,))
    feed = replace(test_feed, products=(widget,))
    review = run_audit([make_installation("widget", "5.0")], feed, Policy(), TODAY)
    assert rules_of(review)["vcaudit/review/---"]["name"] == "ReviewAdvisory"


def test_a_retired_client_without_a_successor(test_feed: Feed) -> None:
    report = edge_report(test_feed, [make_installation("chatter", "8.150.0.1", host="old-1")])
    message = result_of(report, "vcaudit/end-of-life", "windows")["message"]["text"]
    assert message.endswith(". Replace it. 1 host: old-1.")


def test_twenty_hosts_are_all_named(test_feed: Feed) -> None:
    rows = [make_installation("widget", "5.0", host=f"h{i:02d}", line=2 + i) for i in range(20)]
    message = result_of(edge_report(test_feed, rows), "L-1", "windows")["message"]["text"]
    assert message.endswith(f"20 hosts: {', '.join(f'h{i:02d}' for i in range(20))}.")


def test_one_alert_for_one_version_under_two_names(test_feed: Feed) -> None:
    rows = [
        make_installation("widget", "5.0", host="a", line=2),
        make_installation("Widget", "5.0", host="b", line=3),
        make_installation("widget", "5.0", host="a", line=4),
    ]
    report = edge_report(test_feed, rows)
    for rule in ("L-1", "vcaudit/review/R-2"):
        result = result_of(report, rule, "windows")
        assert (result["properties"]["installations"], result["properties"]["hosts"]) == (3, 2)
        assert result["message"]["text"].endswith(" 2 hosts: a, b.")


def test_a_long_warning_is_kept_whole(report: AuditReport) -> None:
    warning = "w" * 1500
    run = run_of(replace(report, warnings=(warning,)))
    notifications = run["invocations"][0]["toolExecutionNotifications"]
    assert notifications == [{"level": "warning", "message": {"text": warning}}]


def test_a_feed_without_a_date(report: AuditReport) -> None:
    undated = replace(report, feed=replace(report.feed, generated_at=None))
    assert run_of(undated)["properties"]["feedGeneratedAt"] is None
