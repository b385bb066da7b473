"""The HTML report in a real browser: headless Chromium (Debian's `chromium`, which `.ci/run`
installs) opens a generated report from disk, a mouse clicks the headers of both sortable
tables, and the rows come out in order: versions as versions, counts as numbers, hosts as
people number them, ties kept in place. The page's style and script apply under its own
Content Security Policy, and no script error or policy violation is reported."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.devtools import Page, chromium, launched
from tests.output import html_cases
from tests.output.html_cases import DEMO_LATEST, TEAMSY_LATEST
from vcaudit.output import OutputFormat, RenderOptions, formatter_for

pytestmark = pytest.mark.slow  # starts a browser: a few seconds


@pytest.fixture(scope="module")
def opened(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Page, str]]:
    """One browser for the module, with a report written to disk."""
    executable = chromium()
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed: .ci/run installs it")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    folder = tmp_path_factory.mktemp("browser")
    report = folder / "report.html"
    text = formatter_for(OutputFormat.HTML)(html_cases.report(), RenderOptions())
    report.write_text(text, encoding="utf-8")
    with launched(executable, folder) as browser:
        yield browser.new_page(), report.as_uri()


@pytest.fixture
def page(opened: tuple[Page, str]) -> Iterator[Page]:
    """The report freshly loaded (rows in the report's order); no error may be reported."""
    tab, url = opened
    tab.errors.clear()
    tab.navigate(url)
    yield tab
    assert tab.errors == []


def column(page: Page, table: str, header: str, part: str = "textContent") -> list[str]:
    """One column of a table, top to bottom, as the page shows it now: each cell's text, or
    with `part="firstChild.textContent"` the text before the cell's first element."""
    index = header_index(page, table, header)
    values: list[str] = page.evaluate(
        f"Array.prototype.map.call(document.getElementById({json.dumps(table)}).tBodies[0].rows,"
        f" function (r) {{ return r.cells[{index}].{part}.trim(); }})"
    )
    return values


def click(page: Page, table: str, header: str) -> None:
    """Click a header by its words, as a person would."""
    index = header_index(page, table, header)
    page.click(f"#{table} thead th:nth-child({index + 1}) button")


def header_index(page: Page, table: str, header: str) -> int:
    headers: list[str] = page.evaluate(
        f"Array.prototype.map.call(document.getElementById({json.dumps(table)}).tHead.rows[0]"
        ".cells, function (c) { return c.textContent; })"
    )
    return headers.index(header)


def sort_state(page: Page, table: str, header: str) -> str | None:
    index = header_index(page, table, header)
    state: str | None = page.evaluate(
        f"document.getElementById({json.dumps(table)}).tHead.rows[0].cells[{index}]"
        ".getAttribute('aria-sort')"
    )
    return state


def test_the_script_runs_under_the_policy_and_the_style_applies(page: Page) -> None:
    # The script made each header a button; the style (allowed by its hash) laid the summary
    # table out at its own width and gave the risk cells their colour.
    for table in ("findings", "installations"):
        assert page.evaluate(f"document.querySelectorAll('#{table} th button').length") == 9
    assert page.evaluate("getComputedStyle(document.querySelector('table.summary')).width") != (
        page.evaluate("getComputedStyle(document.body).width")
    )
    assert page.evaluate("getComputedStyle(document.querySelector('td.high')).fontWeight") == (
        "600"
    )
    assert page.errors == []


def test_installations_sort_by_version_as_versions(page: Page) -> None:
    click(page, "installations", "version")
    assert sort_state(page, "installations", "version") == "ascending"
    versions = column(page, "installations", "version")
    # Not as decimals (5.17 before 5.9), not as text (24100 before 5.9).
    assert versions == [
        *["5.9.3"] * 12, "5.16.9", "5.16.9", DEMO_LATEST, "24100.1.2.3",
        TEAMSY_LATEST, TEAMSY_LATEST,
    ]  # fmt: skip
    click(page, "installations", "version")
    assert sort_state(page, "installations", "version") == "descending"
    assert column(page, "installations", "version") == versions[::-1]


def test_installations_sort_hosts_in_natural_order(page: Page) -> None:
    click(page, "installations", "host")
    assert column(page, "installations", "host") == [
        "lab-2", "lab-9", "lab-10", "mac-a", "mac-b", "mac-c",
        *(f"pc-{n}" for n in range(1, 13)),
    ]  # fmt: skip
    click(page, "installations", "version")
    # Only the header last clicked says how the table is sorted.
    assert sort_state(page, "installations", "host") is None
    assert sort_state(page, "installations", "version") == "ascending"


def test_installations_sort_by_risk_rank_and_keep_ties_in_place(page: Page) -> None:
    click(page, "installations", "risk")
    assert column(page, "installations", "risk") == ["none"] * 3 + ["low"] + ["high"] * 14
    # Equal risks keep the order of the report (its input order).
    assert column(page, "installations", "host") == [
        "mac-b", "lab-2", "mac-c", "mac-a", "lab-10",
        *(f"pc-{n}" for n in (10, 2, 7, 1, 12, 3, 11, 4, 9, 5, 8, 6)), "lab-9",
    ]  # fmt: skip


def test_findings_sort_by_host_count_as_numbers(page: Page) -> None:
    click(page, "findings", "hosts")
    assert column(page, "findings", "hosts", "firstChild.textContent") == ["1", "1", "2", "2", "12"]
    assert column(page, "findings", "version") == [
        "24100.1.2.3",
        DEMO_LATEST,
        "5.16.9",
        TEAMSY_LATEST,
        "5.9.3",
    ]
    click(page, "findings", "hosts")
    assert column(page, "findings", "hosts", "firstChild.textContent") == ["12", "2", "2", "1", "1"]


def test_findings_sort_by_version_and_by_risk(page: Page) -> None:
    click(page, "findings", "version")
    assert column(page, "findings", "version") == [
        "5.9.3", "5.16.9", DEMO_LATEST, "24100.1.2.3", TEAMSY_LATEST,
    ]  # fmt: skip
    click(page, "findings", "risk")
    assert column(page, "findings", "risk") == ["none", "none", "low", "high", "high"]
    click(page, "findings", "risk")
    assert column(page, "findings", "risk") == ["high", "high", "low", "none", "none"]
    assert sort_state(page, "findings", "risk") == "descending"
    # The other table is left as it was.
    assert sort_state(page, "installations", "risk") is None
    assert column(page, "installations", "host")[:2] == ["mac-b", "lab-10"]


def test_folded_advisories_open_without_script(page: Page) -> None:
    assert page.evaluate("document.querySelectorAll('#findings details').length") == 2
    assert page.evaluate("document.querySelector('#findings details').open") is False
    page.click("#findings details summary")
    assert page.evaluate("document.querySelector('#findings details').open") is True
    assert page.errors == []


def test_a_screenshot_shows_the_page(page: Page, tmp_path: Path) -> None:
    # The pictures render (a bar has a width in the page), and the page can be looked at.
    width = page.evaluate(
        "document.querySelector('svg.chart rect.high').getBoundingClientRect().width"
    )
    assert width > 0
    shot = tmp_path / "report.png"
    page.screenshot(shot)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
