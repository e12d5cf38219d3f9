"""Forecast scalars estimated from the forecasts themselves (spec section 1).

A rule's scalar makes its average absolute forecast equal the target (10): pooled across the
instruments that trade the rule, it is target / (running mean of the cross-sectional median of
|forecast|). Arrays in, arrays out: one pass of cumulative sums, no loop over dates.
"""

from __future__ import annotations

import numpy as np

from systems.daily import Daily, align, ffill
from systems.estimation.settings import ScalarSettings


def _running_mean(x: np.ndarray, window: int, min_periods: int) -> np.ndarray:
    """Rolling mean over `window` rows of the non-NaN values, NaN until `min_periods` of them.

    Compensated (Kahan) running sums, added and removed as pandas' rolling mean does, so the
    scalars are the reference's to the last bit (one pass, O(rows)).
    """
    values = x.tolist()
    out = [float("nan")] * len(values)
    total = add_c = remove_c = 0.0
    count = same = 0
    previous = float("nan")
    for i, value in enumerate(values):
        if value == value:
            count += 1
            y = value - add_c
            t = total + y
            add_c = t - total - y
            total = t
            same = same + 1 if value == previous else 1
            previous = value
        if i >= window:
            old = values[i - window]
            if old == old:
                count -= 1
                y = -old - remove_c
                t = total + y
                remove_c = t - total - y
                total = t
        if count >= min_periods and count > 0:
            out[i] = previous if same >= count else total / count
    return np.array(out)


def scalar_series(raw_forecasts: list[Daily], settings: ScalarSettings) -> Daily:
    """The scalar of one rule over time from the raw forecasts of the instruments pooled.

    Exact zeros are "no forecast"; with several instruments each one's last forecast is carried
    forward into the cross-sectional median (a stopped instrument stays in it). With backfill,
    days before the first estimate take that first estimate (look-ahead, as the reference).
    """
    start, columns = align(*raw_forecasts)
    if not columns or len(columns[0]) == 0:
        return Daily(start, np.empty(0))
    matrix = np.column_stack(columns)
    matrix = np.where(matrix == 0.0, np.nan, matrix)
    if matrix.shape[1] > 1:
        filled = np.abs(ffill(matrix))
        has = ~np.isnan(filled).all(axis=1)
        x = np.full(len(filled), np.nan)
        if has.any():
            x[has] = np.nanmedian(filled[has], axis=1)
    else:
        x = np.abs(matrix[:, 0])
    mean = _running_mean(x, settings.window, settings.min_periods)
    with np.errstate(divide="ignore", invalid="ignore"):
        scalar = settings.target_abs_forecast / mean
    if settings.backfill:
        defined = np.flatnonzero(~np.isnan(scalar))
        if len(defined):
            scalar[: defined[0]] = scalar[defined[0]]
    return Daily(start, scalar)


def estimate_scalars(
    raw: dict[str, dict[str, Daily]], rules_of: dict[str, list[str]], settings: ScalarSettings
) -> dict[str, Daily | dict[str, Daily]]:
    """Scalar series per rule (pooled) or per rule and instrument (not pooled).

    `raw` is instrument -> rule -> raw forecast; `rules_of` the rules each instrument combines.
    Pooling uses the instruments whose list holds the rule, or every instrument if none does.
    """
    instruments = sorted(raw)
    rules = sorted({r for code in instruments for r in raw[code]})
    out: dict[str, Daily | dict[str, Daily]] = {}
    for rule in rules:
        having = [c for c in instruments if rule in raw[c]]
        pool = [c for c in having if rule in rules_of.get(c, ())] or having
        if settings.pool_instruments:
            out[rule] = scalar_series([raw[c][rule] for c in pool], settings)
        else:
            out[rule] = {c: scalar_series([raw[c][rule]], settings) for c in having}
    return out


def scalar_for(scalars: dict[str, Daily | dict[str, Daily]], rule: str, instrument: str) -> Daily:
    value = scalars[rule]
    return value[instrument] if isinstance(value, dict) else value
