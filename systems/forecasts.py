"""Forecast scaling, capping and combination (spec section 4)."""

from __future__ import annotations

import numpy as np

from syscore.ewm import alpha_from_span, ewma
from systems.daily import Daily, align, ffill


def scale_and_cap(raw: Daily, scalar: float | np.ndarray, cap: float) -> Daily:
    """Raw forecast -> capped scaled forecast. An exact 0.0 is taken as "no forecast" (NaN)."""
    values = np.where(raw.values == 0.0, np.nan, raw.values) * scalar
    return Daily(raw.start, np.clip(values, -cap, cap))


def smoothed_weights(available: np.ndarray, raw_weights: np.ndarray, span: float) -> np.ndarray:
    """Weights per row (rows = days, columns = rules or instruments), summing to 1.

    A column that is unavailable on a day gets weight 0 that day, except on days where nothing is
    available, which keep the raw weights (this seeds the start). The result is EWMA-smoothed
    (span `span`), so a late starter fades in, and each row is divided by its sum (quirk 7).
    """
    raw_weights = np.asarray(raw_weights, dtype=float)
    seeded = np.where(available, raw_weights, 0.0)
    nothing = ~available.any(axis=1)
    seeded[nothing] = raw_weights
    smooth = ewma(seeded, alpha_from_span(span), 0)
    total = smooth.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total != 0.0, smooth / total, 0.0)


def combine_forecasts(
    capped: list[Daily], raw_weights: list[float], fdm: float, cap: float, span: float
) -> tuple[int, np.ndarray, np.ndarray]:
    """Combined forecast C = clip(fdm * sum_k w_k F_k, +-cap) on the union of the rule grids.

    F is each capped forecast forward-filled; NaN terms are skipped and a day with no forecast at
    all gives 0 (quirk 6). Returns (start, F as a days x rules matrix, C).
    """
    start, columns = align(*capped)
    if not columns:
        return start, np.empty((0, 0)), np.empty(0)
    filled = ffill(np.column_stack(columns))
    available = ~np.isnan(filled)
    weights = smoothed_weights(available, np.asarray(raw_weights), span)
    combined = np.nansum(weights * filled, axis=1) * fdm
    return start, filled, np.clip(combined, -cap, cap)
