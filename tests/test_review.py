"""Advisories whose affected versions are not published yet (`range: unknown`): review items.

DESIGN.md, Risk model: such an advisory is a "review" item on every installation of its
product and platform: shown in every report (and the mail, the webhooks and `vcaudit advisory`),
never counted as confirmed, failing a run only when the policy asks (`review: fail`).

The synthetic feed tests/data/review-feed has Confer Desktop with one ranged advisory
(CSB-001, windows, fixed 2.0.0), two without a range (CSB-002 high on windows and macos,
CSB-003 medium on linux), and two that must never show (CSB-004 withdrawn, CSB-005 fixed on the
vendor's servers); Confer Rooms has CSB-002 with a published range. The golden matrix
(tests/data/feed) is left as it is.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import DATA
from tests.output.json_report import installation_rows
from vcaudit.audit import run_audit
from vcaudit.cli import main
from vcaudit.config import EXAMPLE, parse_policy
from vcaudit.feed.load import load_feed
from vcaudit.matching import Matcher
from vcaudit.models import (
    AuditReport,
    Feed,
    Installation,
    Platform,
    Risk,
    Source,
    Status,
)
from vcaudit.notify import digest, webhook
from vcaudit.notify.kinds import WebhookFormat
from vcaudit.output import OutputFormat, RenderOptions, formatter_for
from vcaudit.policy import IgnoreRule, Policy, reaches

REVIEW_FEED_DIR = DATA / "review-feed"
ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 1, 15)
SHARED_SCHEMAS = DATA  # copies of /work/shared/schemas that the tests need

FLEET = (
    "host,platform,product,version\n"
    "pc-old,windows,confer,1.5.0\n"  # CSB-001 applies; CSB-002 to review
    "pc-new,windows,confer,3.0.0\n"  # current; CSB-002 to review
    "mac-1,macos,confer,3.0.0\n"  # current; CSB-002 to review
    "lx-1,linux,confer,weird\n"  # version not placed; CSB-003 to review all the same
    "room-1,windows,confer-rooms,3.0.1\n"  # CSB-002 has a range here: vulnerable
)
BASE = ["--feed", str(REVIEW_FEED_DIR), "--as-of", TODAY.isoformat()]


@pytest.fixture(scope="module")
def feed() -> Feed:
    return load_feed(REVIEW_FEED_DIR)


def inst(host: str, platform: Platform, product: str, version: str, line: int) -> Installation:
    return Installation(host, platform, product, version, Source("inventory/fleet.csv", line))


ROWS = [
    inst("pc-old", Platform.WINDOWS, "confer", "1.5.0", 2),
    inst("pc-new", Platform.WINDOWS, "confer", "3.0.0", 3),
    inst("mac-1", Platform.MACOS, "confer", "3.0.0", 4),
    inst("lx-1", Platform.LINUX, "confer", "weird", 5),
    inst("room-1", Platform.WINDOWS, "confer-rooms", "3.0.1", 6),
]


def report_of(feed: Feed, policy: Policy | None = None) -> AuditReport:
    return run_audit(ROWS, feed, policy or Policy(), TODAY, tool_version="9.9.9")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    path = tmp_path / "fleet.csv"
    path.write_text(FLEET, encoding="utf-8")
    return path


# --- the feed format -----------------------------------------------------------------------


def test_the_loader_reads_range_unknown_without_making_up_a_range(feed: Feed) -> None:
    confer = feed.product("confer")
    assert confer is not None
    by_id = {a.id: a for a in confer.advisories}
    csb2 = by_id["CSB-002"]
    assert not csb2.range_known
    assert csb2.affected == ()
    assert csb2.platforms == {Platform.WINDOWS, Platform.MACOS}
    ranged = by_id["CSB-001"]
    assert ranged.range_known
    assert ranged.platforms == {Platform.WINDOWS}  # the platforms of its ranges


def test_the_feed_validates(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "feed", "validate", str(REVIEW_FEED_DIR))
    assert code == 0, err
    assert out.startswith("feed is valid: 2 products, 6 advisories")


def copy_feed(tmp_path: Path) -> Path:
    target = tmp_path / "feed"
    shutil.copytree(REVIEW_FEED_DIR, target)
    return target


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "    range: unknown\n    platforms: [linux]\n",
            "    range: maybe\n    platforms: [linux]\n",
            "advisories[2].range: the only value is unknown",
        ),
        (
            "    range: unknown\n    platforms: [linux]\n",
            "    range: unknown\n",
            "platforms: list at least one platform",
        ),
        (
            "    range: unknown\n    platforms: [linux]\n",
            "    range: unknown\n    platforms: [linux]\n    affected:\n"
            "      - platforms: [linux]\n        fixed: '2.0.0'\n",
            "affected: an advisory with range: unknown lists no affected ranges",
        ),
        (
            "    range: unknown\n    platforms: [linux]\n",
            "    platforms: [linux]\n",
            "platforms: platforms go in each affected range",
        ),
        (
            "    range: unknown\n    platforms: [linux]\n",
            "",
            "affected: list at least one affected range, or write range: unknown",
        ),
    ],
)
def test_a_wrong_unranged_advisory_is_one_line_and_exit_4(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, old: str, new: str, message: str
) -> None:
    feed_dir = copy_feed(tmp_path)
    path = feed_dir / "confer.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")
    code, _, err = run(capsys, "feed", "validate", str(feed_dir))
    assert code == 4
    assert "confer.yaml, line" in err
    assert message in err
    assert "Traceback" not in err


def test_the_schema_accepts_range_unknown_and_refuses_half_of_it() -> None:
    schema = json.loads((ROOT / "schema" / "feed.schema.json").read_text(encoding="utf-8"))
    advisory = {**schema["$defs"]["advisory"], "$defs": schema["$defs"]}
    validator = jsonschema.Draft202012Validator(advisory)
    base = {
        "id": "X-1",
        "title": "t",
        "published": "2026-01-01",
        "severity": "high",
        "references": ["https://example.com/x"],
    }
    assert not list(validator.iter_errors({**base, "range": "unknown", "platforms": ["linux"]}))
    assert not list(validator.iter_errors({**base, "affected": [{"platforms": ["linux"]}]}))
    for wrong in (
        {**base, "range": "unknown"},  # no platforms
        {
            **base,
            "range": "unknown",
            "platforms": ["linux"],
            "affected": [{"platforms": ["linux"]}],
        },
        {**base, "range": "later", "platforms": ["linux"]},
        {**base, "platforms": ["linux"], "affected": [{"platforms": ["linux"]}]},
        base,  # neither
    ):
        assert list(validator.iter_errors(wrong)), wrong


# --- matching and policy -------------------------------------------------------------------


def test_matching_reviews_every_version_on_the_platforms_and_never_hits(feed: Feed) -> None:
    confer = feed.product("confer")
    assert confer is not None
    matcher = Matcher(TODAY)
    for version in ("0.1", "1.5.0", "3.0.0", "99.0", "not a version"):
        on_windows = matcher.match(confer, Platform.WINDOWS, version)
        assert [a.id for a in on_windows.review] == ["CSB-002"], version
        assert "CSB-002" not in [h.advisory.id for h in on_windows.hits]
        assert [a.id for a in matcher.match(confer, Platform.LINUX, version).review] == ["CSB-003"]
    # The withdrawn CSB-004 and the server-side CSB-005 are never reviewed.
    assert not {"CSB-004", "CSB-005"} & {
        a.id for p in Platform for a in matcher.match(confer, p, "3.0.0").review
    }
    # An unranged advisory never makes a release unclean: the latest stays clean.
    assert matcher.match(confer, Platform.WINDOWS, "1.5.0").latest_clean


def test_review_items_never_change_status_or_risk(feed: Feed) -> None:
    report = report_of(feed)
    by_host = {f.installation.host: f.assessment for f in report.findings}
    assert (by_host["pc-new"].status, by_host["pc-new"].risk) == (Status.CURRENT, Risk.NONE)
    assert (by_host["mac-1"].status, by_host["mac-1"].risk) == (Status.CURRENT, Risk.NONE)
    assert (by_host["lx-1"].status, by_host["lx-1"].risk) == (Status.UNKNOWN, Risk.NONE)
    # CSB-001 (medium) decides, not the high CSB-002 to review.
    assert (by_host["pc-old"].status, by_host["pc-old"].risk) == (Status.VULNERABLE, Risk.MEDIUM)
    assert by_host["pc-old"].fixed_in == "2.0.0"
    assert by_host["pc-old"].upgrade_to == "2.0.0"
    assert by_host["pc-old"].or_later
    assert [a.id for a in by_host["pc-new"].review] == ["CSB-002"]
    assert [a.id for a in by_host["lx-1"].review] == ["CSB-003"]
    assert by_host["room-1"].review == ()  # ranged there: a hit, not a review item
    assert [h.advisory.id for h in by_host["room-1"].hits] == ["CSB-002"]
    assert report.summary.review == 4
    assert report.summary.failing == 1  # room-1 only
    assert dict(report.summary.by_status)[Status.VULNERABLE] == 2


def test_an_ignore_rule_accepts_a_review_item(feed: Feed) -> None:
    rule = IgnoreRule(id="cve-2099-1001", reason="checked with the vendor", product="confer")
    report = report_of(feed, Policy(ignores=(rule,), fail_on_review=True))
    by_host = {f.installation.host: f.assessment for f in report.findings}
    assert by_host["pc-new"].review == ()
    assert [i.hit.advisory.id for i in by_host["pc-new"].ignored] == ["CSB-002"]
    assert report.summary.failing == 1  # only room-1's confirmed CSB-002
    assert not report.warnings  # the rule was used


@pytest.mark.parametrize(
    ("policy", "failing"),
    [
        (Policy(), 1),  # room-1 (high, confirmed)
        (Policy(fail_on_review=True), 4),  # + pc-old, pc-new, mac-1 with the high CSB-002
        (Policy(fail_on=Risk.MEDIUM, fail_on_review=True), 5),  # + lx-1's medium CSB-003
        (Policy(fail_on=Risk.CRITICAL, fail_on_review=True), 0),  # nothing is critical
        (Policy(fail_on=Risk.NONE, fail_on_review=True), 0),  # none never fails
    ],
)
def test_review_items_fail_a_run_only_when_the_policy_asks(
    feed: Feed, policy: Policy, failing: int
) -> None:
    assert report_of(feed, policy).summary.failing == failing


def test_reaches_counts_review_only_with_the_flag(feed: Feed) -> None:
    current = {f.installation.host: f.assessment for f in report_of(feed).findings}["pc-new"]
    assert not reaches(current, Risk.HIGH, strict=False)
    assert reaches(current, Risk.HIGH, strict=False, review=True)


# --- the policy through the command line ----------------------------------------------------


@pytest.mark.parametrize(
    ("policy_text", "flags", "code", "verdict"),
    [
        ("", [], 1, "FAIL: 1 installation at or above --fail-on high\n"),
        (
            "review: fail\n",
            [],
            1,
            "FAIL: 4 installations at or above --fail-on high or with an advisory to review "
            "at that level\n",
        ),
        ("review: fail\nfail_on: critical\n", [], 0, "PASS: nothing at or above --fail-on"),
        ("", ["--fail-on-review", "--fail-on", "medium"], 1, "FAIL: 5 installations"),
        ("review: fail\n", ["--no-fail-on-review", "--fail-on", "critical"], 0, "PASS"),
        ("review: show\n", ["--fail-on", "critical"], 0, "PASS"),
    ],
)
def test_the_policy_option_through_the_cli(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    fleet: Path,
    policy_text: str,
    flags: list[str],
    code: int,
    verdict: str,
) -> None:
    config = tmp_path / "vcaudit.yaml"
    config.write_text(policy_text, encoding="utf-8")
    got, out, err = run(capsys, "scan", str(fleet), *BASE, "--config", str(config), *flags)
    assert got == code, err
    assert verdict in out.split("\n\n")[-1]
    assert "To review (affected versions not published yet)" in out


def test_only_review_items_pass_by_default_and_fail_when_asked(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    fleet = tmp_path / "fleet.csv"
    fleet.write_text("host,platform,product,version\npc-new,windows,confer,3.0.0\n", "utf-8")
    code, out, _ = run(capsys, "scan", str(fleet), *BASE)
    assert code == 0
    assert "CSB-002" in out
    code, _, _ = run(capsys, "scan", str(fleet), *BASE, "--fail-on-review")
    assert code == 1


def test_a_wrong_review_setting_is_one_line_and_exit_3(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, fleet: Path
) -> None:
    config = tmp_path / "vcaudit.yaml"
    config.write_text("fail_on: high\nreview: always\n", encoding="utf-8")
    code, _, err = run(capsys, "scan", str(fleet), *BASE, "--config", str(config))
    assert code == 3
    assert "vcaudit.yaml, line 2" in err
    assert "review" in err
    assert "expected show (the default) or fail" in err
    assert "Traceback" not in err


def test_the_example_policy_documents_the_option() -> None:
    assert "\nreview: show " in EXAMPLE
    assert not parse_policy(EXAMPLE, "vcaudit.yaml").policy.fail_on_review
    assert parse_policy("review: fail\n", "x.yaml").policy.fail_on_review


# --- every format ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", list(OutputFormat))
def test_every_format_shows_review_items_and_does_not_count_them(
    feed: Feed, fmt: OutputFormat
) -> None:
    text = formatter_for(fmt)(report_of(feed), RenderOptions(width=120))
    assert "CSB-002" in text
    assert "CSB-003" in text
    # Withdrawn and server-side advisories without a range never show.
    assert "CSB-004" not in text
    assert "CSB-005" not in text
    if fmt in (OutputFormat.TABLE, OutputFormat.MARKDOWN, OutputFormat.HTML):
        assert "To review" in text
        assert "affected versions not published yet" in text.casefold()


def test_table_lists_each_review_item_once_with_what_it_concerns(feed: Feed) -> None:
    text = formatter_for(OutputFormat.TABLE)(report_of(feed), RenderOptions(width=200))
    section = text.split("To review (affected versions not published yet)\n")[1]
    assert section.count("CSB-002 (high, CVE-2099-1001)") == 1
    assert "Confer Desktop on macos, windows (3 hosts)" in section
    assert "Confer Desktop on linux (1 host)" in section
    assert "4 installations with advisories to review" in text
    assert "review: CSB-002" in text  # beside the current groups
    assert text.rstrip().endswith("FAIL: 1 installation at or above --fail-on high")


REVIEW_V1_KEYS = ("id", "aliases", "title", "severity", "cvss", "kev", "published", "range")


def test_json_carries_review_items_valid_against_the_report_schema(feed: Feed) -> None:
    schema = json.loads((ROOT / "schema" / "report.schema.json").read_text(encoding="utf-8"))
    policy = Policy(ignores=(IgnoreRule(id="CSB-003", reason="linux lab only"),))
    doc = json.loads(formatter_for(OutputFormat.JSON)(report_of(feed, policy), RenderOptions()))
    jsonschema.validate(doc, schema, format_checker=jsonschema.FormatChecker())
    assert doc["policy"]["review"] == "show"
    assert doc["summary"]["review"] == 3  # lx-1's CSB-003 is ignored
    rows = {row["host"]: row for row in installation_rows(doc)}
    assert rows["pc-new"]["status"] == "current"
    assert rows["pc-new"]["advisories"] == []
    review = rows["pc-new"]["review"]
    assert [{k: v for k, v in r.items() if k in REVIEW_V1_KEYS} for r in review] == [
        {
            "id": "CSB-002",
            "aliases": ["CVE-2099-1001"],
            "title": "Annotator buffer over-write, range not published",
            "severity": "high",
            "cvss": {
                "version": "3.1",
                "score": 8.3,
                "vector": "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:H/A:H",
            },
            "kev": False,
            "published": "2025-11-01",
            "range": "unknown",
        }
    ]
    assert rows["lx-1"]["review"] == []
    assert rows["lx-1"]["ignored"][0]["id"] == "CSB-003"
    assert rows["lx-1"]["ignored"][0]["range"] == "unknown"
    assert rows["room-1"]["review"] == []


def test_csv_has_a_review_column(feed: Feed) -> None:
    lines = formatter_for(OutputFormat.CSV)(report_of(feed), RenderOptions()).splitlines()
    header = lines[0].split(",")
    assert header[header.index("ignored") + 1] == "review"
    row = dict(zip(header, lines[2].split(","), strict=True))  # pc-new
    assert (row["status"], row["advisories"], row["review"]) == ("current", "", "CSB-002")


def test_sarif_has_a_note_rule_per_review_item_and_stays_valid(feed: Feed) -> None:
    schema = json.loads((SHARED_SCHEMAS / "sarif-schema-2.1.0.json").read_text("utf-8"))
    doc = json.loads(formatter_for(OutputFormat.SARIF)(report_of(feed), RenderOptions()))
    jsonschema.validate(doc, schema)
    run_ = doc["runs"][0]
    rules = {r["id"]: r for r in run_["tool"]["driver"]["rules"]}
    review = rules["vcaudit/review/CSB-002"]
    assert review["defaultConfiguration"]["level"] == "note"
    assert review["properties"]["security-severity"] == "0.0"
    assert rules["CSB-002"]["properties"]["security-severity"] == "8.3"  # room-1's real hit
    results = [r for r in run_["results"] if r["ruleId"] == "vcaudit/review/CSB-002"]
    assert {(r["properties"]["platform"], r["properties"]["version"]) for r in results} == {
        ("windows", "1.5.0"),
        ("windows", "3.0.0"),
        ("macos", "3.0.0"),
    }
    assert all(r["level"] == "note" and r["properties"]["review"] for r in results)
    assert "affected versions are not published yet" in results[0]["message"]["text"]


def test_junit_shows_review_items_and_fails_a_case_on_them_only_when_asked(feed: Feed) -> None:
    render = formatter_for(OutputFormat.JUNIT)
    root = ET.fromstring(render(report_of(feed), RenderOptions()))
    cases = {c.get("name", "").split(":")[0]: c for c in root.iter("testcase")}
    out = cases["pc-new"].find("system-out")
    assert out is not None
    assert "review CSB-002 (CVE-2099-1001)" in (out.text or "")
    assert cases["pc-new"].find("failure") is None
    assert root.get("failures") == "1"
    root = ET.fromstring(render(report_of(feed, Policy(fail_on_review=True)), RenderOptions()))
    cases = {c.get("name", "").split(":")[0]: c for c in root.iter("testcase")}
    failure = cases["pc-new"].find("failure")
    assert failure is not None
    assert failure.get("type") == "review"
    old = cases["pc-old"].find("failure")
    assert old is not None
    assert old.get("type") == "review"
    room = cases["room-1"].find("failure")
    assert room is not None
    assert room.get("type") == "vulnerable"
    assert root.get("failures") == "4"


def test_the_mail_shows_review_items(feed: Feed) -> None:
    message = digest.build(report_of(feed), None)
    assert message.subject.endswith("; 2 advisories to review")
    # The HTML part links each id (to its first reference): the words are those of the text.
    html_text = re.sub(r"<[^>]*>", "", message.html)
    for body in (message.text, html_text):
        assert "CSB-002 (high, CVE-2099-1001)" in body
        assert "CSB-003 (medium, CVE-2099-1002)" in body
        assert "not counted as vulnerabilities" in body
    assert "Confer Desktop on macos, windows (3 hosts)" in message.text


@pytest.mark.parametrize("fmt", list(WebhookFormat))
def test_webhooks_show_review_items(feed: Feed, fmt: WebhookFormat) -> None:
    report = report_of(feed)
    body = webhook.payload(fmt, report, digest.build(report, None), None)
    text = json.dumps(body)
    assert "CSB-002" in text
    assert "CSB-003" in text
    if fmt is WebhookFormat.JSON:
        assert [item["id"] for item in body["review"]] == ["CSB-002", "CSB-003"]
        assert body["review"][0]["hosts"] == 3
        assert all("CSB-00" not in line for line in body["findings"] if "current" in line)


def test_advisory_command_says_the_range_is_not_published_and_shows_the_notes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "advisory", "CVE-2099-1001", "--feed", str(REVIEW_FEED_DIR))
    assert code == 0
    confer, rooms = out.split("\n\n")[:2]
    flowing = " ".join(confer.split())  # wrapped to the width (100 columns when piped)
    assert (
        "affected: not published yet (range: unknown); shown as an item to review on every "
        "Confer Desktop installation on macos, windows, never counted as a vulnerability"
    ) in flowing
    assert "notes:     Rests only on a search excerpt of the CVE record" in confer
    assert "windows: >= 3.0.0, fixed in 3.0.5" in rooms
    code, out, _ = run(capsys, "advisory", "CSB-002", "--feed", str(REVIEW_FEED_DIR), "-f", "json")
    rows = json.loads(out)["advisories"]
    assert [(r["product"], r["range"], r["platforms"], r["affected"] == []) for r in rows] == [
        ("confer", "unknown", ["macos", "windows"], True),
        ("confer-rooms", "known", ["windows"], False),
    ]


# --- the bundled feed ------------------------------------------------------------------------


def test_the_bundled_zoom_advisories_without_a_range_are_review_items(
    bundled_feed: Feed,
) -> None:
    unranged = {
        (p.id, a.id): a for p in bundled_feed.products for a in p.advisories if not a.range_known
    }
    for key in (
        ("zoom", "ZSB-25024"),
        ("zoom", "ZSB-25032"),
        ("zoom", "ZSB-26015"),
        ("zoom", "ZSB-26016"),
        ("zoom", "ZSB-26017"),
        ("zoom-vdi", "ZSB-26014"),
        ("zoom-sdk", "ZSB-26014"),
    ):
        assert key in unranged, key
        assert unranged[key].references
        assert unranged[key].notes
    assert unranged[("zoom", "ZSB-26015")].aliases == ("CVE-2026-53413",)
    assert unranged[("zoom", "ZSB-26015")].platforms == set(Platform)
    # ZSB-26014 keeps its published range for Zoom Workplace itself.
    zoom = bundled_feed.product("zoom")
    assert zoom is not None
    assert next(a for a in zoom.advisories if a.id == "ZSB-26014").range_known
    match = Matcher(TODAY).match(zoom, Platform.WINDOWS, "99.0.0")
    assert {"ZSB-25024", "ZSB-25032", "ZSB-26015"} <= {a.id for a in match.review}
