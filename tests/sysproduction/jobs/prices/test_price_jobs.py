"""The daily price jobs on the synthetic simulated market: updates, spikes (logged, emailed, never
written), failures that don't stop other instruments, sampling, and rolls through the roll states."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from sysbrokers.broker import BarFrequency
from sysbrokers.sim.faults import FaultBook
from syscore.exceptions import SysprodError
from syslogdiag import flush_logs, setup_process_logging, shutdown_logging
from sysobjects.contracts import ContractId
from sysobjects.multiple_prices_update import current_contracts
from sysobjects.roll_state import RollState
from sysobjects.stitching import panama_stitch
from sysproduction.jobs.prices.auto_update_roll_status import auto_update_roll_status
from sysproduction.jobs.prices.update_fx_prices import update_fx_prices
from sysproduction.jobs.prices.update_historical_prices import update_historical_prices
from sysproduction.jobs.prices.update_multiple_adjusted_prices import (
    update_multiple_adjusted_prices,
)
from sysproduction.jobs.prices.update_sampled_contracts import update_sampled_contracts
from sysproduction.reports.roll_report import change_roll_state, get_roll_info
from tests.smtp_inbox import email_settings, running_smtp_server
from tests.sysproduction.synthetic_install import installation

JOBS = (update_fx_prices, update_sampled_contracts, update_historical_prices, update_multiple_adjusted_prices)


@pytest.fixture
def install(tmp_path, tree):
    blob, clock = installation(tmp_path / "root", tree)
    yield blob, clock
    shutdown_logging()


def next_session(clock, days: int = 1) -> None:
    clock.advance(dt.timedelta(days=days))
    while clock.now().weekday() >= 5:
        clock.advance(dt.timedelta(days=1))


def run_day(blob) -> list:
    return [job(blob) for job in JOBS]


def test_a_day_extends_every_series_from_the_brokers_bars_without_restitching(install):
    blob, clock = install
    instrument = blob.multiple_prices.list()[0]
    adjusted_before = blob.adjusted_prices.get(instrument)
    multiple_before = blob.multiple_prices.get(instrument)
    next_session(clock)
    summaries = run_day(blob)
    assert all(not s.failed and not s.spiked for s in summaries), [str(s) for s in summaries]
    multiple = blob.multiple_prices.get(instrument)
    new = multiple[multiple.index > multiple_before.index[-1]]
    assert len(new) >= 1
    priced = str(current_contracts(multiple_before)["PRICE"])
    bars = blob.broker.contract_bars(instrument, priced, BarFrequency.DAILY)
    assert new["PRICE"].to_numpy() == pytest.approx(bars["FINAL"].loc[new.index].to_numpy(), rel=1e-12)
    adjusted = blob.adjusted_prices.get(instrument)
    # history untouched, new rows move exactly as PRICE does
    pd.testing.assert_series_equal(adjusted.loc[adjusted_before.index], adjusted_before)
    offset = adjusted_before.iloc[-1] - multiple_before["PRICE"].iloc[-1]
    assert adjusted.loc[new.index].to_numpy() == pytest.approx((new["PRICE"] + offset).to_numpy(), rel=1e-12)
    # FX: every non-base currency of the instruments has today's rate
    fx = update_fx_prices(blob)
    assert fx.unchanged and not fx.updated


def test_a_spike_is_not_written_and_is_logged_and_emailed(tmp_path, tree):
    with running_smtp_server() as (port, inbox):
        blob, clock = installation(tmp_path / "root", tree, **email_settings(port))
        setup_process_logging(blob, "run_daily_prices_updates")
        next_session(clock)
        update_sampled_contracts(blob)
        instrument = blob.multiple_prices.list()[0]
        priced = str(current_contracts(blob.multiple_prices.get(instrument))["PRICE"])
        before = blob.contract_prices.get(instrument, priced)
        FaultBook(blob.documents, blob.clock).add("spike", 1, instrument=instrument, contract=priced, factor=10)
        summary = update_historical_prices(blob)
        assert list(summary.spiked) == [f"{instrument}/{priced}"]
        pd.testing.assert_frame_equal(blob.contract_prices.get(instrument, priced), before)
        assert summary.updated  # the other contracts were written
        assert flush_logs()
        records = blob.logs.query(level="CRITICAL")
        assert len(records) == 1 and records[0]["instrument_code"] == instrument
        assert records[0]["contract_date"] == priced
        bar = blob.broker.contract_bars(instrument, priced, BarFrequency.DAILY).iloc[-1]
        deadline = dt.datetime.now() + dt.timedelta(seconds=10)
        while not inbox.messages and dt.datetime.now() < deadline:
            flush_logs()
        assert len(inbox.messages) == 1
        body = inbox.messages[0][2]
        spiked_value = bar["FINAL"] * 10
        for text in (instrument, priced, f"{bar.name:%Y-%m-%d %H:%M:%S}", f"{spiked_value:g}", "threshold"):
            assert text in body, (text, body)
        # the next day the bar is clean again and the series catches up
        update_historical_prices(blob)
        assert blob.contract_prices.get(instrument, priced).index[-1] == bar.name


def test_an_fx_spike_is_held_back_too(install):
    blob, clock = install
    pair = update_fx_prices(blob).unchanged[0]
    before = blob.fx_prices.get(pair)
    next_session(clock)
    FaultBook(blob.documents, blob.clock).add("spike", 1, pair=pair, factor=3)
    summary = update_fx_prices(blob)
    assert list(summary.spiked) == [pair]
    pd.testing.assert_series_equal(blob.fx_prices.get(pair), before)


def test_one_instrument_failing_does_not_stop_the_others(install):
    blob, clock = install
    next_session(clock)
    update_sampled_contracts(blob)
    FaultBook(blob.documents, blob.clock).add("disconnect", 1)
    summary = update_historical_prices(blob)
    assert len(summary.failed) == 1
    failed = next(iter(summary.failed))
    assert "disconnected" in summary.failed[failed]
    assert {item.split("/")[0] for item in summary.updated} == set(blob.multiple_prices.list()) - {failed}
    again = update_historical_prices(blob)
    assert not again.failed and any(item.startswith(f"{failed}/") for item in again.updated)


def test_sampling_adds_the_next_roll_contracts_with_broker_expiries(install):
    blob, clock = install
    summary = update_sampled_contracts(blob)
    assert not summary.failed
    for instrument in blob.multiple_prices.list():
        roll = blob.roll_parameters.get(instrument)
        current = current_contracts(blob.multiple_prices.get(instrument))
        sampled = {r.contract_date: r for r in blob.contracts.sampled(instrument)}
        forward = ContractId.parse(current["FORWARD"])
        expected = {current["PRICE"], current["FORWARD"], current["CARRY"],
                    str(roll.next_held(forward)), str(roll.carry_contract(forward))}
        assert set(sampled) == expected
        for contract, record in sampled.items():
            assert record.expiry_date == blob.broker.contract_details(instrument, contract).expiry.isoformat()
    assert update_sampled_contracts(blob).updated == {}


def test_roll_adjusted_rolls_prices_once_and_only_when_flat(install):
    blob, clock = install
    instrument = blob.multiple_prices.list()[0]
    multiple = blob.multiple_prices.get(instrument)
    priced = str(current_contracts(multiple)["PRICE"])
    forward = str(current_contracts(multiple)["FORWARD"])
    blob.contract_positions.set(instrument, priced, 2)
    with pytest.raises(SysprodError, match="still held"):
        change_roll_state(blob, instrument, RollState.ROLL_ADJUSTED, "test")
    blob.contract_positions.set(instrument, priced, 0)
    next_session(clock)
    update_sampled_contracts(blob)
    update_historical_prices(blob)
    change_roll_state(blob, instrument, RollState.ROLL_ADJUSTED, "test")
    summary = update_multiple_adjusted_prices(blob)
    assert f"rolled from {priced} to {forward}" in summary.updated[instrument]
    rolled = blob.multiple_prices.get(instrument)
    assert current_contracts(rolled)["PRICE"] == forward
    roll_time = rolled.index[-1]
    before_roll = rolled.iloc[-2]
    assert roll_time - rolled.index[-2] == pd.Timedelta(seconds=1)
    assert rolled["PRICE"].iloc[-1] == before_roll["FORWARD"]
    # adjusted: the history is shifted by FORWARD - PRICE of the row before the roll
    adjusted = blob.adjusted_prices.get(instrument)
    shift = before_roll["FORWARD"] - before_roll["PRICE"]
    assert adjusted.loc[rolled.index[-2]] == pytest.approx(before_roll["PRICE"] + shift)
    assert adjusted.iloc[-1] == rolled["PRICE"].iloc[-1]
    assert blob.roll_states.get(instrument).state is RollState.NO_ROLL
    assert update_multiple_adjusted_prices(blob).unchanged.count(instrument) == 1


def test_an_interrupted_roll_is_completed_not_repeated(install, monkeypatch):
    blob, clock = install
    instrument = blob.multiple_prices.list()[0]
    change_roll_state(blob, instrument, RollState.ROLL_ADJUSTED, "test")
    # the roll row is written, then the process dies re-stitching adjusted prices
    def killed(*args):
        raise RuntimeError("killed")

    monkeypatch.setattr(blob.adjusted_prices, "write", killed)
    assert "RuntimeError" not in str(update_multiple_adjusted_prices(blob).updated)
    monkeypatch.undo()
    rows_after_crash = len(blob.multiple_prices.get(instrument))
    assert blob.multiple_prices.get(instrument).index[-1].second == 1  # the roll row is there
    assert blob.roll_states.get(instrument).state is RollState.ROLL_ADJUSTED
    summary = update_multiple_adjusted_prices(blob)
    assert "already rolled" in summary.updated[instrument]
    assert len(blob.multiple_prices.get(instrument)) == rows_after_crash
    stitched = panama_stitch(blob.multiple_prices.get(instrument)).dropna()
    assert blob.adjusted_prices.get(instrument).to_numpy() == pytest.approx(stitched.to_numpy(), rel=1e-12)


def test_auto_roll_sets_states_by_the_rules_and_says_why(install):
    blob, clock = install
    # the clock jumps to roll dates without price updates: prices that old count as stale
    blob.config = blob.config.with_overrides({"max_stale_days": 3650})
    info = get_roll_info(blob)
    held, flat = info.index[0], info.index[1]
    priced_held = info.loc[held, "priced_contract"]
    blob.contract_positions.set(held, priced_held, 3)
    # move the clock to each instrument's roll date in turn and let the roller decide
    clock.set(dt.datetime.combine(info.loc[held, "roll_date"], dt.time(23, 30)) - dt.timedelta(days=5))
    summary = auto_update_roll_status(blob)
    assert summary.updated[held].startswith("No_Roll -> Passive: 3 held and 5 days to roll")
    clock.set(dt.datetime.combine(info.loc[held, "roll_date"], dt.time(23, 30)))
    summary = auto_update_roll_status(blob)
    assert summary.updated[held].startswith("Passive -> Force")
    assert blob.roll_states.get(held).reason.startswith("auto: 3 held and roll date reached")
    clock.set(dt.datetime.combine(info.loc[flat, "roll_date"], dt.time(23, 30)))
    auto_update_roll_status(blob)
    record = blob.roll_states.get(flat)
    assert record.state is RollState.ROLL_ADJUSTED
    assert record.reason == "auto: no position in the priced contract and roll date reached (0 days)"
    assert flat not in auto_update_roll_status(blob).updated  # no change, no repeated log
    table = get_roll_info(blob, flat)
    assert table.loc[flat, "days_to_roll"] == 0
    assert table.loc[flat, "state"] == "Roll_Adjusted"


def test_after_a_roll_the_old_contract_stops_being_sampled(install):
    blob, clock = install
    instrument = "US10"  # carry is the next contract: after the roll nothing needs the old one
    update_sampled_contracts(blob)
    old = current_contracts(blob.multiple_prices.get(instrument))["PRICE"]
    assert blob.contracts.get(instrument, old).sampling
    change_roll_state(blob, instrument, RollState.ROLL_ADJUSTED, "test")
    update_multiple_adjusted_prices(blob)
    summary = update_sampled_contracts(blob)
    assert f"-{old}" in summary.updated[instrument]
    assert not blob.contracts.get(instrument, old).sampling
    assert old not in {r.contract_date for r in blob.contracts.sampled(instrument)}


def test_hourly_bars_are_merged_when_configured(tmp_path, tree):
    blob, clock = installation(tmp_path / "root", tree, download_hourly_prices=True)
    next_session(clock)
    update_sampled_contracts(blob)
    assert not update_historical_prices(blob).failed
    instrument = "SP500"
    priced = str(current_contracts(blob.multiple_prices.get(instrument))["PRICE"])
    stored = blob.contract_prices.get(instrument, priced)
    today = stored[stored.index.normalize() == pd.Timestamp(clock.now().date())]
    hourly = blob.broker.contract_bars(instrument, priced, BarFrequency.HOURLY)
    expected = hourly[hourly.index.normalize() == pd.Timestamp(clock.now().date())]
    assert len(today) == len(expected) > 1
    assert today["FINAL"].to_numpy() == pytest.approx(expected["FINAL"].to_numpy())
    update_multiple_adjusted_prices(blob)
    multiple = blob.multiple_prices.get(instrument)
    assert (multiple.index.normalize() == pd.Timestamp(clock.now().date())).sum() == len(expected)
