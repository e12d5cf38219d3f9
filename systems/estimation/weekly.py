"""Weekly resampling and pooling (ESTIMATION_SPEC section 0: WEEKLY and STACK).

Labels are int64 microseconds since 1970-01-01: a week is labelled by its Sunday at 00:00, and the
k-th pooled frame's rows carry +k microseconds (so pooled rows sort week by week, in list order).
"""

from __future__ import annotations

import numpy as np

from systems.compensated import compensated_sums
from systems.daily import day_of_bin

MICROS_PER_DAY = 86_400_000_000


def sunday_of(days: np.ndarray) -> np.ndarray:
    """Calendar day number of the Sunday ending each day's Monday..Sunday week."""
    days = np.asarray(days, dtype=np.int64)
    return days + 6 - (days + 3) % 7


def weekly(start: int, values: np.ndarray, how: str) -> tuple[np.ndarray, np.ndarray]:
    """WEEKLY(x, sum|last) of a business-day matrix (rows from ordinal `start`).

    Returns (Sunday day numbers, weeks x columns). `sum` of a week with no valid value is 0.0;
    `last` is the last valid value or NaN. Every week from the first row's to the last row's.
    """
    values = values.reshape(len(values), -1)
    if len(values) == 0:
        return np.empty(0, dtype=np.int64), np.empty((0, values.shape[1]))
    sundays = sunday_of(day_of_bin(np.arange(start, start + len(values), dtype=np.int64)))
    week = (sundays - sundays[0]) // 7
    n_weeks = int(week[-1]) + 1
    labels = sundays[0] + 7 * np.arange(n_weeks, dtype=np.int64)
    valid = ~np.isnan(values)
    if how == "sum":
        # pandas' own weekly sum (compensated, as `resample("W").sum()` does): a plain running sum
        # differs in the last bits, which the handcrafting's SLSQP step amplifies
        first = start - start % 5  # business-day ordinals 5w..5w+4 are week w's Monday..Friday
        blocks = np.full((n_weeks * 5, values.shape[1]), np.nan)
        blocks[start - first : start - first + len(values)] = values
        return labels, compensated_sums(blocks.reshape(n_weeks, 5, -1).transpose(1, 0, 2))
    if how == "last":
        out = np.full((n_weeks, values.shape[1]), np.nan)
        rows = np.arange(len(values))
        for column in range(values.shape[1]):
            keep = rows[valid[:, column]]
            out[week[keep], column] = values[keep, column]  # later rows overwrite earlier ones
        return labels, out
    raise ValueError(how)


def stack(frames: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """STACK: reindex every (weekly labels, values) frame to the union of labels, shift the k-th
    by k microseconds, and interleave them by label. Returns (labels in microseconds, rows)."""
    union = np.unique(np.concatenate([labels for labels, _ in frames]))
    n, width, count = len(union), frames[0][1].shape[1], len(frames)
    out = np.full((n, count, width), np.nan)
    for k, (labels, values) in enumerate(frames):
        out[np.searchsorted(union, labels), k, :] = values
    micros = union[:, None] * MICROS_PER_DAY + np.arange(count, dtype=np.int64)[None, :]
    return micros.ravel(), out.reshape(n * count, width)
