"""refresh_additional_sampling_all_instruments: hourly bars of the contracts we trade merged into
their prices during the day; spikes held back; nothing traded, nothing sampled."""

from __future__ import annotations

import datetime as dt

import pytest

from sysexecution.stack_handler import refresh_additional_sampling_all_instruments
from tests.sysexecution.execution_helpers import TRADING, add_order, copy_installation, run_pass

STEP = refresh_additional_sampling_all_instruments


@pytest.fixture
def traded(tmp_path, template):
    """GOLD held (bought at 10:00), then three hours on."""
    blob, clock = copy_installation(template, tmp_path / "inst")
    add_order(blob, "GOLD", 1)
    run_pass(blob)
    ((_, contract),) = blob.contract_positions.all()
    clock.set(TRADING + dt.timedelta(hours=3))
    return blob, contract


def test_nothing_traded_nothing_sampled(tmp_path, template):
    blob, _ = copy_installation(template, tmp_path / "inst")
    summary = STEP(blob)
    assert summary.ok and summary.updated == {} and "nothing to sample" in summary.note


def test_hourly_bars_of_a_held_contract_are_merged(traded):
    blob, contract = traded
    before = blob.contract_prices.get("GOLD", contract)
    summary = STEP(blob)
    after = blob.contract_prices.get("GOLD", contract)
    new = after.index[after.index > before.index[-1]]
    # the session's hourly bars up to 13:00 (the bar stamped at the end of each hour)
    assert list(new) == list(blob.broker.contract_bars("GOLD", contract, "H").index[-len(new):])
    assert len(new) >= 2 and new[-1] == TRADING.replace(hour=13)
    assert summary.updated == {f"GOLD/{contract}": f"{len(new)} bar(s) to 2024-06-04 13:00"}
    assert after.loc[before.index].equals(before)  # stored history untouched
    assert STEP(blob).unchanged == [f"GOLD/{contract}"]  # nothing newer on a second run


def test_a_spike_is_held_back_not_written(traded):
    blob, contract = traded
    before = blob.contract_prices.get("GOLD", contract)
    blob.broker.faults.add("spike", count=1, instrument="GOLD", factor=10)
    summary = STEP(blob)
    assert list(summary.spiked) == [f"GOLD/{contract}"] and summary.failed == {}
    assert blob.contract_prices.get("GOLD", contract).equals(before)
