"""The HTML report and the mail's HTML part laid out by a real browser at the widths people
read them at: a laptop's 1280 and 1440 pixels for the report, 1000 for a mail. A fleet like a
real one (the bundled feed; fully qualified and VDI host names, owners' addresses, Teams build
numbers, Cisco's long advisory ids) must fit the window without a sideways scroll, every
advisory id, host, owner's address and piece of a version must sit on one line, and the
advisories column must keep room for its ids.

Headless Chromium is driven as in test_html_browser.py; the measures are the browser's own
(the rectangles of an element's text: one per line it lies on)."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.devtools import Browser, chromium, launched
from vcaudit.audit import run_audit
from vcaudit.models import AuditReport, Feed, Installation, Platform, Risk, Source
from vcaudit.notify.digest import build
from vcaudit.output import OutputFormat, RenderOptions, SinceLastRun, Tracked, formatter_for
from vcaudit.policy import Policy

pytestmark = pytest.mark.slow  # starts a browser: a few seconds

TODAY = dt.date(2026, 12, 1)
WORKPLACE = "it-workplace@example.com"
COLLAB = "it-collab@example.com"
FLEET = [
    # host, feed product, version, owner (a reviewer's real-world inventory, and VDI pools)
    ("LAPTOP-7F3K2J9Q.corp.example.com", "zoom", "6.0.11.39959", WORKPLACE),
    ("LAPTOP-8A1B2C3D.corp.example.com", "zoom", "6.0.11.39959", WORKPLACE),
    ("LAPTOP-9X8Y7Z6W.corp.example.com", "zoom", "6.0.11.39959", WORKPLACE),
    ("vdi-pool-finance-emea-frankfurt-primary-0001", "zoom", "6.0.11.39959", WORKPLACE),
    ("vdi-pool-finance-emea-frankfurt-primary-0002", "zoom", "6.0.11.39959", WORKPLACE),
    ("DESKTOP-QWERTY12.corp.example.com", "zoom", "5.17.11.31580", WORKPLACE),
    ("DESKTOP-ASDFGH34.corp.example.com", "zoom", "7.2.1.0", WORKPLACE),
    ("LAPTOP-7F3K2J9Q.corp.example.com", "teams-classic", "1.7.00.13456", COLLAB),
    ("LAPTOP-8A1B2C3D.corp.example.com", "teams-classic", "1.6.00.376", COLLAB),
    ("LAPTOP-9X8Y7Z6W.corp.example.com", "webex-meetings", "43.10.0", COLLAB),
    ("DESKTOP-QWERTY12.corp.example.com", "slack", "4.41.98.0", COLLAB),
    ("DESKTOP-ASDFGH34.corp.example.com", "gotomeeting", "10.19.0.19950", COLLAB),
    ("DESKTOP-ASDFGH34.corp.example.com", "jitsi-meet", "2025.2.0", ""),
    ("DESKTOP-ZXCVBN56.corp.example.com", "element", "1.11.85", ""),
    ("DESKTOP-ZXCVBN56.corp.example.com", "webex", "44.6.0.29928", COLLAB),
    ("Müller-PC.corp.example.com", "teams", "24215.1007.3082.1590", COLLAB),
    ("Müller-PC.corp.example.com", "skype", "8.110", ""),
]  # fmt: skip


def fleet_report(feed: Feed) -> AuditReport:
    rows = [
        Installation(
            host=host,
            platform=Platform.WINDOWS,
            product=product,
            version=version,
            owner=owner,
            source=Source("/srv/inventories/2026-12-01/windows-export.csv", line),
        )
        for line, (host, product, version, owner) in enumerate(FLEET, 2)
    ]
    return run_audit(rows, feed, Policy(), TODAY, tool_version="test")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    executable = chromium()
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed: .ci/run installs it")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    with launched(executable, tmp_path_factory.mktemp("widths")) as opened:
        yield opened


@pytest.fixture(scope="module")
def report_url(bundled_feed: Feed, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("report") / "report.html"
    report = fleet_report(bundled_feed)
    # What changed since a last run: the fleet's findings all new, and two hosts resolved.
    new = tuple(
        Tracked(f.installation.host, f.assessment.product.id, "windows", f.installation.version,
                f.assessment.risk, f.assessment.status.value)
        for f in report.findings
        if f.assessment.product is not None and f.assessment.risk > Risk.NONE
    )  # fmt: skip
    gone = tuple(
        Tracked(f"WORKSTATION-{n}Q8Z.branch-office.corp.example.com", "skype", "windows",
                "8.110", Risk.HIGH, "vulnerable")
        for n in range(2)
    )  # fmt: skip
    since = SinceLastRun("2026-11-30T06:00:00+00:00", new, gone, (), (), ())
    text = formatter_for(OutputFormat.HTML)(report, RenderOptions(since=since))
    path.write_text(text, encoding="utf-8")
    return path.as_uri()


_MEASURE = """(function (table, tokens) {
  var t = document.getElementById(table);
  var root = document.documentElement;
  var broken = [];
  t.querySelectorAll(tokens).forEach(function (e) {
    // The lines its text lies on (a cell is one box however many lines its text takes).
    var range = document.createRange();
    range.selectNodeContents(e);
    var tops = {};
    Array.prototype.forEach.call(range.getClientRects(), function (r) {
      if (r.width > 0) { tops[Math.round(r.top)] = true; }
    });
    if (Object.keys(tops).length > 1) { broken.push(e.textContent); }
  });
  var cells = Array.prototype.map.call(t.tHead.rows[0].cells, function (c) {
    return [c.textContent, c.getBoundingClientRect().width];
  });
  var rows = Array.prototype.map.call(t.tBodies[0].rows, function (r) {
    return r.getBoundingClientRect().height;
  });
  var body = document.body.getBoundingClientRect();
  return {
    scroll: root.scrollWidth, client: root.clientWidth,
    right: t.getBoundingClientRect().right, room: body.right,
    broken: broken, columns: cells, rows: rows, tokens: t.querySelectorAll(tokens).length
  };
})(%s, %s)"""


def measure(browser: Browser, url: str, width: int, table: str, tokens: str) -> dict[str, Any]:
    page = browser.new_page(width=width, height=900)
    page.navigate(url)
    found: dict[str, Any] = page.evaluate(_MEASURE % (json.dumps(table), json.dumps(tokens)))
    assert page.errors == []
    return found


TOKENS = ".id, a, .names span, code, .owner span"
"""What a findings cell must never break: advisory ids (linked or not), hosts, versions (or
their pieces) and owners' addresses (or their pieces)."""


@pytest.mark.parametrize("width", [1280, 1440])
def test_the_findings_fit_the_window_with_every_identifier_whole(
    browser: Browser, report_url: str, width: int
) -> None:
    found = measure(browser, report_url, width, "findings", TOKENS)
    assert found["tokens"] > 50  # the fleet's ids, hosts and versions are all looked at
    assert found["broken"] == []
    # No sideways scroll: the table ends inside the page's margin.
    assert found["scroll"] <= found["client"]
    assert found["right"] <= found["room"] + 0.5
    columns = dict(found["columns"])
    # The advisories have room: at least 16em (Cisco's longest id is wider still), and no
    # finding grows into a tower (a 98-pixel column made rows 457 pixels tall).
    assert columns["advisories / reason"] >= 16 * 14
    assert max(found["rows"]) < 200


@pytest.mark.parametrize("width", [800, 1280])
def test_the_changes_since_the_last_run_keep_hosts_whole(
    browser: Browser, report_url: str, width: int
) -> None:
    # Even in a narrow window (the table is then wider than the page), hosts stay whole.
    found = measure(browser, report_url, width, "changes", "tbody td:nth-child(3), code")
    assert found["tokens"] > 30
    assert found["broken"] == []


@pytest.mark.parametrize("width", [1280, 1440])
def test_the_installations_fit_the_window_with_hosts_and_versions_whole(
    browser: Browser, report_url: str, width: int
) -> None:
    hosts = "tbody td:first-child"
    found = measure(browser, report_url, width, "installations", f"{hosts}, code, .owner span")
    assert found["broken"] == []
    assert found["scroll"] <= found["client"]
    assert found["right"] <= found["room"] + 0.5


def test_the_mail_fits_1000_pixels_with_every_id_and_host_whole(
    browser: Browser, bundled_feed: Feed, tmp_path: Path
) -> None:
    path = tmp_path / "mail.html"
    path.write_text(build(fleet_report(bundled_feed), None).html, encoding="utf-8")
    page = browser.new_page(width=1000, height=900)
    page.navigate(path.as_uri())
    found = page.evaluate(
        """(function () {
      var broken = [], looked = 0;
      document.querySelectorAll('td span[style*="nowrap"], td a').forEach(function (e) {
        looked++;
        var range = document.createRange();
        range.selectNodeContents(e);
        var tops = {};
        Array.prototype.forEach.call(range.getClientRects(), function (r) {
          if (r.width > 0) { tops[Math.round(r.top)] = true; }
        });
        if (Object.keys(tops).length > 1) { broken.push(e.textContent); }
      });
      var root = document.documentElement;
      return {broken: broken, looked: looked, scroll: root.scrollWidth, client: root.clientWidth};
    })()"""
    )
    assert page.errors == []
    assert found["looked"] > 50  # ids, hosts, addresses and version pieces
    assert found["broken"] == []
    assert found["scroll"] <= found["client"]
