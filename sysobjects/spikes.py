"""Spike check: is a new price implausibly far from the last one?

A new value is a spike when its absolute change from the value before, scaled to one day by
√(business days elapsed), exceeds `max_spike` × the EWMA (span 500) of absolute daily changes up to
the value before. Only new values are judged: history is what it is. The same check serves futures
prices and FX (unlike pysystemtrade, FX is checked too: a bad FX tick mis-sizes every position in
that currency).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

EWMA_SPAN = 500


@dataclass(frozen=True)
class Spike:
    """One rejected value, with what it was judged against (for the log, the email and the
    manual-check screen)."""

    time: dt.datetime
    value: float
    previous_time: dt.datetime
    previous_value: float
    change_per_day: float  # |change| / sqrt(business days elapsed)
    average_daily_change: float  # EWMA of abs daily changes before this value
    threshold: float  # max_spike * average_daily_change

    @property
    def size_in_averages(self) -> float:
        if self.average_daily_change == 0:
            return float("inf")
        return self.change_per_day / self.average_daily_change

    def describe(self) -> str:
        return (
            f"value {self.value:g} at {self.time:%Y-%m-%d %H:%M:%S} moved {self.change_per_day:.6g} per day "
            f"from {self.previous_value:g}; threshold {self.threshold:.6g} "
            f"({self.size_in_averages:.1f} x average daily change {self.average_daily_change:.6g})"
        )


def _elapsed_business_days(times: np.ndarray) -> np.ndarray:
    """Business days between consecutive stamps, at least 1 (an intraday step counts as a day)."""
    days = times.astype("datetime64[D]")
    elapsed = np.busday_count(days[:-1], days[1:]).astype("float64")
    return np.maximum(elapsed, 1.0)


def scaled_abs_changes(series: pd.Series) -> pd.Series:
    """|change| / sqrt(business days elapsed), on the rows after the first valid one."""
    clean = series.dropna()
    if len(clean) < 2:
        return pd.Series(dtype="float64")
    values = clean.to_numpy(dtype="float64")
    elapsed = _elapsed_business_days(clean.index.to_numpy())
    return pd.Series(np.abs(np.diff(values)) / np.sqrt(elapsed), index=clean.index[1:])


def _ewma_state(changes: np.ndarray, alpha: float) -> tuple[float, float]:
    """Numerator and weight sum of pandas' adjusted EWMA after `changes` (so it can continue)."""
    weights = (1.0 - alpha) ** np.arange(len(changes) - 1, -1, -1)
    return float(np.dot(weights, changes)), float(weights.sum())


def find_spikes(existing: pd.Series, new: pd.Series, max_spike: float) -> list[Spike]:
    """Spikes among the values of `new` stamped after the last value of `existing`.

    Each new value is judged against the last accepted value before it and the average of the
    accepted changes before it, so one spike neither hides nor creates others after it. History
    needs at least two values to have an average; with less, nothing can be judged.
    """
    old = existing.dropna()
    fresh = new.dropna()
    if len(old):
        fresh = fresh[fresh.index > old.index[-1]]
    if fresh.empty or len(old) < 2:
        return []
    alpha = 2.0 / (EWMA_SPAN + 1.0)
    numerator, weight = _ewma_state(scaled_abs_changes(old).to_numpy(), alpha)
    previous_time, previous_value = old.index[-1], float(old.iloc[-1])
    spikes = []
    for time, value in fresh.items():
        elapsed = max(float(np.busday_count(previous_time.date(), time.date())), 1.0)
        change = abs(float(value) - previous_value) / np.sqrt(elapsed)
        average = numerator / weight
        threshold = max_spike * average
        if change > threshold:
            spikes.append(
                Spike(time.to_pydatetime(), float(value), previous_time.to_pydatetime(),
                      previous_value, change, average, threshold)
            )
            continue
        numerator = (1.0 - alpha) * numerator + change
        weight = (1.0 - alpha) * weight + 1.0
        previous_time, previous_value = time, float(value)
    return spikes
