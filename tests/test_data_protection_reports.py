"""The reports' data-protection section (issue 19): the products found in the fleet with how
many hosts run each and where their calls' data goes, in every format that people read (table
summary line, Markdown, HTML, mail) and in the JSON report."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import TEST_FEED_DIR, TODAY, make_installation, write_fleet
from vcaudit.audit import run_audit
from vcaudit.cli import main
from vcaudit.config import parse_policy
from vcaudit.feed.load import load_feed
from vcaudit.models import AuditReport, FactName, Feed, Installation
from vcaudit.notify.digest import build
from vcaudit.output import OutputFormat, RenderOptions, formatter_for
from vcaudit.report import subset

ROOT = Path(__file__).resolve().parent.parent
REPORT_SCHEMA = json.loads((ROOT / "schema" / "report.schema.json").read_text(encoding="utf-8"))
POLICY = "data_protection: {require: [e2ee_available, e2ee_default, self_hostable]}\n"


def rows() -> list[Installation]:
    """Meetly on two hosts (pc-1 twice, in two versions: one host), Chatter on one, and a
    product the feed does not know (not in the section)."""
    return [
        make_installation("meetly", "6.2.5", host="pc-1", line=2),
        make_installation("meetly", "5.16.9", host="pc-1", line=3),
        make_installation("Meetly Workplace (64-bit)", "6.2.3", host="pc-2", line=4),
        make_installation("chatter", "8.150.0.1", host="pc-3", line=5),
        make_installation("FooChat", "1.0", host="pc-4", line=6),
    ]


@pytest.fixture
def report(test_feed: Feed) -> AuditReport:
    return run_audit(rows(), test_feed, parse_policy(POLICY, "vcaudit.yaml").policy, TODAY)


def render(report: AuditReport, fmt: OutputFormat, width: int = 200) -> str:
    return formatter_for(fmt)(report, RenderOptions(width=width))


def test_the_report_lists_the_products_found_with_their_hosts(report: AuditReport) -> None:
    section = report.data_protection
    assert [(e.product.id, e.hosts, e.installations) for e in section.products] == [
        ("meetly", 2, 3),
        ("chatter", 1, 1),
    ]
    meetly, chatter = section.products
    assert meetly.unmet == (FactName.E2EE_DEFAULT,)
    assert meetly.unknown == (FactName.SELF_HOSTABLE,)
    assert chatter.unmet == (FactName.E2EE_AVAILABLE, FactName.E2EE_DEFAULT, FactName.SELF_HOSTABLE)
    assert section.required == (
        FactName.E2EE_AVAILABLE,
        FactName.E2EE_DEFAULT,
        FactName.SELF_HOSTABLE,
    )


def test_a_subset_of_the_report_counts_only_its_own_hosts(report: AuditReport) -> None:
    """Routed mail: one owner's report lists the products of that owner's rows."""
    mine = subset(report, lambda f: f.installation.host == "pc-2")
    assert [(e.product.id, e.hosts, e.unmet) for e in mine.data_protection.products] == [
        ("meetly", 1, (FactName.E2EE_DEFAULT,))
    ]
    assert mine.data_protection.required == report.data_protection.required


def test_the_table_summary_has_one_data_protection_line(report: AuditReport) -> None:
    text = render(report, OutputFormat.TABLE, width=1000)
    (line,) = [line for line in text.splitlines() if "Data protection:" in line]
    assert line.strip() == (
        "Data protection: Meetly Workplace on 2 hosts, Chatter on 1 host; not meeting the "
        "policy: Meetly Workplace (not met: e2ee_default; unknown: self_hostable), Chatter "
        "(not met: e2ee_available, e2ee_default, self_hostable); required but unknown: Meetly "
        "Workplace (self_hostable) (vcaudit product ID shows each sheet with its sources)"
    )
    # Summary first: the line comes before the findings.
    assert text.index("Data protection:") < text.index("Meetly Workplace", text.index("\n\n"))


def test_markdown_has_the_section(report: AuditReport) -> None:
    text = render(report, OutputFormat.MARKDOWN)
    section = text[text.index("## Data protection") :]
    assert "not legal advice" in section
    assert (
        "| product | hosts | EU/EEA residency | E2EE | E2EE by default | self-hosted | DPA | "
        "policy |"
    ) in section
    assert (
        "| Meetly Workplace | 2 | yes | yes | no | unknown | yes | not met: e2ee\\_default; "
        "unknown: self\\_hostable |"
    ) in section
    assert "| Chatter | 1 | no | no | no | no | unknown | not met:" in section
    assert (
        "- **Meetly Workplace**: where meeting media is processed: the vendor data centre "
        "nearest the meeting host; where cloud recordings are stored: the account owner's "
        "region; what stays outside the EU/EEA: account and billing data"
    ) in section
    assert "FooChat" not in section


class _Table(HTMLParser):
    """The cells of the table with id `data-protection`, row by row."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.cell = False
        self.rows: list[list[str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.inside = ("id", "data-protection") in attrs
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag in ("td", "th"):
            self.rows[-1].append("")
            self.cell = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.inside = False
        elif tag in ("td", "th"):
            self.cell = False

    def handle_data(self, data: str) -> None:
        if self.inside and self.cell:
            self.rows[-1][-1] += data


def test_html_has_the_section(report: AuditReport) -> None:
    text = render(report, OutputFormat.HTML)
    parser = _Table()
    parser.feed(text)
    assert parser.rows == [
        ["product", "hosts", "EU/EEA residency", "E2EE", "E2EE by default", "self-hosted", "DPA",
         "policy"],
        ["Meetly Workplace", "2", "yes", "yes", "no", "unknown", "yes",
         "not met: e2ee_default; unknown: self_hostable"],
        ["Chatter", "1", "no", "no", "no", "no", "unknown",
         "not met: e2ee_available, e2ee_default, self_hostable"],
    ]  # fmt: skip
    assert "<h2>Data protection</h2>" in text
    assert "<li>Chatter: where meeting media is processed: unknown;" in text


def test_json_has_a_data_protection_key_per_product_present(report: AuditReport) -> None:
    doc = json.loads(render(report, OutputFormat.JSON))
    jsonschema.validate(doc, REPORT_SCHEMA)
    section = doc["data_protection"]
    assert list(section) == ["meetly", "chatter"]
    meetly = section["meetly"]
    assert {k: meetly[k] for k in ("name", "hosts", "installations", "sheet")} == {
        "name": "Meetly Workplace",
        "hosts": 2,
        "installations": 3,
        "sheet": True,
    }
    assert (meetly["unmet"], meetly["unknown"]) == (["e2ee_default"], ["self_hostable"])
    assert meetly["facts"]["eu_residency_option"] == {
        "value": True,
        "source": "https://example.com/trust/residency",
        "read": "2026-01-10",
        "note": "Business plan and above",
    }
    assert meetly["facts"]["self_hostable"] == {
        "value": None,
        "source": None,
        "read": None,
        "note": None,
    }
    assert section["chatter"]["facts"]["end_of_life"]["value"].startswith("no further")


def test_the_mail_has_the_section(report: AuditReport) -> None:
    digest = build(report, None)
    line = (
        "Meetly Workplace on 2 hosts: EU/EEA residency yes, E2EE yes, E2EE by default no, "
        "self-hosted unknown, DPA yes (policy: not met: e2ee_default; unknown: self_hostable)"
    )
    assert f"\n  - {line}\n" in digest.text
    assert digest.text.index("Data protection (where the calls' data goes") < digest.text.index(
        f"  - {line}"
    )
    assert f"<li>{line}</li>" in digest.html
    assert "<b>Data protection</b>" in digest.html


def test_without_products_found_no_format_has_the_section(test_feed: Feed) -> None:
    report = run_audit(
        [make_installation("FooChat", "1.0")], test_feed, parse_policy(POLICY, "p").policy, TODAY
    )
    assert report.data_protection.products == ()
    for fmt in (OutputFormat.TABLE, OutputFormat.MARKDOWN, OutputFormat.HTML):
        assert "Data protection" not in render(report, fmt)
    assert json.loads(render(report, OutputFormat.JSON))["data_protection"] == {}
    digest = build(report, None)
    assert "Data protection" not in digest.text
    assert "Data protection" not in digest.html


def test_without_requirements_no_policy_column_is_shown(test_feed: Feed) -> None:
    report = run_audit(rows(), test_feed, parse_policy("", "p").policy, TODAY)
    assert report.data_protection.required == ()
    assert all(e.unknown == e.unmet == () for e in report.data_protection.products)
    markdown = render(report, OutputFormat.MARKDOWN)
    assert "| Meetly Workplace | 2 | yes | yes | no | unknown | yes |\n" in markdown
    assert "not meeting the policy" not in render(report, OutputFormat.TABLE)
    assert "(policy:" not in build(report, None).text


HOSTILE = "<script>alert(1)</script>\x1b[2J [red]x[/red] ::error::x **b** `c` | d"


def test_feed_text_in_the_section_is_inert_in_every_format(tmp_path: Path) -> None:
    folder = tmp_path / "feed"
    folder.mkdir()
    (folder / "feed.yaml").write_text(
        "schema_version: 1\ngenerated_at: '2026-01-01T00:00:00Z'\npublisher: tests\n",
        encoding="utf-8",
    )
    facts = "".join(
        f"  {n.value}: {{value: unknown}}\n" for n in FactName if n is not FactName.END_OF_LIFE
    ).replace(
        "  media_processing: {value: unknown}\n",
        "  media_processing: {value: " + json.dumps(HOSTILE) + ", source: 'https://example.com/p', "
        "read: '2026-01-10'}\n",
    )
    (folder / "demo.yaml").write_text(
        "id: demo\nname: " + json.dumps(HOSTILE) + "\nvendor: Example\ndata_protection:\n" + facts,
        encoding="utf-8",
    )
    feed = load_feed(folder)
    report = run_audit(
        [make_installation("demo", "1.0")], feed, parse_policy("", "p").policy, TODAY
    )
    assert report.data_protection.products[0].product.name == HOSTILE
    texts = {fmt: render(report, fmt) for fmt in OutputFormat}
    digest = build(report, None)
    for text in (texts[OutputFormat.TABLE], texts[OutputFormat.MARKDOWN], digest.text):
        assert "\x1b" not in text
        assert "::error::" not in text
    for text in (texts[OutputFormat.HTML], digest.html):
        assert "<script>alert" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    markdown = texts[OutputFormat.MARKDOWN]
    assert "\\<script\\>" in markdown
    assert "\\*\\*b\\*\\*" in markdown
    assert "\\| d" in markdown
    assert "[red]x[/red]" in texts[OutputFormat.TABLE]


def test_the_counted_reading_gives_the_same_section(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A native CSV is counted rather than kept: the hosts per product are the same."""
    fleet = write_fleet(
        tmp_path / "fleet.csv",
        [
            "pc-1,windows,meetly,6.2.5",
            "pc-1,windows,meetly,5.16.9",
            "pc-2,windows,Meetly Workplace (64-bit),6.2.3",
            "pc-2,windows,meetly,6.2.5",
            "pc-3,windows,chatter,8.150.0.1",
            "pc-4,linux,slackish,4.51.180",
        ],
    )
    config = tmp_path / "vcaudit.yaml"
    config.write_text(POLICY, encoding="utf-8")
    args = [str(fleet), "--feed", str(TEST_FEED_DIR), "--config", str(config), "--fail-on", "none"]
    assert main(["scan", *args, "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    counts = {k: (v["hosts"], v["installations"]) for k, v in doc["data_protection"].items()}
    assert counts == {"meetly": (2, 4), "chatter": (1, 1), "slackish": (1, 1)}
    assert main(["scan", *args, "--format", "markdown"]) == 0
    markdown = capsys.readouterr().out
    assert re.search(r"\| Meetly Workplace \| 2 \| yes \|", markdown)
    assert main(["scan", *args]) == 0
    table = capsys.readouterr().out
    assert "Data protection: Meetly Workplace on 2 hosts, Chatter on 1 host, Slackish on 1" in (
        " ".join(table.split())
    )
