"""Diversification multipliers estimated over time (ESTIMATION_SPEC sections 3 and 5).

Correlations come from one exponentially weighted pass over the weekly history, read at each fit
date, cleaned (missing entries: the average correlation for assets with data, else 0.99) and
floored at zero; each fit's multiplier uses the smoothed weights of that day, and the series is
smoothed by an EWMA.
"""

from __future__ import annotations

import numpy as np

from syscore.ewm import alpha_from_span, ewma
from systems.daily import day_of_bin
from systems.estimation.ewstats import ew_corr_at
from systems.estimation.fitting import fit_dates
from systems.estimation.handcraft import average_off_diagonal, div_mult
from systems.estimation.weekly import MICROS_PER_DAY

BORING = 0.99


def boring(n: int) -> np.ndarray:
    out = np.full((n, n), BORING)
    np.fill_diagonal(out, 1.0)
    return out


def clean_corr(corr: np.ndarray, must_have: np.ndarray) -> np.ndarray:
    """Fill NaN entries: all NaN -> the 0.99 matrix; else the average off-diagonal correlation
    where both assets are must-haves, 0.99 otherwise; diagonal 1."""
    if not np.isnan(corr).any():
        return corr
    if np.isnan(corr).all():
        return boring(len(corr))
    average = average_off_diagonal(corr)
    both = must_have[:, None] & must_have[None, :]
    out = np.where(np.isnan(corr), np.where(both, average, BORING), corr)
    np.fill_diagonal(out, 1.0)
    return out


def floor_corr(corr: np.ndarray) -> np.ndarray:
    out = np.where(corr < 0.0, 0.0, corr)
    np.fill_diagonal(out, 1.0)
    return out


def period_correlations(
    labels: np.ndarray, values: np.ndarray, span: float, min_periods: int, cleaning: bool, floor: bool
) -> tuple[np.ndarray, list[np.ndarray]]:
    """(period labels: t0 then the fit dates g_1..g_{M-1}, one correlation matrix per period)."""
    n = values.shape[1]
    grid = fit_dates(labels)
    ends = grid[1:-1]
    read = np.searchsorted(labels, ends, side="left") - 1
    counts = np.searchsorted(labels, ends, side="right")
    corr = ew_corr_at(values, span, min_periods, read)
    valid = ~np.isnan(values)
    first_valid = np.where(valid.any(axis=0), np.argmax(valid, axis=0), len(values))
    out = [boring(n)]
    for k in range(len(ends)):
        c = corr[k]
        if cleaning:
            c = clean_corr(c, first_valid < counts[k])
        if floor:
            c = floor_corr(c)
        out.append(c)
    return np.concatenate(([labels[0]], ends)), out


def dm_series(
    period_labels: np.ndarray,
    correlations: list[np.ndarray],
    weight_start: int,
    weights: np.ndarray,
    span: float,
    cap: float,
) -> np.ndarray:
    """The smoothed multiplier on the weights' daily grid (rows from ordinal weight_start)."""
    length = len(weights)
    day_micros = day_of_bin(np.arange(weight_start, weight_start + length, dtype=np.int64)) * MICROS_PER_DAY
    values = []
    for label, corr in zip(period_labels, correlations, strict=True):
        row = int(np.searchsorted(day_micros, label, side="right")) - 1
        values.append(1.0 if row < 0 else div_mult(weights[row], corr, cap))
    position = np.searchsorted(period_labels, day_micros, side="right") - 1
    raw = np.where(position >= 0, np.array(values)[np.maximum(position, 0)], np.nan)
    raw = np.where(np.isnan(raw), 1.0, raw)
    return ewma(raw, alpha_from_span(span), 0)
