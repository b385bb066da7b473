"""With `scan --state`, the HTML report draws the open findings of each run the state file's
history remembers, and now: columns stacked by risk in inline SVG (a title, every number in
its description, dates and a legend in words), the numbers of each run in a folded table, and,
when this is the first run, that the history starts now. Nothing the state holds runs or
restyles the page."""

from __future__ import annotations

import itertools
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.conftest import TEST_FEED_DIR, write_fleet
from tests.output import html_cases
from vcaudit.cli import main
from vcaudit.models import Risk, RunTally, Status
from vcaudit.notify.changes import MAX_HISTORY
from vcaudit.output import OutputFormat, RenderOptions, SinceLastRun, formatter_for, html_charts

CRITICAL = "5.16.9"  # MSB-001 in the test feed: vulnerable, critical
OUTDATED = "6.2.3"  # outdated, low


def scan(tmp_path: Path, state: Path, *rows: str) -> tuple[int, str]:
    """`vcaudit scan --format html --state` of these CSV rows: the exit code and the page."""
    fleet = write_fleet(tmp_path / "fleet.csv", rows)
    out = tmp_path / "report.html"
    feed = ["--feed", str(TEST_FEED_DIR), "--as-of", "2026-01-15", "--fail-on", "none"]
    code = main(
        ["scan", str(fleet), *feed, "--format", "html", "-o", str(out), "--state", str(state)]
    )
    return code, out.read_text(encoding="utf-8")


def section(page: str) -> str:
    return page.split("<h2>Findings over time</h2>")[1].split("<h2>")[0]


def run(run_at: str, critical: int, high: int = 0, medium: int = 0, low: int = 0) -> RunTally:
    return RunTally(
        run_at=run_at,
        by_risk=(
            (Risk.CRITICAL, critical),
            (Risk.HIGH, high),
            (Risk.MEDIUM, medium),
            (Risk.LOW, low),
        ),
        by_status=((Status.VULNERABLE, critical + high), (Status.OUTDATED, medium + low)),
        installations=100,
        hosts=40,
        new=2,
        resolved=1,
    )


def render(*runs: RunTally) -> str:
    since = SinceLastRun("2026-01-02T08:00:00+00:00", (), (), (), (), (), history=runs)
    return formatter_for(OutputFormat.HTML)(html_cases.report(), RenderOptions(since=since))


def test_the_first_run_says_the_history_starts_now_and_the_next_draws_both(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    code, first = scan(
        tmp_path, state, "pc-1,windows,meetly," + CRITICAL, "pc-2,windows,meetly," + OUTDATED
    )
    assert code == 0
    part = section(first)
    assert "The history starts now" in part
    assert "<svg" not in part
    first_run = json.loads(state.read_text(encoding="utf-8"))["run_at"]
    code, second = scan(tmp_path, state, "pc-1,windows,meetly," + CRITICAL)
    assert code == 0
    part = section(second)
    assert "The history starts now" not in part
    assert (
        f"Open findings at each of the last 2 runs, oldest first: 2 at {first_run}, 1 now." in part
    )
    assert (
        '<desc id="history-d">Open findings per run, oldest first: '
        f"{first_run}: 2 (1 critical, 0 high, 0 medium, 1 low); "
        "now: 1 (1 critical, 0 high, 0 medium, 0 low)</desc>"
    ) in part
    # The numbers of each run: open, by risk, new, resolved, installations, hosts.
    rows = re.findall(r"<tr><td>([^<]+)</td>((?:<td[^>]*>[^<]*</td>)+)</tr>", part)
    cells = [(name, re.findall(r">([^<]*)</td>", rest)) for name, rest in rows]
    assert cells == [
        (first_run, ["2", "1", "0", "0", "1", "2", "0", "2", "2"]),
        ("now", ["1", "1", "0", "0", "0", "0", "1", "1", "1"]),
    ]


def test_a_state_kept_before_the_history_starts_the_chart(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text(
        '{"version": 1, "run_at": "2026-01-10T06:00:00+00:00", "findings": [{"host": "pc-9", '
        '"product": "meetly", "platform": "windows", "version": "6.2.3", "risk": "low", '
        '"status": "outdated", "advisories": []}]}',
        encoding="utf-8",
    )
    code, page = scan(tmp_path, state, "pc-1,windows,meetly," + CRITICAL)
    assert code == 0
    part = section(page)
    assert "2026-01-10T06:00:00+00:00: 1 (0 critical, 0 high, 0 medium, 1 low); now: 1" in part
    one, zero = '<td class="n">1</td>', '<td class="n">0</td>'
    started = f"<tr><td>2026-01-10T06:00:00+00:00</td>{one}{zero * 3}{one}"
    assert started + "<td>unknown</td>" * 4 + "</tr>" in part  # what it did not record


def test_a_damaged_history_leaves_the_report_whole_and_stops_the_run(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    doc = {"version": 1, "run_at": "", "findings": [], "history": [{"run_at": "x", "open": {}}]}
    state.write_text(json.dumps(doc), encoding="utf-8")
    code, page = scan(tmp_path, state, "pc-1,windows,meetly," + CRITICAL)
    assert code == 3  # delivery reads the state again and says what is wrong (exit 3)
    assert "Findings over time" not in page
    assert page.endswith("</body></html>\n")


def column(svg: str, index: int) -> str:
    """The `index`-th run's column (its group) in the chart."""
    columns: list[str] = re.findall(r"<g><title>.*?</g>", svg)
    return columns[index]


def heights(group: str) -> dict[str, int]:
    found = re.findall(r'<rect class="(\w+)" x="\d+" y="\d+" width="\d+" height="(\d+)">', group)
    return {kind: int(h) for kind, h in found}


def test_each_column_stacks_its_risks_to_scale_with_its_numbers_in_words() -> None:
    page = render(
        run("2026-01-01T08:00:00+00:00", 30, 10),
        run("2026-01-02T08:00:00+00:00", 5, 5, 5, 5),
        run("", 0, 0, 0, 3),
    )
    svg = section(page).split("<svg")[1].split("</svg>")[0]
    assert 'role="img" aria-labelledby="history-t" aria-describedby="history-d"' in svg
    assert '<title id="history-t">Open findings per run, by risk</title>' in svg
    assert (
        '<desc id="history-d">Open findings per run, oldest first: '
        "2026-01-01T08:00:00+00:00: 40 (30 critical, 10 high, 0 medium, 0 low); "
        "2026-01-02T08:00:00+00:00: 20 (5 critical, 5 high, 5 medium, 5 low); "
        "now: 3 (0 critical, 0 high, 0 medium, 3 low)</desc>"
    ) in svg
    # The axis reaches 40 in steps of 10, over 160 pixels: 4 pixels a finding.
    assert [int(t) for t in re.findall(r'<text class="label"[^>]*>([\d,]+)</text>', svg)] == [
        0, 10, 20, 30, 40,
    ]  # fmt: skip
    assert heights(column(svg, 0)) == {"critical": 120, "high": 40}
    assert heights(column(svg, 1)) == {"critical": 20, "high": 20, "medium": 20, "low": 20}
    assert heights(column(svg, 2)) == {"low": 12}
    assert column(svg, 0).startswith(
        "<g><title>2026-01-01T08:00:00+00:00: 40 open findings: 30 critical, 10 high, 0 medium, "
        "0 low; 40 vulnerable; 2 new, 1 resolved; 100 installations on 40 hosts</title>"
    )
    # In words beside the colours: the dates, the counts and a legend naming every risk.
    words = re.findall(r"<text [^>]*>([^<]+)</text>", svg)
    assert words[-4:] == ["low", "medium", "high", "critical"]
    assert {"2026-01-01", "2026-01-02", "now", "40", "20", "3"} <= set(words)


def test_the_count_over_the_tallest_column_stays_inside_the_picture() -> None:
    # 12 open findings: the axis tops out at 12, so the tallest column reaches its top; its
    # count is written 4 pixels above it in 12-pixel type, which must fit under the frame.
    for runs in [(run("2026-01-01T08:00:00+00:00", 12), run("", 3)), (run("", 40),)]:
        page = render(run("2025-12-31T08:00:00+00:00", 1), *runs)
        svg = section(page).split("<svg")[1].split("</svg>")[0]
        counts = re.findall(
            r'<text x="[\d.]+" y="(-?\d+)" text-anchor="middle">([\d,]+)</text>', svg
        )
        tallest = max(counts, key=lambda c: int(c[1].replace(",", "")))
        assert tallest[1] in ("12", "40")
        assert int(tallest[0]) - 12 >= 0  # the text's top, a full line of type above its base
        top_of_axis = min(int(y) for y in re.findall(r'<rect class="other" x="\d+" y="(\d+)"', svg))
        assert int(tallest[0]) + 4 == top_of_axis  # set just above the column, which meets it


def test_a_long_history_draws_every_run_with_dates_that_never_overlap() -> None:
    runs = [run(f"2026-{1 + d // 28:02}-{1 + d % 28:02}T08:00:00+00:00", d % 7) for d in range(89)]
    page = render(*runs, run("", 1))
    svg = section(page).split("<svg")[1].split("</svg>")[0]
    assert len(re.findall(r"<g><title>", svg)) == 90
    dates = re.findall(r'<text x="([\d.]+)" y="\d+" text-anchor="middle">([\d-]+|now)</text>', svg)
    assert dates[0][1] == "2026-01-01"
    assert dates[-1][1] == "now"
    xs = [float(x) for x, _ in dates]
    assert all(b - a >= 80 for a, b in itertools.pairwise(xs))
    assert int(svg.split('width="')[1].split('"')[0]) < 900  # fits a page


def test_more_runs_than_the_state_keeps_draw_the_last_90() -> None:
    assert html_charts.MAX_RUNS == MAX_HISTORY
    runs = [run(f"2026-01-01T08:{m // 60:02}:{m % 60:02}+00:00", m) for m in range(100)]
    part = section(render(*runs))
    assert part.count("<g><title>") == 90
    assert "2026-01-01T08:00:10+00:00: 10 open findings" in part
    assert "2026-01-01T08:00:09+00:00" not in part
    assert "Open findings at each of the last 90 runs, oldest first: 10 at " in part


def test_a_history_of_huge_counts_stays_in_its_frame() -> None:
    page = render(run("2026-01-01T08:00:00+00:00", 10**12), run("", 1))
    svg = section(page).split("<svg")[1].split("</svg>")[0]
    assert "1,000,000,000,000 (1,000,000,000,000 critical" in svg
    assert heights(column(svg, 0))["critical"] <= html_charts.HISTORY_HEIGHT
    assert heights(column(svg, 1)) == {"critical": 1}  # one among a trillion still shows


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


HOSTILE = '<script>alert(1)</script>\x1b[2J"onload="x' + "A" * 300


@pytest.mark.parametrize("where", ["first", "last"])
def test_what_the_state_holds_is_inert(where: str) -> None:
    hostile = run(HOSTILE, 1)
    runs = (hostile, run("2026-01-02T08:00:00+00:00", 2)) if where == "first" else (
        run("2026-01-01T08:00:00+00:00", 2), hostile,
    )  # fmt: skip
    page = render(*runs)
    assert "<script>alert" not in page
    assert "\x1b" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in section(page)
    assert "A" * 40 not in page  # a run's time is cut short wherever it is shown
    parsed = _Tags()
    parsed.feed(page)
    for tag, attrs in parsed.tags:
        assert "style" not in attrs, tag
        assert not any(name.startswith("on") for name in attrs), tag
    assert [tag for tag, _ in parsed.tags].count("script") == 1
    # Only the page's own style: the chart's colours come from its classes.
    assert {tag for tag, _ in parsed.tags if tag not in ("html", "head", "body")} <= {
        "meta", "title", "style", "h1", "h2", "p", "table", "thead", "tbody", "tr", "th", "td",
        "code", "ul", "li", "script", "a", "span", "details", "summary", "div", "figure",
        "figcaption", "svg", "desc", "g", "text", "rect", "strong", "wbr",
    }  # fmt: skip


def test_without_a_history_there_is_no_such_section() -> None:
    assert "Findings over time" not in render()
