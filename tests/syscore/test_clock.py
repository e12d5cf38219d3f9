"""The shared simulated clock: a clock file that cannot be written is one user error."""

from __future__ import annotations

import datetime as dt

import pytest

from syscore.clock import SharedSimClock
from syscore.exceptions import SysprodError


def test_moving_a_clock_whose_file_cannot_be_written_is_one_clear_error(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a directory")
    clock = SharedSimClock(blocker / "sim_clock.json")  # its folder is a file: NotADirectoryError
    with pytest.raises(SysprodError, match=r"cannot move the simulated clock: .* is not writable"):
        clock.set(dt.datetime(2024, 1, 2))
    with pytest.raises(SysprodError, match=r"cannot read the simulated clock"):
        clock.advance(dt.timedelta(days=1))
