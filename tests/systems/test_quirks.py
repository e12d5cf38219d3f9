"""Spec section 9 (and the carry and cost details of sections 2 and 8): each quirk of the
reference method, on hand-made series whose expected numbers are worked out here."""

from __future__ import annotations

import math

import numpy as np
import pytest

from syscore.ewm import ewma
from systems.accounts import CostParameters, CostSettings, instrument_pnl, roll_dates
from systems.buffering import buffered_position
from systems.daily import Daily, day_of_bin
from systems.forecasts import combine_forecasts, scale_and_cap, smoothed_weights
from systems.fx import FxRates
from systems.inputs import FxInputs
from systems.positions import subsystem_position, volatility_scalar
from systems.provided.rules.carry import carry
from systems.rawdata import annualised_roll_rows, daily_price, daily_returns
from tests.systems.helpers import bin_of, nan_equal, seconds, stamps

NAN = float("nan")
S = bin_of("2010-01-04")  # a Monday: grid rows of hand-made series start here (USD is 1.0 from 1970)
USD_ONE = FxRates({}, "USD", seconds("2030-01-01 00:00"))


def _usd(labels: np.ndarray) -> np.ndarray:
    return USD_ONE.asof("USD", labels)


# 1. closes stamped 23:00: prices binned same day, FX as-of midnight sees the previous day ------
def test_quirk1_23h_fx_is_yesterdays_rate_for_todays_label():
    start = bin_of("2019-10-24")  # Thursday
    vol = Daily(start, np.array([1.0, 1.0, 1.0]))
    raw_price = Daily(start, np.array([100.0, 100.0, 100.0]))
    fx = FxInputs(stamps("2019-10-24 00:00", "2019-10-24 23:00", "2019-10-25 23:00"), np.array([1.0, 2.0, 4.0]))
    rates = FxRates({"EUR": fx}, "USD", seconds("2030-01-01 00:00"))
    scalar = volatility_scalar(vol, raw_price, 10.0, lambda s: rates.asof("EUR", s), 1000.0)
    # ICV = pointsize * sigma = 10; Thu label sees the 00:00 stamp (1.0), Fri the Thu 23:00 rate
    # (2.0), Mon the Fri 23:00 rate (4.0).
    assert list(scalar.values) == [1000 / (10 * 1.0), 1000 / (10 * 2.0), 1000 / (10 * 4.0)]


# 2. Sunday 23:00 prints replace Friday's close -------------------------------------------------
def test_quirk2_sunday_print_replaces_friday_close():
    price = daily_price(stamps("2024-03-07 23:00", "2024-03-08 23:00", "2024-03-10 23:00", "2024-03-11 23:00"),
                        np.array([10.0, 11.0, 12.5, 13.0]))
    assert list(price.values) == [10.0, 12.5, 13.0]
    assert list(daily_returns(price).values)[1:] == [2.5, 0.5]


# 3. holidays: NaN for vol and rules, forward-filled for P&L ----------------------------------------
def test_quirk3_one_holiday_gives_two_nan_returns():
    price = Daily(0, np.array([1.0, 2.0, NAN, 4.0, 7.0]))
    assert nan_equal(daily_returns(price).values, [NAN, 1.0, NAN, NAN, 3.0])


def test_quirk3_pnl_forward_fills_prices_so_gap_moves_count():
    prices = Daily(S, np.array([10.0, 10.0, 10.0, NAN, 14.0, 14.0]))
    held = Daily(S, np.array([2.0, 2.0, 2.0, 2.0, 2.0, 2.0]))
    no_costs = CostParameters(0.0, 1.0, 0.0, 0.0, 0.0, 0)
    pnl = instrument_pnl(held, prices, no_costs, _usd, CostSettings())
    # position 2 held (from row 1 on), the 10 -> 14 move across the holiday is earned on row 4
    assert list(pnl.gross.values) == [0.0, 0.0, 0.0, 0.0, 8.0, 0.0]


# 4. carry: com not span, daily mean of intraday annualised rolls, zero roll missing -------------
def test_quirk4_carry_smoothing_is_a_centre_of_mass():
    raw = Daily(0, np.array([1.0, 0.0]))
    smoothed = carry(raw, smooth_days=90)
    decay = 90 / 91  # alpha = 1/(1+90); a span of 90 would give 1 - 2/91
    assert smoothed.values[1] == pytest.approx(decay * 1.0 / (decay + 1.0), rel=1e-14)


def test_quirk4_annualised_roll_per_row_and_daily_mean():
    rows = stamps("2024-03-04 15:00", "2024-03-04 23:00", "2024-03-05 23:00", "2024-03-06 23:00")
    price = np.array([101.0, 102.0, 100.0, 100.0])
    carry_price = np.array([100.0, 100.0, 100.0, 99.0])
    # Mar 24 -> Jun 24 is 0.25 years; Mar 24 -> Mar 24 is 0 (kept 0)
    price_contract = np.array([20240300.0, 20240300.0, 20240300.0, 20240300.0])
    carry_contract = np.array([20240600.0, 20240600.0, 20240600.0, 20240300.0])
    keys, annroll = annualised_roll_rows(rows, price, carry_price, price_contract, carry_contract)
    assert list(keys) == list(rows)
    assert annroll[0] == pytest.approx(1 / 0.25) and annroll[1] == pytest.approx(2 / 0.25)
    assert math.isnan(annroll[2])  # zero roll is missing
    assert annroll[3] == math.inf  # a zero contract gap is left at 0
    from systems.daily import daily_from_stamps

    daily = daily_from_stamps(keys, annroll, "mean")
    assert daily.values[0] == pytest.approx((4.0 + 8.0) / 2)  # mean of the day, not the last


def test_contract_gap_is_floored_at_one_day_either_way():
    rows = stamps("2024-03-04 23:00", "2024-03-05 23:00")
    _, annroll = annualised_roll_rows(rows, np.array([2.0, 2.0]), np.array([1.0, 1.0]),
                                      np.array([20240300.0, 20240301.0]), np.array([20240301.0, 20240300.0]))
    assert list(annroll) == pytest.approx([365.25, -365.25], rel=1e-12)


def test_duplicate_stamps_keep_last_non_nan_separately_for_gap_and_roll():
    rows = stamps("2024-03-04 23:00", "2024-03-04 23:00")
    keys, annroll = annualised_roll_rows(rows, np.array([3.0, NAN]), np.array([1.0, 1.0]),
                                         np.array([20240300.0, 20240300.0]), np.array([NAN, 20240900.0]))
    assert len(keys) == 1 and annroll[0] == pytest.approx(2.0 / 0.5)


# 5. forecasts of exactly 0 are missing, then forward-filled in the combination ------------------
def test_quirk5_zero_forecast_becomes_nan_then_is_filled():
    capped = scale_and_cap(Daily(0, np.array([1.0, 0.0, 2.0])), 2.0, 20.0)
    assert nan_equal(capped.values, [2.0, NAN, 4.0])
    _, filled, combined = combine_forecasts([capped], [1.0], 1.0, 20.0, 125.0)
    assert list(filled[:, 0]) == [2.0, 2.0, 4.0] and list(combined) == [2.0, 2.0, 4.0]


def test_scaled_forecasts_and_the_combination_are_capped():
    capped = scale_and_cap(Daily(0, np.array([3.0, -30.0])), 10.0, 20.0)
    assert list(capped.values) == [20.0, -20.0]
    _, _, combined = combine_forecasts([Daily(0, np.array([15.0]))], [1.0], 1.5, 20.0, 125.0)
    assert list(combined) == [20.0]


# 6. a combined forecast with nothing available is 0 -----------------------------------------------
def test_quirk6_nothing_available_gives_zero_not_nan():
    _, _, combined = combine_forecasts([Daily(0, np.array([NAN, NAN]))], [1.0], 1.31, 20.0, 125.0)
    assert list(combined) == [0.0, 0.0]


# 7. weights: zero when missing, raw when nothing is there, EWMA span, renormalised -----------------
def test_quirk7_weights_fade_in_and_renormalise():
    available = np.array([[False, False], [True, False], [True, True]])
    weights = smoothed_weights(available, np.array([0.6, 0.3]), span=3)  # alpha 0.5
    rows = np.array([[0.6, 0.3], [0.6, 0.0], [0.6, 0.3]])  # row 0 has nothing: raw weights
    w = np.array([0.25, 0.5, 1.0])
    smooth_last = (w[:, None] * rows).sum(axis=0) / w.sum()
    smooth_1 = (0.5 * rows[0] + rows[1]) / 1.5
    np.testing.assert_allclose(weights[1], smooth_1 / smooth_1.sum(), rtol=1e-14)
    np.testing.assert_allclose(weights[2], smooth_last / smooth_last.sum(), rtol=1e-14)
    np.testing.assert_allclose(weights[0], [2 / 3, 1 / 3], rtol=1e-14)  # 0.6, 0.3 sum to 0.9


# 8. the P&L position lag is two rows --------------------------------------------------------------
def test_quirk8_position_decided_on_day_d_earns_from_day_d_plus_2():
    prices = Daily(S, np.array([100.0, 101.0, 103.0, 106.0, 110.0, 115.0]))
    buffered = Daily(S, np.array([0.0, 1.0, 1.0, 1.0, 1.0, 1.0]))
    no_costs = CostParameters(0.0, 1.0, 0.0, 0.0, 0.0, 0)
    pnl = instrument_pnl(buffered, prices, no_costs, _usd, CostSettings())
    # b_1 = 1 is filled at the close of day 2 and first earns day 3's move (106 - 103)
    assert list(pnl.gross.values) == [0.0, 0.0, 0.0, 3.0, 4.0, 5.0]


# 9. rounding: half-to-even, each edge separately, the first value is the rounded optimal ---------
def test_quirk9_buffer_edges_rounded_separately_and_first_value_is_rounded_optimal():
    notional = Daily(0, np.array([2.6, 1.3, 1.3, 0.4]))
    width = np.array([0.25, 0.25, 0.25, 0.25])
    b = buffered_position(notional, notional.values - width, notional.values + width)
    # row 0: round(2.6) = 3; row 1: top round(1.55) = 2 < 3 -> 2 (rounding N first would give 1);
    # row 2: inside [round(1.05), round(1.55)] = [1, 2] -> stays 2; row 3: top round(0.65) = 1.
    assert list(b) == [3.0, 2.0, 2.0, 1.0]


def test_buffer_keeps_position_on_rows_with_a_missing_input():
    notional = Daily(0, np.array([NAN, 5.0, NAN, 0.0]))
    width = np.array([NAN, 1.0, 1.0, 1.0])
    lower = notional.values - width
    b = buffered_position(notional, lower, notional.values + width)
    # row 0 has no optimal: start at 0; row 1 -> bottom edge 4; row 2 (ffilled optimal is only
    # used for N*, edges computed from NaN N stay NaN) keeps 4; row 3 -> top edge 1.
    assert list(b) == [0.0, 4.0, 4.0, 1.0]


def test_trade_to_optimal_instead_of_edge():
    notional = Daily(0, np.array([0.0, 5.0, 5.4, 3.0]))
    width = np.full(4, 1.0)
    b = buffered_position(notional, notional.values - width, notional.values + width, trade_to_edge=False)
    assert list(b) == [0.0, 5.0, 5.0, 3.0]


def test_buffer_scan_equals_the_plain_recursion_on_random_input():
    rng = np.random.default_rng(11)
    optimal = np.cumsum(rng.normal(0, 0.7, 5000))
    optimal[rng.random(5000) < 0.05] = np.nan
    width = np.abs(rng.normal(0.8, 0.5, 5000))
    notional = Daily(0, optimal)
    filled = optimal.copy()
    for t in range(1, len(filled)):  # forward fill, the plain way
        if np.isnan(filled[t]):
            filled[t] = filled[t - 1]
    top, bottom = np.round(filled + width), np.round(filled - width)
    expected = [0.0 if np.isnan(filled[0]) else np.round(filled[0])]
    for t in range(1, len(filled)):
        prev = expected[-1]
        if np.isnan(top[t]) or np.isnan(bottom[t]) or np.isnan(filled[t]):
            expected.append(prev)
        elif prev > top[t]:
            expected.append(top[t])
        elif prev < bottom[t]:
            expected.append(bottom[t])
        else:
            expected.append(prev)
    assert list(buffered_position(notional, filled - width, filled + width)) == expected


# 10. block value from the raw front price, vol from the adjusted price ---------------------------
def test_quirk10_negative_adjusted_price_still_gives_a_positive_vol_scalar():
    vol = Daily(S, np.array([0.5, 0.5, 0.5]))  # vol of the (negative) adjusted price
    raw_front = Daily(S + 1, np.array([80.0, NAN, 90.0]))  # raw PRICE, a row later, with a gap
    scalar = volatility_scalar(vol, raw_front, 1000.0, _usd, 3125.0)
    # ICV = (D * 1000 * 0.01) * (100 * 0.5 / |D|) = 1000 * 0.5 on the inner join of the grids
    assert scalar.start == S + 1 and list(scalar.values) == [3125.0 / 500.0] * 2
    position = subsystem_position(scalar, Daily(S, np.array([10.0, 10.0, 10.0, 5.0])))
    # ASOF onto the forecast grid: NaN before the scalar exists, last value carried after it
    assert nan_equal(position.values, [NAN, 6.25, 6.25, 3.125])


def test_negative_raw_price_flips_the_vol_scalar_sign():
    scalar = volatility_scalar(Daily(S, np.array([0.5])), Daily(S, np.array([-4.0])), 1000.0, _usd, 3125.0)
    assert list(scalar.values) == [-6.25]


# 11. the cost deflator uses the sample's final vol ---------------------------------------------------
def test_quirk11_costs_are_deflated_by_vol_relative_to_the_last_day():
    n = 400
    step = np.where(np.arange(n) < 200, 1.0, 2.0) * np.where(np.arange(n) % 2, 1.0, -1.0)
    prices = Daily(bin_of("2001-01-01"), 1000.0 + np.cumsum(step))
    position = np.zeros(n)
    position[189:] = 1.0  # held from row 190: a one-lot trade on row 190
    params = CostParameters(spread=0.5, pointsize=10.0, per_block=0.0, percentage=0.0, per_trade=0.0,
                            rolls_per_year=0)
    pnl = instrument_pnl(Daily(prices.start, position), prices, params, _usd, CostSettings())
    # rolling 180-day std of +-1 steps is half that of +-2 steps at the end
    assert len(pnl.costs) == 1
    assert pnl.costs[0] == pytest.approx(-0.5 * 10.0 * 0.5, rel=1e-12)
    flat = instrument_pnl(Daily(prices.start, position), prices, params, _usd, CostSettings(vol_normalise=False))
    assert flat.costs[0] == pytest.approx(-0.5 * 10.0, rel=1e-12)


def test_roll_dates_are_evenly_spaced_calendar_days():
    days = roll_dates(np.array([2023]), 4).astype("datetime64[D]")
    assert [str(d) for d in days] == ["2023-02-15", "2023-05-17", "2023-08-16", "2023-11-15"]
    assert [str(d) for d in roll_dates(np.array([2023]), 1).astype("datetime64[D]")] == ["2023-07-02"]


def test_roll_cost_is_half_average_position_opened_with_slippage_and_closed_without():
    start = bin_of("2023-01-02")
    n = 40  # to 2023-02-24: one roll date (Feb 15, a Wednesday)
    position = np.full(n, 4.0)
    prices = Daily(start, np.full(n, 50.0))
    params = CostParameters(spread=0.1, pointsize=100.0, per_block=2.0, percentage=0.0, per_trade=0.0,
                            rolls_per_year=4)
    pnl = instrument_pnl(Daily(start, position), prices, params, _usd, CostSettings(vol_normalise=False))
    # X = 4 from row 1 on; the window from the last roll of 2022 to Feb 15 averages 4 -> q = 2
    quantity = 0.5 * 4.0
    opening = quantity * 0.1 * 100.0 + quantity * 2.0
    closing = quantity * 2.0
    assert [str(d) for d in pnl.cost_days.astype("datetime64[D]")] == ["2023-02-15"]
    assert pnl.costs[0] == pytest.approx(-(opening + closing), rel=1e-14)
    # the initial position is never charged as a trade (its change is against a missing row)
    assert day_of_bin(start) not in pnl.cost_days


def test_weekend_roll_costs_move_to_monday_in_corrected_mode():
    start = bin_of("2020-01-02")
    n = 60
    params = CostParameters(0.1, 1.0, 1.0, 0.0, 0.0, 4)  # 2020-05-16 is a Saturday, Feb 15 too
    prices = Daily(start, np.full(n * 2, 10.0))
    held = Daily(start, np.ones(n * 2))
    compatible = instrument_pnl(held, prices, params, _usd, CostSettings(vol_normalise=False))
    corrected = instrument_pnl(held, prices, params, _usd,
                               CostSettings(vol_normalise=False, business_day_rolls=True))
    assert [str(d) for d in compatible.cost_days.astype("datetime64[D]")] == ["2020-02-15", "2020-05-16"]
    assert [str(d) for d in corrected.cost_days.astype("datetime64[D]")] == ["2020-02-17", "2020-05-18"]


def test_ewma_of_constant_history_is_exactly_the_constant():
    # a constant price makes EWMAC exactly 0 (then NaN): needs exact constant averages
    assert set(ewma(np.full(500, 1234.567), 2 / 17, 1)) == {1234.567}


def test_buffer_width_by_method():
    from systems.buffering import buffer_width

    notional = Daily(S, np.array([NAN, 4.0, -8.0, NAN]))
    vol_scalar = Daily(S + 1, np.array([-20.0, 30.0]))  # starts a row later, ends a row early
    weight = Daily(S - 5, np.full(10, 0.25))
    forecast = buffer_width("forecast", 0.1, notional, vol_scalar, weight, 2.0)
    # 10% of |VS * IW * IDM|, the vol scalar forward-filled onto N's rows
    assert nan_equal(forecast, [NAN, 0.1 * 20 * 0.25 * 2, 0.1 * 30 * 0.25 * 2, 0.1 * 30 * 0.25 * 2])
    assert nan_equal(buffer_width("position", 0.1, notional, vol_scalar, weight, 2.0), [NAN, 0.4, 0.8, 0.8])
    assert list(buffer_width("none", 0.1, notional, vol_scalar, weight, 2.0)) == [0.0] * 4


# 10. numbers are read as pysystemtrade's pandas reads them: at most 17 digits, not correctly rounded
def test_quirk10_seventeen_digit_carry_equal_to_price_is_a_missing_roll():
    from sysdata.csv_io.numbers import parse_decimal_text

    texts = {"PRICE": ["2.631"], "CARRY": ["2.6310000000000002"]}
    rows = stamps("2018-09-11 23:00")
    contracts = (np.array([20181200.0]), np.array([20190300.0]))
    compatible = {k: parse_decimal_text(v) for k, v in texts.items()}
    corrected = {k: parse_decimal_text(v, pandas_compatible=False) for k, v in texts.items()}
    _, roll = annualised_roll_rows(rows, compatible["PRICE"], compatible["CARRY"], *contracts)
    assert math.isnan(roll[0])  # pandas reads both as 2.631: a zero roll, so missing
    _, roll = annualised_roll_rows(rows, corrected["PRICE"], corrected["CARRY"], *contracts)
    assert roll[0] == pytest.approx(-4.44e-16 / 0.25, rel=0.01)


def test_quirk10_reference_copper_roll_is_missing_only_in_compatible_mode(reference_data):
    from systems.data import load_csv_inputs

    day = seconds("2018-09-11 23:00")
    rolls = {}
    for compatible in (True, False):
        copper = load_csv_inputs(reference_data, ["COPPER"], "USD", pandas_numbers=compatible).instruments["COPPER"]
        keys, roll = annualised_roll_rows(copper.multiple_stamps, copper.price, copper.carry,
                                          copper.price_contract, copper.carry_contract)
        rolls[compatible] = roll[np.flatnonzero(keys == day)[0]]
    assert math.isnan(rolls[True]) and rolls[False] != 0 and not math.isnan(rolls[False])
