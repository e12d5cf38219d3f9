"""The synthetic market: deterministic, never ahead of the clock, contracts by roll parameters."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from sysbrokers.sim.history import multiple_prices_from_finals
from sysbrokers.sim.market import SESSION_CLOSE, fx_pair_prices
from sysbrokers.sim.synthetic import SyntheticMarket
from sysobjects.contracts import ContractId
from sysobjects.roll_parameters import cycle_months

from .conftest import CLOSE, HISTORY_START

LATER = dt.datetime(2025, 3, 7, 23, 0)


def _digest_script(seed: int, when: dt.datetime) -> str:
    return (
        "import datetime as dt, hashlib\n"
        "from sysbrokers.sim.synthetic import SyntheticMarket\n"
        f"m = SyntheticMarket({seed}, dt.date(2020, 1, 1))\n"
        f"now = dt.datetime.fromisoformat('{when.isoformat()}')\n"
        "bars = m.daily_bars('GOLD', '20241200', now)\n"
        "print(hashlib.sha256(bars.to_csv().encode()).hexdigest())\n"
    )


def test_same_seed_same_bars_in_another_process_and_order_of_calls():
    here = SyntheticMarket(5, HISTORY_START)
    # ask for a later date first, then an earlier one: the earlier bars are a prefix of the later
    late = here.daily_bars("GOLD", "20241200", LATER)
    early = here.daily_bars("GOLD", "20241200", CLOSE)
    pd.testing.assert_frame_equal(late.loc[: early.index[-1]], early)
    fresh_early = SyntheticMarket(5, HISTORY_START).daily_bars("GOLD", "20241200", CLOSE)
    pd.testing.assert_frame_equal(fresh_early, early)
    import hashlib

    other = subprocess.run([sys.executable, "-c", _digest_script(5, CLOSE)], capture_output=True, text=True, check=True)
    assert other.stdout.strip() == hashlib.sha256(early.to_csv().encode()).hexdigest()
    different = SyntheticMarket(6, HISTORY_START).daily_bars("GOLD", "20241200", CLOSE)
    assert not np.allclose(different["FINAL"].to_numpy(), early["FINAL"].to_numpy())


def test_bars_never_after_now_weekdays_at_the_session_close(market):
    now = dt.datetime(2024, 6, 5, 17, 30)  # Wednesday afternoon: today's daily bar is not out yet
    daily = market.daily_bars("SP500", "20240900", now)
    assert daily.index[-1] == pd.Timestamp("2024-06-04 19:00")
    assert (daily.index.day_of_week < 5).all() and (daily.index.hour == SESSION_CLOSE.hour).all()
    hourly = market.hourly_bars("SP500", "20240900", now)
    assert hourly.index[-1] == pd.Timestamp("2024-06-05 17:00")
    assert (hourly.index <= now).all()
    # the session's last hourly bar closes at the daily FINAL, inside the daily high/low
    day = market.hourly_bars("SP500", "20240900", CLOSE)
    day = day[day.index.normalize() == pd.Timestamp("2024-06-04")]
    bar = market.daily_bars("SP500", "20240900", CLOSE).iloc[-1]
    assert len(day) == 8 and day["FINAL"].iloc[-1] == bar["FINAL"] and day["OPEN"].iloc[0] == bar["OPEN"]
    assert day["HIGH"].max() <= bar["HIGH"] and day["LOW"].min() >= bar["LOW"]
    bars = market.daily_bars("SP500", "20240900", CLOSE)
    assert (bars["HIGH"] >= bars[["OPEN", "FINAL"]].max(axis=1)).all()
    assert (bars["LOW"] <= bars[["OPEN", "FINAL"]].min(axis=1)).all()
    assert market.daily_bars("SP500", "20240900", dt.datetime(2019, 6, 1)).empty


def test_contracts_follow_the_roll_parameters_and_expire(market):
    roll = market.roll_parameters("CORN")  # priced HKNUZ, expiry offset 14 days
    listed = market.listed_contracts("CORN", CLOSE)
    assert listed == sorted(listed)
    assert {ContractId.parse(c).month for c in listed} <= set(cycle_months(roll.priced_roll_cycle))
    assert listed[0] == "20240700"  # May 2024 expired on 15 May; July is the nearest
    for contract in listed:
        assert market.contract_expiry("CORN", contract) >= CLOSE.date()
    expiry = market.contract_expiry("CORN", "20240500")
    assert expiry == dt.date(2024, 5, 15)
    bars = market.daily_bars("CORN", "20240500", CLOSE)
    assert bars.index[-1] == pd.Timestamp("2024-05-15 19:00") and bars.index[-1].date() == expiry
    with pytest.raises(Exception, match="lists months HKNUZ"):
        market.daily_bars("CORN", "20240600", CLOSE)


def test_term_structure_has_the_sign_of_carry(market):
    """Contract prices are underlying x exp(-carry x years to expiry): backwardation when carry
    is positive (far contract cheaper), contango when negative."""
    near, far = "20241200", "20250300"
    a = market.daily_bars("SP500", near, CLOSE)["FINAL"]
    b = market.daily_bars("SP500", far, CLOSE)["FINAL"]
    both = pd.concat([a, b], axis=1, keys=["near", "far"]).dropna()
    carry = market.underlying("SP500", 2024)["CARRY"]
    carry.index = carry.index + pd.Timedelta(hours=SESSION_CLOSE.hour)
    carry = carry.reindex(both.index)
    years = (pd.Timestamp("2025-03-14") - pd.Timestamp("2024-12-14")).days / 365.25
    expected_log_ratio = -carry * years
    got = np.log(both["far"] / both["near"])
    # equal up to tick rounding of two prices of about 1,000-5,000 points with a 0.25 tick
    assert np.allclose(got, expected_log_ratio, atol=0.25 / both["near"].min() * 2)
    assert ((got < 0) == (carry > 0))[carry.abs() > 0.005].all()


def test_volume_moves_to_the_next_contract_at_the_roll(market):
    near = market.daily_bars("US10", "20240600", CLOSE)["VOLUME"]
    nxt = market.daily_bars("US10", "20240900", CLOSE)["VOLUME"]
    roll_day = pd.Timestamp(market.roll_parameters("US10").expected_roll_date(ContractId(2024, 6)))
    before = (near.index > roll_day - pd.Timedelta(days=40)) & (near.index < roll_day - pd.Timedelta(days=10))
    after = (near.index > roll_day) & (near.index <= pd.Timestamp(CLOSE))
    assert (near[before] > nxt.reindex(near.index)[before]).all()
    assert (near[after] < nxt.reindex(near.index)[after]).all()
    assert (near > 0).all()


def test_fx_pairs_and_crosses(market):
    eur = market.usd_rates("EUR", CLOSE)
    gbp = market.usd_rates("GBP", CLOSE)
    assert eur.index[-1] == pd.Timestamp(CLOSE)
    cross = fx_pair_prices(market, "EURGBP", CLOSE)
    assert cross.iloc[-1] == pytest.approx(eur.iloc[-1] / gbp.iloc[-1])
    assert fx_pair_prices(market, "USDJPY", CLOSE).iloc[-1] == pytest.approx(1 / market.usd_rates("JPY", CLOSE).iloc[-1])
    # the EUR rate is the EUR future's underlying: the front future sits within a few % of it
    front = market.daily_bars("EUR", "20240600", CLOSE)["FINAL"].iloc[-1]
    assert front == pytest.approx(eur.iloc[-1], rel=0.03)


def test_multiple_prices_follow_the_hold_cycle():
    roll = SyntheticMarket(1, HISTORY_START).roll_parameters("CORN")  # hold Z, roll 60 days before
    market = SyntheticMarket(1, HISTORY_START)
    bars = market.full_history("CORN", CLOSE)
    multiple = multiple_prices_from_finals(roll, {c: f["FINAL"] for c, f in bars.items()})
    assert set(multiple["PRICE_CONTRACT"]) <= {f"{y}1200" for y in range(2019, 2026)}
    row = multiple.loc["2023-10-16 19:00"]  # Dec 2023 expires 15 Dec; roll date 16 Oct
    assert row["PRICE_CONTRACT"] == "20241200" and row["FORWARD_CONTRACT"] == "20251200"
    assert row["CARRY_CONTRACT"] == "20240900"
    assert multiple.loc["2023-10-13 19:00", "PRICE_CONTRACT"] == "20231200"
    assert row["PRICE"] == bars["20241200"].loc["2023-10-16 19:00", "FINAL"]


def test_full_history_is_the_bars_the_broker_serves(market):
    history = market.full_history("COPPER", CLOSE)
    assert list(history) == sorted(history)
    for contract in (next(iter(history)), "20240700", "20250300"):
        pd.testing.assert_frame_equal(history[contract], market.daily_bars("COPPER", contract, CLOSE))
    assert all(frame.index[-1] <= pd.Timestamp(CLOSE) for frame in history.values())
