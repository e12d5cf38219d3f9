"""Spike check: is a new price implausibly far from the last one?

A new value is a spike when its absolute change from the last accepted value, scaled to one day by
√(business days elapsed, at least one), exceeds `max_spike` × the EWMA (span 500) of absolute
daily changes (close to close, each scaled the same way) up to the day before. Only new values are
judged: history is what it is. Series with intraday rows are judged on the same daily scale: the
average comes from daily closes, and a move within a day is compared with a day's move (so an
hourly series' overnight gap is not a spike, and a limit move inside one hour is judged as the
day's move it is). The same check serves futures prices and FX (unlike pysystemtrade, FX is
checked too: a bad FX tick mis-sizes every position in that currency).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from syscore.ewm import EwmaState, alpha_from_span

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


def _business_days_between(earlier: np.ndarray, later: np.ndarray) -> np.ndarray:
    """Business days from one date to another, at least 1 (a weekend is not three days of risk,
    and anything within a day counts as a day)."""
    elapsed = np.busday_count(earlier.astype("datetime64[D]"), later.astype("datetime64[D]"))
    return np.maximum(elapsed, 1).astype("float64")


def daily_closes(series: pd.Series) -> pd.Series:
    """The last value of each calendar day."""
    clean = series.dropna()
    days = clean.index.normalize()
    return clean[~days.duplicated(keep="last")]


def scaled_abs_changes(series: pd.Series) -> pd.Series:
    """|close-to-close change| / sqrt(business days elapsed), from the second daily close on."""
    closes = daily_closes(series)
    if len(closes) < 2:
        return pd.Series(dtype="float64")
    values = closes.to_numpy(dtype="float64")
    times = closes.index.to_numpy()
    elapsed = _business_days_between(times[:-1], times[1:])
    return pd.Series(np.abs(np.diff(values)) / np.sqrt(elapsed), index=closes.index[1:])


def _elapsed(earlier: pd.Timestamp, later: pd.Timestamp) -> float:
    return max(float(np.busday_count(earlier.date(), later.date())), 1.0)


def find_spikes(existing: pd.Series, new: pd.Series, max_spike: float) -> list[Spike]:
    """Spikes among the values of `new` stamped after the last value of `existing`.

    Each new value is judged against the last accepted value before it and the average of the
    daily changes before its day (a day's close joins the average once the next day starts), so
    one spike neither hides nor creates others after it. History needs two completed days to have
    an average; with less, nothing can be judged.
    """
    old = existing.dropna()
    fresh = new.dropna()
    if len(old):
        fresh = fresh[fresh.index > old.index[-1]]
    if fresh.empty:
        return []
    closes = daily_closes(old)
    completed = closes.iloc[:-1]  # the last stored day may still be open
    if len(completed) < 2:
        return []
    average_move = EwmaState.of(scaled_abs_changes(completed).to_numpy(), alpha_from_span(EWMA_SPAN))
    close_time, close_value = completed.index[-1], float(completed.iloc[-1])
    previous_time, previous_value = old.index[-1], float(old.iloc[-1])
    spikes = []
    for time, value in fresh.items():
        if time.normalize() != previous_time.normalize() and previous_time > close_time:
            # the last accepted value closed its day: its change joins the average
            day_change = abs(previous_value - close_value) / np.sqrt(_elapsed(close_time, previous_time))
            average_move = average_move.add(day_change)
            close_time, close_value = previous_time, previous_value
        change = abs(float(value) - previous_value) / np.sqrt(_elapsed(previous_time, time))
        average = average_move.mean
        threshold = max_spike * average
        if change > threshold:
            spikes.append(
                Spike(time.to_pydatetime(), float(value), previous_time.to_pydatetime(),
                      previous_value, change, average, threshold)
            )
            continue
        previous_time, previous_value = time, float(value)
    return spikes


def _month_number(contract: str) -> int:
    return int(contract[:4]) * 12 + int(contract[4:6])


def carry_per_month(multiple: pd.DataFrame) -> float:
    """Price gap per contract month between the priced contract and the next one, from the last
    row that priced both at once (FORWARD, else CARRY); zero when no row did."""
    for column in ("FORWARD", "CARRY"):
        contracts = multiple[f"{column}_CONTRACT"]
        both = multiple["PRICE"].notna() & multiple[column].notna() & contracts.notna()
        if not both.any():
            continue
        row = multiple[both.to_numpy()].iloc[-1]
        months = _month_number(str(row[f"{column}_CONTRACT"])) - _month_number(str(row["PRICE_CONTRACT"]))
        if months:
            return float(row[column] - row["PRICE"]) / months
    return 0.0


def level_for_new_contract(multiple: pd.DataFrame, adjusted: pd.Series, contract: str) -> pd.Series:
    """The instrument's price history moved to where `contract` should trade, to judge the first
    bars of a contract that has no stored prices yet with the usual spike check.

    The adjusted price (continuous across rolls) is shifted so that on its last row it equals that
    row's PRICE plus the carry to `contract` (`carry_per_month` times the months from the priced
    contract). The carry is a straight line from the nearest pair of contracts: far contracts may
    sit a little off it, which the spike threshold (many average daily moves) absorbs; a wrong
    multiplier or a bar ten times too big does not pass.
    """
    history = adjusted.dropna()
    if history.empty:
        return history
    last_time = history.index[-1]
    row = multiple.loc[:last_time].iloc[-1]
    if pd.isna(row["PRICE"]):
        return history.iloc[0:0]
    months = _month_number(contract) - _month_number(str(row["PRICE_CONTRACT"]))
    level = float(row["PRICE"]) + carry_per_month(multiple.loc[:last_time]) * months
    return (history + (level - float(history.iloc[-1]))).rename("FINAL")


def first_fetch_judged(level: pd.Series, new: pd.Series) -> pd.Series:
    """The bars of a contract's first fetch that are judged against the instrument's level: those
    after the level's last row (the day's new data), else the latest bar. Older bars are the
    contract's history: a far contract's gap to the priced one changes over months more than a
    carry line can say, so they are not compared with today's level."""
    fresh = new.dropna()
    if fresh.empty or level.empty:
        return fresh.iloc[0:0]
    newer = fresh[fresh.index > level.index[-1]]
    return newer if len(newer) else fresh.iloc[[-1]]


def first_fetch_history(level: pd.Series, new: pd.Series) -> pd.Series:
    """What the judged bars of a first fetch are checked against: the instrument's level carried
    to the contract (`level_for_new_contract`), up to the first judged bar."""
    judged = first_fetch_judged(level, new)
    if judged.empty:
        return level.iloc[0:0]
    return level[level.index < judged.index[0]]


def first_fetch_spikes(level: pd.Series, new: pd.Series, max_spike: float) -> list[Spike]:
    """Spikes in the first bars ever fetched for a contract: its latest bars against the
    instrument's current level carried to the contract, with the usual threshold. This catches
    a bar ten times too big and a whole series off by a factor (a wrong multiplier)."""
    judged = first_fetch_judged(level, new)
    if judged.empty:
        return []
    return find_spikes(first_fetch_history(level, new), judged, max_spike)
