"""One mapper from how a run stopped to its exit code (the finished run's code is
`policy.decide_exit`, tested with the policy)."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from vcaudit.errors import (
    DeliveryError,
    FeedError,
    InputError,
    OutputError,
    UsageError,
    exit_code_for,
)
from vcaudit.models import ExitCode


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (UsageError("x"), ExitCode.USAGE),
        (InputError("f", "x"), ExitCode.BAD_INPUT),
        (OutputError("x"), ExitCode.BAD_INPUT),
        (FeedError("f", "x"), ExitCode.FEED),
        (DeliveryError("x"), ExitCode.DELIVERY),
        (KeyboardInterrupt(), ExitCode.INTERRUPTED),
        (OSError(errno.ENOSPC, "No space left on device"), ExitCode.BAD_INPUT),
        (OSError(errno.EPIPE, "Broken pipe"), ExitCode.BAD_INPUT),
        (OSError(errno.ENAMETOOLONG, "File name too long"), ExitCode.BAD_INPUT),
        (OSError(errno.ELOOP, "Too many levels of symbolic links"), ExitCode.BAD_INPUT),
        (OSError(errno.EACCES, "Permission denied"), ExitCode.INTERNAL),
        (RuntimeError("bug"), ExitCode.INTERNAL),
    ],
)
def test_every_way_a_run_stops_has_its_code(error: BaseException, code: ExitCode) -> None:
    assert exit_code_for(error) is code


def test_codes_are_the_documented_ones() -> None:
    assert {c.value for c in ExitCode} == {0, 1, 2, 3, 4, 5, 70, 130}


def test_an_argument_that_is_not_text_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    from vcaudit.cli import main

    assert main(["scan", "fleet.csv", "--output", "out-\ud800"]) == ExitCode.USAGE
    assert "an argument is not text: 'out-\\ud800'" in capsys.readouterr().err


def test_a_path_whose_name_is_too_long_is_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    from vcaudit.cli import main

    assert main(["scan", "fleet.csv", "--feed", "f" * 5000]) == ExitCode.BAD_INPUT
    err = capsys.readouterr().err
    assert err.startswith("vcaudit: error: fff")
    assert err.rstrip().endswith(": File name too long")
    assert "internal error" not in err


def test_the_bounded_reader_names_a_folder(tmp_path: Path) -> None:
    from vcaudit.files import read_regular

    with pytest.raises(ValueError, match=r"not a regular file \(a folder\)"):
        read_regular(tmp_path, 10)
