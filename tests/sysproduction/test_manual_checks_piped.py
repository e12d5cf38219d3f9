"""The manual price checks and the roll status tool, driven through piped input in a real
subprocess, as a user (or a script) does it."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest

from sysbrokers.broker import BarFrequency
from sysbrokers.sim.faults import FaultBook
from syscore.clock import SIM_CLOCK_FILE, SharedSimClock
from sysobjects.multiple_prices_update import current_contracts
from sysproduction.update_fx_prices import update_fx_prices
from sysproduction.update_historical_prices import update_historical_prices
from sysproduction.update_sampled_contracts import update_sampled_contracts
from tests.conftest import REPO_ROOT
from tests.sysproduction.synthetic_install import installation


@pytest.fixture
def install(tmp_path, tree):
    blob, clock = installation(tmp_path / "root", tree, clock="simulated")
    clock.advance(dt.timedelta(days=1))  # Tuesday's session is now available
    SharedSimClock(blob.data_root / SIM_CLOCK_FILE).set(clock.now())
    return blob, clock


def run_tool(blob, module: str, answers: list[str]) -> subprocess.CompletedProcess:
    env = {**os.environ, "SYSPROD_DATA_ROOT": str(blob.data_root)}
    env.pop("SYSPROD_CONFIG", None)
    return subprocess.run(
        [sys.executable, "-m", module], input="\n".join(answers) + "\n", capture_output=True,
        text=True, env=env, cwd=REPO_ROOT, timeout=120,
    )


def test_a_typed_value_is_checked_again_and_a_final_correction_moves_the_whole_bar(install):
    blob, clock = install
    update_sampled_contracts(blob)
    instrument = blob.multiple_prices.list()[0]
    priced = str(current_contracts(blob.multiple_prices.get(instrument))["PRICE"])
    clean_bar = blob.broker.contract_bars(instrument, priced, BarFrequency.DAILY).iloc[-1]
    FaultBook(blob.documents, blob.clock).add("spike", 2, instrument=instrument, contract=priced, factor=10)
    assert f"{instrument}/{priced}" in update_historical_prices(blob).spiked
    still_a_spike = float(clean_bar["FINAL"] * 5)
    good = float(clean_bar["FINAL"] * 1.001)
    result = run_tool(
        blob, "sysproduction.interactive_manual_check_historical_prices",
        ["1", instrument, "3", f"{still_a_spike!r}", "3", f"{good!r}", "0"],
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.count("SPIKE in") == 2, out  # the typed 5x value was judged a spike too
    assert f"value {still_a_spike:g}" in out
    stored = blob.contract_prices.get(instrument, priced).iloc[-1]
    assert stored.name == clean_bar.name
    assert stored["FINAL"] == pytest.approx(good)
    shift = good - clean_bar["FINAL"] * 10  # from the spiked bar the tool was shown
    for column in ("OPEN", "HIGH", "LOW"):
        assert stored[column] == pytest.approx(clean_bar[column] * 10 + shift)
    assert stored["VOLUME"] == clean_bar["VOLUME"]


def test_an_fx_spike_can_be_replaced_by_the_previous_value(install):
    blob, clock = install
    pair = [p for p in update_fx_prices(blob).updated] + update_fx_prices(blob).unchanged
    pair = pair[0]
    clock.advance(dt.timedelta(days=1))
    SharedSimClock(blob.data_root / SIM_CLOCK_FILE).set(clock.now())
    previous = blob.fx_prices.get(pair).iloc[-1]
    FaultBook(blob.documents, blob.clock).add("spike", 2, pair=pair, factor=2)
    assert pair in update_fx_prices(blob).spiked
    result = run_tool(blob, "sysproduction.interactive_manual_check_fx_prices", ["1", pair, "2", "0"])
    assert result.returncode == 0, result.stderr
    assert "rate(s) written" in result.stdout
    assert blob.fx_prices.get(pair).iloc[-1] == previous


def test_the_roll_tool_moves_a_state_and_refuses_a_bad_one_in_one_line(install):
    blob, clock = install
    instrument = blob.multiple_prices.list()[0]
    priced = str(current_contracts(blob.multiple_prices.get(instrument))["PRICE"])
    blob.contract_positions.set(instrument, priced, 1)
    result = run_tool(blob, "sysproduction.interactive_update_roll_status", ["2", instrument, "Passive", "1", "0"])
    assert result.returncode == 0, result.stderr
    assert f"{instrument}: No_Roll -> Passive" in result.stdout
    assert "days_to_roll" in result.stdout  # the report of menu item 1
    assert blob.roll_states.get(instrument).state.value == "Passive"
    result = run_tool(blob, "sysproduction.interactive_update_roll_status", ["2", "NOPE", "0"])
    assert result.returncode == 0
    assert "error: no multiple prices for 'NOPE'" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
