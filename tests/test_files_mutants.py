"""vcaudit.files, stated closely enough that a one-line bug in it fails a test: what an
atomic write leaves on disk, when it fails and what it says, which outputs are refused
before anything is read (and in which words), and what the bounded reader accepts."""

from __future__ import annotations

import io
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import pytest

from vcaudit.errors import OutputError, UsageError
from vcaudit.files import atomic_stream, atomic_write, check_outputs, read_regular


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# atomic_stream / atomic_write ------------------------------------------------------------


def test_text_is_written_as_utf8_with_its_line_ends_untouched(tmp_path: Path) -> None:
    report = tmp_path / "report.csv"
    with atomic_stream(report) as stream:
        stream.write("é,ü\r\nzwölf\n")
    assert report.read_bytes() == "é,ü\r\nzwölf\n".encode()


def test_atomic_write_takes_text_as_utf8_and_bytes_as_they_are(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    atomic_write(report, "naïve\n")
    assert report.read_bytes() == "naïve\n".encode()
    atomic_write(report, b"\xff\x00raw")
    assert report.read_bytes() == b"\xff\x00raw"


def test_a_binary_stream_takes_bytes(tmp_path: Path) -> None:
    report = tmp_path / "report.xlsx"
    with atomic_stream(report, binary=True) as stream:
        stream.write(b"PK\x03\x04")
    assert report.read_bytes() == b"PK\x03\x04"


def test_the_temporary_file_is_hidden_beside_the_target(tmp_path: Path) -> None:
    report = tmp_path / "report.txt"
    with atomic_stream(report) as stream:
        (temporary,) = (p for p in tmp_path.iterdir())
        assert temporary.name.startswith(".report.txt.")
        assert temporary.name.endswith(".tmp")
        stream.write("x")
    assert names(tmp_path) == ["report.txt"]


def test_a_relative_path_is_written_in_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    atomic_write(Path("report.txt"), "here\n")
    assert (tmp_path / "report.txt").read_text(encoding="utf-8") == "here\n"


def test_a_user_folder_path_is_expanded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    atomic_write(Path("~/report.txt"), "home\n")
    assert (tmp_path / "report.txt").read_text(encoding="utf-8") == "home\n"


def test_the_errors_name_the_path_as_given(tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "report.json"
    with pytest.raises(OutputError) as caught:
        atomic_write(missing, "x")
    assert str(caught.value) == f"{missing}: the folder {missing.parent} does not exist"
    with pytest.raises(OutputError) as caught:
        atomic_write(tmp_path, "x")
    assert str(caught.value) == f"{tmp_path}: is a directory"
    assert names(tmp_path) == []


def test_a_temporary_file_that_cannot_be_made_is_one_error(tmp_path: Path) -> None:
    # The longest name a folder takes, so the temporary name beside it is too long.
    report = tmp_path / ("r" * 255)
    with pytest.raises(OutputError) as caught:
        atomic_write(report, "x")
    assert str(caught.value) == f"{report}: cannot write: File name too long"
    assert names(tmp_path) == []


def test_a_rename_that_fails_keeps_the_old_report_and_removes_the_temporary(
    tmp_path: Path,
) -> None:
    report = tmp_path / "report.txt"

    def taken_meanwhile() -> None:
        with atomic_stream(report) as stream:
            stream.write("new")
            report.mkdir()  # something else takes the name while the report is written
            (report / "keep").write_text("other", encoding="utf-8")

    with pytest.raises(OutputError) as caught:
        taken_meanwhile()
    assert str(caught.value) == f"{report}: cannot write: Is a directory"
    assert names(tmp_path) == ["report.txt"]
    assert names(report) == ["keep"]


def test_an_interrupt_mid_write_keeps_the_old_report(tmp_path: Path) -> None:
    report = tmp_path / "report.txt"
    report.write_text("old\n", encoding="utf-8")

    def interrupted() -> None:
        with atomic_stream(report) as stream:
            stream.write("new")
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted()
    assert report.read_text(encoding="utf-8") == "old\n"
    assert names(tmp_path) == ["report.txt"]


def test_the_new_file_is_complete_on_disk_when_it_appears(tmp_path: Path) -> None:
    """What is written is in the file under its final name, also past the write buffer."""
    report = tmp_path / "report.txt"
    text = "line of a report\n" * 100_000
    with atomic_stream(report) as stream:
        stream.write(text)
    assert report.stat().st_size == len(text)


def test_an_existing_file_keeps_its_mode_whatever_the_umask(tmp_path: Path) -> None:
    report = tmp_path / "report.txt"
    report.write_text("old", encoding="utf-8")
    report.chmod(0o604)
    previous = os.umask(0o077)
    try:
        atomic_write(report, "new")
    finally:
        os.umask(previous)
    assert report.stat().st_mode & 0o777 == 0o604


def test_writing_a_report_leaves_the_umask_as_it_was(tmp_path: Path) -> None:
    previous = os.umask(0o027)
    try:
        atomic_write(tmp_path / "report.txt", "x")
        assert os.umask(0o027) == 0o027
    finally:
        os.umask(previous)
    assert (tmp_path / "report.txt").stat().st_mode & 0o777 == 0o640


def test_an_input_reached_by_another_name_is_never_overwritten(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet.csv"
    fleet.write_text("host\n", encoding="utf-8")
    (tmp_path / "link.csv").symlink_to(fleet)
    with pytest.raises(OutputError) as caught:
        atomic_write(tmp_path / "link.csv", "report", inputs=["-", str(fleet)])
    assert str(caught.value) == (
        f"{tmp_path / 'link.csv'}: refusing to overwrite an input file with the report"
    )
    assert fleet.read_text(encoding="utf-8") == "host\n"


def test_another_existing_input_does_not_stop_the_write(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet.csv"
    fleet.write_text("host\n", encoding="utf-8")
    atomic_write(tmp_path / "report.txt", "x", inputs=[str(fleet)])
    assert (tmp_path / "report.txt").read_text(encoding="utf-8") == "x"


@pytest.fixture
def stdin_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Standard input redirected from a file (`vcaudit scan - < fleet.csv`)."""
    fleet = tmp_path / "fleet.csv"
    fleet.write_text("host\n", encoding="utf-8")
    with fleet.open(encoding="utf-8") as handle:
        monkeypatch.setattr(sys, "stdin", handle)
        yield fleet


def test_the_file_standard_input_reads_is_never_overwritten(stdin_file: Path) -> None:
    with pytest.raises(OutputError) as caught:
        atomic_write(stdin_file, "report", inputs=["-"])
    assert str(caught.value) == (
        f"{stdin_file}: is standard input's file; refusing to overwrite an input file with the "
        "report"
    )
    assert stdin_file.read_text(encoding="utf-8") == "host\n"


def test_standard_input_from_another_file_does_not_stop_the_write(
    stdin_file: Path, tmp_path: Path
) -> None:
    atomic_write(tmp_path / "report.txt", "x", inputs=["-"])
    assert (tmp_path / "report.txt").read_text(encoding="utf-8") == "x"


# check_outputs --------------------------------------------------------------------------


def refused(outputs: list[Path | None], inputs: list[str]) -> str:
    with pytest.raises((UsageError, OutputError)) as caught:
        check_outputs(outputs, inputs)
    return f"{type(caught.value).__name__}: {caught.value}"


def test_one_file_named_twice(tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    assert refused([report, report], []) == (
        f"UsageError: {str(report)!r} is named twice: two reports would be written to one file"
    )


def test_one_file_under_two_names_exists_or_not(tmp_path: Path) -> None:
    one, other = tmp_path / "r.json", tmp_path / "sub" / ".." / "r.json"
    (tmp_path / "sub").mkdir()
    expected = (
        f"UsageError: {str(one)!r} and {str(other)!r}: two reports would be written to one file"
    )
    assert refused([one, other], []) == expected
    one.write_text("old", encoding="utf-8")
    link = tmp_path / "link.json"
    link.symlink_to(one)
    assert refused([one, link], []) == (
        f"UsageError: {str(one)!r} and {str(link)!r}: two reports would be written to one file"
    )


@pytest.mark.parametrize("second", [None, Path("-")])
def test_standard_output_twice(second: Path | None) -> None:
    assert refused([None, second], []) == (
        "UsageError: two reports would be written to standard output; give one a file"
    )


def test_different_outputs_and_inputs_pass(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet.csv"
    fleet.write_text("host\n", encoding="utf-8")
    check_outputs([None, tmp_path / "a.json", tmp_path / "b.json"], [str(fleet), "-"])
    check_outputs([tmp_path / "a.json"], [str(tmp_path / "missing.csv")])
    check_outputs([], [str(fleet)])


def test_an_output_that_is_an_input(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet.csv"
    fleet.write_text("host\n", encoding="utf-8")
    link = tmp_path / "report.csv"
    link.symlink_to(fleet)
    assert refused([tmp_path / "other.json", link], ["-", str(fleet)]) == (
        f"OutputError: {link}: refusing to overwrite an input file with the report"
    )


def test_an_output_that_is_standard_inputs_file(stdin_file: Path) -> None:
    assert refused([stdin_file], ["-"]) == (
        f"OutputError: {stdin_file}: is standard input's file; refusing to overwrite an input "
        "file with the report"
    )


def test_standard_output_redirected_to_an_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fleet = tmp_path / "fleet.csv"
    fleet.write_text("host\n", encoding="utf-8")
    with fleet.open("a", encoding="utf-8") as handle:
        monkeypatch.setattr(sys, "stdout", handle)
        message = refused([None], [str(fleet)])
    assert message == (
        f"OutputError: standard output: is the input {fleet}; refusing to write the report into "
        "an input file"
    )


def test_standard_output_redirected_to_standard_inputs_file(
    stdin_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with stdin_file.open("a", encoding="utf-8") as handle:
        monkeypatch.setattr(sys, "stdout", handle)
        message = refused([Path("-")], ["-"])
    assert message == (
        "OutputError: standard output: is standard input's file; refusing to write the report "
        "into an input file"
    )


def test_standard_output_to_another_file_or_a_capture_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fleet = tmp_path / "fleet.csv"
    fleet.write_text("host\n", encoding="utf-8")
    with (tmp_path / "out.txt").open("w", encoding="utf-8") as handle:
        monkeypatch.setattr(sys, "stdout", handle)
        check_outputs([None], [str(fleet)])
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    check_outputs([None], [str(fleet)])


def test_standard_input_that_is_not_a_file_reads_nothing_to_protect(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("host\n"))
    check_outputs([tmp_path / "r.json"], ["-"])
    read, write = os.pipe()
    try:
        with os.fdopen(read, encoding="utf-8") as pipe:
            monkeypatch.setattr(sys, "stdin", pipe)
            check_outputs([None, tmp_path / "r.json"], ["-"])
    finally:
        os.close(write)


# read_regular ---------------------------------------------------------------------------


class _Hung(Exception):
    pass


def _hung(signum: int, frame: FrameType | None) -> None:
    raise _Hung


def test_a_fifo_nobody_writes_to_is_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    previous = signal.signal(signal.SIGALRM, _hung)
    signal.alarm(20)  # fails the test instead of hanging it when the open blocks
    try:
        with pytest.raises(ValueError, match=r"^not a regular file \(a FIFO, device or socket\)$"):
            read_regular(fifo, 10)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_a_device_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"^not a regular file \(a FIFO, device or socket\)$"):
        read_regular(Path("/dev/zero"), 10)
    (tmp_path / "zero").symlink_to("/dev/zero")
    with pytest.raises(ValueError, match=r"^not a regular file \(a FIFO, device or socket\)$"):
        read_regular(tmp_path / "zero", 10)


def test_a_link_to_a_regular_file_is_read_whole(tmp_path: Path) -> None:
    (tmp_path / "key.pem").write_bytes(b"\x00key\r\n")
    (tmp_path / "link").symlink_to(tmp_path / "key.pem")
    assert read_regular(tmp_path / "link", 6) == b"\x00key\r\n"
    assert read_regular(tmp_path / "key.pem", 100) == b"\x00key\r\n"


def test_a_missing_file_is_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_regular(tmp_path / "missing", 10)


def test_a_refused_or_read_file_leaves_no_descriptor_open(tmp_path: Path) -> None:
    (tmp_path / "small").write_bytes(b"abc")
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(5):
        with pytest.raises(ValueError, match="not a regular file"):
            read_regular(tmp_path, 10)
        with pytest.raises(ValueError, match="limit"):
            read_regular(tmp_path / "small", 2)
        assert read_regular(tmp_path / "small", 3) == b"abc"
    assert len(os.listdir("/proc/self/fd")) == before


def test_an_input_whose_name_cannot_be_looked_at_is_not_the_report(tmp_path: Path) -> None:
    long = str(tmp_path / ("n" * 300))  # too long a name: looking at it fails
    atomic_write(tmp_path / "report.txt", "x", inputs=[long])
    assert (tmp_path / "report.txt").read_text(encoding="utf-8") == "x"


def test_a_file_named_dash_beside_standard_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "-").write_text("old", encoding="utf-8")
    check_outputs([None, tmp_path / "-"], [])  # standard output, and the file named -
    check_outputs([Path("-"), tmp_path / "-"], [])


def test_a_write_that_fails_keeps_the_old_report(tmp_path: Path) -> None:
    """A full disk (here a file size limit, RLIMIT_FSIZE: the write fails with EFBIG) leaves
    the previous report whole and no temporary file."""
    import resource

    report = tmp_path / "report.txt"
    report.write_text("old\n", encoding="utf-8")
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (10, hard))
    try:
        with pytest.raises(OutputError) as caught:
            atomic_write(report, "a new report, longer than ten bytes\n")
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)
    assert str(caught.value) == f"{report}: cannot write: File too large"
    assert report.read_text(encoding="utf-8") == "old\n"
    assert names(tmp_path) == ["report.txt"]
