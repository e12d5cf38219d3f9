"""Weekly resampling and pooling (ESTIMATION_SPEC section 0: WEEKLY and STACK).

Labels are int64 microseconds since 1970-01-01: a week is labelled by its Sunday at 00:00, and the
k-th pooled frame's rows carry +k microseconds (so pooled rows sort week by week, in list order).
"""

from __future__ import annotations

import numpy as np

from systems.daily import day_of_bin

MICROS_PER_DAY = 86_400_000_000


def sunday_of(days: np.ndarray) -> np.ndarray:
    """Calendar day number of the Sunday ending each day's Monday..Sunday week."""
    days = np.asarray(days, dtype=np.int64)
    return days + 6 - (days + 3) % 7


# Below this magnitude no sum of a week's values can overflow, so no compensation turns non-finite
_SAFE = 1e300


def largest_magnitude(values: np.ndarray) -> float:
    """max |value| over the non-NaN values (0.0 if none; inf if one is infinite)."""
    return float(np.fmax.reduce(np.abs(values).ravel(), initial=0.0))


def missing_values(days: np.ndarray) -> list[np.ndarray]:
    """Per day of the week, the flat indices of the NaN values in `days[day]` (weeks x columns)."""
    return [np.flatnonzero(np.isnan(days[day])) for day in range(days.shape[0])]


def week_sums(
    days: np.ndarray,
    shift: np.ndarray | None = None,
    largest: float | None = None,
    missing: list[np.ndarray] | None = None,
) -> np.ndarray:
    """Sums over the first axis of (days of the week, weeks, columns) of `days + shift` (`shift`
    broadcast against weeks x columns), NaN skipped, a week without values 0.0: pandas' groupby
    sum, bit for bit.

    pandas (`group_sum` in pandas/_libs/groupby.pyx) visits a group's rows in order and keeps, per
    (group, column), a sum and a Kahan compensation, both starting at +0.0; for each non-NaN value
    v: y = v - compensation, t = sum + y, compensation = (t - sum) - y, set to 0.0 when it is not
    finite (an infinite value), sum = t. These are the same IEEE double operations, done here for
    one day of every week at a time (only additions and subtractions: nothing a compiler could
    fuse or reorder); where the day's value is NaN the sum and compensation are put back. The
    shift is added first, as `(days + shift)` would be. A pool computing many shifts of the same
    days passes what does not depend on the shift: `largest` (`largest_magnitude(days)`) and
    `missing` (`missing_values(days)`).
    """
    count, weeks, width = days.shape
    if missing is None or (shift is not None and not np.isfinite(shift).all()):  # NaN shift: missing
        with np.errstate(invalid="ignore"):  # -inf + inf
            missing = missing_values(days if shift is None else days + shift)
    largest = largest_magnitude(days) if largest is None else largest
    if shift is not None:
        largest += float(np.fmax.reduce(np.abs(shift).ravel(), initial=0.0))
    # |value| < _SAFE everywhere: no week's running sum can overflow, every compensation stays
    # finite and pandas' reset never fires; otherwise (inf, NaN shift, huge values) do the reset
    check = not largest < _SAFE
    compensation = np.zeros((weeks, width))
    sums, value, y, t, c = (np.empty((weeks, width)) for _ in range(5))  # sums: set on day 0
    with np.errstate(invalid="ignore", over="ignore"):
        for day in range(count):
            gaps = missing[day]
            if shift is None:
                np.copyto(value, days[day])
            else:
                np.add(days[day], shift, out=value)
            if day == 0:
                # from sum = compensation = +0.0: y = v, t = 0.0 + v (v, but +0.0 for -0.0) and
                # compensation = t - v = +0.0 (NaN for an infinite v, reset to 0.0)
                np.add(value, 0.0, out=sums)
                sums.reshape(-1)[gaps] = 0.0
                continue
            np.subtract(value, compensation, out=y)
            np.add(sums, y, out=t)
            np.subtract(t, sums, out=c)
            np.subtract(c, y, out=c)
            if check:
                c[~np.isfinite(c)] = 0.0
            t.reshape(-1)[gaps] = sums.reshape(-1)[gaps]
            c.reshape(-1)[gaps] = compensation.reshape(-1)[gaps]
            sums, t = t, sums
            compensation, c = c, compensation
    return sums


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
        return labels, week_sums(blocks.reshape(n_weeks, 5, -1).transpose(1, 0, 2))
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
