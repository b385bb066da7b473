"""Reports that list every installation, from counted files read again: the same bytes as
row-by-row reading, for every format that lists rows, and an error if a file changed."""

from __future__ import annotations

import io
import random
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import TODAY, write_fleet
from vcaudit.audit import run_audit, run_audit_counts
from vcaudit.cli import main
from vcaudit.config import parse_policy
from vcaudit.errors import InputError
from vcaudit.inventory import native
from vcaudit.inventory.aggregate import RereadFindings
from vcaudit.inventory.formats import InputFormat
from vcaudit.inventory.sources import (
    aggregate_inventories,
    read_inventories,
    reopen_counted,
    rereadable,
)
from vcaudit.models import AuditReport, Feed
from vcaudit.output import OutputFormat, RenderOptions, writer_for
from vcaudit.policy import Policy

EXAMPLES = Path(__file__).resolve().parent.parent.parent / "examples"
HOSTILE = sorted(
    p for p in (Path(__file__).parent.parent / "data" / "hostile").iterdir() if p.suffix == ".csv"
)
ROW_FORMATS = [OutputFormat.JSON, OutputFormat.CSV, OutputFormat.JUNIT, OutputFormat.HTML]


def rendered(report: AuditReport) -> dict[str, str]:
    out = {}
    for fmt in ROW_FORMATS:
        buffer = io.StringIO()
        writer_for(fmt)(report, RenderOptions(width=100), buffer)
        out[fmt.value] = buffer.getvalue()
    buffer = io.StringIO()
    writer_for(OutputFormat.TABLE)(report, RenderOptions(width=100, details=True), buffer)
    out["details"] = buffer.getvalue()
    return out


def outputs(feed: Feed, names: list[str], policy: Policy, *, reread: bool) -> object:
    """Every row format's text, or the error, with rows kept or counted and read again."""
    try:
        if reread:
            report = run_audit_counts(
                aggregate_inventories(names), feed, policy, TODAY, reopen=reopen_counted
            )
            assert isinstance(report.findings, RereadFindings)
        else:
            report = run_audit(read_inventories(names), feed, policy, TODAY, keep_findings=True)
        return rendered(report)
    except InputError as exc:
        return str(exc)


def test_example_fleet(bundled_feed: Feed) -> None:
    names = [str(EXAMPLES / "fleet.csv")]
    assert rereadable(names, InputFormat.AUTO)
    counted = outputs(bundled_feed, names, Policy(), reread=True)
    assert counted == outputs(bundled_feed, names, Policy(), reread=False)
    assert isinstance(counted, dict)
    assert counted["json"].count('{"host":') == 30


@pytest.mark.parametrize("path", HOSTILE, ids=lambda p: p.name)
def test_hostile_files(test_feed: Feed, path: Path) -> None:
    names = [str(path)]
    if not rereadable(names, InputFormat.AUTO):
        return  # not a native CSV: such files are never read twice
    assert outputs(test_feed, names, Policy(), reread=True) == outputs(
        test_feed, names, Policy(), reread=False
    )


ODD = [
    "",
    '"quoted",linux,meetly,6.2.5,ops@example.com',
    "  padded  ,linux,meetly,6.2.5,",
    'h1,linux,"two\nlines",6.2.5,',
    "h2,linux,meetly,987654321987654321,",  # looks like the line stand-in
    'h3,linux,"Meetly {0} }{",6.2.5,{owner}',  # braces in the text
    "h4,linux,meetly,6.2.5,\r",
]


@pytest.mark.parametrize("block", [9, 128, 1 << 20])
# Seed 0 in the default run; the other five in the slow run (.ci/run runs both).
@pytest.mark.parametrize(
    "seed", [0, *(pytest.param(seed, marks=pytest.mark.slow) for seed in range(1, 6))]
)
def test_random_fleets(
    test_feed: Feed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int, seed: int
) -> None:
    monkeypatch.setattr(native, "_BLOCK", block)
    rng = random.Random(seed)
    rows = [
        f"host-{rng.randrange(60)},{rng.choice(['windows', 'linux', 'macos'])},"
        f"{rng.choice(['meetly', 'Meetly Workplace (64-bit)', 'chatter', 'nope'])},"
        f"{rng.choice(['5.16.9', '6.2.5', '6.2.47507', 'x'])},"
        f"{rng.choice(['', 'ops@example.com'])}"
        for _ in range(150)
    ]
    for line in rng.sample(ODD, k=rng.randrange(0, 4)):
        rows.insert(rng.randrange(len(rows) + 1), line)
    path = tmp_path / "fleet.csv"
    path.write_text("host,platform,product,version,owner\n" + "\n".join(rows), encoding="utf-8")
    policy = parse_policy(
        "ignore:\n  - {id: MSB-002, reason: accepted}\ndevices: {personal: {raise_risk: true}}\n",
        "p.yaml",
    ).policy
    names = [str(path)]
    counted = outputs(test_feed, names, policy, reread=True)
    assert counted == outputs(test_feed, names, policy, reread=False)


def test_user_column_and_host_elsewhere(test_feed: Feed, tmp_path: Path) -> None:
    rng = random.Random(4)
    rows = [
        f"{rng.choice(['linux', 'windows'])},meetly,{rng.choice(['6.2.5', '5.16.9'])},"
        f"host-{i % 40},{rng.choice(['', ' ann ', 'bob'])}"
        for i in range(300)
    ]
    one = tmp_path / "one.csv"
    one.write_text("platform,product,version,host,user\n" + "\n".join(rows), encoding="utf-8")
    two = tmp_path / "two.csv"
    two.write_text("host,platform,product,version\nhost-1,linux,chatter,1.0\n", encoding="utf-8")
    names = [str(one), str(two)]
    counted = outputs(test_feed, names, Policy(), reread=True)
    assert counted == outputs(test_feed, names, Policy(), reread=False)
    assert isinstance(counted, dict)
    assert '"user":"ann"' in counted["json"]


def test_a_file_that_changes_between_readings_is_an_error(test_feed: Feed, tmp_path: Path) -> None:
    path = tmp_path / "fleet.csv"
    path.write_text("host,platform,product,version\nh1,linux,meetly,6.2.5\n", encoding="utf-8")
    report = run_audit_counts(
        aggregate_inventories([str(path)]), test_feed, Policy(), TODAY, reopen=reopen_counted
    )
    with path.open("a", encoding="utf-8") as handle:
        handle.write("h2,linux,chatter,1.0\n")
    with pytest.raises(InputError, match="changed while it was being read"):
        list(report.findings)


def test_only_regular_native_csv_files_are_read_twice(tmp_path: Path) -> None:
    csv_file = tmp_path / "a.csv"
    csv_file.write_text("host,platform,product,version\nh,linux,zoom,1\n", encoding="utf-8")
    jsonl = tmp_path / "a.jsonl"
    jsonl.write_text('{"host": "h", "platform": "linux", "product": "zoom", "version": "1"}\n')
    assert rereadable([str(csv_file)], InputFormat.AUTO)
    assert not rereadable([str(csv_file), str(jsonl)], InputFormat.AUTO)
    assert not rereadable(["-"], InputFormat.AUTO)
    assert not rereadable([str(tmp_path)], InputFormat.AUTO)


@pytest.mark.slow
def test_cli_json_is_the_same_from_a_file_and_from_stdin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file is counted and read again; standard input is read row by row."""
    fleet = EXAMPLES / "fleet.csv"
    args = ["scan", "--as-of", "2026-11-27", "--format", "json", "--fail-on", "none"]
    assert main([*args, str(fleet)]) == 0
    from_file = capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(fleet.read_bytes())))
    assert main([*args, "-"]) == 0
    from_stdin = capsys.readouterr().out
    assert from_file.replace(str(fleet), "<stdin>") == from_stdin


def test_text_that_looks_like_a_stand_in_is_encoded_row_by_row(
    test_feed: Feed, tmp_path: Path
) -> None:
    """Text after a stand-in's place that equals it (a tag like the line stand-in), or text
    with braces: the same JSON all the same."""
    path = tmp_path / "fleet.csv"
    path.write_text(
        "host,platform,product,version,owner,tags\n"
        "h1,linux,meetly,987654321987654321,,987654321987654321\n"
        'h2,linux,"Meetly {0} }{",6.2.5,{owner},\n'
        "h3,linux,meetly,987654321987654321,ops@example.com,lab\n"
        "h4,linux,meetly,6.2.5,,987654321987654321\n",
        encoding="utf-8",
    )
    names = [str(path)]
    counted = outputs(test_feed, names, Policy(), reread=True)
    assert counted == outputs(test_feed, names, Policy(), reread=False)
    assert isinstance(counted, dict)
    assert '"version": "987654321987654321"' in counted["json"]


ROWS = st.lists(
    st.one_of(
        st.tuples(
            st.sampled_from(["h1", "h2", " h3 ", '"h,4"', "h5"]),
            st.sampled_from(["linux", "windows", "macos"]),
            st.sampled_from(["meetly", "chatter", "nope", '"Meetly, Inc"']),
            st.sampled_from(["6.2.5", "5.16.9", "x", ""]),
            st.sampled_from(["", "ops@example.com"]),
        ).map(",".join),
        st.sampled_from(ODD),
    ),
    max_size=40,
).map("\n".join)


@pytest.mark.slow  # 120 generated files, read both ways
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=ROWS, block=st.sampled_from([5, 17, 1 << 20]))
def test_fuzzed_files_list_the_same_rows_read_again(test_feed: Feed, body: str, block: int) -> None:
    old = native._BLOCK
    native._BLOCK = block
    try:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "fleet.csv"
            text = "host,platform,product,version,owner\n" + body
            path.write_text(text, encoding="utf-8")
            names = [str(path)]
            assert outputs(test_feed, names, Policy(), reread=True) == outputs(
                test_feed, names, Policy(), reread=False
            )
    finally:
        native._BLOCK = old


@pytest.mark.slow
def test_reading_again_reports_progress(test_feed: Feed, tmp_path: Path) -> None:
    path = tmp_path / "fleet.csv"
    write_fleet(path, (f"h{i},linux,meetly,6.2.5" for i in range(20_000)))
    report = run_audit_counts(
        aggregate_inventories([str(path)]), test_feed, Policy(), TODAY, reopen=reopen_counted
    )
    assert isinstance(report.findings, RereadFindings)
    seen: list[int] = []
    report.findings.progress = seen.append
    assert sum(1 for _ in report.findings) == 20_000
    assert seen
    assert seen == sorted(seen)
    assert seen[-1] == 20_000


def test_a_file_counted_for_counts_alone_is_not_signed(tmp_path: Path) -> None:
    """A report of counts (the table, SARIF) never reads a file again, so its bytes are not
    digested; a file counted to be read again is, and cannot be read again unsigned."""
    from vcaudit.inventory.context import ReadContext

    path = write_fleet(tmp_path / "fleet.csv", ["h1,linux,meetly,6.2.5", "h2,linux,meetly,6.2.5"])
    (signed,) = aggregate_inventories([str(path)])
    assert signed.origin is not None
    assert signed.origin.signature is not None
    assert signed.origin.signature.digest is not None  # read to its end, digested
    (unsigned,) = aggregate_inventories([str(path)], ctx=ReadContext(reread=False))
    assert unsigned.origin is not None
    assert unsigned.origin.signature is None
    assert unsigned.count == signed.count == 2
    with pytest.raises(InputError, match="cannot be read a second time"), \
            reopen_counted(unsigned.origin):  # fmt: skip
        pass


def test_rows_naming_no_product_or_version_are_passed_over_alike(
    test_feed: Feed, tmp_path: Path
) -> None:
    """Counted (the host-first fast path, where a line's text after its host is remembered)
    and read row by row: the same rows passed over, the same report."""
    path = tmp_path / "fleet.csv"
    path.write_text(
        "host,platform,product,version\n"
        "h1,linux,meetly,6.2.5\nh2,linux,,\nh3,linux,,\nh4,linux,meetly,6.2.5\nh5,linux,,\n",
        encoding="utf-8",
    )
    names = [str(path)]
    counted = outputs(test_feed, names, Policy(), reread=True)
    assert counted == outputs(test_feed, names, Policy(), reread=False)
    assert isinstance(counted, dict)
    assert '"host":"h4"' in counted["json"]
    assert '"host":"h2"' not in counted["json"]
    report = run_audit_counts(aggregate_inventories(names), test_feed, Policy(), TODAY)
    assert (report.summary.installations, report.summary.hosts) == (2, 2)
