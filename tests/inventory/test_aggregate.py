"""Counting rows (for the table, Markdown and SARIF) gives exactly the report row-by-row
reading gives, and accepts and refuses exactly the same files."""

from __future__ import annotations

import csv
import io
import random
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.conftest import TODAY, write_fleet
from vcaudit.audit import run_audit, run_audit_counts
from vcaudit.cli import main
from vcaudit.config import parse_policy
from vcaudit.errors import InputError
from vcaudit.inventory.sources import aggregate_inventories, read_inventories
from vcaudit.models import AuditReport, Feed
from vcaudit.policy import Policy

EXAMPLES = Path(__file__).resolve().parent.parent.parent / "examples"
HOSTILE = sorted(
    p for p in (Path(__file__).parent.parent / "data" / "hostile").iterdir() if p.suffix == ".csv"
)


def shape(report: AuditReport) -> object:
    groups = sorted(
        (
            g.product,
            g.version,
            g.platform.value,
            g.assessment.status.value,
            g.assessment.risk,
            g.installations,
            g.hosts,
            g.owner,
            g.first.line if g.first else 0,
        )
        for g in report.groups
    )
    return report.summary, groups, report.warnings


def both(feed: Feed, names: list[str], policy: Policy) -> tuple[AuditReport, AuditReport]:
    counted = run_audit_counts(aggregate_inventories(names), feed, policy, TODAY)
    rows = run_audit(read_inventories(names), feed, policy, TODAY, keep_findings=False)
    return counted, rows


def test_example_fleet(bundled_feed: Feed) -> None:
    counted, rows = both(bundled_feed, [str(EXAMPLES / "fleet.csv")], Policy())
    assert shape(counted) == shape(rows)
    assert counted.summary.installations == 30


def test_repeated_rows_with_tags_owners_and_policy(test_feed: Feed, tmp_path: Path) -> None:
    rng = random.Random(3)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["host", "platform", "product", "version", "owner", "ownership", "tags", "user"]
    )
    for i in range(3000):
        writer.writerow(
            [
                f" host-{i % 700} ",
                rng.choice(["windows", "Win64", "macos"]),
                rng.choice(["meetly", "Meetly Workplace (64-bit)", "chatter", "nope"]),
                rng.choice(["5.16.9", "6.2.5", "6.1.0", "6.2.47507", "x"]),
                rng.choice(["", "ops@example.com"]),
                rng.choice(["company", "byod", ""]),
                rng.choice(["", "fin", "fin;lab"]),
                f"user{i}",
            ]
        )
    path = tmp_path / "fleet.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    policy = parse_policy(
        "ignore:\n  - {id: MSB-002, reason: r, tags: [lab]}\napproved: [meetly]\n"
        "devices: {personal: {raise_risk: true}}\nowners: {tags: {fin: fin@example.com}}\n",
        "p.yaml",
    ).policy
    counted, rows = both(test_feed, [str(path)], policy)
    assert shape(counted) == shape(rows)
    assert counted.summary.installations == 3000


@pytest.mark.parametrize("path", HOSTILE, ids=lambda p: p.name)
def test_same_files_accepted_and_refused(test_feed: Feed, path: Path) -> None:
    def outcome(count: bool) -> object:
        try:
            if count:
                report = run_audit_counts(
                    aggregate_inventories([str(path)]), test_feed, Policy(), TODAY
                )
            else:
                report = run_audit(
                    read_inventories([str(path)]), test_feed, Policy(), TODAY, keep_findings=False
                )
        except InputError as exc:
            return str(exc)
        return shape(report)

    assert outcome(True) == outcome(False)


@pytest.mark.slow
def test_table_is_the_same_either_way(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    args = ["scan", str(EXAMPLES / "fleet.csv"), "--as-of", "2026-11-27", "--color", "never"]
    main(args)
    counted = capsys.readouterr().out
    main([*args, "--report", f"json={tmp_path / 'rows.json'}"])  # a row format: rows kept
    rows = capsys.readouterr().out
    assert counted == rows


def outcome_of(feed: Feed, path: Path, count: bool) -> object:
    """The report's groups with their host names, or the error, read either way."""
    try:
        if count:
            report = run_audit_counts(aggregate_inventories([str(path)]), feed, Policy(), TODAY)
        else:
            report = run_audit(
                read_inventories([str(path)]), feed, Policy(), TODAY, keep_findings=False
            )
    except InputError as exc:
        return str(exc)
    names = sorted((g.product, g.version, g.owner, sorted(g.host_names)) for g in report.groups)
    return shape(report), names


# Lines that a fast path must hand to the row-by-row checks, or read exactly like them.
ODD_LINES = [
    "",
    "  ,  ,  ,  ",
    '"quoted host",linux,meetly,6.2.5',
    '" padded ",linux,meetly,6.2.5',
    "  spaced  ,linux,meetly,6.2.5",
    'h1,linux,"Meetly, the app",6.2.5',
    'h2,linux,"two\nlines",6.2.5',
    'h3,linux,meetly,"6.2.5"',
    "h4,linux,meetly,6.2.5\r",
    ",linux,meetly,6.2.5",
    "h5,linux,meetly",
    "h6,linux,meetly,6.2.5,extra",
    'h7,linux,"broken"quote,6.2.5',
    "h8,plan9,meetly,6.2.5",
    'h"9,linux,meetly,6.2.5',
    "x" * 70_000 + ",linux,meetly,6.2.5",
]


@pytest.mark.parametrize("block", [7, 64, 4096])
@pytest.mark.parametrize("seed", range(12))
def test_odd_lines_anywhere(
    test_feed: Feed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int, seed: int
) -> None:
    """Blank, quoted, multi-line and broken lines at any place, across any block boundary:
    counted reading gives what row-by-row reading gives, or the same error."""
    from vcaudit.inventory import native

    monkeypatch.setattr(native, "_BLOCK", block)
    rng = random.Random(seed)
    plain = [
        f"host-{rng.randrange(40)},{rng.choice(['windows', 'linux'])},"
        f"{rng.choice(['meetly', 'chatter', 'nope'])},{rng.choice(['5.16.9', '6.2.5', 'x'])}"
        for _ in range(300)
    ]
    odd = rng.sample(ODD_LINES, k=rng.randrange(1, 6))
    for line in odd:
        plain.insert(rng.randrange(len(plain) + 1), line)
    ending = rng.choice(["\n", "\r\n"])
    text = "host,platform,product,version" + ending + ending.join(plain)
    text += rng.choice(["", ending])
    path = tmp_path / "fleet.csv"
    path.write_bytes(("\ufeff" if seed % 3 == 0 else "").encode() + text.encode())
    assert outcome_of(test_feed, path, True) == outcome_of(test_feed, path, False)


@pytest.mark.parametrize(
    "header", ["platform,product,version,host", "host,platform,product,version,user"]
)
def test_host_elsewhere_or_a_user_column(test_feed: Feed, tmp_path: Path, header: str) -> None:
    rng = random.Random(5)
    columns = header.split(",")
    rows = []
    for i in range(2000):
        values = {
            "host": f"host-{i % 97}",
            "platform": rng.choice(["windows", "linux"]),
            "product": rng.choice(["meetly", "chatter"]),
            "version": rng.choice(["5.16.9", "6.2.5"]),
            "user": f"user{i}",
        }
        rows.append(",".join(values[c] for c in columns))
    path = tmp_path / "fleet.csv"
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    counted = outcome_of(test_feed, path, True)
    assert counted == outcome_of(test_feed, path, False)
    assert not isinstance(counted, str)


def test_an_over_long_user_is_checked_like_row_by_row(test_feed: Feed, tmp_path: Path) -> None:
    rows = [f"host-{i},linux,meetly,6.2.5,user{i}" for i in range(500)]
    rows.insert(321, "host-x,linux,meetly,6.2.5," + "u" * 70_000)
    path = tmp_path / "fleet.csv"
    path.write_text("host,platform,product,version,user\n" + "\n".join(rows), encoding="utf-8")
    counted = outcome_of(test_feed, path, True)
    assert counted == outcome_of(test_feed, path, False)
    assert isinstance(counted, str)
    assert ":323:" in counted.replace(" line ", ":")


def test_hosts_counted_once_across_files(test_feed: Feed, tmp_path: Path) -> None:
    """Hosts that appear in several inputs (CSV and JSON Lines) count once in the total."""
    one = tmp_path / "one.csv"
    write_fleet(one, (f"h{i},linux,meetly,6.2.5" for i in range(50)))
    two = tmp_path / "two.csv"
    write_fleet(two, (f"h{i},windows,chatter,1.0" for i in range(25, 90)))
    three = tmp_path / "three.jsonl"
    three.write_text(
        "".join(
            f'{{"host": "h{i}", "platform": "linux", "product": "meetly", "version": "1"}}\n'
            for i in range(80, 100)
        ),
        encoding="utf-8",
    )
    counted, rows = both(test_feed, [str(one), str(two), str(three)], Policy())
    assert shape(counted) == shape(rows)
    assert counted.summary.hosts == 100


LINE_PIECES = st.lists(
    st.sampled_from(
        ["h1", "h2", " h3 ", '"h4"', "linux", "windows", "meetly", "chatter", "6.2.5", "5.16.9",
         ",", ",", ",", '"', '""', "\n", "\r\n", " ", "", "x" * 70_000]
    ),
    max_size=12,
).map("".join)  # fmt: skip
# Mostly valid rows, so that the property compares real reports; a few pieces of broken lines
# (none in a good share of the files) are put in at random places.
VALID_ROWS = st.lists(
    st.tuples(
        st.sampled_from(["h1", "h2", " h3 ", '"h4"', "h5"]),
        st.sampled_from(["linux", "windows"]),
        st.sampled_from(["meetly", "chatter", "nope"]),
        st.sampled_from(["6.2.5", "5.16.9", "x"]),
    ).map(",".join),
    min_size=1,
    max_size=30,
)
ODD_PIECES = st.lists(st.tuples(st.integers(0, 30), LINE_PIECES), max_size=2)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=VALID_ROWS,
    odd=ODD_PIECES,
    ending=st.sampled_from(["\n", "\r\n"]),
    block=st.sampled_from([5, 17, 1 << 20]),
)
@pytest.mark.slow
def test_fuzzed_files_read_the_same_counted_or_row_by_row(
    test_feed: Feed, rows: list[str], odd: list[tuple[int, str]], ending: str, block: int
) -> None:
    from vcaudit.inventory import native

    lines = list(rows)
    for at, piece in odd:
        lines.insert(min(at, len(lines)), piece)
    old = native._BLOCK
    native._BLOCK = block
    try:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "fleet.csv"
            path.write_text("host,platform,product,version\n" + ending.join(lines), "utf-8")
            counted = outcome_of(test_feed, path, True)
            assert counted == outcome_of(test_feed, path, False)
            event("error" if isinstance(counted, str) else "report")
            if not odd:
                # Valid rows only: a report (never an error), one installation per row.
                assert not isinstance(counted, str), counted
                report = run_audit_counts(
                    aggregate_inventories([str(path)]), test_feed, Policy(), TODAY
                )
                assert report.summary.installations == len(rows)
    finally:
        native._BLOCK = old


def test_counting_reports_progress(tmp_path: Path) -> None:
    from vcaudit.inventory.aggregate import PROGRESS_EVERY, aggregate_csv
    from vcaudit.inventory.context import ReadContext

    rows = PROGRESS_EVERY * 2 + 10
    path = tmp_path / "fleet.csv"
    write_fleet(path, (f"h{i},linux,meetly,6.2.5" for i in range(rows)))
    seen: list[int] = []
    ctx = ReadContext()
    ctx.progress = seen.append
    with path.open("rb") as handle:
        (only,) = list(aggregate_csv(handle, str(path), ctx))
    assert only.count == rows
    assert len(seen) == 2
    assert seen == sorted(seen)
    assert seen[0] >= PROGRESS_EVERY
    assert seen[-1] <= rows + 1


@pytest.mark.slow
@pytest.mark.parametrize(("users", "parse_all"), [("each", True), ("none", False)])
def test_line_texts_are_remembered_only_while_they_repeat(
    tmp_path: Path, users: str, parse_all: bool
) -> None:
    """A user column that differs on every line (neither next to the host nor last, where
    it is cut from the text) makes every text new: past a point the counter stops remembering
    texts and parses lines; an empty one keeps the texts useful."""
    from vcaudit.inventory.aggregate import _REMEMBERED_TEXTS, aggregate_csv

    rows = _REMEMBERED_TEXTS + 5000
    path = tmp_path / "fleet.csv"
    path.write_text(
        "host,platform,user,product,version\n"
        + "".join(
            f"h{i},linux,{f'u{i}' if users == 'each' else ''},meetly,6.2.5\n" for i in range(rows)
        ),
        encoding="utf-8",
    )
    with path.open("rb") as handle:
        (only,) = list(aggregate_csv(handle, str(path)))
    assert only.count == rows
    assert only.origin is not None
    assert only.origin.parse_all is parse_all
