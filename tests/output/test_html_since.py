"""With `scan --state`, the HTML report shows what changed since the run the state file
remembers: how many findings are new, riskier and resolved, open findings by risk then and
now (pictures), and each change."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import TEST_FEED_DIR
from tests.output import html_cases
from vcaudit.cli import main
from vcaudit.models import Risk
from vcaudit.output import OutputFormat, RenderOptions, SinceLastRun, Tracked, formatter_for

HEADER = "host,platform,product,version\n"


def scan(tmp_path: Path, fleet: str, *extra: str) -> str:
    inventory = tmp_path / "fleet.csv"
    inventory.write_text(HEADER + fleet, encoding="utf-8")
    out = tmp_path / "report.html"
    args = ["scan", str(inventory), "--feed", str(TEST_FEED_DIR), "--as-of", "2026-01-15"]
    code = main([*args, "--fail-on", "none", "--format", "html", "-o", str(out), *extra])
    assert code == 0
    return out.read_text(encoding="utf-8")


def section(text: str) -> str:
    return text.split("<h2>Since the last run</h2>")[1].split("<h2>")[0]


def test_a_report_with_a_state_says_what_changed_since_the_last_run(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    first = scan(
        tmp_path, "pc-1,windows,meetly,5.16.9\npc-2,windows,meetly,6.1.0\n", "--state", str(state)
    )
    assert state.exists()
    assert "The state file holds no earlier run: every open finding is new (2)." in section(first)
    # pc-1 upgraded (resolved), pc-3 appears (new), pc-2 unchanged.
    second = scan(
        tmp_path,
        "pc-1,windows,meetly,6.2.5\npc-2,windows,meetly,6.1.0\npc-3,windows,meetly,5.16.9\n",
        "--state",
        str(state),
    )
    part = section(second)
    assert re.search(r"Compared with the run of \d{4}-\d\d-\d\dT[0-9:]+\+00:00 that the", part)
    assert "1 new, 0 riskier, 1 resolved." in part
    rows = re.findall(r"<tr><td>(\w+)</td><td class=\"(\w+)\"[^>]*>\w+</td><td>([\w-]+)</td>", part)
    assert rows == [("new", "critical", "pc-3"), ("resolved", "critical", "pc-1")]
    assert "<td>Meetly Workplace</td>" in part  # the product's name, not its id
    assert '<desc id="changes-d">new: 1 finding; riskier: 0 findings; resolved: 1 finding' in part


def test_without_a_state_there_is_no_such_section(tmp_path: Path) -> None:
    assert "Since the last run" not in scan(tmp_path, "pc-1,windows,meetly,5.16.9\n")


def test_a_state_that_cannot_be_read_leaves_the_report_whole(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text("not json", encoding="utf-8")
    inventory = tmp_path / "fleet.csv"
    inventory.write_text(HEADER + "pc-1,windows,meetly,5.16.9\n", encoding="utf-8")
    out = tmp_path / "report.html"
    args = ["scan", str(inventory), "--feed", str(TEST_FEED_DIR), "--fail-on", "none"]
    # Delivery reads the state again and stops with its one line (exit 3), after the report.
    assert main([*args, "--format", "html", "-o", str(out), "--state", str(state)]) == 3
    text = out.read_text(encoding="utf-8")
    assert "Since the last run" not in text
    assert text.endswith("</body></html>\n")


def tracked(host: str, risk: Risk, product: str = "demo") -> Tracked:
    return Tracked(host, product, "windows", "5.9.3", risk, "vulnerable")


def test_the_section_draws_open_findings_then_and_now_and_escapes_what_the_state_holds() -> None:
    hostile = "<script>alert(1)</script>"
    since = SinceLastRun(
        previous_run=f"2026-01-01T00:00:00+00:00{hostile}",
        new=(tracked("pc-new", Risk.HIGH),),
        resolved=(tracked(hostile, Risk.CRITICAL, product=hostile),),
        rose=(tracked("pc-rose", Risk.CRITICAL),),
        before=((Risk.CRITICAL, 3), (Risk.HIGH, 1), (Risk.MEDIUM, 0), (Risk.LOW, 0)),
        after=((Risk.CRITICAL, 2), (Risk.HIGH, 5), (Risk.MEDIUM, 0), (Risk.LOW, 1)),
    )
    text = formatter_for(OutputFormat.HTML)(html_cases.report(), RenderOptions(since=since))
    part = section(text)
    assert "<script>alert" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in part
    assert "1 new, 1 riskier, 1 resolved." in part
    assert (
        '<desc id="open-d">critical, last run: 3 findings; critical, now: 2 findings; '
        "high, last run: 1 finding; high, now: 5 findings; medium, last run: 0 findings; "
        "medium, now: 0 findings; low, last run: 0 findings; low, now: 1 finding</desc>"
    ) in part
    changes = re.findall(r"<tr><td>(\w+)</td>", part)
    assert changes == ["new", "riskier", "resolved"]
    assert "<td>Demo Meet</td>" in part


def test_a_product_that_left_the_fleet_is_still_named_by_its_name(tmp_path: Path) -> None:
    # The state remembers feed ids; Meetly's only finding is resolved because Meetly left the
    # fleet, so no group of this run names it: the feed does.
    state = tmp_path / "state.json"
    scan(
        tmp_path,
        "pc-1,windows,meetly,5.16.9\npc-2,windows,chatter,8.150.0.1\n",
        "--state",
        str(state),
    )
    part = section(scan(tmp_path, "pc-2,windows,chatter,8.150.0.1\n", "--state", str(state)))
    rows = re.findall(r"<tr><td>(\w+)</td>.*?<td>pc-1</td><td>([^<]*)</td>", part)
    assert rows == [("resolved", "Meetly Workplace")]
    assert "<td>meetly</td>" not in part
