"""Profit and loss of a position from its prices and its fills (pure; price points x contracts).

Over a window of closes P_0..P_n, with the position held now and the fills that made it:

    position after time t  = position now - (sum of fills after t)
    P&L of bar k (k >= 1)  = position after t_(k-1) x (P_k - P_(k-1))
                             + sum over fills in (t_(k-1), t_k] of quantity x (P_k - fill price)

so the whole window's P&L is position_now x P_n - position_0 x P_0 - sum(quantity x fill price):
what was held, marked to market, plus what each trade made or lost against the close after it.
Fills later than the last close are marked at that close (they belong to the window's last bar).
Multiply by the point size and the FX rate for money.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def pandl_by_bar(closes: pd.Series, fills: pd.DataFrame, position_now: int) -> pd.Series:
    """P&L of each bar of `closes` after the first (index: the bar's time), in price points x
    contracts. `fills` has columns time, quantity, price; those at or before the first close are
    already in the position held then."""
    closes = closes.dropna().sort_index()
    if len(closes) < 2:
        return pd.Series(dtype=float, index=closes.index[1:])
    times = closes.index
    if len(fills):
        fills = fills[pd.DatetimeIndex(fills["time"]) > times[0]]
    fill_times = pd.DatetimeIndex(fills["time"]) if len(fills) else pd.DatetimeIndex([])
    quantities = fills["quantity"].to_numpy(dtype=float) if len(fills) else np.zeros(0)
    prices = fills["price"].to_numpy(dtype=float) if len(fills) else np.zeros(0)
    # bar each fill belongs to: the first close at or after it (fills after the last close: last bar)
    bar = np.minimum(np.searchsorted(times.values, fill_times.values, side="left"), len(times) - 1)
    traded = np.bincount(bar, weights=quantities, minlength=len(times))
    # position after each close: now, less every fill booked to later bars
    after_later = np.concatenate([np.cumsum(traded[::-1])[::-1][1:], [0.0]])
    held_after = position_now - after_later
    values = closes.to_numpy(dtype=float)
    carry = held_after[:-1] * np.diff(values)
    trade_pnl = np.bincount(bar, weights=quantities * (values[bar] - prices), minlength=len(times))[1:]
    return pd.Series(carry + trade_pnl, index=times[1:], name="pandl")


def window(closes: pd.Series, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """The closes a P&L from `start` to `end` is measured on: the last close at or before `start`
    (the price the period starts from) and every close after it up to `end`."""
    closes = closes.dropna().sort_index().loc[:end]
    before = closes.loc[:start]
    if before.empty:
        return closes
    return closes.loc[before.index[-1]:]
