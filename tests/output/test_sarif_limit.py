"""SARIF within GitHub's 25,000 results per run: a fleet of a few hundred distinct old Zoom
builds, with the bundled feed's 100 and more advisories each, would need tens of thousands
of per-advisory results; each version's advisories then become one `vcaudit/vulnerable/<risk>`
result that names them all, and the run (and the terminal) says so."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.conftest import TODAY, make_installation
from vcaudit.audit import run_audit
from vcaudit.cli import main
from vcaudit.models import AuditReport, Feed, Risk
from vcaudit.output import OutputFormat, RenderOptions, formatter_for
from vcaudit.output.sarif import MAX_RESULTS, size_warnings
from vcaudit.policy import Policy

SCHEMA = json.loads(
    (Path(__file__).parent.parent / "data" / "sarif-schema-2.1.0.json").read_text("utf-8")
)

# Zoom for Windows as its uninstall key names it, 2020-2022 releases (5.0 to 5.12), each
# with a build number: 13 x 22 distinct builds.
OLD_BUILDS = [f"5.{minor}.{patch} ({20000 + minor * 100 + patch})" for minor in range(13)
              for patch in range(22)]  # fmt: skip


def _report(feed: Feed, versions: list[str]) -> AuditReport:
    rows = [
        make_installation("Zoom", version, host=f"pc-{i}", line=i + 2)
        for i, version in enumerate(versions)
    ]
    return run_audit(rows, feed, Policy(), TODAY)


def _document(report: AuditReport) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(formatter_for(OutputFormat.SARIF)(report, RenderOptions()))
    jsonschema.validate(doc, SCHEMA)
    return doc


@pytest.fixture(scope="module")
def old_fleet(bundled_feed: Feed) -> AuditReport:
    return _report(bundled_feed, OLD_BUILDS)


def test_a_few_old_builds_get_one_result_per_advisory(bundled_feed: Feed) -> None:
    report = _report(bundled_feed, OLD_BUILDS[:3])
    doc = _document(report)
    results = doc["runs"][0]["results"]
    hits = sum(len(g.assessment.hits) for g in report.groups)
    assert hits > 100  # the bundled feed's advisories of Zoom 5.0.x for Windows
    assert not [r for r in results if r["ruleId"].startswith("vcaudit/vulnerable")]
    assert len(results) >= hits
    assert not size_warnings(report)
    assert "invocations" not in doc["runs"][0]


@pytest.mark.slow
def test_hundreds_of_old_builds_fold_into_one_result_per_version(old_fleet: AuditReport) -> None:
    per_advisory = sum(len(g.assessment.hits) for g in old_fleet.groups)
    assert per_advisory > MAX_RESULTS  # one per advisory would pass GitHub's limit
    doc = _document(old_fleet)
    run = doc["runs"][0]
    results = run["results"]
    assert len(results) <= MAX_RESULTS
    folded = [r for r in results if r["ruleId"].startswith("vcaudit/vulnerable/")]
    versions = [r["properties"]["version"] for r in folded]
    vulnerable = {g.version for g in old_fleet.groups if g.assessment.hits}
    assert sorted(versions) == sorted(vulnerable)  # one each, none lost
    by_version: dict[str, set[str]] = defaultdict(set)
    for g in old_fleet.groups:
        by_version[g.version].update(h.advisory.id for h in g.assessment.hits)
    for result in folded:
        ids = result["properties"]["advisories"]
        assert set(ids) == by_version[result["properties"]["version"]]
        assert len(ids) == len(set(ids))
        worst = ids[0]
        text = result["message"]["text"]
        assert f"{len(ids):,} advisories apply ({worst}, " in text
        assert f"and {len(ids) - 20:,} more)" in text
        assert f"the worst: {worst} (" in text
        assert ". Upgrade to " in text.split("the worst: ")[1]  # what to do, after the why
        assert "1 host: pc-" in text
        assert result["level"] == "error"
        assert (result["properties"]["installations"], result["properties"]["hosts"]) == (1, 1)
    rule_ids = {rule["id"] for rule in run["tool"]["driver"]["rules"]}
    assert rule_ids == {r["ruleId"] for r in results}  # no rule without a result
    notes = [n["message"]["text"] for n in run["invocations"][0]["toolExecutionNotifications"]]
    (said,) = [n for n in notes if "one result per advisory would be" in n]
    would_be = int(said.split("would be ")[1].split(" results")[0].replace(",", ""))
    assert would_be >= per_advisory  # with the policy and review results


@pytest.mark.slow
def test_a_folded_result_keeps_a_stable_fingerprint(bundled_feed: Feed) -> None:
    first = _document(_report(bundled_feed, OLD_BUILDS))
    again = _document(_report(bundled_feed, list(reversed(OLD_BUILDS))))

    def prints(doc: dict[str, Any]) -> dict[str, str]:
        return {
            r["properties"]["version"]: r["partialFingerprints"]["vcaudit/v1"]
            for r in doc["runs"][0]["results"]
            if r["ruleId"].startswith("vcaudit/vulnerable/")
        }

    assert prints(first) == prints(again)
    assert len(set(prints(first).values())) == len(OLD_BUILDS)


@pytest.mark.slow
def test_the_terminal_is_told_when_results_are_folded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    fleet = tmp_path / "fleet.csv"
    rows = [f"pc-{i},windows,Zoom,{v}" for i, v in enumerate(OLD_BUILDS)]
    fleet.write_text("host,platform,product,version\n" + "\n".join(rows) + "\n", "utf-8")
    code = main(
        ["scan", str(fleet), "--as-of", TODAY.isoformat(), "--fail-on", "none",
         "--report", f"sarif={tmp_path / 'out.sarif'}"]
    )  # fmt: skip
    assert code == 0
    err = capsys.readouterr().err
    assert "GitHub code scanning takes in a run" in " ".join(err.split())
    doc = json.loads((tmp_path / "out.sarif").read_text("utf-8"))
    assert len(doc["runs"][0]["results"]) <= MAX_RESULTS


def test_results_beyond_the_limit_even_folded_are_left_out_worst_kept(
    bundled_feed: Feed, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The limit lowered to 4 (a fleet of 25,000 distinct versions is the real case):
    folded results past it are left out, the least severe first, and said."""
    monkeypatch.setattr("vcaudit.output.sarif.MAX_RESULTS", 4)
    rows = [make_installation("Zoom", v, host=f"pc-{i}") for i, v in enumerate(OLD_BUILDS[:5])]
    rows.append(make_installation("Zoom", "7.2.1 (1000)", host="pc-new"))  # current: review only
    report = run_audit(rows, bundled_feed, Policy(), TODAY)
    doc = _document(report)
    results = doc["runs"][0]["results"]
    assert [r["ruleId"] for r in results] == ["vcaudit/vulnerable/critical"] * 4
    (said,) = [w for w in size_warnings(report) if "even so" in w]
    assert "results even so; the " in said
    left_out = int(said.split("even so; the ")[1].split(" ")[0])
    assert left_out == 5 * 2 + 1 - 4  # five old versions: vulnerable and review; one review


def _widget(test_feed: Feed) -> AuditReport:
    """Widget 5.0 on 22 Windows hosts and a Mac (A-1 high, A-2 known exploited, A-3 low, R-1
    to review), an end-of-life Chatter and an outdated Meetly: 10 results, one per advisory."""
    from tests.output.test_sarif_mutants import fleet

    feed, rows = fleet(test_feed)
    return run_audit(rows, feed, Policy(), TODAY)


def test_folding_begins_past_the_limit_not_at_it(
    test_feed: Feed, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = _widget(test_feed)
    monkeypatch.setattr("vcaudit.output.sarif.MAX_RESULTS", 10)
    assert len(_document(report)["runs"][0]["results"]) == 10
    assert size_warnings(report) == []
    monkeypatch.setattr("vcaudit.output.sarif.MAX_RESULTS", 9)
    assert len(_document(report)["runs"][0]["results"]) == 6
    (said,) = size_warnings(report)
    assert said == (
        "SARIF: one result per advisory would be 10 results, more than the 9 GitHub code "
        "scanning takes in a run; each version's advisories are one vcaudit/vulnerable/<risk> "
        "result instead, under the risk of the worst (and its advisories to review one "
        "vcaudit/review result), naming them worst first"
    )


def test_a_folded_result_and_its_rule(test_feed: Feed, monkeypatch: pytest.MonkeyPatch) -> None:
    """The rule carries the risk of the worst advisory (code scanning reads a rule's
    security-severity, so a critical stays critical); the result names every advisory, worst
    first, the worst one's facts and fix, and counts the version's hosts and rows."""
    from vcaudit.output.sarif import _fingerprint

    monkeypatch.setattr("vcaudit.output.sarif.MAX_RESULTS", 9)
    run = _document(_widget(test_feed))["runs"][0]
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    assert sorted(rules) == [
        "vcaudit/end-of-life",
        "vcaudit/outdated",
        "vcaudit/review",
        "vcaudit/vulnerable/critical",
    ]  # the advisories' own rules are gone with their results
    full = (
        "Known security advisories apply to this version, the worst of them critical; the "
        "result lists them worst first. Upgrade it to the version the result names. (vcaudit "
        "gives one result per version, not one per advisory, when one per advisory would pass "
        "GitHub's 25,000 results; the rule says how severe the worst advisory is.)"
    )
    assert rules["vcaudit/vulnerable/critical"] == {
        "id": "vcaudit/vulnerable/critical",
        "name": "VulnerableCritical",
        "shortDescription": {
            "text": "Conferencing client with known advisories, the worst critical"
        },
        "fullDescription": {"text": full},
        "help": {"text": full, "markdown": full},
        "defaultConfiguration": {"level": "error"},
        "properties": {
            "tags": ["security", "videoconferencing", "vulnerability"],
            "precision": "high",
            "security-severity": "9.5",
        },
    }
    review = rules["vcaudit/review"]
    assert (review["name"], review["defaultConfiguration"], review["properties"]) == (
        "Review",
        {"level": "note"},
        {"tags": ["security", "videoconferencing", "review"], "precision": "low",
         "security-severity": "0.0"},
    )  # fmt: skip
    ids = [r["ruleId"] for r in run["results"]]
    assert ids == [
        "vcaudit/vulnerable/critical",
        "vcaudit/vulnerable/critical",
        "vcaudit/end-of-life",
        "vcaudit/outdated",
        "vcaudit/review",
        "vcaudit/review",
    ]
    for result in run["results"]:
        assert result["ruleIndex"] == sorted(rules).index(result["ruleId"])
    windows = next(
        r for r in run["results"]
        if r["ruleId"] == "vcaudit/vulnerable/critical" and r["properties"]["platform"] == "windows"
    )  # fmt: skip
    assert windows["level"] == "error"
    hosts = ", ".join(f"pc-{i:02d}" for i in range(20))
    assert windows["message"]["text"] == (
        "Widget 5.0 on windows: 3 advisories apply (A-2, A-1, A-3); the worst: A-2 (medium, "
        "known exploited): A-2 title; fixed in 9.0. Upgrade to 9.0 or later. 22 hosts: "
        f"{hosts} and 2 more."
    )
    assert windows["properties"] == {
        "product": "widget",
        "version": "5.0",
        "platform": "windows",
        "status": "vulnerable",
        "risk": "critical",
        "installations": 22,
        "hosts": 22,
        "fixedIn": "9.0",
        "owner": None,
        "advisories": ["A-2", "A-1", "A-3"],
    }
    fingerprint = _fingerprint("vcaudit/vulnerable/critical", "widget", "5.0", "windows")
    assert windows["partialFingerprints"] == {
        "primaryLocationLineHash": fingerprint,
        "vcaudit/v1": fingerprint,
    }
    mac_review = next(
        r for r in run["results"]
        if r["ruleId"] == "vcaudit/review" and r["properties"]["platform"] == "macos"
    )  # fmt: skip
    assert mac_review["message"]["text"] == (
        "Widget 5.0 on macos: to review: 1 advisory concerns it whose affected versions are not "
        "published yet (R-1); check them against the vendor's advisories. 1 host: mac-1."
    )
    assert (mac_review["level"], mac_review["properties"]["review"]) == ("note", True)
    assert mac_review["properties"]["advisories"] == ["R-1"]


def test_a_version_whose_worst_advisory_is_low_is_folded_as_low(
    test_feed: Feed, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataclasses import replace

    from tests.output.test_sarif_mutants import advisory, fleet

    feed, rows = fleet(test_feed)
    widget = feed.product("widget")
    assert widget is not None
    lows = tuple(advisory(f"L-{i}", severity=Risk.LOW) for i in range(3))
    feed = replace(
        feed,
        products=tuple(
            replace(p, advisories=lows) if p.id == "widget" else p for p in feed.products
        ),
    )
    monkeypatch.setattr("vcaudit.output.sarif.MAX_RESULTS", 3)
    run = _document(run_audit(rows, feed, Policy(), TODAY))["runs"][0]
    lows_found = [r for r in run["results"] if r["ruleId"] == "vcaudit/vulnerable/low"]
    assert [(r["level"], r["properties"]["advisories"]) for r in lows_found] == [
        ("note", ["L-0", "L-1", "L-2"])
    ]
    (rule,) = [r for r in run["tool"]["driver"]["rules"] if r["id"] == "vcaudit/vulnerable/low"]
    assert rule["properties"]["security-severity"] == "2.0"
    assert rule["defaultConfiguration"] == {"level": "note"}
    # Four results, three kept: of the least severe (low), the one on fewest installations
    # (Widget on one Mac, Meetly on one host: the name decides) is left out.
    assert [(r["ruleId"], r["properties"]["installations"]) for r in run["results"]] == [
        ("vcaudit/end-of-life", 1),
        ("vcaudit/outdated", 1),
        ("vcaudit/vulnerable/low", 22),
    ]
    notes = [n["message"]["text"] for n in run["invocations"][0]["toolExecutionNotifications"]]
    assert "SARIF: 4 results even so; the 1 least severe is left out" in " ".join(notes)


def test_folded_words_counts_and_limits(test_feed: Feed, monkeypatch: pytest.MonkeyPatch) -> None:
    """One advisory or many, twenty ids named or twenty and more, two products on one
    version kept apart, and the limit met exactly after folding: nothing left out."""
    from dataclasses import replace

    from tests.output.test_sarif_mutants import advisory, fleet

    feed, rows = fleet(test_feed)
    widget = feed.product("widget")
    assert widget is not None
    many = tuple(advisory(f"L-{i:02d}", severity=Risk.LOW) for i in range(21))
    reviews = tuple(advisory(f"R-{i}", known=False) for i in range(2))
    gadget = replace(widget, id="gadget", name="Gadget", advisories=(many[0],))
    feed = replace(
        feed,
        products=(
            *(replace(p, advisories=many + reviews) if p.id == "widget" else p
              for p in feed.products),
            gadget,
        ),
    )  # fmt: skip
    rows = [r for r in rows if r.host != "mac-1"]
    rows.append(replace(rows[0], product="gadget", host="g-1"))
    report = run_audit(rows, feed, Policy(), TODAY)
    # Unfolded: widget 21 + 2 to review, gadget 1, chatter, meetly: 26; folded: 5.
    monkeypatch.setattr("vcaudit.output.sarif.MAX_RESULTS", 5)
    run = _document(report)["runs"][0]
    assert len(run["results"]) == 5
    assert len(size_warnings(report)) == 1  # folded, and nothing left out
    by_product = {
        (r["properties"]["product"], r["ruleId"]): r["message"]["text"] for r in run["results"]
    }
    assert by_product[("gadget", "vcaudit/vulnerable/low")].startswith(
        "Gadget 5.0 on windows: 1 advisory applies (L-00); the worst: L-00 (low): L-00 title;"
    )
    named = ", ".join(f"L-{i:02d}" for i in range(20))
    assert by_product[("widget", "vcaudit/vulnerable/low")].startswith(
        f"Widget 5.0 on windows: 21 advisories apply ({named} and 1 more); the worst: L-00"
    )
    assert by_product[("widget", "vcaudit/review")].startswith(
        "Widget 5.0 on windows: to review: 2 advisories concern it whose affected versions "
        "are not published yet (R-0, R-1);"
    )
    review_rule = next(r for r in run["tool"]["driver"]["rules"] if r["id"] == "vcaudit/review")
    assert review_rule["shortDescription"] == {"text": "Advisories to review for this client"}
    monkeypatch.setattr("vcaudit.output.sarif.MAX_RESULTS", 3)
    assert size_warnings(report)[1].startswith(
        "SARIF: 5 results even so; the 2 least severe are left out (split the inventory"
    )
    exactly = replace(feed, products=tuple(
        replace(p, advisories=many[:20]) if p.id == "widget" else p for p in feed.products
    ))  # fmt: skip
    monkeypatch.setattr("vcaudit.output.sarif.MAX_RESULTS", 4)
    text = next(
        r["message"]["text"]
        for r in _document(run_audit(rows, exactly, Policy(), TODAY))["runs"][0]["results"]
        if r["properties"]["product"] == "widget"
    )
    assert f"20 advisories apply ({named}); the worst" in text
