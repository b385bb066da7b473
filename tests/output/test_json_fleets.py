"""Fleets for the JSON and JSON Lines reports: a native CSV is counted, then read again while
the report is written; whatever the file's shape (quoted fields, CRLF line ends, blank lines,
a user on every row, the user column anywhere, another delimiter, several blocks), the report
is the one reading the rows one by one gives."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import pytest

from tests.conftest import TODAY
from vcaudit.audit import run_audit, run_audit_counts
from vcaudit.config import parse_policy
from vcaudit.inventory.sources import aggregate_inventories, read_inventories, reopen_counted
from vcaudit.models import AuditReport, Feed
from vcaudit.output import OutputFormat, RenderOptions, formatter_for

VERSIONS = ["5.16.9", "6.2.5", "6.1.0", "5.16.10", "6.0.1"]


def both(feed: Feed, path: Path) -> tuple[AuditReport, AuditReport]:
    policy = parse_policy("", "vcaudit.yaml").policy
    counted = run_audit_counts(
        aggregate_inventories([str(path)]), feed, policy, TODAY, reopen=reopen_counted
    )
    one_by_one = run_audit(read_inventories([str(path)]), feed, policy, TODAY)
    return counted, one_by_one


def fleet(
    rows: int,
    user: str = "",
    quote_every: int = 0,
    blank_every: int = 0,
    blank: str = "",
    quote_users: int = 0,
) -> list[str]:
    """Data lines: host first, then platform, product, version and `user` where asked
    ("last" or "second"); a `blank` line every `blank_every` rows."""
    out = []
    for i in range(rows):
        host = f"pc-{i // 3:05d}"
        if quote_every and i % quote_every == 0:
            host = f'"{host}, floor 2"'
        version = VERSIONS[i % len(VERSIONS)]
        cells = [host, "windows", "meetly", version]
        name = f'"user{i}, team"' if quote_users and i % quote_users == 1 else f"user{i}"
        if user == "last":
            cells.append(name)
        elif user == "second":
            cells.insert(1, name)
        elif user == "third":
            cells.insert(2, name)
        out.append(",".join(cells))
        if blank_every and i % blank_every == 0:
            out.append(blank)
    return out


def header(user: str) -> str:
    if user == "second":
        return "host,user,platform,product,version"
    if user == "third":
        return "host,platform,user,product,version"
    return "host,platform,product,version" + (",user" if user == "last" else "")


class Case(NamedTuple):
    rows: int
    user: str = ""
    quote_every: int = 0
    blank_every: int = 0
    blank: str = ""
    quote_users: int = 0
    ending: str = "\n"
    delimiter: str = ","


CASES = {
    "plain": Case(3000),
    "user last": Case(3000, "last"),
    "user second": Case(3000, "second"),
    "user third": Case(3000, "third"),
    "quoted users": Case(3000, "last", quote_users=4),
    "quoted users second": Case(3000, "second", quote_users=4),
    "quoted hosts": Case(3000, quote_every=7),
    "empty lines": Case(3000, blank_every=11),
    "lines of empty cells": Case(3000, blank_every=11, blank=" ,,, "),
    "user and blanks": Case(3000, "last", blank_every=13, blank=" ,, ,"),
    "crlf": Case(3000, "last", ending="\r\n"),
    "crlf, quoted, blanks": Case(3000, quote_every=5, blank_every=7, ending="\r\n"),
    "semicolons": Case(3000, "last", delimiter=";"),
    "semicolons, quoted": Case(3000, "last", quote_every=9, delimiter=";"),
    "several blocks": Case(20_000, "last"),
}


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.slow
def test_counted_and_read_again_is_the_row_by_row_report(
    test_feed: Feed, tmp_path: Path, name: str
) -> None:
    case = CASES[name]
    lines = [
        header(case.user),
        *fleet(
            case.rows, case.user, case.quote_every, case.blank_every, case.blank, case.quote_users
        ),
    ]
    text = case.ending.join(lines) + case.ending
    path = tmp_path / "fleet.csv"
    path.write_text(text.replace(",", case.delimiter), encoding="utf-8", newline="")
    counted, one_by_one = both(test_feed, path)
    assert counted.summary.installations == case.rows
    for fmt in (OutputFormat.JSON, OutputFormat.JSONL):
        got = formatter_for(fmt)(counted, RenderOptions())
        assert got == formatter_for(fmt)(one_by_one, RenderOptions()), fmt


@pytest.mark.slow
def test_a_user_on_every_row_past_the_remembered_texts(test_feed: Feed, tmp_path: Path) -> None:
    """Lines that never repeat (a user each) stop being remembered after 65,536 and are all
    parsed: still the same report, each row with its own user and line."""
    rows = 70_000
    path = tmp_path / "fleet.csv"
    path.write_text("\n".join([header("last"), *fleet(rows, user="last")]) + "\n", encoding="utf-8")
    counted, one_by_one = both(test_feed, path)
    got = formatter_for(OutputFormat.JSONL)(counted, RenderOptions())
    assert got == formatter_for(OutputFormat.JSONL)(one_by_one, RenderOptions())
    last = got.splitlines()[-1]
    assert f'"user":"user{rows - 1}"' in last
    assert f'"line":{rows + 1}' in last


@pytest.mark.slow
@pytest.mark.parametrize("user", ["last", "second"])
def test_a_user_next_to_the_host_or_last_keeps_texts_remembered(tmp_path: Path, user: str) -> None:
    """Cut from the text after the host, a user that differs on every line leaves the
    lines' texts repeating: they stay remembered (and lines are not parsed one by one)."""
    from vcaudit.inventory.aggregate import _REMEMBERED_TEXTS, aggregate_csv

    rows = _REMEMBERED_TEXTS + 5000
    path = tmp_path / "fleet.csv"
    path.write_text("\n".join([header(user), *fleet(rows, user)]) + "\n", encoding="utf-8")
    with path.open("rb") as handle:
        found = list(aggregate_csv(handle, str(path)))
    assert sum(a.count for a in found) == rows
    origin = found[0].origin
    assert origin is not None
    assert origin.parse_all is False
    assert len(origin.texts) == len(VERSIONS)
