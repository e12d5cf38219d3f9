"""The daily price pipeline replayed over real history.

The reference data is imported as it stood on a cut date; then, day by day for 60 trading days,
the simulated broker replays the real contract prices up to that day's clock and the four jobs run
(FX, sampled contracts, historical prices, multiple/adjusted prices). Each day the stored series
must agree with the reference: multiple prices and FX on the last row (prices to 1e-9 relative,
contract ids exactly), adjusted prices up to the constant that the reference's later rolls add.
The reference's production rolls in the window are carried out the way a user does it: the roll
status tool is driven to Roll_Adjusted on the roll date, right after that day's last bar. Real
markets make real spikes (a thin forward contract on a big day): those are held back by the job
and then accepted through the manual check tool, as a user would after reading the email.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from syscore.clock import FixedClock
from sysproduction.interactive.manual_check_historical_prices import (
    interactive_manual_check_historical_prices as manual_check_menu,
)
from sysproduction.interactive.menu import Prompter
from sysproduction.interactive.update_roll_status import menu as roll_menu
from sysproduction.jobs.prices.update_fx_prices import update_fx_prices
from sysproduction.jobs.prices.update_historical_prices import update_historical_prices
from sysproduction.jobs.prices.update_multiple_adjusted_prices import (
    update_multiple_adjusted_prices,
)
from sysproduction.jobs.prices.update_sampled_contracts import update_sampled_contracts
from tests.sysproduction.pipeline_helpers import blob_for, cut_reference_tree, import_tree

INSTRUMENTS = ["US10", "SHATZ", "EUROSTX", "GBP", "CORN"]
FX_PAIRS = ["EURUSD"]
CUT = dt.datetime(2021, 1, 4, 23, 30)
DAYS = 60
RUN_TIME = dt.time(23, 30)


def read_reference(reference, folder: str, code: str) -> pd.DataFrame:
    frame = pd.read_csv(reference / folder / f"{code}.csv", index_col=0, dtype=str)
    frame.index = pd.to_datetime(frame.index)
    return frame


def production_rolls(multiple: pd.DataFrame, start: dt.datetime, end: dt.datetime) -> dict[dt.date, pd.Timestamp]:
    """Roll date -> time of the last row before the roll, for rolls done in production (roll row
    one second after the row before), between start and end."""
    contract = multiple["PRICE_CONTRACT"]
    changed = (contract != contract.shift()).to_numpy().copy()
    changed[0] = False
    gaps = np.r_[np.inf, np.diff(multiple.index.to_numpy()).astype("timedelta64[s]").astype(float)]
    rolls = {}
    for i in np.flatnonzero(changed & (gaps < 60)):
        when = multiple.index[i]
        if start < when <= end:
            rolls[when.date()] = multiple.index[i - 1]
    return rolls


def roll_with_tool(blob, instrument: str) -> list[str]:
    answers = iter(["2", instrument, "Roll_Adjusted", "0"])
    shown: list[str] = []

    def read(prompt: str) -> str:
        try:
            return next(answers)
        except StopIteration:
            raise EOFError from None

    roll_menu(blob, Prompter(read=read, write=shown.append))
    return shown


def accept_spikes_with_tool(blob, instrument: str) -> int:
    """Drive the manual price check for one instrument, accepting every spike; returns how many."""
    menu_answers = iter(["1", "0"])
    accepted = 0

    def read(prompt: str) -> str:
        nonlocal accepted
        if prompt.startswith("choice"):
            return next(menu_answers)
        if prompt.startswith("instrument code"):
            return instrument
        assert prompt.startswith("what to keep"), prompt
        accepted += 1
        return "1"

    manual_check_menu(blob, Prompter(read=read, write=lambda line: None))
    return accepted


def assert_row_equal(ours: pd.Series, theirs: pd.Series, what: str) -> None:
    for column in ("PRICE_CONTRACT", "FORWARD_CONTRACT", "CARRY_CONTRACT"):
        assert str(ours[column]) == str(theirs[column]), f"{what} {column}: {ours[column]} != {theirs[column]}"
    for column in ("PRICE", "FORWARD", "CARRY"):
        mine, ref = float(ours[column]), float(theirs[column]) if pd.notna(theirs[column]) else np.nan
        if np.isnan(ref):
            assert np.isnan(mine), f"{what} {column}: {mine} where the reference has no price"
        else:
            assert mine == pytest.approx(ref, rel=1e-9), f"{what} {column}"


def test_sixty_days_of_real_prices_match_the_reference(reference_data, tmp_path):
    tree = cut_reference_tree(reference_data, tmp_path / "cut", INSTRUMENTS, FX_PAIRS, CUT)
    clock = FixedClock(CUT)
    blob = blob_for(
        tmp_path / "root", clock, sim_market="replay", sim_replay_source=str(reference_data)
    )
    import_tree(blob, tree)

    days = pd.bdate_range(CUT.date() + dt.timedelta(days=1), periods=DAYS)
    end = dt.datetime.combine(days[-1].date(), RUN_TIME)
    reference = {code: read_reference(reference_data, "multiple_prices_csv", code) for code in INSTRUMENTS}
    adjusted_ref = {
        code: read_reference(reference_data, "adjusted_prices_csv", code).iloc[:, 0].astype(float)
        for code in INSTRUMENTS
    }
    fx_ref = {pair: read_reference(reference_data, "fx_prices_csv", pair).iloc[:, 0].astype(float) for pair in FX_PAIRS}
    rolls = {code: production_rolls(reference[code], CUT, end) for code in INSTRUMENTS}
    rolled: list[tuple[str, str]] = []

    spikes_accepted: dict[str, int] = {}

    def run_jobs() -> None:
        for job in (update_fx_prices, update_sampled_contracts, update_historical_prices, update_multiple_adjusted_prices):
            summary = job(blob)
            assert not summary.failed, str(summary)
            for instrument in sorted({item.split("/")[0] for item in summary.spiked}):
                assert job is update_historical_prices, str(summary)
                count = accept_spikes_with_tool(blob, instrument)
                assert count > 0
                spikes_accepted[instrument] = spikes_accepted.get(instrument, 0) + count

    for day in days:
        for code in INSTRUMENTS:
            last_before_roll = rolls[code].get(day.date())
            if last_before_roll is not None:
                clock.set(last_before_roll.to_pydatetime() + dt.timedelta(seconds=30))
                run_jobs()
                shown = roll_with_tool(blob, code)
                assert any("rolled from" in line for line in shown), shown
                rolled.append((code, str(day.date())))
        clock.set(dt.datetime.combine(day.date(), RUN_TIME))
        run_jobs()
        now = pd.Timestamp(clock.now())
        for code in INSTRUMENTS:
            ours = blob.multiple_prices.get(code)
            theirs = reference[code][reference[code].index <= now]
            assert ours.index[-1] == theirs.index[-1], f"{code} on {day.date()}: last row"
            assert_row_equal(ours.iloc[-1], theirs.iloc[-1], f"{code} on {day.date()}")
            adjusted = blob.adjusted_prices.get(code).dropna()
            ref = adjusted_ref[code]
            common = adjusted.index.intersection(ref.index)
            offset = (adjusted.loc[common] - ref.loc[common]).to_numpy()
            scale = np.abs(ref.loc[common]).max()
            assert np.abs(offset - offset[-1]).max() <= 1e-9 * scale, f"{code} adjusted on {day.date()}"
            assert adjusted.index[-1] == ours["PRICE"].dropna().index[-1]
        for pair in FX_PAIRS:
            ours_fx = blob.fx_prices.get(pair)
            theirs_fx = fx_ref[pair][fx_ref[pair].index <= now]
            assert ours_fx.index[-1] == theirs_fx.index[-1]
            assert ours_fx.iloc[-1] == pytest.approx(theirs_fx.iloc[-1], rel=1e-9)

    print(f"rolls: {rolled}; spikes accepted by hand: {spikes_accepted}")
    rolled_codes = {code for code, _ in rolled}
    assert "US10" in rolled_codes and len(rolled) >= 3, rolled
    for code in rolled_codes:
        assert blob.roll_states.get(code).state.value == "No_Roll"
