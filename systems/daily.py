"""The business-day grid and the few alignment operations the method needs.

Every daily series lives on one global calendar: Monday to Friday, no holidays. A day is stored
as its *business-day ordinal* (an int), so aligning two series is an offset, not a join, and the
"bin a timestamp into the latest weekday on or before its date" rule of the method is integer
arithmetic. A `Daily` is a contiguous run of that grid: the ordinal of its first row and a float
array. NaN marks a missing value; the grid itself has no holes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from systems.compensated import ragged_compensated_sums

SECONDS_PER_DAY = 86_400
# 1970-01-01 was a Thursday: (day + 3) % 7 is 0 on Mondays.
_MONDAY_SHIFT = 3


def day_of_seconds(stamps: np.ndarray) -> np.ndarray:
    """Calendar day number (days since 1970-01-01) of epoch-second timestamps."""
    return np.floor_divide(stamps, SECONDS_PER_DAY)


def bin_of_day(days: np.ndarray | int) -> np.ndarray:
    """Business-day ordinal of the latest weekday on or before each day (Sat/Sun -> Friday)."""
    shifted = np.asarray(days, dtype=np.int64) + _MONDAY_SHIFT
    weekday = np.minimum(shifted % 7, 4)
    return (shifted // 7) * 5 + weekday


def bins_of_stamps(stamps: np.ndarray) -> np.ndarray:
    """`bin_of_day` of sorted epoch-second stamps, computed once per distinct day.

    Intraday files hold several rows per day; integer division is the slow part, so it runs on
    the days where the stamp's date changes and is repeated across each day's rows.
    """
    if len(stamps) == 0:
        return np.empty(0, dtype=np.int64)
    days = stamps.astype("datetime64[s]").astype("datetime64[D]").astype(np.int64)
    starts = np.flatnonzero(np.concatenate(([True], days[1:] != days[:-1])))
    counts = np.diff(np.concatenate((starts, [len(days)])))
    return np.repeat(bin_of_day(days[starts]), counts)


def first_bin_on_or_after(days: np.ndarray | int) -> np.ndarray:
    """Business-day ordinal of the first weekday on or after each day (Sat/Sun -> Monday)."""
    shifted = np.asarray(days, dtype=np.int64) + _MONDAY_SHIFT
    weekday = shifted % 7
    return np.where(weekday >= 5, (shifted // 7 + 1) * 5, (shifted // 7) * 5 + weekday)


def day_of_bin(ordinals: np.ndarray | int) -> np.ndarray:
    """Calendar day number of business-day ordinals (the inverse of `bin_of_day` on weekdays)."""
    ordinals = np.asarray(ordinals, dtype=np.int64)
    return (ordinals // 5) * 7 + ordinals % 5 - _MONDAY_SHIFT


def dates_of_bins(ordinals: np.ndarray) -> np.ndarray:
    """numpy datetime64[D] dates of business-day ordinals."""
    return day_of_bin(ordinals).astype("datetime64[D]")


def ffill(values: np.ndarray) -> np.ndarray:
    """Unlimited forward fill along the first axis; leading NaNs stay NaN."""
    valid = ~np.isnan(values)
    rows = np.arange(values.shape[0]).reshape((-1,) + (1,) * (values.ndim - 1))
    last = np.maximum.accumulate(np.where(valid, rows, 0), axis=0)
    if values.ndim == 1:
        return values[last]
    return np.take_along_axis(values, last, axis=0)


@dataclass(frozen=True)
class Daily:
    """A daily series: `values[i]` belongs to business-day ordinal `start + i`."""

    start: int
    values: np.ndarray

    @property
    def end(self) -> int:
        """One past the ordinal of the last row."""
        return self.start + len(self.values)

    def __len__(self) -> int:
        return len(self.values)

    def reindex(self, start: int, length: int) -> np.ndarray:
        """Exact-label alignment onto [start, start+length): NaN where this series has no row."""
        out = np.full(length, np.nan)
        lo, hi = max(start, self.start), min(start + length, self.end)
        if hi > lo:
            out[lo - start : hi - start] = self.values[lo - self.start : hi - self.start]
        return out

    def asof(self, start: int, length: int) -> np.ndarray:
        """Label-based as-of alignment: each label takes the value at the latest label <= it.

        Inside this series' span that is the value itself (a stored NaN stays NaN); after its end,
        the last stored value; before its start, NaN.
        """
        out = self.reindex(start, length)
        if len(self.values) and start + length > self.end:
            out[max(self.end - start, 0) :] = self.values[-1]
        return out

    def on(self, start: int, length: int) -> Daily:
        return Daily(start, self.reindex(start, length))

    def ordinals(self) -> np.ndarray:
        return np.arange(self.start, self.end, dtype=np.int64)

    def dates(self) -> np.ndarray:
        """The dates of the rows as numpy datetime64[D]."""
        return dates_of_bins(self.ordinals())

    def last_valid(self) -> float:
        valid = self.values[~np.isnan(self.values)]
        return float(valid[-1]) if len(valid) else float("nan")

    def to_pandas(self):  # noqa: ANN201 - pandas is imported lazily on purpose
        """The series as a pandas Series on a DatetimeIndex (for users' own rules and notebooks)."""
        import pandas as pd

        return pd.Series(self.values, index=pd.DatetimeIndex(self.dates().astype("datetime64[ns]")))


def hull(*series: Daily) -> tuple[int, int]:
    """(start, length) of the smallest grid run covering every series (the outer join).

    Series in this method always overlap or touch; if two did not, the rows between them are
    carried as NaN rows.
    """
    present = [s for s in series if len(s)]
    if not present:
        return 0, 0
    start = min(s.start for s in present)
    return start, max(s.end for s in present) - start


def align(*series: Daily) -> tuple[int, list[np.ndarray]]:
    """Outer-join series onto their common hull: (start, arrays of equal length)."""
    start, length = hull(*series)
    return start, [s.reindex(start, length) for s in series]


def _group_starts(keys: np.ndarray) -> np.ndarray:
    return np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))


def sort_by_stamp(stamps: np.ndarray, *columns: np.ndarray) -> tuple[np.ndarray, ...]:
    """Stable sort of raw rows by timestamp (a no-op for the usual, already sorted, files)."""
    if len(stamps) < 2 or bool(np.all(stamps[1:] >= stamps[:-1])):
        return (stamps, *columns)
    order = np.argsort(stamps, kind="stable")
    return (stamps[order], *(c[order] for c in columns))


def last_valid_by_key(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One row per distinct sorted key holding the last non-NaN value (NaN when none)."""
    if len(keys) == 0:
        return keys, values
    starts = _group_starts(keys)
    position = np.where(np.isnan(values), -1, np.arange(len(values)))
    last = np.maximum.reduceat(position, starts)
    out = np.where(last >= 0, values[np.maximum(last, 0)], np.nan)
    return keys[starts], out


def daily_from_stamps(stamps: np.ndarray, values: np.ndarray, how: str) -> Daily:
    """DAILY(x, agg) of the method on sorted epoch-second stamps.

    Each stamp goes into the bin of the latest weekday on or before its date; `last` keeps the
    last non-NaN value of a bin, `mean` the mean of its non-NaN values. Every weekday from the
    first bin to the last is present; empty bins are NaN (no filling).
    """
    if len(stamps) == 0:
        return Daily(0, np.empty(0))
    bins = bins_of_stamps(stamps)
    first = int(bins[0])
    out = np.full(int(bins[-1]) - first + 1, np.nan)
    if how == "last":
        keys, kept = last_valid_by_key(bins, values)
        out[keys - first] = kept
    elif how == "mean":
        starts = _group_starts(bins)
        valid = ~np.isnan(values)
        sums = ragged_compensated_sums(values, starts)  # pandas' mean adds with compensation
        counts = np.add.reduceat(valid.astype(np.int64), starts)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[bins[starts] - first] = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    else:
        raise ValueError(f"unknown daily aggregation {how!r}")
    return Daily(first, out)


def asof_stamps(stamps: np.ndarray, values: np.ndarray, label_seconds: np.ndarray) -> np.ndarray:
    """ASOF of a raw stamped series onto labels: value at the latest stamp <= each label."""
    if len(stamps) == 0:
        return np.full(len(label_seconds), np.nan)
    position = np.searchsorted(stamps, label_seconds, side="right") - 1
    return np.where(position >= 0, values[np.maximum(position, 0)], np.nan)


def bin_labels_seconds(start: int, length: int) -> np.ndarray:
    """Epoch seconds of the midnight labels of a grid run."""
    return day_of_bin(np.arange(start, start + length, dtype=np.int64)) * SECONDS_PER_DAY
