"""Forecast weights estimated from each rule's own P&L (ESTIMATION_SPEC sections 2.1, 2.2, 2.7).

Per instrument and rule: the P&L of trading the capped forecast unrounded (gross) and its cost
curve in Sharpe-ratio units; pooled gross returns across instruments with the fitted
instrument's own costs, weekly; fitted by `fitting.fit_weights`; then smoothed onto the days.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from syscore.ewm import alpha_from_span, ewma
from systems.accounts import CostParameters
from systems.compensated import compensated_sums, largest_magnitude, missing_values
from systems.daily import SECONDS_PER_DAY, Daily, align, day_of_bin, ffill
from systems.estimation.fitting import FitSettings
from systems.estimation.reference_sums import nanstd, numpy1_sum
from systems.estimation.weekly import MICROS_PER_DAY, stack, sunday_of, weekly

SECONDS_PER_YEAR = 365.25 * 24 * 60 * 60


@dataclass
class RulePnl:
    """One (instrument, rule): gross P&L and cost curve on the forecast's grid, base currency."""

    start: int
    gross: np.ndarray
    costs: np.ndarray
    turnover: float
    rows: int


def _bfill(x: np.ndarray) -> np.ndarray:
    return ffill(x[::-1])[::-1]


def cost_per_trade(price: Daily, vol: Daily, params: CostParameters) -> float:
    """Cost of one block in vol units over the last calendar year of prices (spec 2.1)."""
    end_day = int(day_of_bin(price.end - 1))
    end_date = np.datetime64(end_day, "D")
    year, rest = str(end_date)[:4], str(end_date)[4:]
    try:
        begin = np.datetime64(f"{int(year) - 1:04d}{rest}", "D")
    except ValueError:  # 29 February: a year before is 28 February
        begin = np.datetime64(f"{int(year) - 1:04d}-02-28", "D")
    begin_day = begin.astype(np.int64)
    days = day_of_bin(price.ordinals())
    in_window = (days >= begin_day) & (days <= end_day)
    mean_price = float(np.nanmean(price.values[in_window]))
    vol_days = day_of_bin(vol.ordinals())
    vol_window = (vol_days >= begin_day) & (vol_days <= end_day)
    mean_vol = float(np.nanmean(vol.values[vol_window]))
    cash = params.spread * params.pointsize + max(
        params.per_block, params.per_trade, params.percentage * mean_price * params.pointsize
    )
    return cash / (16.0 * mean_vol * params.pointsize)


def turnover(forecast: np.ndarray) -> float:
    """256 x mean |daily change of forecast/10| (NaN changes skipped)."""
    changes = np.abs(np.diff(forecast / 10.0))
    valid = ~np.isnan(changes)
    if not valid.any():
        return float("nan")
    # pandas' mean: the sum over the whole column with NaN as 0, over the count
    return float(numpy1_sum(np.where(valid, changes, 0.0)) / valid.sum()) * 256.0


def length_weighted_average(values: list[float], lengths: list[int]) -> float:
    """Average weighted by length; NaN values drop out and the other weights are rescaled."""
    total = float(sum(lengths))
    weights = np.array([n / total for n in lengths])
    values_array = np.array(values)
    weights[np.isnan(weights * values_array)] = 0.0
    normalised = weights * (1.0 / np.nansum(weights))
    return float(np.nansum(normalised * values_array))


def rule_pnl(
    forecast: Daily,
    price: Daily,
    vol: Daily,
    params: CostParameters,
    fx_asof: Callable[[np.ndarray], np.ndarray],
    cash_vol_target: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """On the forecast's grid: gross P&L in base currency, and the cost curve's parts: average
    position x annual vol in points (back-filled, from the first held position), the year
    fraction of each row, the FX rate."""
    start, length = forecast.start, len(forecast)
    prices = price.asof(start, length)
    # the reference's arithmetic order, term by term (the SLSQP step downstream amplifies ulps)
    average = cash_vol_target / (vol.values * params.pointsize)
    position = Daily(vol.start, average).asof(start, length) * (forecast.values / 10.0)
    delayed = np.full(length, np.nan)
    delayed[1:] = position[:-1]
    held = ffill(delayed)
    filled_prices = ffill(prices)
    gross = np.zeros(length)
    gross[1:] = held[:-1] * (filled_prices[1:] - filled_prices[:-1])
    gross = np.where(np.isnan(gross), 0.0, gross)
    label_days = day_of_bin(forecast.ordinals())
    fx = fx_asof(label_days * SECONDS_PER_DAY)
    gross = gross * params.pointsize * fx
    # cost curve per unit of SR cost: -A*sigma*16 as of each day, back-filled, from the first
    # held position; each day carries the calendar time since the previous row
    unit = Daily(vol.start, average * (vol.values * 16.0)).asof(start, length)
    unit = _bfill(unit)
    unit = np.where(np.isnan(held), np.nan, unit)
    elapsed = np.full(length, np.nan)
    elapsed[1:] = (np.diff(label_days) * float(SECONDS_PER_DAY)) / SECONDS_PER_YEAR
    return gross, unit, elapsed, fx


def pooled_weekly_returns(
    pnls: dict[str, dict[str, tuple[int, np.ndarray, np.ndarray]]],
    rules: list[str],
    cost_sr: dict[str, float],
) -> tuple[np.ndarray, np.ndarray]:
    """STACK of each pooled instrument's weekly net returns (gross + cost_sr/16 x std(gross)).

    The spec's steps one by one, kept as the reference: the engine uses `PooledGross`, which
    gives these bits without redoing the pool for every fitted instrument."""
    frames = []
    for code in sorted(pnls):
        columns = []
        grids = []
        for rule in rules:
            start, gross, _ = pnls[code][rule]
            grids.append(Daily(start, gross))
        start, columns = align(*grids)
        net = []
        for rule, gross in zip(rules, columns, strict=True):
            g = np.where(gross == 0.0, np.nan, gross)
            net.append(g + (cost_sr[rule] / 16.0) * nanstd(g, ddof=1))
        frames.append(weekly(start, np.column_stack(net), "sum"))
    return stack(frames)


@dataclass
class PooledGross:
    """A pool's gross returns made ready once for `pooled_weekly_returns` of every fitted instrument.

    What does not depend on the fitted instrument: each member's aligned gross (0 as NaN) and its
    standard deviation; the member's own weeks (first row's to last row's, business-day ordinals
    5w..5w+4), all members' weeks one after the other; where each lands in the STACK.
    """

    rules: list[str]
    days: np.ndarray  # (5, member weeks, rules): gross, NaN where zero or missing
    missing: list[np.ndarray]  # per day of the week, the flat indices of NaN in `days`
    largest: float  # largest |gross|
    std: np.ndarray  # (members, rules): nanstd(ddof=1) of each member's column
    member: np.ndarray  # (member weeks,): whose week
    slot: np.ndarray  # (member weeks,): its row in the STACK
    labels: np.ndarray  # STACK's row labels in microseconds

    @classmethod
    def prepare(cls, pnls: dict[str, dict[str, tuple[int, np.ndarray, np.ndarray]]], rules: list[str]) -> PooledGross:
        codes = sorted(pnls)
        std = np.full((len(codes), len(rules)), np.nan)
        blocks, weeks, member = [], [], []
        for k, code in enumerate(codes):
            start, aligned = align(*(Daily(pnls[code][rule][0], pnls[code][rule][1]) for rule in rules))
            gross = [np.where(g == 0.0, np.nan, g) for g in aligned]
            for r, g in enumerate(gross):
                std[k, r] = nanstd(g, ddof=1)  # per 1-d column, summed as the reference's numpy 1.x
            length = len(aligned[0]) if aligned else 0
            if not length:
                continue
            first, last = start // 5, (start + length - 1) // 5
            block = np.full(((last - first + 1) * 5, len(rules)), np.nan)
            block[start - 5 * first : start - 5 * first + length] = np.column_stack(gross)
            blocks.append(block.reshape(-1, 5, len(rules)))
            weeks.append(np.arange(first, last + 1, dtype=np.int64))
            member.append(np.full(last - first + 1, k))
        if blocks:
            days = np.ascontiguousarray(np.concatenate(blocks).transpose(1, 0, 2))
            week, owner = np.concatenate(weeks), np.concatenate(member)
        else:
            days, week, owner = np.empty((5, 0, len(rules))), np.empty(0, dtype=np.int64), np.empty(0, dtype=int)
        union = np.unique(week)  # STACK: every week some member has, each member in code order
        slot = np.searchsorted(union, week) * len(codes) + owner
        sundays = sunday_of(day_of_bin(5 * union))
        labels = (sundays[:, None] * MICROS_PER_DAY + np.arange(len(codes), dtype=np.int64)[None, :]).ravel()
        return cls(list(rules), days, missing_values(days), largest_magnitude(days), std, owner, slot, labels)

    def weekly_returns(self, cost_sr: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
        """`pooled_weekly_returns(pnls, rules, cost_sr)` bit for bit, in one pass over the pool:
        net = gross + cost_sr/16 x std(gross), summed per week as pandas does (`compensated_sums`)."""
        shift = np.array([cost_sr[rule] / 16.0 for rule in self.rules]) * self.std  # as the scalar products
        sums = compensated_sums(self.days, shift[self.member], self.largest, self.missing)
        out = np.full((len(self.labels), len(self.rules)), np.nan)  # outside a member's weeks: missing
        out[self.slot] = sums
        return self.labels.copy(), out


def smoothed_daily_weights(
    table_labels: np.ndarray, table: np.ndarray, forecasts: np.ndarray, start: int, span: float
) -> np.ndarray:
    """Spec 2.7: raw rows as of each day, 0 where a rule has no forecast (unless none has),
    EWMA-smoothed and divided by the row sum (a zero sum counts as 0.0001)."""
    length = len(forecasts)
    day_micros = day_of_bin(np.arange(start, start + length, dtype=np.int64)) * MICROS_PER_DAY
    position = np.searchsorted(table_labels, day_micros, side="right") - 1
    raw = np.where((position >= 0)[:, None], table[np.maximum(position, 0)], np.nan)
    nothing = np.isnan(forecasts).all(axis=1)
    raw = np.where(np.isnan(forecasts) & ~nothing[:, None], 0.0, raw)
    smooth = ewma(raw, alpha_from_span(span), 0)
    total = np.sum(smooth, axis=1, keepdims=True)
    total = np.where(total == 0.0, 0.0001, total)
    return smooth * (1.0 / total)


def fit_settings(section: dict, pooled: int) -> FitSettings:
    corr = section.get("correlation_estimate") or {}
    mean = section.get("mean_estimate") or {}
    return FitSettings(
        mean_span=float(mean.get("ew_lookback", 50000)),
        mean_min_periods=int(mean.get("min_periods", 5)),
        corr_span=float(corr.get("ew_lookback", 50000)),
        corr_min_periods=int(corr.get("min_periods", 10)),
        floor_at_zero=bool(corr.get("floor_at_zero", False)),
        equalise_SR=bool(section["equalise_SR"]),
        cleaning=bool(section["cleaning"]),
        method=str(section["method"]),
        pooled=pooled,
    )
