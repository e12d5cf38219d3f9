"""Small builders for hand-made series in stage tests."""

from __future__ import annotations

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
