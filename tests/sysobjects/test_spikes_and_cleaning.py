"""Spike check and bar cleaning on hand-made series."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from sysobjects.price_cleaning import CleaningRules, clean_bars
from sysobjects.spikes import find_spikes, scaled_abs_changes


def steady(n=50, step=1.0):
    """Alternating +step/-step daily moves: every absolute daily change is exactly `step`."""
    index = pd.bdate_range("2024-01-01", periods=n)
    values = 100 + step * (np.arange(n) % 2)
    return pd.Series(values, index=index)


def after(series, values, days=1):
    start = series.index[-1] + pd.offsets.BDay(days)
    return pd.Series(values, index=pd.bdate_range(start, periods=len(values)))


def test_average_change_is_the_ewma_of_absolute_daily_changes():
    history = steady()
    assert scaled_abs_changes(history).tolist() == [1.0] * 49


def test_a_move_just_over_max_spike_averages_is_a_spike_and_just_under_is_not():
    history = steady()
    last = history.iloc[-1]
    assert find_spikes(history, after(history, [last + 7.99]), max_spike=8) == []
    spikes = find_spikes(history, after(history, [last + 8.01]), max_spike=8)
    assert len(spikes) == 1
    spike = spikes[0]
    assert spike.value == pytest.approx(last + 8.01)
    assert spike.previous_value == last
    assert spike.threshold == pytest.approx(8.0)
    assert spike.average_daily_change == pytest.approx(1.0)
    assert "threshold 8" in spike.describe()


def test_change_is_scaled_by_root_of_business_days_elapsed():
    history = steady()
    last = history.iloc[-1]
    # 11 over 4 business days is 5.5 per day: not a spike; the same move in one day is
    assert find_spikes(history, after(history, [last + 11.0], days=4), max_spike=8) == []
    assert len(find_spikes(history, after(history, [last + 11.0], days=1), max_spike=8)) == 1
    # a weekend is not three days of risk: Friday -> Monday is one business day
    friday = history[history.index.day_of_week == 4].index[-1]
    cut = history[:friday]
    monday = pd.Series([cut.iloc[-1] + 9.0], index=[friday + dt.timedelta(days=3)])
    assert len(find_spikes(cut, monday, max_spike=8)) == 1


def test_only_new_values_are_judged_and_after_a_spike_the_next_is_judged_from_the_last_good():
    history = steady()
    last = history.iloc[-1]
    new = after(history, [last + 1, last + 50, last + 1.5])
    spikes = find_spikes(history, new, max_spike=8)
    assert [s.value for s in spikes] == [last + 50]
    assert spikes[0].previous_value == last + 1
    with_old_spike = steady()
    with_old_spike.iloc[10] = 500.0  # history is what it is: never reported
    assert find_spikes(with_old_spike, after(with_old_spike, [last + 1]), max_spike=8) == []


def test_fx_size_moves_are_judged_the_same_way():
    index = pd.bdate_range("2024-01-01", periods=30)
    fx = pd.Series(1.25 + 0.001 * (np.arange(30) % 2), index=index)
    assert find_spikes(fx, after(fx, [fx.iloc[-1] + 0.0079]), 8) == []
    assert len(find_spikes(fx, after(fx, [fx.iloc[-1] * 0.8]), 8)) == 1


def test_too_little_history_judges_nothing():
    one = pd.Series([100.0], index=pd.bdate_range("2024-01-01", periods=1))
    assert find_spikes(one, after(one, [1000.0]), 8) == []


def test_cleaning_drops_zero_future_zero_volume_and_missing_and_counts_each():
    index = pd.to_datetime(["2024-01-01 23:00", "2024-01-02 23:00", "2024-01-03 23:00",
                            "2024-01-04 23:00", "2024-01-05 23:00"])
    bars = pd.DataFrame(
        {"OPEN": 1.0, "HIGH": 1.0, "LOW": 1.0, "FINAL": [1.0, 0.0, np.nan, 2.0, 3.0],
         "VOLUME": [10, 10, 10, 0, 10]}, index=index,
    )
    result = clean_bars(bars, dt.datetime(2024, 1, 5, 12), CleaningRules())
    assert result.bars.index.tolist() == [index[0]]
    assert result.dropped == {"missing FINAL": 1, "zero price": 1, "in the future": 1, "zero volume": 1}
    relaxed = clean_bars(bars, dt.datetime(2024, 1, 6), CleaningRules(ignore_zero_volume=False, ignore_zero_prices=False))
    assert len(relaxed.bars) == 4


def hourly(days=40):
    """Hourly bars 14:00-21:00 on business days: small moves within a day (0.05 an hour) and a
    level that alternates 100 / 101 from day to day, so every close-to-close change is 1.0."""
    stamps, values = [], []
    for number, day in enumerate(pd.bdate_range("2024-01-01", periods=days)):
        level = 100.0 + (number % 2)
        for hour in range(14, 22):
            stamps.append(day + pd.Timedelta(hours=hour))
            values.append(level + 0.05 * (hour % 2))
    return pd.Series(values, index=pd.DatetimeIndex(stamps))


def test_hourly_rows_are_judged_on_a_daily_scale_and_overnight_gaps_are_not_spikes():
    history = hourly()
    assert scaled_abs_changes(history).tolist() == pytest.approx([1.0] * 39)
    last_time, last = history.index[-1], history.iloc[-1]
    next_morning = last_time + pd.offsets.BDay(1) - pd.Timedelta(hours=7)
    # the overnight gap (20x the hourly moves) is an ordinary day's move
    assert find_spikes(history, pd.Series([last + 1.0], index=[next_morning]), max_spike=8) == []
    # a move inside one hour is compared with a day's move: 7.9 is not a spike, 8.1 is
    one_hour = [last_time + pd.Timedelta(hours=1)]
    assert find_spikes(history, pd.Series([last + 7.9], index=one_hour), max_spike=8) == []
    spikes = find_spikes(history, pd.Series([last + 8.1], index=one_hour), max_spike=8)
    assert len(spikes) == 1
    assert spikes[0].average_daily_change == pytest.approx(1.0)
    assert spikes[0].change_per_day == pytest.approx(8.1)


def test_a_day_of_only_spikes_does_not_dilute_the_average():
    history = steady()
    last_time, last = history.index[-1], history.iloc[-1]
    days = pd.bdate_range(last_time + pd.offsets.BDay(1), periods=4)
    # three days of a stuck bad value, then a good value: each bad one is judged from the last good
    new = pd.Series([last + 50, last + 50, last + 50, last + 1.0], index=days)
    spikes = find_spikes(history, new, max_spike=8)
    assert [s.value for s in spikes] == [last + 50] * 3
    assert all(s.average_daily_change == pytest.approx(1.0) for s in spikes)
