"""Vol-targeted position sizing with FX (spec section 5)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from systems.daily import Daily, bin_labels_seconds, ffill
from systems.rawdata import ROOT_BDAYS


def daily_cash_vol_target(capital: float, percentage_vol_target: float) -> float:
    """tau = capital * vol% / 100 / 16, in base currency per day."""
    return capital * percentage_vol_target / 100.0 / ROOT_BDAYS


def volatility_scalar(
    vol: Daily,
    denominator: Daily,
    pointsize: float,
    fx_asof: Callable[[np.ndarray], np.ndarray],
    cash_vol_target: float,
) -> Daily:
    """Contracts that give the cash vol target at a forecast of 10 (VS = tau / IVV).

    The block value uses the raw current-contract price (quirk 10) and the percentage vol the
    adjusted-price vol over that same raw price, so ICV is about pointsize * sigma * sign(price).
    ICV lives on the inner join of the two grids.
    """
    denom_on_vol = ffill(denominator.reindex(vol.start, len(vol)))
    with np.errstate(divide="ignore", invalid="ignore"):
        percent_vol = Daily(vol.start, 100.0 * vol.values / np.abs(denom_on_vol))
    block_value = Daily(denominator.start, ffill(denominator.values) * pointsize * 0.01)
    start = max(vol.start, denominator.start)
    length = max(min(vol.end, denominator.end) - start, 0)
    currency_vol = ffill(block_value.reindex(start, length) * percent_vol.reindex(start, length))
    value_vol = currency_vol * fx_asof(bin_labels_seconds(start, length))
    with np.errstate(divide="ignore", invalid="ignore"):
        return Daily(start, cash_vol_target / value_vol)


def subsystem_position(vol_scalar: Daily, combined: Daily) -> Daily:
    """S = ASOF(VS, C's grid) * C / 10: no lag, no compounding."""
    return Daily(combined.start, vol_scalar.asof(combined.start, len(combined)) * combined.values / 10.0)
