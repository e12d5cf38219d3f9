"""The manual price checks and the roll status tool, driven through piped input in a real
subprocess, as a user (or a script) does it."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pandas as pd
import pytest

from sysbrokers.broker import BarFrequency
from sysbrokers.sim.faults import FaultBook
from syscore.clock import SIM_CLOCK_FILE, SharedSimClock
from sysobjects.multiple_prices_update import current_contracts
from sysproduction.interactive.menu import Prompter
from sysproduction.jobs.prices.update_fx_prices import update_fx_prices
from sysproduction.jobs.prices.update_historical_prices import update_historical_prices
from sysproduction.jobs.prices.update_sampled_contracts import update_sampled_contracts
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


def spiked_contract_bar(blob) -> tuple[str, str, pd.Series]:
    """An instrument whose priced contract's next bar (ten times too big) the nightly job held
    back as a spike: the instrument, the contract and the clean bar the broker sends without it."""
    update_sampled_contracts(blob)
    instrument = blob.multiple_prices.list()[0]
    priced = str(current_contracts(blob.multiple_prices.get(instrument))["PRICE"])
    clean_bar = blob.broker.contract_bars(instrument, priced, BarFrequency.DAILY).iloc[-1]
    FaultBook(blob.documents, blob.clock).add("spike", 2, instrument=instrument, contract=priced, factor=10)
    assert f"{instrument}/{priced}" in update_historical_prices(blob).spiked
    return instrument, priced, clean_bar


def test_a_typed_value_is_checked_again_and_a_corrected_bar_stays_consistent(install):
    blob, clock = install
    instrument, priced, clean_bar = spiked_contract_bar(blob)
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
    # the whole bar was ten times too big: OPEN/HIGH/LOW are scaled back with FINAL, so the
    # stored bar is the clean one in proportion (moving them by FINAL's shift left HIGH far above
    # the corrected close)
    ratio = good / clean_bar["FINAL"]
    for column in ("OPEN", "HIGH", "LOW"):
        assert stored[column] == pytest.approx(clean_bar[column] * ratio)
    assert stored["LOW"] <= min(stored["OPEN"], stored["FINAL"])
    assert stored["HIGH"] >= max(stored["OPEN"], stored["FINAL"])
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


# --- menus take only what they offer ---------------------------------------------------------------

TOOLS = [
    "sysproduction.interactive_controls",
    "sysproduction.interactive_diagnostics",
    "sysproduction.interactive_manual_check_fx_prices",
    "sysproduction.interactive_manual_check_historical_prices",
    "sysproduction.interactive_update_roll_status",
]


@pytest.fixture(scope="module")
def shared_install(tmp_path_factory, tree):
    """One installation for the tests that only read (wrong answers change nothing)."""
    blob, clock = installation(tmp_path_factory.mktemp("menus") / "root", tree, clock="simulated")
    SharedSimClock(blob.data_root / SIM_CLOCK_FILE).set(clock.now())
    return blob


def assert_clean(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr, result.stderr


@pytest.mark.parametrize("module", TOOLS)
def test_every_tool_refuses_an_answer_it_does_not_offer_in_one_line(shared_install, module):
    # `²` passes str.isdigit() but not int(): it used to end every tool with a ValueError
    result = run_tool(shared_install, module, ["²", "abc", "99", "-1", "0"])
    assert_clean(result)
    refusals = [line for line in result.stdout.splitlines() if "is not on the menu" in line]
    assert len(refusals) == 4, result.stdout
    assert "choose a number from 0 to" in refusals[0]
    assert result.stdout.count("  0. exit") == 1  # one line and the question again, not the menu


@pytest.mark.parametrize("module", TOOLS)
def test_every_tool_leaves_cleanly_when_input_ends_inside_a_question(shared_install, module):
    result = run_tool(shared_install, module, ["1"])  # the first item's questions meet end of input
    assert_clean(result)


def test_the_roll_tool_checks_its_day_count(shared_install):
    # `abc` used to raise ValueError out of the tool; -1 is refused, not taken as "no days"
    result = run_tool(shared_install, "sysproduction.interactive_update_roll_status",
                      ["3", "abc", "-1", "²", "1.5", "367", "0", "0"])
    assert_clean(result)
    refusals = [line for line in result.stdout.splitlines() if "give a whole number from 0 to 366" in line]
    assert len(refusals) == 5, result.stdout


def test_diagnostics_check_counts_and_weekdays(shared_install):
    answers = [
        "1", "", "", "XYZ", "warning", "", "-1", "0", "²", "2",  # a negative count showed every record
        "2", "", "-2", "3",                         # process history: -2 dropped the oldest runs
        "3", "-1", "0", "2",                        # stale weekdays: -1 flagged every series stale
        "0",
    ]
    result = run_tool(shared_install, "sysproduction.interactive_diagnostics", answers)
    assert_clean(result)
    lines = result.stdout.splitlines()
    assert sum("give a whole number from 1 to 10000" in line for line in lines) == 4, result.stdout
    assert sum("give a whole number from 1 to 260" in line for line in lines) == 2, result.stdout
    assert sum("'XYZ' is not allowed: give one of DEBUG, INFO" in line for line in lines) == 1, result.stdout
    assert "stale series" not in result.stdout  # the data were imported today: nothing is 2 weekdays stale


def test_a_choice_question_asks_again_until_it_gets_an_offered_answer():
    answers = iter(["²", "3", "run_b", "x"])
    written: list[str] = []
    prompter = Prompter(read=lambda _: next(answers), write=written.append)
    assert prompter.choose("process", ["run_a", "run_b"]) == "run_b"  # by name, after two refusals
    assert sum("is not one of the choices" in line for line in written) == 2


# --- a typed manual value must be a number ---------------------------------------------------------

def spiked_fx_pair(blob, clock) -> tuple[str, float]:
    """A pair whose next rate the nightly job held back as a spike, and its last stored rate."""
    pair = sorted({*update_fx_prices(blob).updated, *update_fx_prices(blob).unchanged})[0]
    clock.advance(dt.timedelta(days=1))
    SharedSimClock(blob.data_root / SIM_CLOCK_FILE).set(clock.now())
    previous = float(blob.fx_prices.get(pair).iloc[-1])
    FaultBook(blob.documents, blob.clock).add("spike", 2, pair=pair, factor=2)
    assert pair in update_fx_prices(blob).spiked
    return pair, previous


def test_a_typed_fx_rate_must_be_finite_and_positive(install):
    blob, clock = install
    pair, previous = spiked_fx_pair(blob, clock)
    good = previous * 1.001
    result = run_tool(blob, "sysproduction.interactive_manual_check_fx_prices",
                      ["1", pair, "3", "nan", "inf", "-1", "0", "abc", repr(good), "0"])
    assert_clean(result)
    assert sum("give a finite number above 0" in line for line in result.stdout.splitlines()) == 5
    stored = blob.fx_prices.get(pair)
    assert stored.notna().all()  # `nan` used to be stored as the rate
    assert stored.iloc[-1] == pytest.approx(good)


def test_a_typed_contract_price_must_be_finite(install):
    blob, clock = install
    instrument, priced, clean_bar = spiked_contract_bar(blob)
    good = float(clean_bar["FINAL"] * 0.999)
    result = run_tool(blob, "sysproduction.interactive_manual_check_historical_prices",
                      ["1", instrument, "", "4", "3", "nan", "-inf", "", repr(good), "0"])
    assert_clean(result)
    assert result.stdout.count("SPIKE in") == 1  # a refused answer is one line, not the spike again
    assert sum("is not one of the choices: give a number from 1 to 3" in line
               for line in result.stdout.splitlines()) == 2
    assert sum("give a finite number" in line for line in result.stdout.splitlines()) == 3
    stored = blob.contract_prices.get(instrument, priced).iloc[-1]
    assert stored.name == clean_bar.name
    assert stored["FINAL"] == pytest.approx(good)  # `nan` used to leave the x10 spike itself
    assert stored["HIGH"] == pytest.approx(clean_bar["HIGH"] * 0.999)
