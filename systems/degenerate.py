"""Instruments whose data would poison a portfolio, found before they are weighted.

pysystemtrade's run over its whole instrument list ends with a NaN Sharpe: one instrument never
holds a position (its P&L is not even numeric), a flat price series has its volatility floored at
1e-10 so the vol scalar sizes hundreds of millions of contracts, and non-finite costs turn the
account into NaN. Each check returns the reason as one line, or None; the engine leaves a flagged
instrument out of the weights and the account, records the reason in the results and warns.
Negative prices (crude oil in April 2020) are valid data and are not flagged.
"""

from __future__ import annotations

import numpy as np

from systems.accounts import COST_VOL_MIN_PERIODS, COST_VOL_WINDOW
from systems.daily import Daily, ffill

# A subsystem position this large (in contracts) comes from a floored volatility, not a market.
ABSURD_CONTRACTS = 1e6


def subsystem_reason(
    position: Daily, volatility: Daily, vol_floor: float, price: Daily | None = None
) -> str | None:
    """Why an instrument's subsystem is unusable, or None. With `price` (when costs are
    deflated by volatility relative to the last day), a price that has not moved over the last
    window makes that reference zero and every cost infinite."""
    if price is not None:
        filled = ffill(price.asof(position.start, len(position)))
        changes = np.diff(filled)[-COST_VOL_WINDOW:]
        changes = changes[~np.isnan(changes)]
        if len(changes) >= COST_VOL_MIN_PERIODS and np.all(changes == changes[0]):
            return (
                f"flat price: no change over the last {len(changes)} days, so the cost deflator's "
                "reference volatility is zero (infinite costs)"
            )
    values = position.values
    finite = np.isfinite(values)
    if np.isinf(values).any():
        return "infinite subsystem position (zero or non-finite volatility or price)"
    if not (finite & (values != 0.0)).any():
        return "no position on any day (no usable forecast or price)"
    vol = volatility.reindex(position.start, len(position))
    at_floor = finite & (values != 0.0) & (vol <= vol_floor)
    if at_floor.any():
        largest = float(np.nanmax(np.abs(values[at_floor])))
        return (
            f"flat price: volatility at its floor {vol_floor:g} on {int(at_floor.sum())} day(s), "
            f"sizing up to {largest:.3g} contracts"
        )
    largest = float(np.nanmax(np.abs(values)))
    if largest > ABSURD_CONTRACTS:
        return f"absurd subsystem position of {largest:.3g} contracts (near-flat price)"
    return None


def pnl_reason(gross: np.ndarray, costs: np.ndarray) -> str | None:
    """Why an instrument's P&L cannot enter the account, or None."""
    if np.isinf(gross).any():
        return "infinite gross P&L (non-finite prices)"
    if np.isinf(costs).any():
        return "infinite costs (the cost deflator's reference volatility is zero)"
    return None
