"""Stored prices have no permanent holes and no unchecked spikes, and a roll is priced from the
two contracts at one timestamp (the synthetic simulated market, the real jobs and tools).

- a bar that reaches the contract prices after its multiple-prices row was built (accepted after a
  spike check, or written late) fills that row and its adjusted row on the next run; rows before
  it are kept byte for byte and a rerun with nothing new changes nothing;
- a contract's first fetch is spike-checked against the instrument's level;
- the daily roll's differential is new minus old contract price at the same timestamp, and a roll
  without recent prices of both contracts is refused, saying which contract and since when.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sysbrokers.broker import BarFrequency
from sysbrokers.sim.faults import FaultBook
from syscore.exceptions import SysprodError
from syslogdiag import flush_logs, setup_process_logging, shutdown_logging
from sysobjects.multiple_prices_update import current_contracts
from sysobjects.roll_state import RollState
from sysproduction.interactive.manual_check_historical_prices import (
    interactive_manual_check_historical_prices as manual_check_menu,
)
from sysproduction.interactive.menu import Prompter
from sysproduction.jobs.prices.update_historical_prices import update_historical_prices
from sysproduction.jobs.prices.update_multiple_adjusted_prices import (
    roll_instrument,
    update_multiple_adjusted_prices,
)
from sysproduction.jobs.prices.update_sampled_contracts import update_sampled_contracts
from sysproduction.reports.roll_report import change_roll_state
from tests.sysproduction.synthetic_install import installation

SYSPROD = Path(sys.executable).parent / "sysprod"


@pytest.fixture
def install(tmp_path, tree):
    blob, clock = installation(tmp_path / "root", tree)
    yield blob, clock
    shutdown_logging()


def next_session(clock) -> None:
    clock.advance(dt.timedelta(days=1))
    while clock.now().weekday() >= 5:
        clock.advance(dt.timedelta(days=1))


def parquet_bytes(blob, kind: str, key: str) -> bytes:
    return (blob.data_root / "parquet" / kind / f"{key}.parquet").read_bytes()


def manual_check(blob, instrument: str, answer: str = "1") -> list[str]:
    """The manual price check tool driven by piped answers, one answer for every spike."""
    menu = iter(["1", "0"])
    shown: list[str] = []

    def read(prompt: str) -> str:
        if prompt.startswith("choice"):
            return next(menu)
        if prompt.startswith("instrument code"):
            return instrument
        assert prompt.startswith("what to keep"), prompt
        return answer

    manual_check_menu(blob, Prompter(read=read, write=shown.append))
    return shown


def assert_hole_filled(blob, instrument: str, day: pd.Timestamp, multiple_before: pd.DataFrame,
                       adjusted_before: pd.Series) -> None:
    priced = str(current_contracts(multiple_before)["PRICE"])
    bar = blob.contract_prices.get(instrument, priced)["FINAL"].loc[day]
    multiple = blob.multiple_prices.get(instrument)
    adjusted = blob.adjusted_prices.get(instrument)
    assert multiple.loc[day, "PRICE"] == bar
    offset = adjusted_before.iloc[-1] - multiple_before["PRICE"].dropna().iloc[-1]
    assert adjusted.loc[day] == pytest.approx(bar + offset, rel=1e-12)
    # everything before the late bar is exactly as it was
    earlier = multiple_before.index < day
    pd.testing.assert_frame_equal(multiple[multiple.index < day], multiple_before[earlier])
    pd.testing.assert_series_equal(adjusted[adjusted.index < day], adjusted_before[adjusted_before.index < day])


def run_with_the_next_bar_late(blob, clock, instrument: str) -> tuple[str, pd.DataFrame, pd.Series]:
    """The next session's price jobs run while the priced contract's bar is not there yet: the
    contract, and the multiple and adjusted prices that run stored (the row's PRICE a hole)."""
    priced = str(current_contracts(blob.multiple_prices.get(instrument))["PRICE"])
    FaultBook(blob.documents, blob.clock).add("stale", 1, instrument=instrument, contract=priced)
    next_session(clock)
    update_historical_prices(blob)
    update_multiple_adjusted_prices(blob)
    return priced, blob.multiple_prices.get(instrument), blob.adjusted_prices.get(instrument)


def test_an_accepted_spike_fills_its_multiple_and_adjusted_rows(install):
    blob, clock = install
    instrument = "US10"
    next_session(clock)
    update_sampled_contracts(blob)
    priced = str(current_contracts(blob.multiple_prices.get(instrument))["PRICE"])
    FaultBook(blob.documents, blob.clock).add("spike", 1, instrument=instrument, contract=priced, factor=10)
    assert f"{instrument}/{priced}" in update_historical_prices(blob).spiked
    update_multiple_adjusted_prices(blob)
    day = pd.Timestamp(blob.broker.contract_bars(instrument, priced, BarFrequency.DAILY).index[-1])
    multiple = blob.multiple_prices.get(instrument)
    assert np.isnan(multiple.loc[day, "PRICE"])  # the other contracts made the row; PRICE held back
    assert day not in blob.adjusted_prices.get(instrument).index
    before_multiple, before_adjusted = multiple, blob.adjusted_prices.get(instrument)
    # the user looks at the spike (the feed still sends it) and keeps the previous value for it
    FaultBook(blob.documents, blob.clock).add("spike", 1, instrument=instrument, contract=priced, factor=10)
    shown = manual_check(blob, instrument, answer="2")
    assert any(line.startswith(f"SPIKE in {instrument} {priced}") for line in shown), shown
    summary = update_multiple_adjusted_prices(blob)
    assert summary.updated[instrument] == "1 multiple row(s), 1 adjusted row(s)"
    assert_hole_filled(blob, instrument, day, before_multiple, before_adjusted)
    # a rerun with nothing new writes nothing
    files = {kind: parquet_bytes(blob, kind, instrument) for kind in ("multiple_prices", "adjusted_prices")}
    assert instrument in update_multiple_adjusted_prices(blob).unchanged
    assert files == {kind: parquet_bytes(blob, kind, instrument) for kind in files}


def test_a_late_bar_fills_its_row_on_the_next_run_and_stays(install):
    blob, clock = install
    instrument = "GAS_US"
    next_session(clock)
    update_sampled_contracts(blob)
    update_historical_prices(blob)
    update_multiple_adjusted_prices(blob)
    priced, before_multiple, before_adjusted = run_with_the_next_bar_late(blob, clock, instrument)
    day = pd.Timestamp(blob.broker.contract_bars(instrument, priced, BarFrequency.DAILY).index[-1])
    assert np.isnan(before_multiple.loc[day, "PRICE"]) and day not in before_adjusted.index
    # it arrives after the update (the two jobs overlapped)
    assert f"{instrument}/{priced}" in update_historical_prices(blob).updated
    for _ in range(3):  # the next days' runs
        next_session(clock)
        update_historical_prices(blob, [instrument])
        update_multiple_adjusted_prices(blob, [instrument])
    assert_hole_filled(blob, instrument, day, before_multiple, before_adjusted)
    multiple = blob.multiple_prices.get(instrument)
    assert not multiple[multiple.index >= day]["PRICE"].isna().any()


def test_a_run_killed_while_filling_a_row_is_done_again_by_the_next(install, monkeypatch):
    blob, clock = install
    instrument = "US10"
    update_sampled_contracts(blob)
    update_multiple_adjusted_prices(blob)
    _, before_multiple, before_adjusted = run_with_the_next_bar_late(blob, clock, instrument)
    day = before_multiple.index[-1]
    update_historical_prices(blob)  # the late bar

    def killed(*args):
        raise RuntimeError("killed")

    # dies after the multiple prices are rewritten, before the adjusted prices are
    monkeypatch.setattr(blob.adjusted_prices, "append_newer", killed)
    monkeypatch.setattr(blob.adjusted_prices, "write", killed)
    assert instrument in update_multiple_adjusted_prices(blob).failed
    monkeypatch.undo()
    assert not np.isnan(blob.multiple_prices.get(instrument).loc[day, "PRICE"])
    assert day not in blob.adjusted_prices.get(instrument).index
    summary = update_multiple_adjusted_prices(blob)
    assert summary.updated[instrument] == "0 multiple row(s), 1 adjusted row(s)"
    assert_hole_filled(blob, instrument, day, before_multiple, before_adjusted)


def test_a_first_fetch_spike_on_a_new_contract_is_held_back_and_checked_by_hand(tmp_path, tree):
    blob, clock = installation(tmp_path / "root", tree)
    setup_process_logging(blob, "run_daily_prices_updates")
    instrument = "GOLD"
    next_session(clock)
    update_sampled_contracts(blob)
    new = [r.contract_date for r in blob.contracts.sampled(instrument)
           if not blob.contract_prices.exists(instrument, r.contract_date)]
    assert new, "the next contracts to roll into have no prices yet"
    contract = new[-1]
    env = {**os.environ, "SYSPROD_DATA_ROOT": str(blob.data_root)}
    added = subprocess.run(
        [str(SYSPROD), "broker", "fault", "add", "spike", "--instrument", instrument,
         "--contract", contract, "--factor", "10"],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert added.returncode == 0, added.stderr
    summary = update_historical_prices(blob)
    assert list(summary.spiked) == [f"{instrument}/{contract}"], summary.spiked
    assert not blob.contract_prices.exists(instrument, contract)
    flush_logs()
    critical = blob.logs.query(level="CRITICAL")
    assert len(critical) == 1 and critical[0]["contract_date"] == contract
    # the manual check shows the spike; keeping the previous value stores a sane series
    bars = blob.broker.contract_bars(instrument, contract, BarFrequency.DAILY)
    FaultBook(blob.documents, blob.clock).add("spike", 1, instrument=instrument, contract=contract, factor=10)
    shown = manual_check(blob, instrument, answer="2")
    assert any(line.startswith(f"SPIKE in {instrument} {contract}") for line in shown), shown
    stored = blob.contract_prices.get(instrument, contract)["FINAL"]
    assert stored.index[-1] == bars.index[-1]
    # the previous value of a first fetch is the instrument's level carried to the contract:
    # within a day's move of the market's bar, not ten times it
    assert stored.iloc[-1] == pytest.approx(bars["FINAL"].iloc[-1], rel=0.02)
    assert stored.iloc[:-1].to_numpy() == pytest.approx(bars["FINAL"].iloc[:-1].to_numpy())


def test_a_whole_first_fetch_off_by_a_factor_is_held_back(install):
    blob, clock = install
    instrument = "GOLD"
    next_session(clock)
    update_sampled_contracts(blob)
    contract = [r.contract_date for r in blob.contracts.sampled(instrument)
                if not blob.contract_prices.exists(instrument, r.contract_date)][-1]
    real = blob.broker.contract_bars

    def wrong_multiplier(code, contract_id, frequency=BarFrequency.DAILY, start=None):
        bars = real(code, contract_id, frequency, start)
        if (code, contract_id) == (instrument, contract):
            bars = bars.copy()
            bars[["OPEN", "HIGH", "LOW", "FINAL"]] *= 10
        return bars

    blob.broker.contract_bars = wrong_multiplier
    assert list(update_historical_prices(blob).spiked) == [f"{instrument}/{contract}"]
    blob.broker.contract_bars = real
    # a sane first fetch of every new contract passes
    assert not update_historical_prices(blob).spiked
    assert blob.contract_prices.exists(instrument, contract)


def test_the_daily_roll_is_priced_at_one_timestamp(install):
    blob, clock = install
    instrument = "US10"
    contracts = current_contracts(blob.multiple_prices.get(instrument))
    priced, forward = str(contracts["PRICE"]), str(contracts["FORWARD"])
    # today's forward bar is missing: the forward column's last price is yesterday's
    FaultBook(blob.documents, blob.clock).add("stale", 1, instrument=instrument, contract=forward)
    next_session(clock)
    update_sampled_contracts(blob)
    update_historical_prices(blob)
    update_multiple_adjusted_prices(blob)
    multiple = blob.multiple_prices.get(instrument)
    assert np.isnan(multiple["FORWARD"].iloc[-1]) and not np.isnan(multiple["PRICE"].iloc[-1])
    adjusted_before = blob.adjusted_prices.get(instrument)
    change_roll_state(blob, instrument, RollState.ROLL_ADJUSTED, "test")
    message = roll_instrument(blob, instrument)
    old = blob.contract_prices.get(instrument, priced)["FINAL"]
    new = blob.contract_prices.get(instrument, forward)["FINAL"]
    common = old.index.intersection(new.index)[-1]
    differential = new.loc[common] - old.loc[common]
    stale_pairing = multiple["FORWARD"].ffill().iloc[-1] - multiple["PRICE"].iloc[-1]
    assert differential != pytest.approx(stale_pairing)
    assert f"at {common}" in message
    adjusted = blob.adjusted_prices.get(instrument)
    pd.testing.assert_series_equal(
        adjusted.loc[adjusted_before.index], (adjusted_before + differential).astype("float64"),
        check_exact=False, rtol=1e-12,
    )
    rolled = blob.multiple_prices.get(instrument)
    assert rolled["PRICE"].iloc[-1] == new.loc[common] == adjusted.iloc[-1]


def test_a_roll_without_recent_prices_of_both_contracts_is_refused(install):
    blob, clock = install
    instrument = "US10"
    forward = str(current_contracts(blob.multiple_prices.get(instrument))["FORWARD"])
    last_forward = blob.contract_prices.get(instrument, forward).index[-1]
    # the forward contract's feed freezes for six sessions
    FaultBook(blob.documents, blob.clock).add("stale", 50, instrument=instrument, contract=forward)
    for _ in range(6):
        next_session(clock)
        update_sampled_contracts(blob)
        update_historical_prices(blob, [instrument])
        update_multiple_adjusted_prices(blob, [instrument])
    assert blob.contract_prices.get(instrument, forward).index[-1] == last_forward
    before = blob.multiple_prices.get(instrument)
    change_roll_state(blob, instrument, RollState.ROLL_ADJUSTED, "test")
    summary = update_multiple_adjusted_prices(blob)
    failure = summary.failed[instrument]
    assert f"{forward} has no price since {last_forward:%Y-%m-%d %H:%M}" in failure
    assert "roll_max_price_gap_days (5)" in failure
    assert blob.roll_states.get(instrument).state is RollState.ROLL_ADJUSTED
    pd.testing.assert_frame_equal(blob.multiple_prices.get(instrument), before)
    with pytest.raises(SysprodError, match=f"cannot roll {instrument} from"):
        roll_instrument(blob, instrument)
