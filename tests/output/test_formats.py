"""One case matrix through every report format, against golden files.

Refresh the golden files after an intended change with:
    VCAUDIT_UPDATE_GOLDEN=1 python -m pytest tests/output/test_formats.py
"""

from __future__ import annotations

import csv
import io
import json
import os
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import TEST_FEED_DIR, TODAY, make_installation, write_fleet
from vcaudit.audit import run_audit
from vcaudit.cli import main
from vcaudit.config import parse_policy
from vcaudit.models import AuditReport, Feed, Installation, Ownership, Platform, Source
from vcaudit.output import OutputFormat, RenderOptions, formatter_for

GOLDEN = Path(__file__).parent.parent / "golden"
DATA = Path(__file__).parent.parent / "data"
UPDATE = os.environ.get("VCAUDIT_UPDATE_GOLDEN") == "1"
# In CI the golden files are what the code is checked against: never rewritten there.
REFUSED = UPDATE and bool(os.environ.get("CI"))
EXTENSIONS = {
    OutputFormat.TABLE: "txt",
    OutputFormat.JSON: "json",
    OutputFormat.JSONL: "jsonl",
    OutputFormat.SARIF: "sarif",
    OutputFormat.JUNIT: "xml",
    OutputFormat.CSV: "csv",
    OutputFormat.MARKDOWN: "md",
    OutputFormat.HTML: "html",
    OutputFormat.GITLAB: "gitlab.json",
}

HOSTILE_HOST = "\x1b[2J\x1b]0;pwned\x07host[red]x[/red]\r\n::error::boom"
HOSTILE_NAME = '=HYPERLINK("http://evil.example","x")<script>alert(1)</script>\u202egnp.exe'
HOSTILE_VERSION = "[link=http://evil.example]1.0[/link] | `x` **b**"
HOSTILE_OWNER = "@SUM(1+1)&<b>o</b>\x1b]8;;http://evil.example\x07click\x1b]8;;\x07"
LONG = "x" * 10_000


def row(
    product: str, version: str, platform: Platform = Platform.WINDOWS, **kw: object
) -> Installation:
    base = make_installation(product, version, platform)
    fields = {
        "host": base.host, "platform": platform, "product": product, "version": version,
        "source": Source("inventory/fleet.csv", 2), **kw,
    }  # fmt: skip
    return Installation(**fields)  # type: ignore[arg-type]


def numbered(rows: list[Installation]) -> list[Installation]:
    return [
        Installation(
            host=r.host,
            platform=r.platform,
            product=r.product,
            version=r.version,
            source=Source(r.source.file, i + 2),
            publisher=r.publisher,
            owner=r.owner,
            ownership=r.ownership,
            user=r.user,
            tags=r.tags,
            last_seen=r.last_seen,
        )
        for i, r in enumerate(rows)
    ]


CASES: dict[str, tuple[list[Installation], str]] = {
    "empty": ([], ""),
    "all-current": (
        [
            row("meetly", "6.2.5", host="pc-1"),
            row("slackish", "4.51.180", Platform.LINUX, host="lin-1"),
        ],
        "",
    ),
    "one-vulnerable": (
        [
            row("Meetly Workplace (64-bit)", "5.16.9", host="pc-1", owner="it-ops"),
            row("meetly", "6.2.5", host="pc-2"),
        ],
        "",
    ),
    "ignored-by-alias": (
        [row("meetly", "5.16.9", host="pc-1")],
        "ignore:\n  - {id: CVE-2099-0001, reason: compensating control in place}\n",
    ),
    "ignored": (
        [row("meetly", "6.1.0", host="pc-1"), row("meetly", "6.1.0", host="pc-2")],
        "ignore:\n  - {id: MSB-002, reason: accepted until rollout, until: 2026-06-30}\n",
    ),
    "expired-ignore": (
        [row("meetly", "5.16.9", host="pc-1")],
        "ignore:\n  - {id: MSB-001, reason: was accepted, until: 2025-12-31}\n",
    ),
    "unknown": (
        [
            row("FooChat", "1.0", host="pc-1"),
            row("meetly", "latest", host="pc-2"),
            row("Meetly Outlook Plugin (64-bit)", "1.2", host="pc-3"),
        ],
        "",
    ),
    "policy": (
        [
            row("chatter", "8.150.0.1", host="pc-1", tags=("fin",)),
            row(
                "slackish", "4.51.180", Platform.LINUX, host="byod-1", ownership=Ownership.PERSONAL
            ),
            row("meetly", "6.2.3", host="pc-2"),
        ],
        "approved: [meetly, chatter]\nowners:\n  products: {meetly: ws@example.com}\n"
        "  tags: {fin: fin@example.com}\nsla: {high: 30, low: 90, medium: 60}\n"
        "devices:\n  personal: {raise_risk: true}\n",
    ),
    "hostile": (
        [
            row(HOSTILE_NAME, HOSTILE_VERSION, host=HOSTILE_HOST, owner=HOSTILE_OWNER),
            row("meetly", "5.16.9", host=HOSTILE_HOST, owner=HOSTILE_OWNER, user=LONG),
            row(LONG, LONG, host=LONG),
        ],
        "",
    ),
}


def build(feed: Feed, name: str) -> AuditReport:
    rows, policy_text = CASES[name]
    pol = parse_policy(policy_text, "vcaudit.yaml").policy
    return run_audit(numbered(rows), feed, pol, TODAY, tool_version="0.0.0-test")


def render(feed: Feed, name: str, fmt: OutputFormat) -> str:
    return formatter_for(fmt)(build(feed, name), RenderOptions(color=False, width=100))


@pytest.mark.parametrize("fmt", list(OutputFormat))
@pytest.mark.parametrize("case", list(CASES))
def test_golden(test_feed: Feed, case: str, fmt: OutputFormat) -> None:
    assert not REFUSED, "VCAUDIT_UPDATE_GOLDEN is refused when CI is set"
    text = render(test_feed, case, fmt)
    path = GOLDEN / f"{case}.{EXTENSIONS[fmt]}"
    if UPDATE:
        path.write_bytes(text.encode("utf-8"))
    assert path.exists(), f"missing golden file {path.name}: run with VCAUDIT_UPDATE_GOLDEN=1"
    assert text == path.read_bytes().decode("utf-8")


def test_every_format_has_a_golden_extension() -> None:
    assert set(EXTENSIONS) == set(OutputFormat)


@pytest.mark.parametrize("case", list(CASES))
def test_sarif_is_valid_against_the_official_schema(test_feed: Feed, case: str) -> None:
    schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    doc = json.loads(render(test_feed, case, OutputFormat.SARIF))
    jsonschema.validate(doc, schema)
    run = doc["runs"][0]
    assert run["tool"]["driver"]["name"] == "vcaudit"
    rule_ids = {r["id"] for r in run["tool"]["driver"]["rules"]}
    for rule in run["tool"]["driver"]["rules"]:
        # GitHub's required fields, non-empty.
        assert rule["shortDescription"]["text"]
        assert rule["fullDescription"]["text"]
        assert rule["help"]["text"]
        assert 0.0 <= float(rule["properties"]["security-severity"]) <= 10.0
    for result in run["results"]:
        assert result["ruleId"] in rule_ids
        assert result["message"]["text"]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == "inventory/fleet.csv"
        assert location["region"]["startLine"] >= 2
        assert result["partialFingerprints"]["primaryLocationLineHash"]


def test_sarif_groups_and_fingerprints_are_stable(test_feed: Feed) -> None:
    rows = [row("meetly", "5.16.9", host=f"pc-{i}") for i in range(50)]
    report = run_audit(numbered(rows), test_feed, parse_policy("", "x").policy, TODAY)
    doc = json.loads(formatter_for(OutputFormat.SARIF)(report, RenderOptions()))
    results = doc["runs"][0]["results"]
    assert len(results) == 1  # 50 hosts, one (rule, product, version, platform)
    assert results[0]["properties"]["hosts"] == 50
    again = json.loads(formatter_for(OutputFormat.SARIF)(report, RenderOptions()))
    assert (
        again["runs"][0]["results"][0]["partialFingerprints"] == results[0]["partialFingerprints"]
    )


@pytest.mark.parametrize("case", list(CASES))
def test_junit_parses_with_unique_names_and_counts(test_feed: Feed, case: str) -> None:
    root = ET.fromstring(render(test_feed, case, OutputFormat.JUNIT).encode("utf-8"))
    cases = root.findall(".//testcase")
    assert int(root.get("tests", "-1")) == len(cases) == len(CASES[case][0])
    names = [(c.get("classname"), c.get("name")) for c in cases]
    assert len(set(names)) == len(names)
    assert int(root.get("failures", "-1")) == len(root.findall(".//failure"))
    # Jenkins' junit-10.xsd allows `skipped` on each testsuite, not on testsuites.
    assert root.get("skipped") is None
    skipped = sum(int(suite.get("skipped", "-1")) for suite in root.findall("testsuite"))
    assert skipped == len(root.findall(".//skipped"))


def test_junit_failures_follow_fail_on(test_feed: Feed) -> None:
    root = ET.fromstring(render(test_feed, "one-vulnerable", OutputFormat.JUNIT).encode())
    failures = root.findall(".//failure")
    assert [f.get("type") for f in failures] == ["vulnerable"]
    assert "MSB-001" in (failures[0].get("message") or "")


class _Strict(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts = 0
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "script":
            self.scripts += 1
        for name, _value in attrs:
            assert not name.startswith("on"), f"event handler attribute {name}"


@pytest.mark.parametrize("case", list(CASES))
def test_html_parses_and_has_only_its_own_script(test_feed: Feed, case: str) -> None:
    text = render(test_feed, case, OutputFormat.HTML)
    parser = _Strict()
    parser.feed(text)
    parser.close()
    assert parser.scripts == 1
    assert "http://" not in text.split("<script>")[0].split("Content-Security-Policy")[0]
    assert "<script>alert" not in text
    assert set(parser.tags) <= {
        "html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "table", "thead",
        "tbody", "tr", "th", "td", "code", "ul", "li", "script", "a", "span", "details",
        "summary", "div", "figure", "figcaption", "svg", "desc", "g", "text", "rect", "wbr",
    }  # fmt: skip


def test_hostile_text_is_inert_everywhere(test_feed: Feed) -> None:
    for fmt in OutputFormat:
        text = render(test_feed, "hostile", fmt)
        if fmt is OutputFormat.JSON:
            doc = json.loads(text)
            # JSON carries the text unchanged.
            assert doc["installations"][0]["host"] == HOSTILE_HOST
            assert doc["installations"][0]["name"] == HOSTILE_NAME
            assert doc["installations"][0]["owner"] == HOSTILE_OWNER
            continue
        assert "\x1b" not in text, fmt
        assert "\x07" not in text, fmt
        assert "\u202e" not in text, fmt
        if fmt in (OutputFormat.HTML, OutputFormat.MARKDOWN, OutputFormat.JUNIT):
            assert "<script>alert" not in text, fmt
        for line in text.splitlines():
            assert not line.lstrip().startswith("::"), (fmt, line)
        if fmt is OutputFormat.CSV:
            for cells in csv.reader(io.StringIO(text)):
                for cell in cells:
                    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
        if fmt is OutputFormat.TABLE:
            assert "[link=http://evil.example]1.0[/link]" in text  # shown, not applied
            assert len(max(text.splitlines(), key=len)) <= 100


def test_table_markup_is_never_interpreted(test_feed: Feed) -> None:
    report = build(test_feed, "hostile")
    coloured = formatter_for(OutputFormat.TABLE)(report, RenderOptions(color=True, width=100))
    assert "[link=http://evil.example]1.0[/link]" in coloured
    assert "\x1b]8;" not in coloured  # no OSC 8 hyperlink from [link=...]
    detailed = formatter_for(OutputFormat.TABLE)(
        report, RenderOptions(color=True, width=200, details=True)
    )
    assert "\\x1b[2J\\x1b]0;pwned\\x07host" in detailed  # escapes shown, not obeyed


@pytest.mark.parametrize("case", list(CASES))
def test_streamed_json_equals_the_plain_encoder(test_feed: Feed, case: str) -> None:
    from vcaudit.output import json as json_output

    report = build(test_feed, case)
    # Rows streamed one per line read back as the document built whole.
    assert json.loads(json_output.render(report, RenderOptions())) == json_output.document(report)


def test_html_lists_at_most_its_limit_of_installations(
    test_feed: Feed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page a browser or a mail can carry: the worst rows, and a note of how many more."""
    from vcaudit.output import html as html_out

    monkeypatch.setattr(html_out, "MAX_ROWS", 25)
    path = tmp_path / "fleet.csv"
    write_fleet(path, (f"host-{i},linux,meetly,6.2.5" for i in range(60)))
    out = tmp_path / "report.html"
    args = ["scan", str(path), "--format", "html", "-o", str(out), "--fail-on", "none"]
    assert main([*args, "--feed", str(TEST_FEED_DIR)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "The worst 25 of 60 installations" in text
    rows = text.split('id="installations">')[1].split("</tbody>")[0]
    assert rows.count("<tr><td>host-") == 25


@pytest.mark.slow
def test_a_retired_product_with_advisories_is_replaced_not_upgraded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Skype's last releases fix CVE-2024-21411, but Skype is retired: every format says to
    replace it, none says to upgrade it."""
    fleet = tmp_path / "fleet.csv"
    fleet.write_text("host,platform,product,version\nmac-1,macos,skype,8.101.0.212\n")
    args = ["scan", str(fleet), "--as-of", "2026-11-27", "--fail-on", "none"]
    assert main([*args, "--color", "never"]) == 0
    table = capsys.readouterr().out
    assert "end of life 2025-05-05; CVE-2024-21411" in table
    assert "upgrade to" not in table
    assert "Replace Skype on macos on 1 host (mac-1) with" in table
    assert main([*args, "--format", "sarif"]) == 0
    sarif = json.loads(capsys.readouterr().out)
    messages = [r["message"]["text"] for r in sarif["runs"][0]["results"]]
    assert messages
    assert all("Upgrade to" not in m for m in messages)
    assert any("Replace it with" in m for m in messages)
    assert main([*args, "--format", "junit"]) == 0
    junit = capsys.readouterr().out
    assert "end of life: replace it with" in junit
    assert "upgrade to 8.113" not in junit


def test_details_list_the_worst_installations_up_to_a_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from vcaudit.output import table as table_out

    monkeypatch.setattr(table_out, "MAX_DETAILS", 3)
    fleet = tmp_path / "fleet.csv"
    rows = [f"host-{i},linux,meetly,6.2.5" for i in range(5)] + ["host-9,linux,meetly,5.16.9"]
    fleet.write_text("host,platform,product,version\n" + "\n".join(rows) + "\n")
    args = ["scan", str(fleet), "--details", "--fail-on", "none", "--color", "never"]
    assert main([*args, "--feed", str(TEST_FEED_DIR)]) == 0
    out = capsys.readouterr().out
    assert "... and 3 more installations" in out
    assert out.index("host-9") < out.index("host-0")  # the vulnerable one first
    assert "host-3" not in out
