"""The state file's history: each run that saves its state adds one (its open findings by risk
and status, installations, hosts, new and resolved), the last 90 are kept, a state kept before
the history was still loads (its run starts the history), and a damaged history is refused
like any damaged state: one line naming the file and the field, exit 3."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TEST_FEED_DIR, TODAY, make_installation, write_fleet
from vcaudit.audit import run_audit
from vcaudit.cli import main
from vcaudit.errors import InputError
from vcaudit.models import Feed, Risk, RunTally, Status
from vcaudit.notify.changes import (
    MAX_HISTORY,
    extend_history,
    load_state,
    write_state,
)
from vcaudit.notify.deliver import NotifySettings, deliver
from vcaudit.policy import Policy

CRITICAL = "5.16.9"  # MSB-001 in the test feed: vulnerable, critical
OUTDATED = "6.2.3"  # behind the latest: outdated, low
CURRENT = "6.2.5"
T0 = dt.datetime(2026, 1, 1, 8, 0, tzinfo=dt.UTC)


def scan(tmp_path: Path, state: Path, *rows: str) -> int:
    """`vcaudit scan --state` of a fleet of these CSV rows; its exit code."""
    fleet = write_fleet(tmp_path / "fleet.csv", rows)
    feed = ["--feed", str(TEST_FEED_DIR), "--as-of", TODAY.isoformat(), "--fail-on", "none"]
    out = ["--format", "json", "-o", str(tmp_path / "report.json")]
    return main(["scan", str(fleet), *feed, *out, "--state", str(state)])


def runs(state: Path) -> list[dict[str, Any]]:
    history = json.loads(state.read_text(encoding="utf-8"))["history"]
    assert isinstance(history, list)
    return history


def a_run(day: int, critical: int = 1) -> RunTally:
    return RunTally(
        run_at=(T0 + dt.timedelta(days=day)).isoformat(),
        by_risk=((Risk.CRITICAL, critical), (Risk.HIGH, 0), (Risk.MEDIUM, 0), (Risk.LOW, 0)),
        by_status=((Status.VULNERABLE, critical),),
        installations=critical + 1,
        hosts=critical + 1,
        new=0,
        resolved=0,
    )


def test_each_run_that_saves_its_state_adds_its_counts_to_the_history(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    first = ("pc-1,windows,meetly," + CRITICAL, "pc-2,windows,meetly," + OUTDATED)
    assert scan(tmp_path, state, *first) == 0
    (one,) = runs(state)
    assert one == {
        "run_at": json.loads(state.read_text(encoding="utf-8"))["run_at"],
        "open": {"critical": 1, "high": 0, "medium": 0, "low": 1},
        "status": {"vulnerable": 1, "outdated": 1},
        "installations": 2,
        "hosts": 2,
        "new": 2,
        "resolved": 0,
    }
    # pc-1 upgraded (resolved), pc-3 appears vulnerable (new), pc-4 is current (not open).
    second = (
        "pc-1,windows,meetly," + CURRENT,
        "pc-2,windows,meetly," + OUTDATED,
        "pc-3,windows,meetly," + CRITICAL,
        "pc-3,windows,meetly," + CRITICAL,
        "pc-4,windows,meetly," + CURRENT,
    )
    assert scan(tmp_path, state, *second) == 0
    history = runs(state)
    assert history[0] == one
    assert history[1]["open"] == {"critical": 1, "high": 0, "medium": 0, "low": 1}
    assert history[1]["status"] == {"vulnerable": 1, "outdated": 1}
    assert (history[1]["installations"], history[1]["hosts"]) == (5, 4)
    assert (history[1]["new"], history[1]["resolved"]) == (1, 1)
    assert history[1]["run_at"] == json.loads(state.read_text(encoding="utf-8"))["run_at"]
    # What was written reads back, as the report's numbers.
    loaded = load_state(state).history
    assert [r.open for r in loaded] == [2, 2]
    assert loaded[1].by_status == ((Status.VULNERABLE, 1), (Status.OUTDATED, 1))


def test_a_run_with_nothing_to_send_still_adds_to_the_history(
    test_feed: Feed, tmp_path: Path
) -> None:
    report = run_audit([make_installation("meetly", CRITICAL)], test_feed, Policy(), TODAY)
    settings = NotifySettings(state=tmp_path / "state.json", only_changes=True)
    for day in (1, 2):
        result = deliver(report, settings, now=T0 + dt.timedelta(days=day))
    assert result.skipped == "nothing changed since the last run: no message sent"
    history = load_state(tmp_path / "state.json").history
    assert [(r.run_at[:10], r.open, r.new) for r in history] == [
        ("2026-01-02", 1, 1),
        ("2026-01-03", 1, 0),
    ]


def test_the_history_keeps_the_last_90_runs(test_feed: Feed, tmp_path: Path) -> None:
    assert MAX_HISTORY == 90
    state = tmp_path / "state.json"
    kept = tuple(a_run(day) for day in range(90))
    write_state(state, {}, T0 + dt.timedelta(days=89), kept)
    assert load_state(state).history == kept
    assert extend_history(kept, a_run(90)) == (*kept[1:], a_run(90))
    # A run through the scan drops the oldest: 91 runs -> 90.
    assert scan(tmp_path, state, "pc-1,windows,meetly," + CRITICAL) == 0
    history = load_state(state).history
    assert len(history) == 90
    assert history[:-1] == kept[1:]
    assert history[-1].by_risk[0] == (Risk.CRITICAL, 1)
    assert history[-1].run_at > kept[-1].run_at


def test_a_longer_history_read_back_keeps_its_last_90_runs(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    doc = {
        "version": 1,
        "run_at": T0.isoformat(),
        "findings": [],
        "history": [{"run_at": a_run(d).run_at, "open": {"critical": d}} for d in range(95)],
    }
    state.write_text(json.dumps(doc), encoding="utf-8")
    history = load_state(state).history
    assert len(history) == 90
    assert [r.open for r in history] == list(range(5, 95))
    assert history[0].installations is None  # not recorded: unknown, not zero


OLD_STATE = """{
 "version": 1,
 "run_at": "2026-01-10T06:00:00+00:00",
 "findings": [
  {"host": "pc-1", "product": "meetly", "platform": "windows", "version": "5.16.9",
   "risk": "critical", "status": "vulnerable", "advisories": ["MSB-001"], "owner": ""},
  {"host": "pc-2", "product": "meetly", "platform": "windows", "version": "6.2.3",
   "risk": "low", "status": "outdated", "advisories": []}
 ]
}
"""


def test_a_state_kept_before_the_history_loads_and_its_run_starts_it(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text(OLD_STATE, encoding="utf-8")
    loaded = load_state(state)
    assert len(loaded.entries) == 2
    assert loaded.history == (
        RunTally(
            run_at="2026-01-10T06:00:00+00:00",
            by_risk=((Risk.CRITICAL, 1), (Risk.HIGH, 0), (Risk.MEDIUM, 0), (Risk.LOW, 1)),
            by_status=((Status.VULNERABLE, 1), (Status.OUTDATED, 1)),
        ),
    )
    assert scan(tmp_path, state, "pc-1,windows,meetly," + CRITICAL) == 0
    history = runs(state)
    assert history[0]["run_at"] == "2026-01-10T06:00:00+00:00"
    assert history[1]["run_at"] == json.loads(state.read_text(encoding="utf-8"))["run_at"]
    assert history[0]["installations"] is None  # the old state did not record it
    assert (history[1]["new"], history[1]["resolved"]) == (0, 1)


def test_a_state_without_a_time_starts_no_history(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text('{"version": 1, "findings": []}', encoding="utf-8")
    assert load_state(state).history == ()


def damaged(**run: Any) -> dict[str, Any]:
    good: dict[str, Any] = {"run_at": T0.isoformat(), "open": {"critical": 1}}
    good.update(run)
    return {"version": 1, "run_at": T0.isoformat(), "findings": [], "history": [good]}


DAMAGED = {
    "not a list": ({"version": 1, "run_at": "", "findings": [], "history": {}}, "history: "),
    "not an object": ({"version": 1, "findings": [], "history": [3]}, "history[0]: "),
    "no time": (damaged(run_at=None), "history[0].run_at: expected a date and time"),
    "no open": ({"version": 1, "findings": [], "history": [{"run_at": "2026-01-01"}]}, "open"),
    "not a time": (damaged(run_at="yesterday"), "history[0].run_at: expected a date"),
    "a time too long": (damaged(run_at="2026-01-01T00:00:00." + "1" * 50), "history[0].run_at"),
    "an unknown risk": (damaged(open={"severe": 1}), "history[0].open: unknown name 'severe'"),
    "the risk none": (damaged(open={"none": 1}), "history[0].open: unknown name 'none'"),
    "a negative count": (damaged(open={"high": -1}), "history[0].open.high: expected a count"),
    "a true count": (damaged(open={"high": True}), "history[0].open.high: expected a count"),
    "a fractional count": (damaged(hosts=1.5), "history[0].hosts: expected a count"),
    "a huge count": (damaged(installations=10**13), "history[0].installations: expected"),
    "a null risk count": (damaged(open={"low": None}), "history[0].open.low: expected a count"),
    "an unknown status": (damaged(status={"bad": 1}), "history[0].status: unknown name 'bad'"),
    "an unknown key": (damaged(note="x"), "history[0]: unknown key 'note'"),
}


@pytest.mark.parametrize("name", DAMAGED)
def test_a_damaged_history_is_refused_naming_the_file_and_field(tmp_path: Path, name: str) -> None:
    doc, said = DAMAGED[name]
    state = tmp_path / "state.json"
    state.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_state(state)
    message = str(caught.value)
    assert message.startswith(f"{state}: not a vcaudit state file (")
    assert said in message
    assert "delete it to start afresh" in caught.value.hint


def test_a_damaged_history_stops_the_scan_with_one_line_and_exit_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "state.json"
    state.write_text(json.dumps(damaged(open={"high": "many"})), encoding="utf-8")
    code = scan(tmp_path, state, "pc-1,windows,meetly," + CRITICAL)
    err = capsys.readouterr().err
    assert code == 3
    lines = err.splitlines()
    assert lines[0] == (
        f"vcaudit: error: {state}: not a vcaudit state file "
        "(history[0].open.high: expected a count from 0 to 1000000000000)"
    )
    assert [line for line in lines[1:] if not line.startswith("Tip: ")] == []
    assert "Traceback" not in err
    assert json.loads(state.read_text(encoding="utf-8"))["history"][0]["open"] == {"high": "many"}


def test_hostile_names_in_a_damaged_history_are_cut_short_and_inert(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "state.json"
    hostile = "\x1b]0;owned\x07\x1b[2J" + "A" * 500
    state.write_text(json.dumps(damaged(status={hostile: 1})), encoding="utf-8")
    code = scan(tmp_path, state, "pc-1,windows,meetly," + CRITICAL)
    err = capsys.readouterr().err
    assert code == 3
    assert "\x1b" not in err
    assert "\x07" not in err
    assert "A" * 40 not in err  # the name is cut short
    assert "history[0].status: unknown name" in err
