"""JUnit XML as Jenkins and GitLab take it: valid against the schema Jenkins' xunit plugin
validates with (tests/data/junit-10.xsd, copied from jenkinsci/xunit-plugin, source in its
first line), test names that stay the same when inventory rows are added or moved, unique
names for rows that would share one, and untrusted line breaks that stay inert."""

from __future__ import annotations

import random
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest
import xmlschema

from tests.conftest import TODAY, make_installation
from tests.output.test_formats import CASES, build
from vcaudit.audit import run_audit
from vcaudit.models import Feed, Installation, Platform, Source
from vcaudit.output import OutputFormat, RenderOptions, formatter_for
from vcaudit.policy import Policy

XSD = xmlschema.XMLSchema10(Path(__file__).parent.parent / "data" / "junit-10.xsd")


def _junit(feed: Feed, rows: list[Installation]) -> str:
    report = run_audit(rows, feed, Policy(), TODAY)
    return formatter_for(OutputFormat.JUNIT)(report, RenderOptions())


def _names(text: str) -> list[str]:
    return [case.get("name", "") for case in ET.fromstring(text.encode()).iter("testcase")]


def _rows(*specs: tuple[str, str, str]) -> list[Installation]:
    return [
        make_installation(product, version, host=host, line=2 + i)
        for i, (host, product, version) in enumerate(specs)
    ]


@pytest.mark.parametrize("case", list(CASES))
def test_every_case_is_valid_against_the_jenkins_schema(test_feed: Feed, case: str) -> None:
    text = formatter_for(OutputFormat.JUNIT)(build(test_feed, case), RenderOptions())
    XSD.validate(text)


def test_the_schema_refuses_what_vcaudit_no_longer_writes() -> None:
    """The check has teeth: `file` on a testcase or `skipped` on testsuites is refused."""
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        XSD.validate('<testsuites skipped="0"/>')
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        XSD.validate(
            '<testsuites><testsuite name="a" tests="1" failures="0" errors="0">'
            '<testcase name="x" file="f.csv"/></testsuite></testsuites>'
        )


def test_names_do_not_change_when_rows_are_added_or_moved(test_feed: Feed) -> None:
    rows = _rows(
        ("pc-1", "meetly", "5.16.9"), ("pc-2", "meetly", "6.2.5"), ("mac-1", "slackish", "4.0")
    )
    before = set(_names(_junit(test_feed, rows)))
    assert before == {
        "pc-1: Meetly Workplace 5.16.9 (windows)",
        "pc-2: Meetly Workplace 6.2.5 (windows)",
        "mac-1: Slackish 4.0 (windows)",
    }
    added = _rows(("pc-0", "meetly", "6.2.5"), *[(r.host, r.product, r.version) for r in rows])
    assert before < set(_names(_junit(test_feed, added)))
    moved = list(reversed(rows))
    moved = [replace(r, source=Source(r.source.file, 40 + i)) for i, r in enumerate(moved)]
    assert set(_names(_junit(test_feed, moved))) == before


def test_rows_sharing_a_name_are_told_apart_by_what_differs(test_feed: Feed) -> None:
    base = make_installation("meetly", "6.2.5", host="pc-1")
    rows = [
        replace(base, user="alice", source=Source("fleet.csv", 2)),
        replace(base, user="bob", source=Source("fleet.csv", 3)),
        replace(base, source=Source("fleet.csv", 4)),
        replace(base, product="Meetly Workplace (64-bit)", source=Source("fleet.csv", 5)),
        make_installation("meetly", "6.2.5", host="pc-2"),
    ]
    names = _names(_junit(test_feed, rows))
    assert len(set(names)) == len(names) == 5
    assert set(names) == {
        "pc-1: Meetly Workplace 6.2.5 (windows) [as meetly; user alice]",
        "pc-1: Meetly Workplace 6.2.5 (windows) [as meetly; user bob]",
        "pc-1: Meetly Workplace 6.2.5 (windows) [as meetly; no user]",
        "pc-1: Meetly Workplace 6.2.5 (windows) [as Meetly Workplace (64-bit); no user]",
        "pc-2: Meetly Workplace 6.2.5 (windows)",
    }
    # Whatever the order of the rows and their lines, the same names.
    shuffled = rows[:]
    random.Random(7).shuffle(shuffled)
    shuffled = [replace(r, source=Source(r.source.file, 90 - i)) for i, r in enumerate(shuffled)]
    assert set(_names(_junit(test_feed, shuffled))) == set(names)


def test_rows_alike_in_everything_are_numbered(test_feed: Feed) -> None:
    rows = [make_installation("meetly", "6.2.5", host="pc-1", line=n) for n in (2, 3, 4)]
    rows.append(replace(rows[0], user="carol", source=Source("fleet.csv", 9)))
    names = _names(_junit(test_feed, rows))
    assert sorted(names) == [
        "pc-1: Meetly Workplace 6.2.5 (windows) [no user; #1]",
        "pc-1: Meetly Workplace 6.2.5 (windows) [no user; #2]",
        "pc-1: Meetly Workplace 6.2.5 (windows) [no user; #3]",
        "pc-1: Meetly Workplace 6.2.5 (windows) [user carol]",
    ]
    assert len(set(names)) == 4


def test_a_long_host_keeps_the_part_that_makes_it_unique(test_feed: Feed) -> None:
    base = make_installation("meetly", "6.2.5", host="h" * 5000)
    rows = [replace(base, user="alice"), replace(base, user="bob")]
    names = _names(_junit(test_feed, rows))
    assert len(set(names)) == 2
    assert all(len(name) <= 2000 for name in names)
    assert {name.rsplit(" [", 1)[1] for name in names} == {"user alice]", "user bob]"}


BREAKS = ["\r", "\n", "\r\n", "\u2028", "\u2029", "\x85", "\x0b", "\x0c"]


@pytest.mark.parametrize("brk", BREAKS)
def test_line_breaks_in_untrusted_text_are_inert(test_feed: Feed, brk: str) -> None:
    host = f"pc-1{brk}::error::injected"
    rows = [
        replace(
            make_installation("meetly", "5.16.9", host=host),
            owner=f"ops{brk}owner: someone else",
            source=Source(f"fleet{brk}.csv", 2),
        ),
        make_installation(f"Foo{brk}Chat", f"1.0{brk}x", Platform.LINUX, host=host),
    ]
    text = _junit(test_feed, rows)
    XSD.validate(text)
    root = ET.fromstring(text.encode())
    for case in root.iter("testcase"):
        name = case.get("name", "")
        assert not any(c in name for c in BREAKS), repr(name)
        for child in case:
            assert not any(c in child.get("message", "") for c in BREAKS), child.get("message")
            body = child.text or ""
            # Only vcaudit's own line breaks: each line starts with one of its labels.
            for line in body.splitlines()[1:]:
                assert line.startswith(("MSB-", "upgrade", "owner: ops", "source: fleet")), line
            assert "\u2028" not in body
            assert "\u2029" not in body
    assert "pc-1" in text
