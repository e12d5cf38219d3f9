"""Slippage of fills, what it says about an instrument's spread, and its liquidity (pure).

For each fill, seen from the trade's direction (sign = +1 buying, -1 selling), so a positive
number is a cost (pysystemtrade's decomposition):

    delay      = sign x (mid at order creation - reference price)   the market moved before we traded
    bid_ask    = sign x (side price - mid)                          half the spread, if we crossed it
    execution  = sign x (fill price - side price)                   what the algo did against the side
    vs_mid     = sign x (fill price - mid) = bid_ask + execution    the spread actually paid
    total      = sign x (fill price - reference price) = delay + vs_mid

in price points; in ticks (/ tick), in base currency (x |quantity| x point size x FX) and in risk
units (/ the instrument's daily price volatility: one unit is one day's standard deviation).

The spread the data suggests for an instrument is the quantity-weighted mean of vs_mid over its
fills (a spread cost is half the bid-ask spread in price points, charged per contract traded:
what the fills paid against the mid is the same quantity, measured).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

COMPONENTS = ["delay", "bid_ask", "execution", "vs_mid", "total"]


def slippage_points(fills: pd.DataFrame) -> pd.DataFrame:
    """The five components in price points per contract, one row per fill (NaN where a price
    is not known). `fills` has quantity, price, side_price, mid_price, reference_price."""
    sign = np.sign(fills["quantity"].astype(float))
    price = fills["price"].astype(float)
    side = pd.to_numeric(fills["side_price"], errors="coerce")
    mid = pd.to_numeric(fills["mid_price"], errors="coerce")
    reference = pd.to_numeric(fills["reference_price"], errors="coerce")
    out = pd.DataFrame(index=fills.index)
    out["delay"] = sign * (mid - reference)
    out["bid_ask"] = sign * (side - mid)
    out["execution"] = sign * (price - side)
    out["vs_mid"] = sign * (price - mid)
    out["total"] = sign * (price - reference)
    return out


def estimate_tick(prices: pd.Series) -> float:
    """The price increment the prices move in: the smallest non-zero gap between distinct
    prices (rounded to 10 significant digits to shed float noise); NaN with fewer than 2 prices."""
    distinct = np.unique(np.round(prices.dropna().to_numpy(dtype=float), 10))
    if len(distinct) < 2:
        return math.nan
    gaps = np.diff(distinct)
    smallest = float(gaps[gaps > 0].min())
    return float(f"{smallest:.10g}")


def daily_price_vol(prices: pd.Series, days: int = 25) -> float:
    """Standard deviation of daily price changes (price points) over the last `days` days with a
    price (the last price of each day); NaN with fewer than 3 days."""
    daily = prices.dropna().groupby(prices.dropna().index.normalize()).last()
    changes = daily.diff().dropna().iloc[-days:]
    return float(changes.std()) if len(changes) >= 2 else math.nan


def suggested_spreads(points: pd.DataFrame, quantity: pd.Series, instrument: pd.Series) -> pd.DataFrame:
    """Per instrument: fills measured, contracts, and the quantity-weighted mean bid_ask and
    vs_mid (the suggestion) in price points, over the fills whose mid price is known."""
    size = quantity.abs().astype(float)
    known = points["vs_mid"].notna()
    frame = pd.DataFrame({
        "instrument": instrument[known], "size": size[known],
        "bid_ask_w": (points["bid_ask"] * size)[known], "vs_mid_w": (points["vs_mid"] * size)[known],
    })
    grouped = frame.groupby("instrument")
    out = pd.DataFrame({
        "fills": grouped.size(),
        "contracts": grouped["size"].sum(),
        "bid_ask": grouped["bid_ask_w"].sum() / grouped["size"].sum(),
        "vs_mid": grouped["vs_mid_w"].sum() / grouped["size"].sum(),
    })
    return out


def liquidity(volume_per_day: float, daily_vol_points: float, pointsize: float, fx: float) -> float:
    """Risk traded per day in base currency: contracts x annualised standard deviation of one
    contract's value (daily vol x 16, the square root of 256 business days, x point size x FX)."""
    return volume_per_day * daily_vol_points * 16.0 * pointsize * fx
