"""The Markdown report's findings table names each group's hosts (up to five in natural
order, then how many more) and links each advisory id, worst first, to its first reference:
the id stays inert text, and only a reference `advice.reference_url` admits becomes a link."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from tests.conftest import TODAY
from tests.output.test_formats import numbered, row
from tests.output.test_markdown_links import LIVE_REFERENCE, rendered
from vcaudit.audit import run_audit
from vcaudit.models import Advisory, AuditReport, Feed, Platform, Risk
from vcaudit.output import OutputFormat, RenderOptions, formatter_for
from vcaudit.policy import Policy


def markdown(report: AuditReport) -> str:
    return formatter_for(OutputFormat.MARKDOWN)(report, RenderOptions())


def findings_rows(text: str) -> list[list[str]]:
    """The findings table's rows, as cells."""
    lines = text.splitlines()
    start = lines.index("## Findings") + 4
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split(" | ")])
    return rows


def test_the_hosts_are_named_five_in_natural_order_then_counted(test_feed: Feed) -> None:
    hosts = [f"pc-{i}" for i in range(1, 13)]
    random.Random(3).shuffle(hosts)
    rows = numbered([row("meetly", "5.16.9", host=host) for host in hosts])
    rows += numbered([row("meetly", "6.1.0", Platform.LINUX, host="lin-1")])
    text = markdown(run_audit(rows, test_feed, Policy(), TODAY))
    header = text.splitlines()[text.splitlines().index("## Findings") + 2]
    assert header.split(" | ")[5] == "hosts"
    cells = {r[3]: r[5] for r in findings_rows(text)}
    assert cells == {"5.16.9": "pc-1, pc-2, pc-3, pc-4, pc-5 +7 more", "6.1.0": "lin-1"}


def _with_advisories(feed: Feed, advisories: list[Advisory]) -> Feed:
    products = tuple(
        replace(p, advisories=(*advisories, *p.advisories)) if p.id == "meetly" else p
        for p in feed.products
    )
    return replace(feed, products=products)


def test_advisory_ids_are_linked_worst_first(test_feed: Feed) -> None:
    meetly = next(p for p in test_feed.products if p.id == "meetly")
    base = next(a for a in meetly.advisories if a.id == "MSB-001")  # affects 5.16.9
    extra = [
        replace(base, id="A-LOW", severity=Risk.LOW, cvss=None, references=("https://x.test/a",)),
        # Not a link any format can carry: a parenthesis would end `[id](url)`.
        replace(base, id="B-MEDIUM", severity=Risk.MEDIUM, references=("https://x.test/(b)",)),
        replace(base, id="C-HIGH", severity=Risk.HIGH, references=("javascript:alert(1)",)),
    ]
    feed = _with_advisories(test_feed, extra)
    report = run_audit(numbered([row("meetly", "5.16.9", host="pc-1")]), feed, Policy(), TODAY)
    (cells,) = findings_rows(markdown(report))
    assert cells[-1] == (
        "[MSB-001](https://example.com/MSB-001), C-HIGH, B-MEDIUM, [A-LOW](https://x.test/a)"
    )
    found = rendered(markdown(report))
    assert found.links == ["https://example.com/MSB-001", "https://x.test/a"]


@pytest.mark.parametrize(
    "hostile_id",
    ["X-[1](https://evil.example)", "X-<b>", "@octocat", "X-1|2", "X-`c`", "X-www.evil.example"],
)
def test_an_id_stays_text_inside_its_link(test_feed: Feed, hostile_id: str) -> None:
    """The id is feed text: markup in it is shown, not obeyed, and makes no second link."""
    meetly = next(p for p in test_feed.products if p.id == "meetly")
    base = next(a for a in meetly.advisories if a.id == "MSB-001")
    strange = replace(base, id=hostile_id, references=("https://x.test/ok",))
    feed = _with_advisories(test_feed, [strange])
    report = run_audit(numbered([row("meetly", "5.16.9", host="pc-1")]), feed, Policy(), TODAY)
    text = markdown(report)
    (cells,) = findings_rows(text)
    assert len(cells) == 9  # nothing broke out of its cell
    found = rendered(text)
    assert found.links == ["https://x.test/ok", "https://example.com/MSB-001"]
    assert "evil.example" not in "".join(found.links)
    assert not LIVE_REFERENCE.search("".join(found.text))
