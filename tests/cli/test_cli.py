"""The command line end to end: exit codes, stdout versus stderr, files."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from tests.conftest import TEST_FEED_DIR
from tests.output.json_report import installation_rows
from vcaudit import __version__
from vcaudit.cli import main

FLEET = (
    "host,platform,product,version,owner\n"
    "pc-1,windows,Meetly Workplace (64-bit),5.16.9,it-ops\n"
    "pc-2,windows,meetly,6.2.5,it-ops\n"
    "mac-1,macos,com.example.meetly,6.2.3 (47510),\n"
    "pc-3,windows,Chatter,8.150.0.1,\n"
    "pc-4,linux,FooChat,1.0,\n"
)
BASE = ["--feed", str(TEST_FEED_DIR), "--as-of", "2026-01-15"]


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    path = tmp_path / "fleet.csv"
    path.write_text(FLEET, encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(
    capsys: pytest.CaptureFixture[str], flag: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No feed installed in this cache folder: the bundled feed's date is the one in use.
    monkeypatch.setenv("VCAUDIT_CACHE_DIR", str(tmp_path / "cache"))
    from vcaudit.feed.store import bundled_generated_at

    bundled = bundled_generated_at()
    assert bundled is not None
    code, out, _ = run(capsys, flag)
    assert code == 0
    assert out == f"vcaudit {__version__}, feed generated {bundled.isoformat()} (bundled)\n"


def test_table_scan_fails_on_high_by_default(
    capsys: pytest.CaptureFixture[str], fleet: Path
) -> None:
    code, out, err = run(capsys, "scan", str(fleet), *BASE)
    assert code == 1, err
    assert err == ""
    assert out.startswith("vcaudit: 5 hosts, 5 installations; feed of 2026-01-15")
    assert "critical" in out
    # 5.16.10 clears MSB-001, but 6.0.0 up to 6.2.3 are affected by MSB-002: no "or later".
    assert "Upgrade Meetly Workplace on windows on 1 host (pc-1) to 6.2.5, the latest" in out
    assert "or later" not in out
    assert "Replace Chatter on windows on 1 host (pc-3) with Meetly Workplace" in out
    assert out.rstrip().endswith("FAIL: 2 installations at or above --fail-on high")
    assert "\x1b[" not in out  # not a terminal: no colour


def test_fail_on_critical_and_none(capsys: pytest.CaptureFixture[str], fleet: Path) -> None:
    assert run(capsys, "scan", str(fleet), *BASE, "--fail-on", "critical")[0] == 1
    code, out, _ = run(capsys, "scan", str(fleet), *BASE, "--fail-on", "none")
    assert code == 0
    assert "PASS" in out


def test_bad_fail_on_is_a_usage_error(capsys: pytest.CaptureFixture[str], fleet: Path) -> None:
    code, out, err = run(capsys, "scan", str(fleet), *BASE, "--fail-on", "severe")
    assert code == 2
    assert out == ""
    assert "--fail-on: expected none, low, medium, high or critical, got 'severe'" in err


def test_strict(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "unknown.csv"
    path.write_text("host,platform,product,version\na,linux,FooChat,1\n", encoding="utf-8")
    assert run(capsys, "scan", str(path), *BASE)[0] == 0
    assert run(capsys, "scan", str(path), *BASE, "--strict")[0] == 1


def test_json_to_stdout_is_pure_and_deterministic(
    capsys: pytest.CaptureFixture[str], fleet: Path
) -> None:
    code, first, err = run(capsys, "scan", str(fleet), *BASE, "--format", "json")
    assert code == 1
    assert err == ""
    doc = json.loads(first)
    assert doc["summary"]["installations"] == 5
    assert [i["source"]["line"] for i in doc["installations"]] == [2, 3, 4, 5, 6]
    _, second, _ = run(capsys, "scan", str(fleet), *BASE, "--format", "json")
    assert first == second


def test_output_file_written_atomically(
    capsys: pytest.CaptureFixture[str], fleet: Path, tmp_path: Path
) -> None:
    target = tmp_path / "report.json"
    target.write_text("previous", encoding="utf-8")
    code, out, _ = run(capsys, "scan", str(fleet), *BASE, "-f", "json", "-o", str(target))
    assert code == 1
    assert out == ""
    assert json.loads(target.read_text(encoding="utf-8"))["schema_version"] == 2
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_output_never_overwrites_an_input(capsys: pytest.CaptureFixture[str], fleet: Path) -> None:
    code, _, err = run(capsys, "scan", str(fleet), *BASE, "-o", str(fleet))
    assert code == 3
    assert "refusing to overwrite an input file" in err
    assert fleet.read_text(encoding="utf-8") == FLEET


def test_output_into_missing_folder(
    capsys: pytest.CaptureFixture[str], fleet: Path, tmp_path: Path
) -> None:
    code, _, err = run(capsys, "scan", str(fleet), *BASE, "-o", str(tmp_path / "no" / "r.txt"))
    assert code == 3
    assert "does not exist" in err
    assert "Traceback" not in err


def test_details_lists_every_installation(
    capsys: pytest.CaptureFixture[str], fleet: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(fleet.parent)
    _, out, _ = run(capsys, "scan", "fleet.csv", *BASE, "--details")
    for host in ("pc-1", "pc-2", "mac-1", "pc-3", "pc-4"):
        assert host in out
    assert "fleet.csv:2" in out


def test_quiet_prints_only_the_verdict(capsys: pytest.CaptureFixture[str], fleet: Path) -> None:
    code, out, _ = run(capsys, "scan", str(fleet), *BASE, "-q")
    assert code == 1
    assert out == "FAIL: 2 installations at or above --fail-on high\n"


def test_color_always_and_never(capsys: pytest.CaptureFixture[str], fleet: Path) -> None:
    _, out, _ = run(capsys, "scan", str(fleet), *BASE, "--color", "always")
    assert "\x1b[" in out
    _, out, _ = run(capsys, "scan", str(fleet), *BASE, "--color", "never")
    assert "\x1b[" not in out


def test_stdin(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    stdin = io.TextIOWrapper(io.BytesIO(FLEET.encode("utf-8")), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", stdin)
    code, out, _ = run(capsys, "scan", "-", *BASE, "-f", "json")
    assert code == 1
    assert json.loads(out)["installations"][0]["source"]["file"] == "<stdin>"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            "host,platform,product,version\na,amiga,zoom,1\n",
            "line 2: platform: unknown platform 'amiga'",
        ),
        ("", "the file is empty"),
        ("host,product\n", "missing column version"),
    ],
)
def test_bad_inventory_exits_3_with_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str, expected: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    code, out, err = run(capsys, "scan", str(path), *BASE)
    assert code == 3
    assert out == ""
    assert expected in err
    assert err.startswith(f"vcaudit: error: {path}")
    assert "Traceback" not in err


def test_missing_inventory(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "scan", str(tmp_path / "nope.csv"), *BASE)
    assert code == 3
    assert "nope.csv: no such file" in err


def test_no_inventory_audits_this_machine(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "scan", *BASE, "-f", "json")
    assert code in (0, 1), err
    doc = json.loads(out)
    assert {i["platform"] for i in installation_rows(doc)} <= {"linux", "macos", "windows"}


def test_broken_feed_exits_4(
    capsys: pytest.CaptureFixture[str], fleet: Path, tmp_path: Path
) -> None:
    feed = tmp_path / "feed"
    feed.mkdir()
    (feed / "feed.yaml").write_text(
        "schema_version: 1\ngenerated_at: '2026-01-01T00:00:00Z'\npublisher: x\n", encoding="utf-8"
    )
    (feed / "demo.yaml").write_text(
        "id: demo\nname: Demo\nvendor: X\nadvisories:\n  - id: A\n    title: t\n"
        "    published: '2025-01-01'\n    severity: severe\n",
        encoding="utf-8",
    )
    code, out, err = run(capsys, "scan", str(fleet), "--feed", str(feed))
    assert code == 4
    assert out == ""
    assert "demo.yaml, line 8: advisories[0].severity: expected one of" in err


def test_internal_error_exits_70_without_traceback(
    capsys: pytest.CaptureFixture[str], fleet: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("vcaudit.audit.run_audit", explode)
    monkeypatch.setattr("vcaudit.audit.run_audit_counts", explode)
    code, _, err = run(capsys, "scan", str(fleet), *BASE)
    assert code == 70
    assert "internal error (RuntimeError)" in err
    assert "--debug" in err
    assert "http" not in err  # no address nobody has set up: how to report is said instead
    assert "Traceback" not in err
    code, _, err = run(capsys, "--debug", "scan", str(fleet), *BASE)
    assert code == 70
    assert "Traceback" in err


def test_products(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "products", "--feed", str(TEST_FEED_DIR), "-f", "json")
    assert code == 0
    doc = json.loads(out)
    ids = [p["id"] for p in doc["products"]]
    assert ids == ["chatter", "meetly", "slackish"]
    chatter = doc["products"][0]
    assert chatter["lifecycle"] == {
        "eol": True,
        "eol_date": "2025-05-05",
        "successor": "Meetly Workplace",
    }
    code, out, _ = run(capsys, "products", "--feed", str(TEST_FEED_DIR))
    assert code == 0
    assert "Meetly Workplace" in out


def test_bundled_feed_works_from_any_directory(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "products", "-f", "json")
    assert code == 0
    assert "teams" in [p["id"] for p in json.loads(out)["products"]]


def test_several_reports_in_one_run(
    capsys: pytest.CaptureFixture[str], fleet: Path, tmp_path: Path
) -> None:
    sarif = tmp_path / "out.sarif"
    junit = tmp_path / "out.xml"
    code, out, _ = run(
        capsys,
        "scan",
        str(fleet),
        *BASE,
        "-f",
        "json",
        "--report",
        f"sarif={sarif}",
        "--report",
        f"junit={junit}",
    )
    assert code == 1
    assert json.loads(out)["summary"]["installations"] == 5
    assert json.loads(sarif.read_text(encoding="utf-8"))["version"] == "2.1.0"
    assert junit.read_text(encoding="utf-8").startswith('<?xml version="1.0"')


@pytest.mark.parametrize(
    ("value", "message"),
    [("sarif", "expected FORMAT=PATH"), ("pdf=x.pdf", "unknown format 'pdf'")],
)
def test_bad_report_option(
    capsys: pytest.CaptureFixture[str], fleet: Path, value: str, message: str
) -> None:
    code, _, err = run(capsys, "scan", str(fleet), *BASE, "--report", value)
    assert code == 2
    assert message in err


def test_policy_file_found_in_working_directory_and_flags_win(
    capsys: pytest.CaptureFixture[str], fleet: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(fleet.parent)
    (fleet.parent / "vcaudit.yaml").write_text("fail_on: critical\n", encoding="utf-8")
    assert run(capsys, "scan", "fleet.csv", *BASE)[0] == 1  # meetly 5.16.9 is critical
    (fleet.parent / "vcaudit.yaml").write_text(
        "fail_on: critical\nignore:\n  - {id: MSB-001, reason: tested}\n", encoding="utf-8"
    )
    code, out, _ = run(capsys, "scan", "fleet.csv", *BASE)
    assert code == 0, out
    assert "with advisories ignored by the policy" in out
    assert run(capsys, "scan", "fleet.csv", *BASE, "--fail-on", "high")[0] == 1


def test_bad_policy_file_exits_3(
    capsys: pytest.CaptureFixture[str], fleet: Path, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("fail_on: high\nignroe: []\n", encoding="utf-8")
    code, out, err = run(capsys, "scan", str(fleet), *BASE, "--config", str(policy))
    assert code == 3
    assert out == ""
    assert f"{policy}, line 2: ignroe: unknown key" in err


@pytest.mark.slow
def test_config_init_and_check(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "config", "init")
    assert code == 0
    assert (tmp_path / "vcaudit.yaml").exists()
    code, _, err = run(capsys, "config", "init")
    assert code == 3
    assert "already exists" in err
    code, out, err = run(capsys, "config", "check")
    assert code == 0, err
    assert "vcaudit.yaml is valid: fail_on high, 1 ignore rule(s), 4 approved product(s)" in out
    (tmp_path / "vcaudit.yaml").write_text("approved: [zooom]\n", encoding="utf-8")
    code, _, err = run(capsys, "config", "check")
    assert code == 0
    assert "approved: 'zooom' is not a product in the feed" in err


def test_stale_feed_warns_or_fails(capsys: pytest.CaptureFixture[str], fleet: Path) -> None:
    late = ["--feed", str(TEST_FEED_DIR), "--as-of", "2026-06-01"]  # feed of 2026-01-15
    code, _, err = run(capsys, "scan", str(fleet), *late, "--fail-on", "none")
    assert code == 0
    assert "the feed is 137 days old" in err
    code, out, err = run(
        capsys, "scan", str(fleet), *late, "--fail-on", "none", "--max-feed-age", "30"
    )
    assert code == 4
    assert out.startswith("vcaudit:")  # the report is still written
    assert "older than the allowed 30" in err
