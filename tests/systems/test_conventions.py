"""Spec section 0, one test per convention, on hand-made series with hand-derived numbers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from syscore.ewm import alpha_from_com, alpha_from_span, ewma, ewmstd
from systems.buffering import buffered_position
from systems.daily import Daily, daily_from_stamps, dates_of_bins
from systems.forecasts import combine_forecasts
from systems.fx import FxRates
from systems.inputs import FxInputs
from tests.systems.helpers import bin_of, nan_equal, seconds, stamps

NAN = float("nan")


# --- B index and DAILY ----------------------------------------------------------------------------
def test_b_index_is_monday_to_friday_with_no_holidays():
    start = bin_of("2024-12-23")  # a Monday; 25 Dec is still on the grid
    dates = [str(d) for d in dates_of_bins(np.arange(start, start + 7))]
    assert dates == ["2024-12-23", "2024-12-24", "2024-12-25", "2024-12-26", "2024-12-27",
                     "2024-12-30", "2024-12-31"]


def test_daily_last_puts_weekend_stamps_in_fridays_bin_and_keeps_last_non_nan():
    rows = stamps("2024-03-07 23:00", "2024-03-08 14:00", "2024-03-08 23:00", "2024-03-10 23:00",
                  "2024-03-12 23:00", "2024-03-12 23:30")
    values = np.array([1.0, 2.0, 3.0, 4.0, 6.0, NAN])
    daily = daily_from_stamps(rows, values, "last")
    assert daily.start == bin_of("2024-03-07")
    # Thu 1; Fri: Sunday 23:00 print (4) is later than Friday's close (3); Mon empty -> NaN,
    # not filled; Tue: last non-NaN is 6.
    assert nan_equal(daily.values, [1.0, 4.0, NAN, 6.0])


def test_daily_mean_averages_non_nan_values_of_the_bin():
    rows = stamps("2024-03-04 10:00", "2024-03-04 15:00", "2024-03-04 23:00", "2024-03-06 23:00")
    daily = daily_from_stamps(rows, np.array([1.0, NAN, 4.0, 7.0]), "mean")
    assert nan_equal(daily.values, [2.5, NAN, 7.0])


def test_daily_mean_adds_a_bins_values_with_pandas_compensation():
    # pandas' resample("1B").mean() (the reference's, 2.1.3) adds with Kahan compensation: 0.25
    # exactly; a plain running sum gives 0.24999999999999997. An infinite value stays infinite.
    rows = stamps("2024-03-04 08:00", "2024-03-04 10:00", "2024-03-04 12:00", "2024-03-04 16:00",
                  "2024-03-05 08:00", "2024-03-05 10:00", "2024-03-05 12:00")
    values = np.array([0.1, 0.1, 0.1, 0.7, 1.0, math.inf, 2.0])
    daily = daily_from_stamps(rows, values, "mean")
    assert daily.values.tolist() == [0.25, math.inf]


# --- EWMA / EWMSTD ------------------------------------------------------------------------------
def test_ewma_rows_age_weights_through_nan_rows():
    alpha = 0.5
    out = ewma(np.array([NAN, 1.0, NAN, 3.0, NAN]), alpha)
    # weights are positional: at row 3, x1 has weight 0.5^2, x3 weight 1.
    expected_3 = (0.25 * 1.0 + 3.0) / 1.25
    assert nan_equal(out, [NAN, 1.0, 1.0, expected_3, expected_3])


def test_ewma_min_periods_counts_valid_observations():
    out = ewma(np.array([2.0, NAN, 4.0, 6.0]), 0.5, min_periods=2)
    assert math.isnan(out[0]) and math.isnan(out[1])
    assert out[2] == pytest.approx((0.25 * 2 + 4) / 1.25, rel=1e-15)


def test_span_and_com_give_their_alphas():
    assert alpha_from_span(35) == 2 / 36
    assert alpha_from_com(90) == 1 / 91


def test_ewmstd_is_bias_corrected_with_the_same_weights():
    x = np.array([1.0, 3.0, NAN, 2.0])
    a = 0.4
    w = np.array([(1 - a) ** 3, (1 - a) ** 2, 1.0])  # weights of rows 0, 1, 3 at row 3
    v = np.array([1.0, 3.0, 2.0])
    m = (w * v).sum() / w.sum()
    biased = (w * (v - m) ** 2).sum() / w.sum()
    var = biased * w.sum() ** 2 / (w.sum() ** 2 - (w**2).sum())
    out = ewmstd(x, a, min_periods=2)
    assert math.isnan(out[0])
    assert out[3] == pytest.approx(math.sqrt(var), rel=1e-12)


def test_ewm_matches_pandas_on_a_long_series_with_gaps():
    rng = np.random.default_rng(5)
    x = np.cumsum(rng.normal(size=3000))
    x[rng.random(3000) < 0.15] = np.nan
    s = pd.Series(x)
    np.testing.assert_allclose(ewma(x, alpha_from_span(64), 1), s.ewm(span=64, min_periods=1).mean(), rtol=1e-12)
    np.testing.assert_allclose(ewmstd(np.diff(x, prepend=np.nan), alpha_from_span(35), 10),
                               s.diff().ewm(span=35, min_periods=10).std(), rtol=1e-11)


# --- ASOF / REIDX / ffill ---------------------------------------------------------------------------
def test_asof_is_label_based_a_stored_nan_stays_nan():
    series = Daily(10, np.array([1.0, NAN, 3.0]))
    assert nan_equal(series.asof(9, 6), [NAN, 1.0, NAN, 3.0, 3.0, 3.0])
    assert nan_equal(series.reindex(9, 6), [NAN, 1.0, NAN, 3.0, NAN, NAN])


def test_fx_asof_takes_the_latest_stamp_at_or_before_midnight():
    fx = FxInputs(stamps("2024-03-04 00:00", "2024-03-04 23:00", "2024-03-05 23:00"), np.array([1.0, 2.0, 3.0]))
    rates = FxRates({"EUR": fx}, "USD", seconds("2024-04-01 00:00"))
    labels = stamps("2024-03-04 00:00", "2024-03-05 00:00", "2024-03-06 00:00")
    assert list(rates.asof("EUR", labels)) == [1.0, 2.0, 3.0]


def test_base_currency_is_one_from_1970_only():
    rates = FxRates({}, "USD", seconds("2024-01-01 00:00"))
    assert nan_equal(rates.asof("USD", stamps("1969-12-31 00:00", "1970-01-01 00:00", "2030-01-01 00:00")),
                     [NAN, 1.0, 1.0])


def test_cross_rate_aligns_forward_fills_and_divides():
    eur = FxInputs(stamps("2024-03-04 00:00", "2024-03-06 00:00"), np.array([1.10, 1.20]))
    gbp = FxInputs(stamps("2024-03-05 00:00"), np.array([1.25]))
    rates = FxRates({"EUR": eur, "GBP": gbp}, "GBP", seconds("2024-04-01 00:00"))
    out = rates.asof("EUR", stamps("2024-03-04 00:00", "2024-03-05 00:00", "2024-03-06 00:00"))
    assert nan_equal(out, [NAN, 1.10 / 1.25, 1.20 / 1.25])
    assert rates.asof("USD", stamps("2024-03-05 00:00"))[0] == pytest.approx(1 / 1.25, rel=1e-15)


# --- outer joins, NaN-skipping row sums, rounding ----------------------------------------------------
def test_combination_outer_joins_and_an_all_nan_row_sums_to_zero():
    early = Daily(100, np.array([NAN, 4.0, 6.0]))
    late = Daily(102, np.array([NAN, 8.0]))
    start, filled, combined = combine_forecasts([early, late], [0.5, 0.5], 1.0, 20.0, 1.0)
    assert start == 100 and filled.shape == (4, 2)
    # span 1 -> alpha 1: weights are the raw availability pattern, renormalised per row.
    assert list(combined) == [0.0, 4.0, 6.0, 0.5 * 6.0 + 0.5 * 8.0]


def test_rounding_is_half_to_even():
    notional = Daily(0, np.array([0.5, 1.5, 2.5, -0.5, -1.5]))
    # no buffer: every edge is the optimal itself, so b is just the rounded optimal
    b = buffered_position(notional, notional.values, notional.values)
    assert list(b) == [0.0, 2.0, 2.0, -0.0, -2.0]


def test_binning_holds_before_1970_and_across_years():
    rows = stamps("1969-12-26 23:00", "1969-12-28 23:00", "1970-01-03 10:00", "2021-01-02 23:00")
    daily_dates = [str(d) for d in dates_of_bins(np.unique(
        np.array([bin_of(d) for d in ("1969-12-26", "1970-01-02", "2021-01-01")])))]
    daily = daily_from_stamps(rows[:3], np.array([1.0, 2.0, 3.0]), "last")
    # Sunday 1969-12-28 goes to Friday 1969-12-26; Saturday 1970-01-03 to Friday 1970-01-02
    assert str(daily.dates()[0]) == "1969-12-26" and daily.values[0] == 2.0
    assert str(daily.dates()[-1]) == "1970-01-02" and daily.values[-1] == 3.0
    assert daily_dates == ["1969-12-26", "1970-01-02", "2021-01-01"]
    assert str(daily_from_stamps(rows[3:], np.array([1.0]), "last").dates()[0]) == "2021-01-01"
