"""The estimation stages wired together for the engine (pure: arrays and settings in).

`estimate_forecast_weight_tables` gives each instrument's raw forecast-weight table (one row per
fit date); `combine_estimated` turns a table into the combined forecast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from systems.accounts import CostParameters
from systems.daily import Daily, align, ffill
from systems.estimation.fitting import fit_weights
from systems.estimation.forecast_weights import (
    cost_per_trade,
    fit_settings,
    pooled_weekly_returns,
    rule_pnl,
    smoothed_daily_weights,
    turnover,
)
from systems.positions import daily_cash_vol_target

if TYPE_CHECKING:
    from systems.config import BacktestConfig
    from systems.fx import FxRates
    from systems.rawdata import RawData


def _params(raw: RawData) -> CostParameters:
    i = raw.instrument
    return CostParameters(i.spread_cost, i.pointsize, i.per_block, i.percentage, i.per_trade, i.rolls_per_year)


def estimate_forecast_weight_tables(
    config: BacktestConfig, fx: FxRates, raws: dict[str, RawData], capped: dict[str, dict[str, Daily]]
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per instrument: (row labels in microseconds, fit rows x its sorted rules)."""
    section = config.estimation.sections["forecast_weight_estimate"]
    target = daily_cash_vol_target(config.capital, config.percentage_vol_target)
    codes = sorted(raws)
    rules_of = {c: config.rules_for(c) for c in codes}
    gross: dict[str, dict[str, tuple[int, np.ndarray, np.ndarray]]] = {}
    turnovers: dict[str, dict[str, float]] = {}
    cpt: dict[str, float] = {}
    for code in codes:
        raw = raws[code]
        params = _params(raw)
        cpt[code] = cost_per_trade(raw.daily_prices, raw.daily_returns_volatility, params)
        gross[code], turnovers[code] = {}, {}
        for rule in rules_of[code]:
            forecast = capped[code][rule]
            g, unit = rule_pnl(
                forecast, raw.daily_prices, raw.daily_returns_volatility, params,
                lambda labels, ccy=raw.instrument.currency: fx.asof(ccy, labels), target,
            )
            gross[code][rule] = (forecast.start, g, unit)
            turnovers[code][rule] = turnover(forecast.values)
    pools: dict[tuple[str, ...], list[str]] = {}
    for code in codes:
        pools.setdefault(tuple(rules_of[code]), []).append(code)
    cost_multiplier = float(section["cost_multiplier"])
    tables = {}
    for rules, members in pools.items():
        # SR cost of each (instrument, rule): turnover pooled across the group, weighted by length
        cost_sr: dict[str, dict[str, float]] = {code: {} for code in members}
        for rule in rules:
            tau = np.array([turnovers[c][rule] for c in members])
            rows = np.array([len(capped[c][rule]) for c in members], dtype=float)
            ok = ~np.isnan(tau)
            pooled_tau = float(np.sum(tau[ok] * rows[ok]) / np.sum(rows[ok])) if ok.any() else np.nan
            for code in members:
                hold = raws[code].instrument.rolls_per_year * 2 * cpt[code]
                c = pooled_tau * cpt[code] + hold
                start, g, unit = gross[code][rule]
                costs = c * unit
                g0 = np.where(g == 0.0, np.nan, g)
                k0 = np.where(costs == 0.0, np.nan, costs)
                cost_sr[code][rule] = 16.0 * np.nanmean(k0) / np.nanstd(g0, ddof=1)
        pool = members if section["pool_gross_returns"] else None
        for code in members:
            group = pool if pool is not None else [code]
            adjusted = {}
            for rule in rules:
                mean_tau = np.nanmean([turnovers[c][rule] for c in group])
                adjusted[rule] = cost_multiplier * cost_sr[code][rule] / turnovers[code][rule] * mean_tau
            labels, returns = pooled_weekly_returns({c: gross[c] for c in group}, list(rules), adjusted)
            tables[code] = fit_weights(labels, returns, fit_settings(section, len(group)))
    return tables


def combine_estimated(
    capped: list[Daily], table: tuple[np.ndarray, np.ndarray], fdm: float, cap: float, span: float
) -> tuple[int, np.ndarray]:
    """C = clip(fdm x sum_k W_k F_k, +-cap) with W the smoothed estimated weights."""
    start, columns = align(*capped)
    if not columns:
        return start, np.empty(0)
    filled = ffill(np.column_stack(columns))
    weights = smoothed_daily_weights(table[0], table[1], filled, start, span)
    combined = np.nansum(weights * filled, axis=1) * fdm
    return start, np.clip(combined, -cap, cap)
