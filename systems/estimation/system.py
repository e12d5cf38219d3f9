"""The estimation stages wired together for the engine (pure: arrays and settings in).

`estimate_forecast_weight_tables` gives each instrument's raw forecast-weight table (one row per
fit date); `combine_estimated` turns a table into the combined forecast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from syscore.exceptions import SysprodError
from systems.accounts import CostParameters
from systems.daily import Daily, align, ffill
from systems.estimation.div_mult import dm_series, period_correlations
from systems.estimation.fitting import fit_weights_later
from systems.estimation.forecast_weights import (
    PooledGross,
    cost_per_trade,
    fit_settings,
    length_weighted_average,
    rule_pnl,
    smoothed_daily_weights,
    turnover,
)
from systems.estimation.reference_sums import nanmean, nanstd
from systems.estimation.weekly import stack, weekly

if TYPE_CHECKING:
    from systems.config import BacktestConfig
    from systems.fx import FxRates
    from systems.rawdata import RawData


def _params(raw: RawData) -> CostParameters:
    i = raw.instrument
    return CostParameters(i.spread_cost, i.pointsize, i.per_block, i.percentage, i.per_trade, i.rolls_per_year)


def estimate_forecast_weight_tables(
    config: BacktestConfig,
    fx: FxRates,
    raws: dict[str, RawData],
    capped: dict[str, dict[str, Daily]],
    details: dict | None = None,
) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], dict[str, list[str]]]:
    """Per instrument: (row labels in microseconds, fit rows x its cheap rules), and those cheap
    rules. A rule whose SR cost on an instrument exceeds `ceiling_cost_SR` is left out of that
    instrument's weights, as pysystemtrade does; instruments are pooled with those that keep the
    same rules. `details`, if given, receives the intermediate values (cost per trade, turnovers,
    SR costs, the rules left out, returns)."""
    details = {} if details is None else details
    section = config.estimation.sections["forecast_weight_estimate"]
    target = config.capital * ((config.percentage_vol_target / 100.0) / 16.0)  # reference order
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
            g, unit, elapsed, fx_rate = rule_pnl(
                forecast, raw.daily_prices, raw.daily_returns_volatility, params,
                lambda labels, ccy=raw.instrument.currency: fx.asof(ccy, labels), target,
            )
            gross[code][rule] = (forecast.start, g, (unit, elapsed, raw.instrument.pointsize, fx_rate))
            turnovers[code][rule] = turnover(forecast.values)
    details["cost_per_trade"], details["turnover"] = cpt, turnovers
    sr_cost, cost_sr = _rule_costs(raws, capped, rules_of, gross, turnovers, cpt)
    details["sr_cost"] = sr_cost
    cheap = _cheap_rules(rules_of, sr_cost, float(section["ceiling_cost_SR"]))
    details["expensive_rules"] = {
        code: {rule: sr_cost[(code, rule)] for rule in rules_of[code] if rule not in cheap[code]}
        for code in codes if len(cheap[code]) < len(rules_of[code])
    }
    pools: dict[tuple[str, ...], list[str]] = {}
    for code in codes:
        pools.setdefault(tuple(cheap[code]), []).append(code)
    cost_multiplier = float(section["cost_multiplier"])
    tables = {}
    for rules, members in pools.items():
        pool = members if section["pool_gross_returns"] else None
        for code in members:
            group = pool if pool is not None else [code]
            adjusted = {}
            for rule in rules:
                mean_tau = np.nanmean([turnovers[c][rule] for c in group])
                adjusted[rule] = cost_multiplier * cost_sr[(code, rule)] / turnovers[code][rule] * mean_tau
            if pool is None or code == members[0]:  # what does not depend on the fitted instrument: once
                prepared = PooledGross.prepare({c: gross[c] for c in group}, list(rules))
            labels, returns = prepared.weekly_returns(adjusted)
            details.setdefault("returns", {})[code] = (labels, returns)
            # started on the workers; the next instrument's returns are computed meanwhile
            tables[code] = fit_weights_later(labels, returns, fit_settings(section, len(group)))
    return {code: fitted() for code, fitted in tables.items()}, cheap


def _rule_costs(
    raws: dict[str, RawData],
    capped: dict[str, dict[str, Daily]],
    rules_of: dict[str, list[str]],
    gross: dict[str, dict[str, tuple]],
    turnovers: dict[str, dict[str, float]],
    cpt: dict[str, float],
) -> tuple[dict[tuple[str, str], float], dict[tuple[str, str], float]]:
    """(SR cost, cost Sharpe ratio) of every (instrument, rule). The SR cost pools the rule's
    turnover, weighted by length, over the instruments with the same rules (all of them, cheap or
    not, as the reference does); the cost Sharpe ratio is the mean cost over the gross P&L's
    standard deviation."""
    pools: dict[tuple[str, ...], list[str]] = {}
    for code in sorted(rules_of):
        pools.setdefault(tuple(rules_of[code]), []).append(code)
    sr_cost: dict[tuple[str, str], float] = {}
    cost_sr: dict[tuple[str, str], float] = {}
    for rules, members in pools.items():
        for rule in rules:
            pooled_tau = length_weighted_average(
                [turnovers[c][rule] for c in members], [len(capped[c][rule]) for c in members]
            )
            for code in members:
                hold = (raws[code].instrument.rolls_per_year * 2.0) * cpt[code]
                c = pooled_tau * cpt[code] + hold
                start, g, (unit, elapsed, pointsize, fx_rate) = gross[code][rule]
                costs = (((-c) * unit) * elapsed) * pointsize * fx_rate
                g0 = np.where(g == 0.0, np.nan, g)
                k0 = np.where(costs == 0.0, np.nan, costs)
                cost_sr[(code, rule)] = 16.0 * nanmean(k0) / nanstd(g0, ddof=1)
                sr_cost[(code, rule)] = c
    return sr_cost, cost_sr


def _cheap_rules(
    rules_of: dict[str, list[str]], sr_cost: dict[tuple[str, str], float], ceiling: float
) -> dict[str, list[str]]:
    """Each instrument's rules whose SR cost is at most the ceiling (in its rule order); an
    instrument with none is a one-line error, as in the reference."""
    cheap = {code: [r for r in rules if sr_cost[(code, r)] <= ceiling] for code, rules in rules_of.items()}
    for code, rules in sorted(cheap.items()):
        if not rules:
            cheapest = min(sr_cost[(code, r)] for r in rules_of[code])
            raise SysprodError(
                f"forecast_weight_estimate.ceiling_cost_SR: no rule is cheap enough for {code} (the cheapest "
                f"costs SR {cheapest:.4f} > {ceiling}); raise ceiling_cost_SR, add cheaper rules to "
                f"rule_variations, or leave {code} out"
            )
    return cheap


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


def forecast_frame(capped: list[Daily]) -> tuple[int, np.ndarray]:
    """The combination input: the capped forecasts outer-joined and forward-filled."""
    start, columns = align(*capped)
    if not columns:
        return start, np.empty((0, 0))
    return start, ffill(np.column_stack(columns))


def estimate_fdm(
    config: BacktestConfig,
    frames: dict[str, tuple[int, np.ndarray]],
    weights: dict[str, np.ndarray],
    rules_of: dict[str, list[str]],
) -> dict[str, np.ndarray]:
    """The smoothed FDM of each instrument on its forecast grid (spec 3): one pooled correlation
    history per group of instruments with the same rules."""
    corr_section = config.estimation.sections["forecast_correlation_estimate"]
    dm_section = config.estimation.sections["forecast_div_mult_estimate"]
    codes = sorted(frames)
    groups: dict[tuple[str, ...], list[str]] = {}
    for code in codes:
        key = tuple(rules_of[code]) if corr_section["pool_instruments"] else (code,)
        groups.setdefault(key, []).append(code)
    out = {}
    for members in groups.values():
        weekly_frames = [weekly(frames[c][0], frames[c][1], "last") for c in members]
        labels, values = stack(weekly_frames)
        pooled = len(members)
        period_labels, corrs = period_correlations(
            labels, values, float(corr_section["ew_lookback"]) * pooled,
            int(corr_section["min_periods"]) * pooled, bool(corr_section["cleaning"]),
            bool(corr_section["floor_at_zero"]),
        )
        for code in members:
            out[code] = dm_series(
                period_labels, corrs, frames[code][0], weights[code], float(dm_section["ewma_span"]),
                float(dm_section["dm_max"]),
            )
    return out


def combined_forecast(filled: np.ndarray, weights: np.ndarray, fdm: float | np.ndarray, cap: float) -> np.ndarray:
    """C = clip(FDM x sum_k W_k F_k, +-cap); NaN terms skipped, nothing at all gives 0."""
    return np.clip(np.nansum(weights * filled, axis=1) * fdm, -cap, cap)
