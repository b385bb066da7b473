"""Reports are written atomically: the previous report stays whole until the new one is
complete, an error mid-write keeps it as it was, and no temporary file is left behind."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import TODAY, write_fleet
from vcaudit.audit import run_audit_counts
from vcaudit.cli.common import _write_report
from vcaudit.errors import InputError, OutputError
from vcaudit.files import atomic_stream, atomic_write, read_regular
from vcaudit.inventory.aggregate import RereadFindings
from vcaudit.inventory.sources import aggregate_inventories, reopen_counted
from vcaudit.models import Feed
from vcaudit.output import OutputFormat, RenderOptions
from vcaudit.policy import Policy

OLD = "the previous report\n"


class Boom(Exception):
    """An error in the middle of writing a report."""


def write_then_fail(path: Path, text: str) -> None:
    with atomic_stream(path) as stream:
        stream.write(text)
        stream.flush()
        raise Boom


def test_the_old_file_stays_whole_while_the_new_one_is_written(tmp_path: Path) -> None:
    report = tmp_path / "report.txt"
    report.write_text(OLD, encoding="utf-8")
    with atomic_stream(report) as stream:
        stream.write("half of the new ")
        stream.flush()
        assert report.read_text(encoding="utf-8") == OLD
        stream.write("report\n")
    assert report.read_text(encoding="utf-8") == "half of the new report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.txt"]


def test_an_error_mid_write_keeps_the_old_report(tmp_path: Path) -> None:
    report = tmp_path / "report.txt"
    report.write_text(OLD, encoding="utf-8")
    with pytest.raises(Boom):
        write_then_fail(report, "x" * 100_000)
    assert report.read_text(encoding="utf-8") == OLD
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.txt"]


def test_an_error_mid_write_leaves_no_report_where_there_was_none(tmp_path: Path) -> None:
    report = tmp_path / "report.txt"
    with pytest.raises(Boom):
        write_then_fail(report, "partial")
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_replaces_and_keeps_the_mode(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    report.write_text(OLD, encoding="utf-8")
    report.chmod(0o640)
    atomic_write(report, "new\n")
    assert report.read_text(encoding="utf-8") == "new\n"
    assert report.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_a_missing_folder_or_a_directory_is_one_error(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="does not exist"):
        atomic_write(tmp_path / "nope" / "report.json", "x")
    with pytest.raises(OutputError, match="is a directory"):
        atomic_write(tmp_path, "x")


def test_an_input_is_never_overwritten(tmp_path: Path) -> None:
    fleet = write_fleet(tmp_path / "fleet.csv", ["h1,linux,meetly,6.2.5"])
    before = fleet.read_bytes()
    with pytest.raises(OutputError, match="refusing to overwrite an input file"):
        atomic_write(fleet, "report", inputs=[str(fleet)])
    assert fleet.read_bytes() == before


@pytest.mark.parametrize("fmt", [OutputFormat.JSON, OutputFormat.CSV])
def test_a_report_that_fails_mid_write_keeps_the_previous_report(
    test_feed: Feed, tmp_path: Path, fmt: OutputFormat
) -> None:
    """A counted CSV is read again while its rows are written; when it changed in between,
    the run stops with an error in the middle of the report, and the previous report stays."""
    fleet = write_fleet(tmp_path / "fleet.csv", (f"h{i},linux,meetly,6.2.5" for i in range(50)))
    report = run_audit_counts(
        aggregate_inventories([str(fleet)]), test_feed, Policy(), TODAY, reopen=reopen_counted
    )
    assert isinstance(report.findings, RereadFindings)
    with fleet.open("a", encoding="utf-8") as handle:
        handle.write("h99,linux,chatter,1.0\n")
    output = tmp_path / f"report.{fmt.value}"
    output.write_text(OLD, encoding="utf-8")
    with pytest.raises(InputError, match="changed while it was being read"):
        _write_report(fmt, report, RenderOptions(), output, [str(fleet)], quiet=True)
    assert output.read_text(encoding="utf-8") == OLD
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fleet.csv", output.name]


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_a_new_report_gets_the_mode_the_umask_gives(tmp_path: Path, umask: int, mode: int) -> None:
    previous = os.umask(umask)
    try:
        atomic_write(tmp_path / "report.json", "x")
    finally:
        os.umask(previous)
    assert (tmp_path / "report.json").stat().st_mode & 0o777 == mode


def test_an_input_that_does_not_exist_is_not_the_report(tmp_path: Path) -> None:
    atomic_write(tmp_path / "report.json", "x", inputs=[str(tmp_path / "missing.csv")])
    assert (tmp_path / "report.json").read_text(encoding="utf-8") == "x"


@pytest.mark.parametrize(
    ("limit", "said"),
    [
        (3 * 1024 * 1024, "larger than the 3 MiB limit"),
        (1024 * 1024, "larger than the 1 MiB limit"),
        (1024 * 1024 - 1, "larger than the 1023 KiB limit"),
        (2048, "larger than the 2 KiB limit"),
        (1024, "larger than the 1 KiB limit"),
        (1023, "larger than the 1023-byte limit"),
    ],
)
def test_a_file_past_its_limit_names_the_limit(tmp_path: Path, limit: int, said: str) -> None:
    path = tmp_path / "big"
    path.write_bytes(b"x" * (limit + 1))
    with pytest.raises(ValueError, match=f"^{said}$"):
        read_regular(path, limit)
    path.write_bytes(b"x" * limit)
    assert len(read_regular(path, limit)) == limit
