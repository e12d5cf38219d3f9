"""Small builders for hand-made series in stage tests."""

from __future__ import annotations

import math

import numpy as np

from systems.daily import bin_of_day


def seconds(stamp: str) -> int:
    """Epoch seconds of 'YYYY-MM-DD HH:MM[:SS]' (naive UTC)."""
    return int(np.datetime64(stamp.replace(" ", "T"), "s").astype(np.int64))


def stamps(*texts: str) -> np.ndarray:
    return np.array([seconds(t) for t in texts], dtype=np.int64)


def bin_of(date: str) -> int:
    """Business-day ordinal of a date."""
    return int(bin_of_day(np.datetime64(date, "D").astype(np.int64)))


def nan_equal(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.array_equal(np.asarray(a, float), np.asarray(b, float), equal_nan=True))


def kahan_group_sums(values: np.ndarray, groups: np.ndarray, count: int) -> np.ndarray:
    """The compensated group sum of pandas 2.x (the reference ran pandas 2.1), in plain Python,
    one value at a time: per group, rows in order, NaN skipped, y = v - c; t = s + y;
    c = (t - s) - y, reset to 0.0 when not finite; s = t. A group without values sums to 0.0.
    (pandas 2.1 resets only a NaN compensation, so a sum that overflows ends NaN there, inf here
    and in pandas 3; pandas 3 otherwise adds its compensation differently: [0.1, 0.1, 0.1, 0.7]
    sums to 0.9999999999999999 in pandas 3.1, to 1.0 in pandas 2.1 and here.)"""
    sums, compensations = [0.0] * count, [0.0] * count
    for value, group in zip(np.asarray(values, dtype=float).tolist(), np.asarray(groups).tolist(), strict=True):
        if value != value:
            continue
        y = value - compensations[group]
        t = sums[group] + y
        c = (t - sums[group]) - y
        compensations[group] = c if math.isfinite(c) else 0.0
        sums[group] = t
    return np.array(sums)
