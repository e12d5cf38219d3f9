"""The auto-roller reads the contract-position book the stack handler keeps from fills, and
leaves an instrument with an open position break alone."""

from __future__ import annotations

import datetime as dt

import pytest

from sysobjects.orders import InstrumentOrder
from sysobjects.position_breaks import PositionBreak
from sysobjects.roll_state import RollState
from sysproduction.jobs.prices.auto_update_roll_status import auto_update_roll_status
from sysproduction.reports.roll_report import get_roll_info
from tests.sysproduction.synthetic_install import installation


@pytest.fixture
def held(tmp_path, tree):
    """An installation holding 3 in one instrument's priced contract, booked as a fill (a balance
    trade, the way a position enters the book without an order), five days before its roll."""
    blob, clock = installation(tmp_path / "inst", tree)
    blob.config = blob.config.with_overrides({"max_stale_days": 3650})
    info = get_roll_info(blob)
    instrument = info.index[0]
    priced = info.loc[instrument, "priced_contract"]
    order = InstrumentOrder("classic", instrument, 3, "balance", None, None, manual_trade=True, reason="test")
    blob.instrument_orders.book_balance_trade(order, priced, 100.0, clock.now())
    clock.set(dt.datetime.combine(info.loc[instrument, "roll_date"], dt.time(23, 30)) - dt.timedelta(days=5))
    return blob, instrument


def test_the_roller_sees_positions_booked_from_fills(held):
    blob, instrument = held
    summary = auto_update_roll_status(blob)
    assert summary.updated[instrument].startswith("No_Roll -> Passive: 3 held")


def test_a_position_break_keeps_the_roller_off_the_instrument(held):
    blob, instrument = held
    blob.instrument_locks.lock(instrument, "position break: book 3, broker 0", blob.clock.now())
    summary = auto_update_roll_status(blob)
    assert instrument not in summary.updated and instrument in summary.unchanged
    assert f"{instrument} (position break: book 3, broker 0)" in summary.note
    assert blob.roll_states.get(instrument).state is RollState.NO_ROLL
    blob.instrument_locks.unlock(instrument)
    assert auto_update_roll_status(blob).updated[instrument].startswith("No_Roll -> Passive")


def test_another_lock_does_not_stop_the_roller(held):
    blob, instrument = held
    blob.instrument_locks.lock(instrument, "manual: looking at margins", blob.clock.now())
    assert auto_update_roll_status(blob).updated[instrument].startswith("No_Roll -> Passive")


def test_a_break_under_a_hand_set_lock_still_keeps_the_roller_off(held):
    blob, instrument = held
    priced = get_roll_info(blob).loc[instrument, "priced_contract"]
    blob.instrument_locks.lock(instrument, "manual: looking at margins", blob.clock.now())
    blob.position_breaks.record(PositionBreak(instrument, ((priced, 3, 0),)), blob.clock.now(), locked_here=False)
    summary = auto_update_roll_status(blob)
    assert instrument not in summary.updated
    assert f"{priced} book 3 vs broker 0" in summary.note
