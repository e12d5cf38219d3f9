"""A bare simulated-broker installation (no prices needed: the account is cash until it trades)."""

from __future__ import annotations

import datetime as dt

import pytest

from syscore.clock import FixedClock
from tests.sysproduction.pipeline_helpers import blob_for
from tests.sysproduction.synthetic_install import synthetic_settings

START = dt.datetime(2026, 3, 2, 6, 0)  # a Monday morning


@pytest.fixture
def sim_blob(tmp_path):
    """(blob, clock): sim broker holding 1,000,000 USD cash, clock at START."""
    clock = FixedClock(START)
    return blob_for(tmp_path / "root", clock, **synthetic_settings()), clock
