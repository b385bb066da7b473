"""Feed truth: severity is the band of the CVSS score, the KEV catalog the feed was checked
against is recorded and believable, a product's latest release is not older than a fix the
feed knows; and the real records behind the corrections of issue 14.

The synthetic feeds are copies of tests/data/feed with one thing broken, checked through
`vcaudit feed validate` as a feed's author runs it. The real cases cite the records read:
- CVE-2024-20396: https://github.com/CVEProject/cvelistV5/blob/2a4f1630df00f8dd39e337f3ca2db5edadfa4d64/cves/2024/20xxx/CVE-2024-20396.json
  (Cisco: 5.3, CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:N/A:N); CVE-2024-20395 (6.4) is its
  sibling in bulletin cisco-sa-webex-app-ZjNm8X8j.
- CVE-2023-34119: https://github.com/CVEProject/cvelistV5/blob/e1136690d226e6c6443ced80db9bbbbf4c5ef848/cves/2023/34xxx/CVE-2023-34119.json
  ("Zoom Rooms for Windows" before 5.15.0, updated 2023-07-13).
- CVE-2023-29328: https://github.com/CVEProject/cvelistV5/blob/1d70b67da1b7c6db874978eeb18b55516b3673fd/cves/2023/29xxx/CVE-2023-29328.json
  (MSRC: baseScore 8.8, baseSeverity CRITICAL).
- CISA KEV catalog 2025.08.25: https://github.com/cisagov/kev-data/blob/eacf03ec6637cc7be6d3d4ed50785493da5126a2/known_exploited_vulnerabilities.json
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import TEST_FEED_DIR, TODAY, make_installation
from tests.output.json_report import installation_rows
from vcaudit.audit import run_audit
from vcaudit.cli import main
from vcaudit.matching import Matcher
from vcaudit.models import Feed, Platform, Risk, severity_band
from vcaudit.output import OutputFormat, RenderOptions, formatter_for
from vcaudit.policy import Policy

ROOT = Path(__file__).resolve().parent.parent.parent
REPORT_SCHEMA = json.loads((ROOT / "schema" / "report.schema.json").read_text(encoding="utf-8"))


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} must occur once in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def broken_feed(tmp_path: Path, file: str, old: str, new: str) -> Path:
    """A copy of the test feed with `old` replaced by `new` in one file (exactly once)."""
    target = tmp_path / "feed"
    shutil.copytree(TEST_FEED_DIR, target)
    replace_once(target / file, old, new)
    return target


MSB_001 = "    severity: critical\n    cvss: {version: '3.1', score: 9.6,"


# --- severity bands ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (0.1, Risk.LOW),
        (3.9, Risk.LOW),
        (4.0, Risk.MEDIUM),
        (6.9, Risk.MEDIUM),
        (7.0, Risk.HIGH),
        (8.8, Risk.HIGH),
        (8.9, Risk.HIGH),
        (9.0, Risk.CRITICAL),
        (10.0, Risk.CRITICAL),
        (0.0, None),
    ],
)
def test_severity_band_edges(score: float, band: Risk | None) -> None:
    assert severity_band(score) is band


def test_a_severity_outside_its_band_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    feed = broken_feed(
        tmp_path, "meetly.yaml", MSB_001, MSB_001.replace("severity: critical", "severity: high")
    )
    code, _, err = run(capsys, "feed", "validate", str(feed))
    assert code == 4, err
    assert re.search(
        r"meetly\.yaml, line \d+: MSB-001\.severity: is high but CVSS 9\.6 is critical "
        r"\(9\.0-10\.0\); write severity: critical and keep the vendor's label as "
        r"vendor_severity",
        err,
    ), err
    assert "feed is invalid: 1 problem(s)" in err


def test_a_vendor_label_beside_its_band_is_valid_and_shown(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    feed = broken_feed(
        tmp_path,
        "meetly.yaml",
        MSB_001,
        "    severity: critical\n    vendor_severity: important\n"
        "    cvss: {version: '3.1', score: 9.6,",
    )
    code, out, err = run(capsys, "feed", "validate", str(feed))
    assert code == 0, err
    code, out, _ = run(capsys, "advisory", "MSB-001", "--feed", str(feed))
    assert code == 0
    assert "severity:  critical (CVSS 3.1 9.6, vendor); the vendor calls it important" in out
    code, out, _ = run(capsys, "advisory", "MSB-001", "--feed", str(feed), "-f", "json")
    (row,) = json.loads(out)["advisories"]
    assert (row["severity"], row["vendor_severity"]) == ("critical", "important")


@pytest.mark.parametrize(
    ("new", "message"),
    [
        (
            "    severity: critical\n    vendor_severity: critical\n"
            "    cvss: {version: '3.1', score: 9.6,",
            "MSB-001.vendor_severity: says critical, the same as severity; remove it",
        ),
        (
            "    severity: critical\n    vendor_severity: severe\n"
            "    cvss: {version: '3.1', score: 9.6,",
            "vendor_severity",
        ),
    ],
)
def test_a_vendor_label_that_says_nothing_new_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, new: str, message: str
) -> None:
    feed = broken_feed(tmp_path, "meetly.yaml", MSB_001, new)
    code, _, err = run(capsys, "feed", "validate", str(feed))
    assert code == 4, err
    assert message in err
    assert "Traceback" not in err


def test_a_vendor_label_without_a_score_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    old = "    title: Windows-only bug\n    published: '2025-06-01'\n    severity: medium\n"
    feed = broken_feed(tmp_path, "meetly.yaml", old, old + "    vendor_severity: high\n")
    code, _, err = run(capsys, "feed", "validate", str(feed))
    assert code == 4, err
    assert "MSB-002.vendor_severity: is kept only beside a CVSS score" in err


def test_a_severity_without_a_score_is_a_warning(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "feed", "validate", str(TEST_FEED_DIR))
    assert code == 0, err
    assert re.search(
        r"vcaudit: warning: .*meetly\.yaml, line \d+: MSB-002\.severity: medium rests on no "
        r"CVSS score, so its band cannot be checked",
        err,
    ), err
    assert "warning(s)" in out


# --- the KEV catalog --------------------------------------------------------------------------

META = "publisher: vcaudit tests\n"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("kev_catalog_date: '2999-01-01'\n", "kev_catalog_date: 2999-01-01 is in the future"),
        (
            "kev_catalog_date: '2026-01-20'\n",
            "kev_catalog_date: 2026-01-20 is after the feed was generated (2026-01-15)",
        ),
        (
            "kev_catalog_date: '2026-01-10'\nkev_catalog_version: '2026.01.09'\n",
            "kev_catalog_version: 2026.01.09 is not the catalog of kev_catalog_date 2026-01-10",
        ),
        (
            "kev_catalog_version: '2026.01.09'\n",
            "kev_catalog_date: is missing: the version and source of a KEV catalog need its date",
        ),
        ("kev_catalog_date: 'soon'\n", "kev_catalog_date"),
    ],
)
def test_a_kev_catalog_date_that_cannot_be_true_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, extra: str, message: str
) -> None:
    feed = broken_feed(tmp_path, "feed.yaml", META, META + extra)
    code, _, err = run(capsys, "feed", "validate", str(feed))
    assert code == 4, err
    assert "feed.yaml" in err
    assert message in err
    assert "Traceback" not in err


def test_a_kev_flag_newer_than_the_catalog_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # MSB-004 was added to KEV on 2025-08-15: a catalog of 2025-08-01 cannot list it.
    feed = broken_feed(tmp_path, "feed.yaml", META, META + "kev_catalog_date: '2025-08-01'\n")
    code, _, err = run(capsys, "feed", "validate", str(feed))
    assert code == 4, err
    assert re.search(
        r"meetly\.yaml, line \d+: MSB-004\.kev_added: 2025-08-15 is after the KEV catalog "
        r"the feed was checked against \(kev_catalog_date 2025-08-01 in feed\.yaml\)",
        err,
    ), err
    assert "feed is invalid: 1 problem(s)" in err


def test_advisories_after_the_catalog_say_their_kev_status_is_unchecked(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    feed = broken_feed(
        tmp_path,
        "feed.yaml",
        META,
        META + "kev_catalog_date: '2025-08-20'\nkev_catalog_version: '2025.08.20'\n",
    )
    meetly = feed / "meetly.yaml"
    replace_once(meetly, "published: '2025-06-01'", "published: '2025-09-01'")
    code, out, err = run(capsys, "feed", "validate", str(feed))
    assert code == 0, err
    assert "no CISA KEV catalog is named" not in err
    # MSB-001 (2025-02-01) is before the catalog, MSB-002 (now 2025-09-01) after it.
    code, out, _ = run(capsys, "advisory", "MSB-001", "--feed", str(feed))
    assert "  exploited: not in CISA KEV\n" in out
    code, out, _ = run(capsys, "advisory", "MSB-002", "--feed", str(feed))
    assert (
        "exploited: unchecked: published after the CISA KEV catalog of 2025-08-20 that the "
        "feed was checked against affected:"
    ) in " ".join(out.split())  # wrapped to the width (100 columns when piped)
    code, out, _ = run(capsys, "advisory", "MSB-002", "--feed", str(feed), "-f", "json")
    (row,) = json.loads(out)["advisories"]
    assert (row["kev"], row["kev_status"]) == (False, "unchecked")
    code, out, _ = run(capsys, "feed", "info", "--feed", str(feed))
    assert code == 0
    assert "CISA KEV:     checked against catalog 2025.08.20 of 2025-08-20; 1 advisories" in out


def test_a_feed_without_a_catalog_says_every_kev_status_is_unchecked(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "feed", "validate", str(TEST_FEED_DIR))
    assert code == 0
    assert "kev_catalog_date: no CISA KEV catalog is named" in err
    code, out, _ = run(capsys, "advisory", "MSB-001", "--feed", str(TEST_FEED_DIR))
    assert "  exploited: unchecked: the feed names no CISA KEV catalog\n" in out
    code, out, _ = run(capsys, "feed", "info", "--feed", str(TEST_FEED_DIR))
    assert "CISA KEV:     no catalog named; every advisory's KEV status is unchecked" in out


# --- latest release against the newest fix -----------------------------------------------------


def test_a_latest_release_older_than_a_known_fix_is_a_warning(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    old = "  windows: {version: '6.2.5', date: '2025-12-01',"
    feed = broken_feed(tmp_path, "meetly.yaml", old, old.replace("6.2.5", "6.2.0"))
    code, _, err = run(capsys, "feed", "validate", str(feed))
    assert code == 0, err  # a stale latest release is worth knowing, not a broken feed
    assert re.search(
        r"vcaudit: warning: .*meetly\.yaml, line \d+: latest\.windows: 6\.2\.0 is older than "
        r"6\.2\.3, which fixes MSB-002 \(published 2025-06-01\); refresh the latest release",
        err,
    ), err
    # MSB-003's 9.9.9 is fixed on the vendor's servers: it says nothing about client releases.
    assert "9.9.9" not in err
    assert "latest.macos" not in err
    assert "latest.linux" not in err


def test_a_latest_release_that_is_the_fix_is_fresh(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    old = "  windows: {version: '6.2.5', date: '2025-12-01',"
    feed = broken_feed(tmp_path, "meetly.yaml", old, old.replace("6.2.5", "6.2.3"))
    code, _, err = run(capsys, "feed", "validate", str(feed))
    assert code == 0, err
    assert "latest.windows" not in err


@pytest.mark.slow
def test_the_bundled_feed_is_consistent(capsys: pytest.CaptureFixture[str]) -> None:
    """Every severity is its band, the KEV catalog is named, no latest release is stale."""
    code, out, err = run(capsys, "feed", "validate")
    assert code == 0, err
    assert "warning" not in err, err
    code, out, _ = run(capsys, "feed", "info")
    assert "CISA KEV:     checked against catalog 2025.08.25 of 2025-08-25;" in out


# --- the corrected records --------------------------------------------------------------------


def test_cve_2024_20396_has_its_own_score(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "advisory", "CVE-2024-20396", "-f", "json")
    assert code == 0
    (row,) = json.loads(out)["advisories"]
    assert row["id"] == "CVE-2024-20396"
    assert row["aliases"] == ["cisco-sa-webex-app-ZjNm8X8j"]
    assert row["cvss"] == {
        "version": "3.1",
        "score": 5.3,
        "vector": "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:N/A:N",
        "source": "vendor",
    }
    assert row["severity"] == "medium"
    # The bulletin id finds both of its CVEs, each with its own score.
    code, out, _ = run(capsys, "advisory", "cisco-sa-webex-app-ZjNm8X8j", "-f", "json")
    rows = json.loads(out)["advisories"]
    assert {r["id"]: r["cvss"]["score"] for r in rows} == {
        "CVE-2024-20395": 6.4,
        "CVE-2024-20396": 5.3,
    }


def test_cve_2023_34119_is_zoom_rooms_for_windows_only(bundled_feed: Feed) -> None:
    rooms = bundled_feed.product("zoom-rooms")
    assert rooms is not None
    (advisory,) = [a for a in rooms.advisories if "CVE-2023-34119" in a.ids]
    assert [sorted(r.platforms) for r in advisory.affected] == [[Platform.WINDOWS]]
    matcher = Matcher(TODAY)

    def hit(platform: Platform, version: str) -> bool:
        found = matcher.match(rooms, platform, version).hits
        return any("CVE-2023-34119" in h.advisory.ids for h in found)

    assert hit(Platform.WINDOWS, "5.14.0")
    assert not hit(Platform.WINDOWS, "5.15.0")
    assert not hit(Platform.MACOS, "5.14.0")
    assert not hit(Platform.LINUX, "5.14.0")


@pytest.mark.parametrize("cve", ["CVE-2023-29328", "CVE-2023-29330"])
def test_classic_teams_is_high_with_microsofts_label_kept(
    bundled_feed: Feed, capsys: pytest.CaptureFixture[str], cve: str
) -> None:
    classic = bundled_feed.product("teams-classic")
    assert classic is not None
    (advisory,) = [a for a in classic.advisories if a.id == cve]
    assert advisory.cvss is not None
    assert advisory.cvss.score == 8.8
    assert (advisory.severity, advisory.vendor_severity) == (Risk.HIGH, "critical")
    code, out, _ = run(capsys, "advisory", cve)
    assert code == 0
    assert "severity:  high (CVSS 3.1 8.8, vendor); the vendor calls it critical" in out


def test_the_json_report_carries_the_vendor_label_beside_the_band(bundled_feed: Feed) -> None:
    inst = make_installation(product="teams-classic", version="1.6.00.18680")
    report = run_audit([inst], bundled_feed, Policy(), TODAY)
    doc = json.loads(formatter_for(OutputFormat.JSON)(report, RenderOptions()))
    jsonschema.validate(doc, REPORT_SCHEMA)
    (row,) = installation_rows(doc)
    found = {a["id"]: a for a in row["advisories"]}
    assert found["CVE-2023-29328"]["severity"] == "high"
    assert found["CVE-2023-29328"]["vendor_severity"] == "critical"


def test_the_kev_status_of_bundled_advisories(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "advisory", "CVE-2023-4863")
    assert code == 0
    assert "  exploited: yes, in CISA KEV (added 2023-09-13)\n" in out
    code, out, _ = run(capsys, "advisory", "CVE-2023-29328")
    assert code == 0
    assert "  exploited: not in CISA KEV\n" in out
    code, out, _ = run(capsys, "advisory", "ZSB-26023")  # published 2026-11-10
    assert code == 0
    assert "  exploited: unchecked: published after the CISA KEV catalog of 2025-08-25" in out


# --- item 6: advisories whose builds can be compared ----------------------------------------


@pytest.mark.parametrize(
    ("product", "platform", "version", "advisory", "applies"),
    [
        # Talos named two macOS builds of new Teams (record versions and description).
        ("teams", Platform.MACOS, "24046.2812.2722.8193", "CVE-2024-41138", True),
        ("teams", Platform.MACOS, "24046.2813.2770.1094", "CVE-2024-42004", True),
        ("teams", Platform.MACOS, "24046.2813.2770.1095", "CVE-2024-42004", False),
        ("teams", Platform.WINDOWS, "24046.2813.2770.1094", "CVE-2024-41138", False),
        # NVD's configuration for CVE-2021-1536 names Webex Teams 3.0.15485.0 on Windows only.
        ("webex", Platform.WINDOWS, "3.0.15485.0", "CVE-2021-1536", True),
        ("webex", Platform.WINDOWS, "3.0.15711.0", "CVE-2021-1536", False),
        ("webex", Platform.MACOS, "3.0.15485.0", "CVE-2021-1536", False),
    ],
)
def test_single_named_builds(
    bundled_feed: Feed,
    product: str,
    platform: Platform,
    version: str,
    advisory: str,
    applies: bool,
) -> None:
    found = bundled_feed.product(product)
    assert found is not None
    hits = Matcher(TODAY).match(found, platform, version).hits
    assert any(advisory in h.advisory.ids for h in hits) is applies
