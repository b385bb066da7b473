"""One mapper from how a run stopped to its exit code (the finished run's code is
`policy.decide_exit`, tested with the policy)."""

from __future__ import annotations

import errno

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
        (OSError(errno.EACCES, "Permission denied"), ExitCode.INTERNAL),
        (RuntimeError("bug"), ExitCode.INTERNAL),
    ],
)
def test_every_way_a_run_stops_has_its_code(error: BaseException, code: ExitCode) -> None:
    assert exit_code_for(error) is code


def test_codes_are_the_documented_ones() -> None:
    assert {c.value for c in ExitCode} == {0, 1, 2, 3, 4, 5, 70, 130}
