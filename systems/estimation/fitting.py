"""Expanding-window fits of weights on weekly returns (ESTIMATION_SPEC sections 2.3-2.6, 4).

The fit dates step back a year at a time from the last label; every estimate a fit needs is read
from statistics computed once over the whole history (`ewstats`), so each fit is a small matrix
problem: find the assets with data, handcraft their weights, adjust for Sharpe ratios (forecast
weights), clean (give missing must-have assets a share).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from syscore.parallel import current_pool
from systems.estimation.ewstats import ew_corr_at, ew_mean_std
from systems.estimation.handcraft import average_off_diagonal, handcraft, sr_adjusted
from systems.estimation.weekly import MICROS_PER_DAY

WEEKS_PER_YEAR = 365.25 / 7
YEAR_STEP = 365 * MICROS_PER_DAY


@dataclass(frozen=True)
class FitSettings:
    mean_span: float = 50000
    mean_min_periods: int = 5
    corr_span: float = 50000
    corr_min_periods: int = 10
    floor_at_zero: bool = False
    equalise_SR: bool = False
    cleaning: bool = True
    method: str = "handcraft"
    pooled: int = 1  # L: spans and min_periods are multiplied by it


def fit_dates(labels: np.ndarray) -> np.ndarray:
    """g_0 < ... < g_M = last label, a 365-day step apart, all >= the first label."""
    t0, t1 = int(labels[0]), int(labels[-1])
    steps = (t1 - t0) // YEAR_STEP
    return t1 - YEAR_STEP * np.arange(steps, -1, -1, dtype=np.int64)


def clean_weights(weights: np.ndarray, must_have: np.ndarray) -> np.ndarray:
    """Give each missing must-have asset a share of half the weight (spec 2.6)."""
    missing = np.isnan(weights)
    if not must_have.any():
        return np.zeros(len(weights))
    need = missing & must_have
    if not need.any():
        return weights
    m, k = int(need.sum()), int((~missing).sum())
    share = 0.5 * m / (k + m)
    out = np.where(missing, 0.0, weights * (1.0 - share))
    out[need] = share / m
    return out / out.sum()


def fit_weights(labels: np.ndarray, values: np.ndarray, settings: FitSettings) -> tuple[np.ndarray, np.ndarray]:
    """Raw weight table: (row labels in microseconds, rows x assets). Row 0 is 1/N from the
    first label; then one row per fit date g_1..g_{M-1}, used from that date on."""
    return fit_weights_later(labels, values, settings)()


def fit_weights_later(
    labels: np.ndarray, values: np.ndarray, settings: FitSettings
) -> Callable[[], tuple[np.ndarray, np.ndarray]]:
    """`fit_weights` started on the worker pool: returns the function that waits for the
    table, so the statistics of the next table can be computed while these fits run."""
    n_assets = values.shape[1]
    grid = fit_dates(labels)
    ends = grid[1:-1]
    pooled = settings.pooled
    read = np.searchsorted(labels, ends, side="left") - 1
    counts = np.searchsorted(labels, ends, side="right")
    rows = [np.full(n_assets, 1.0 / n_assets)]
    if len(ends):
        if settings.method == "equal_weight":
            mean = std = None
        else:
            mean, std = ew_mean_std(values, settings.mean_span * pooled, settings.mean_min_periods * pooled)
        corr = ew_corr_at(values, settings.corr_span * pooled, settings.corr_min_periods * pooled, read)
        valid = ~np.isnan(values)
        first_valid = np.where(valid.any(axis=0), np.argmax(valid, axis=0), len(values))
        tasks = [
            (_moments_at(mean, std, int(read[k]), n_assets), corr[k], int(end_count), first_valid, settings)
            for k, end_count in enumerate(counts)
        ]
        fitted = current_pool().map_later(_one_fit, tasks)  # the fits are independent
    else:
        fitted = lambda: []  # noqa: E731 - no fit date yet: the 1/N row only
    row_labels = np.concatenate(([labels[0]], ends))
    return lambda: (row_labels, np.array(rows + fitted()))


def _moments_at(mean: np.ndarray | None, std: np.ndarray | None, row: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Annualised mean and standard deviation as of `row`: NaN before any row; zeros for equal
    weights, which need neither."""
    if row < 0:
        return np.full(n, np.nan), np.full(n, np.nan)
    if mean is None or std is None:
        return np.zeros(n), np.zeros(n)
    return mean[row] * WEEKS_PER_YEAR, std[row] * WEEKS_PER_YEAR**0.5


def _one_fit(
    task: tuple[tuple[np.ndarray, np.ndarray], np.ndarray, int, np.ndarray, FitSettings],
) -> np.ndarray:
    """One fit date's weights from (moments, correlation, rows so far, first valid rows, settings)."""
    (mu, sigma), corr, count, first_valid, settings = task
    n = len(corr)
    if settings.floor_at_zero:
        corr = np.where(corr < 0.0, 0.0, corr)
        np.fill_diagonal(corr, 1.0)
    has_corr = (~np.isnan(corr)).sum(axis=1) >= 2
    ok = has_corr & ~np.isnan(mu) & ~np.isnan(sigma)
    weights = np.full(n, np.nan)
    chosen = np.flatnonzero(ok)
    if len(chosen):
        sub_corr = corr[np.ix_(chosen, chosen)]
        if settings.method == "equal_weight":
            w = np.full(len(chosen), 1.0 / len(chosen))
        else:
            w = handcraft(sub_corr)
            if not settings.equalise_SR and len(chosen) > 1:
                sharpe = np.array([m / s for m, s in zip(mu[chosen], sigma[chosen], strict=True)])
                w = sr_adjusted(w, sharpe, average_off_diagonal(sub_corr), count / WEEKS_PER_YEAR)
        weights[chosen] = w
    else:
        return weights  # no asset has data: all NaN (not cleaned)
    if not settings.cleaning:
        return weights
    return clean_weights(weights, first_valid < count)
