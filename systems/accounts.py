"""Accounts: P&L with a fill delay, cash costs, and Sharpe ratios (spec section 8).

Cost dates are calendar days (roll costs may land on a weekend); everything else is on the
business-day grid. The portfolio's daily % returns are binned onto the grid by the same rule as
prices (a weekend cost lands on Friday).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from syscore.ewm import rolling_std
from sysobjects.instruments import commission
from systems.daily import (
    SECONDS_PER_DAY,
    Daily,
    bin_of_day,
    day_of_bin,
    ffill,
    first_bin_on_or_after,
)
from systems.rawdata import BUSINESS_DAYS_PER_YEAR, ROOT_BDAYS

COST_VOL_WINDOW = 180
COST_VOL_MIN_PERIODS = 3
_EPOCH = dt.date(1970, 1, 1)


@dataclass(frozen=True)
class CostSettings:
    """Cash cost settings (pysystemtrade's `use_SR_costs: False` path)."""

    vol_normalise: bool = True  # deflate costs by vol relative to the final date (look-ahead)
    roll_cost_multiplier: float = 0.5  # multiply_roll_costs_by
    business_day_rolls: bool = False  # corrected mode: weekend roll dates move to Monday


@dataclass(frozen=True)
class CostParameters:
    spread: float
    pointsize: float
    per_block: float
    percentage: float
    per_trade: float
    rolls_per_year: int


@dataclass(frozen=True)
class InstrumentPnl:
    """Gross P&L in base currency on the position grid, and costs by calendar day."""

    gross: Daily
    cost_days: np.ndarray  # int64 calendar day numbers
    costs: np.ndarray  # base currency, negative


def fill_cost(quantity: np.ndarray, price: np.ndarray, params: CostParameters, slippage: bool) -> np.ndarray:
    """Cost of fills: slippage (half-spread) plus the largest of per-block, per-trade, percentage."""
    fee = commission(quantity, price, params.pointsize, params.per_block, params.percentage, params.per_trade)
    slip = np.abs(quantity) * params.spread * params.pointsize if slippage else 0.0
    return slip + fee


def roll_dates(years: np.ndarray, rolls_per_year: int) -> np.ndarray:
    """Day numbers of the assumed roll dates of each year (evenly spaced, may be weekends)."""
    step = int(365.25 / rolls_per_year)
    offsets = int(step / 2) + step * np.arange(rolls_per_year)
    firsts = np.array([(dt.date(int(y), 1, 1) - _EPOCH).days for y in years], dtype=np.int64)
    return (firsts[:, None] + offsets[None, :]).ravel()


def held_positions(buffered: np.ndarray) -> np.ndarray:
    """X_d = round(b_{d-1}): the one-row fill delay."""
    held = np.full(len(buffered), np.nan)
    held[1:] = np.round(buffered[:-1])
    return held


def instrument_pnl(
    buffered: Daily,
    price: Daily,
    params: CostParameters,
    fx_asof: Callable[[np.ndarray], np.ndarray],
    settings: CostSettings,
) -> InstrumentPnl:
    """Gross P&L and cash costs of one instrument, in base currency."""
    start, length = buffered.start, len(buffered)
    held = held_positions(buffered.values)
    prices = ffill(price.asof(start, length))
    filled_held = ffill(held)
    gross_points = np.zeros(length)
    if length > 1:
        gross_points[1:] = filled_held[:-1] * (prices[1:] - prices[:-1])
    gross_points = np.where(np.isnan(gross_points), 0.0, gross_points)
    label_days = day_of_bin(np.arange(start, start + length, dtype=np.int64))
    gross = gross_points * params.pointsize * fx_asof(label_days * SECONDS_PER_DAY)

    # Trades: changes of the held position, priced at that day's (filled) price.
    trades = np.full(length, np.nan)
    trades[1:] = held[1:] - held[:-1]
    traded = np.flatnonzero(~np.isnan(trades) & (trades != 0.0))
    trade_costs = fill_cost(trades[traded], prices[traded], params, slippage=True)
    cost_days = [label_days[traded]]
    costs = [trade_costs]

    roll_days, roll_costs = _roll_costs(label_days, held, prices, params, settings)
    cost_days.append(roll_days)
    costs.append(roll_costs)
    days = np.concatenate(cost_days)
    values = -np.concatenate(costs)
    order = np.argsort(days, kind="stable")
    days, values = days[order], values[order]
    if len(days):
        keep = np.concatenate((days[1:] != days[:-1], [True]))
        ends = np.flatnonzero(keep)
        sums = np.add.reduceat(values, np.concatenate(([0], ends[:-1] + 1)))
        days, values = days[ends], sums

    deflator = _cost_deflator(prices, settings, len(days))
    if len(days):
        bins = bin_of_day(days)
        deflate = np.where(bins >= start, deflator[np.clip(bins - start, 0, length - 1)], np.nan)
        values = values * deflate * fx_asof(days * SECONDS_PER_DAY)
    return InstrumentPnl(Daily(start, gross), days, values)


def _roll_costs(
    label_days: np.ndarray,
    held: np.ndarray,
    prices: np.ndarray,
    params: CostParameters,
    settings: CostSettings,
) -> tuple[np.ndarray, np.ndarray]:
    """Opening (with slippage) plus closing (commission only) fill of half the average position
    held since the previous roll date, on each assumed roll date up to the last day."""
    if len(label_days) == 0 or params.rolls_per_year <= 0:
        return np.empty(0, dtype=np.int64), np.empty(0)
    dates = label_days.astype("datetime64[D]")
    years = np.unique(dates.astype("datetime64[Y]").astype(np.int64) + 1970)
    all_years = np.concatenate(([years[0] - 1], years))
    rolls = roll_dates(all_years, params.rolls_per_year)
    previous, current = rolls[:-1][params.rolls_per_year - 1 :], rolls[params.rolls_per_year :]
    size = np.abs(held)
    valid = ~np.isnan(size)
    cum_sum = np.concatenate(([0.0], np.cumsum(np.where(valid, size, 0.0))))
    cum_n = np.concatenate(([0], np.cumsum(valid)))
    lo = np.searchsorted(label_days, previous, side="left")
    hi = np.searchsorted(label_days, current, side="right")
    count = cum_n[hi] - cum_n[lo]
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(count > 0, (cum_sum[hi] - cum_sum[lo]) / np.maximum(count, 1), 0.0)
    quantity = settings.roll_cost_multiplier * mean
    book = (current <= label_days[-1]) & (quantity > 0)
    current, quantity = current[book], quantity[book]
    before = np.searchsorted(label_days, current, side="left") - 1
    price = np.where(before >= 0, prices[np.maximum(before, 0)], np.nan)
    cost = fill_cost(quantity, price, params, True) + fill_cost(quantity, price, params, False)
    if settings.business_day_rolls:
        current = day_of_bin(first_bin_on_or_after(current))
    return current, cost


def _cost_deflator(prices: np.ndarray, settings: CostSettings, n_costs: int) -> np.ndarray:
    """vol(t) / vol(last day): the rolling 180-day std of price changes relative to the end."""
    if not settings.vol_normalise or n_costs == 0 or len(prices) == 0:
        return np.ones(len(prices))
    changes = np.full(len(prices), np.nan)
    changes[1:] = prices[1:] - prices[:-1]
    vol = ffill(rolling_std(changes, COST_VOL_WINDOW, COST_VOL_MIN_PERIODS))
    return vol / vol[-1]


@dataclass(frozen=True)
class AccountCurve:
    """Daily % returns of capital on the business-day grid."""

    start: int
    gross_pct: np.ndarray
    costs_pct: np.ndarray

    @property
    def net_pct(self) -> np.ndarray:
        return self.gross_pct + self.costs_pct

    def dates(self) -> np.ndarray:
        return day_of_bin(np.arange(self.start, self.start + len(self.gross_pct))).astype("datetime64[D]")


def account_curve(pnls: list[InstrumentPnl], capital: float) -> AccountCurve:
    """Sum P&L across instruments (missing = 0), as % of a fixed capital, binned by weekday."""
    spans = [(p.gross.start, p.gross.end) for p in pnls if len(p.gross)]
    cost_bins = [bin_of_day(p.cost_days) for p in pnls if len(p.cost_days)]
    lows = [s for s, _ in spans] + [int(b.min()) for b in cost_bins]
    highs = [e for _, e in spans] + [int(b.max()) + 1 for b in cost_bins]
    if not lows:
        return AccountCurve(0, np.empty(0), np.empty(0))
    start, end = min(lows), max(highs)
    gross = np.zeros(end - start)
    costs = np.zeros(end - start)
    for pnl in pnls:
        g = pnl.gross
        gross[g.start - start : g.end - start] += np.where(np.isnan(g.values), 0.0, g.values)
        if len(pnl.cost_days):
            np.add.at(costs, bin_of_day(pnl.cost_days) - start, np.where(np.isnan(pnl.costs), 0.0, pnl.costs))
    scale = 100.0 / capital
    return AccountCurve(start, gross * scale, costs * scale)


@dataclass(frozen=True)
class Statistics:
    sharpe: float
    ann_mean_pct: float
    ann_std_pct: float
    rows: int
    total_pct: float


def statistics(returns_pct: np.ndarray) -> Statistics:
    """Annualised mean (sum / (rows/256)), std (daily std * 16) and their ratio."""
    n = len(returns_pct)
    total = float(np.sum(returns_pct))
    if n < 2:
        return Statistics(float("nan"), float("nan"), float("nan"), n, total)
    mean = total / (n / BUSINESS_DAYS_PER_YEAR)
    std = float(np.std(returns_pct, ddof=1)) * ROOT_BDAYS
    sharpe = mean / std if std > 0 else float("nan")
    return Statistics(sharpe, mean, std, n, total)
