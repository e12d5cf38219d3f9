"""Instrument weights and IDM estimated from the subsystems' own P&L (ESTIMATION_SPEC 4, 5).

Each instrument's subsystem (instrument weight and IDM taken as 1) is buffered, rounded and
costed exactly as the portfolio is; its weekly net returns are handcrafted into raw weights at
each fit date (no Sharpe adjustment, not normalised, then cleaned), smoothed onto the days; the
IDM comes from the correlations of the weekly net P&L and those weights.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from systems.accounts import CostParameters, CostSettings, instrument_pnl
from systems.buffering import buffer_edges, buffer_width, buffered_position
from systems.daily import Daily, bin_of_day, ffill, hull
from systems.estimation.div_mult import dm_series, period_correlations
from systems.estimation.fitting import fit_weights
from systems.estimation.forecast_weights import fit_settings, smoothed_daily_weights
from systems.estimation.reference_sums import nanmean, nanstd
from systems.estimation.weekly import MICROS_PER_DAY, weekly


@dataclass(frozen=True)
class SubsystemInputs:
    position: Daily
    vol_scalar: Daily
    price: Daily
    costs: CostParameters
    fx_asof: Callable[[np.ndarray], np.ndarray]


def subsystem_pnl(
    sub: SubsystemInputs, buffer_method: str, buffer_size: float, trade_to_edge: bool, settings: CostSettings
) -> tuple[Daily, np.ndarray, np.ndarray]:
    """(gross on the position grid, cost days, costs) of the subsystem position traded alone."""
    ones = Daily(sub.position.start, np.ones(len(sub.position)))
    width = buffer_width(buffer_method, buffer_size, sub.position, sub.vol_scalar, ones, 1.0)
    lower, upper = buffer_edges(sub.position, width)
    buffered = buffered_position(sub.position, lower, upper, trade_to_edge)
    pnl = instrument_pnl(Daily(sub.position.start, buffered), sub.price, sub.costs, sub.fx_asof, settings)
    return pnl.gross, pnl.cost_days, pnl.costs


def _joined(pnls: list[tuple[Daily, np.ndarray, np.ndarray]]) -> tuple[int, np.ndarray, np.ndarray]:
    """Gross and costs of every instrument on the common business-day grid (NaN where none)."""
    lows, highs = [], []
    for gross, days, _ in pnls:
        if len(gross):
            lows.append(gross.start)
            highs.append(gross.end)
        if len(days):
            bins = bin_of_day(days)
            lows.append(int(bins.min()))
            highs.append(int(bins.max()) + 1)
    start, length = min(lows), max(highs) - min(lows)
    g = np.full((length, len(pnls)), np.nan)
    k = np.full((length, len(pnls)), np.nan)
    for column, (gross, days, costs) in enumerate(pnls):
        g[gross.start - start : gross.end - start, column] = gross.values
        if len(days):
            summed = np.zeros(length)
            seen = np.zeros(length, dtype=bool)
            bins = bin_of_day(days) - start
            np.add.at(summed, bins, np.where(np.isnan(costs), 0.0, costs))
            seen[bins] = True
            k[:, column] = np.where(seen, summed, np.nan)
    return start, g, k


def estimate_instrument_weights(
    subsystems: list[SubsystemInputs],
    section: dict,
    correlation_section: dict,
    div_mult_section: dict,
    weight_span: float,
    buffer: tuple[str, float, bool],
    settings: CostSettings,
    estimate_idm: bool,
    fixed_weights: tuple[int, np.ndarray] | None = None,
) -> dict:
    """Raw table, smoothed daily weights (start, days x instruments) and the IDM series."""
    # pysystemtrade's subsystem P&L books whole rolls: multiply_roll_costs_by applies to the
    # portfolio's account only (with 1.0 here its subsystem cost SRs are matched exactly)
    subsystem_costs = CostSettings(settings.vol_normalise, 1.0, settings.business_day_rolls)
    pnls = [subsystem_pnl(s, *buffer, subsystem_costs) for s in subsystems]
    start, gross, costs = _joined(pnls)
    g = np.where(gross == 0.0, np.nan, gross)
    k = np.where(costs == 0.0, np.nan, costs)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        # a subsystem that never trades (its rounded position never changes) has no P&L: NaN
        # here, as in the reference; the engine names such instruments in a warning
        warnings.simplefilter("ignore", RuntimeWarning)
        std = np.array([nanstd(g[:, i], ddof=1) for i in range(g.shape[1])])
        cost_sr = 16.0 * np.array([nanmean(k[:, i]) for i in range(k.shape[1])]) / std
    cost_sr = cost_sr * float(section.get("cost_multiplier", 1.0))
    net = g + (cost_sr / 16.0) * std
    sundays, returns = weekly(start, net, "sum")
    labels = sundays * MICROS_PER_DAY
    if fixed_weights is None:
        table = fit_weights(labels, returns, fit_settings(section, 1))
        s_start, s_length = hull(*(s.position for s in subsystems))
        positions = ffill(np.column_stack([s.position.reindex(s_start, s_length) for s in subsystems]))
        weights = smoothed_daily_weights(table[0], table[1], positions, s_start, weight_span)
        out = {"table": table, "start": s_start, "weights": weights, "cost_sr": cost_sr}
    else:
        s_start, weights = fixed_weights
        out = {"start": s_start, "weights": weights, "cost_sr": cost_sr}
    if estimate_idm:
        net_pnl = np.where(np.isnan(gross), 0.0, gross) + np.where(np.isnan(costs), 0.0, costs)
        exists = np.zeros_like(gross, dtype=bool)
        for column, (p_gross, _, _) in enumerate(pnls):
            exists[p_gross.start - start : p_gross.end - start, column] = True
        net_pnl = np.where(exists | ~np.isnan(costs), net_pnl, np.nan)
        cumulative = ffill(np.where(np.isnan(net_pnl), np.nan, np.nancumsum(net_pnl, axis=0)))
        week_labels, last = weekly(start, cumulative, "last")
        changes = np.full(last.shape, np.nan)
        changes[1:] = np.diff(ffill(last), axis=0)
        changes[1:][np.isnan(last[1:])] = np.nan
        c = correlation_section
        period_labels, corrs = period_correlations(
            week_labels * MICROS_PER_DAY, changes, float(c["ew_lookback"]), int(c["min_periods"]),
            bool(c["cleaning"]), bool(c["floor_at_zero"]),
        )
        out["idm"] = dm_series(
            period_labels, corrs, s_start, weights, float(div_mult_section["ewma_span"]),
            float(div_mult_section["dm_max"]),
        )
        out["idm_raw"] = (period_labels, corrs)
    return out
