"""CSV reports: a cell a spreadsheet would run as a formula starts with `'`, including the
full-width forms of = + - @ (U+FF1D, U+FF0B, U+FF0D, U+FF20), which Excel and LibreOffice
read as their ASCII counterparts."""

from __future__ import annotations

import csv
import io

import pytest

from tests.conftest import TODAY, make_installation
from vcaudit.audit import run_audit
from vcaudit.models import Feed
from vcaudit.output import OutputFormat, RenderOptions, formatter_for
from vcaudit.policy import Policy
from vcaudit.sanitize import csv_safe

STARTS = ["=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20"]


@pytest.mark.parametrize("start", STARTS)
def test_a_formula_start_is_neutralised(start: str) -> None:
    assert csv_safe(f"{start}HYPERLINK(1)") == f"'{start}HYPERLINK(1)"


@pytest.mark.parametrize("text", ["pc-1", "", "a=b", "\uff41\uff1d", "'quoted", "1+1"])
def test_other_text_is_kept(text: str) -> None:
    assert csv_safe(text) == text


def test_every_formula_host_is_text_in_the_csv_report(test_feed: Feed) -> None:
    rows = [
        make_installation("meetly", "6.2.5", host=f"{start}cmd|'/C calc'!A0", line=2 + i)
        for i, start in enumerate(STARTS)
    ]
    report = run_audit(rows, test_feed, Policy(), TODAY)
    text = formatter_for(OutputFormat.CSV)(report, RenderOptions())
    table = list(csv.DictReader(io.StringIO(text)))
    assert sorted(row["host"] for row in table) == sorted(
        f"'{start}cmd|'/C calc'!A0" for start in STARTS
    )
