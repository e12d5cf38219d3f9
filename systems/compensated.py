"""pandas 2.x's compensated (Kahan) group sums in numpy, bit for bit.

pandas 2.x (the reference's check values come from pandas 2.1) adds a group's values with Kahan
compensation (its groupby sum and mean, so its `resample(...).sum()` and `.mean()`); a plain
running sum differs in the last bits, and parameter estimation's SLSQP step turns such
differences into 1e-8 weight differences. pandas 3 adds its compensation differently and differs
from pandas 2 in rare last bits (0.1 + 0.1 + 0.1 + 0.7 is 1.0 in pandas 2.1 and here,
0.9999999999999999 in pandas 3.1), so this follows pandas 2, tested against its loop written
out (tests/systems/helpers.py `kahan_group_sums`). One kernel serves the
weekly sums (systems/estimation/weekly.py) and the daily mean of intraday rows (systems/daily.py).
"""

from __future__ import annotations

import numpy as np

# Below this magnitude no sum of a group's values can overflow, so no compensation turns non-finite
_SAFE = 1e300


def largest_magnitude(values: np.ndarray) -> float:
    """max |value| over the non-NaN values (0.0 if none; inf if one is infinite)."""
    return float(np.fmax.reduce(np.abs(values).ravel(), initial=0.0))


def missing_values(days: np.ndarray) -> list[np.ndarray]:
    """Per day of the week, the flat indices of the NaN values in `days[day]` (weeks x columns)."""
    return [np.flatnonzero(np.isnan(days[day])) for day in range(days.shape[0])]


def compensated_sums(
    days: np.ndarray,
    shift: np.ndarray | None = None,
    largest: float | None = None,
    missing: list[np.ndarray] | None = None,
) -> np.ndarray:
    """Sums over the first axis of (rows of a group, groups, columns) of `days + shift` (`shift`
    broadcast against groups x columns), NaN skipped, a group without values 0.0: pandas'
    groupby sum in pandas 2.x, bit for bit (the weekly sums: days of the week x weeks x columns).

    pandas 2.x (`group_sum` in pandas/_libs/groupby.pyx) visits a group's rows in order and keeps,
    per (group, column), a sum and a Kahan compensation, both starting at +0.0; for each non-NaN
    value v: y = v - compensation, t = sum + y, compensation = (t - sum) - y, set to 0.0 when it is
    not finite (an infinite value; pandas 2.1 resets only NaN, which differs only for a sum that
    overflows), sum = t. These are the same IEEE double operations, done here for
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


def ragged_compensated_sums(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Compensated sum of the non-NaN values of each run of rows (run g: rows starts[g] to
    starts[g+1]-1, the last to the end), in row order: the same Kahan step as
    `compensated_sums`, taken for the k-th row of every run at once. Runs are visited longest
    first, so step k touches only the runs that have a k-th row (most days have one row, a few
    have a hundred: padding every day to the longest took 8 times as long)."""
    lengths = np.diff(np.append(starts, len(values)))
    total = np.zeros(len(starts))
    compensation = np.zeros(len(starts))
    if not len(starts):
        return total
    order = np.argsort(-lengths, kind="stable")
    descending = -lengths[order]
    first_rows = starts[order]
    with np.errstate(invalid="ignore"):  # inf - inf in a compensation: reset below
        for k in range(int(lengths.max())):
            count = int(np.searchsorted(descending, -k, side="left"))  # the runs longer than k
            runs, value = order[:count], values[first_rows[:count] + k]
            present = ~np.isnan(value)
            if not present.all():
                runs, value = runs[present], value[present]
            before = total[runs]
            y = value - compensation[runs]
            t = before + y
            c = (t - before) - y
            c[~np.isfinite(c)] = 0.0
            compensation[runs] = c
            total[runs] = t
    return total
