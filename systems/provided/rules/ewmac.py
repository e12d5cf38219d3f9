"""EWMAC trend rule: fast minus slow exponential average of price, in units of daily vol."""

from __future__ import annotations

import numpy as np

from syscore.ewm import alpha_from_span, ewma
from systems.daily import Daily, align, ffill


def ewmac(price: Daily, vol: Daily, Lfast: int = 32, Lslow: int = 128) -> Daily:  # noqa: N803
    """[EWMA(P; span Lfast) - EWMA(P; span Lslow)] / ffill(vol).

    Holiday NaNs in the price just age the averages; the result is NaN until vol exists.
    """
    start, (prices, sigma) = align(price, vol)
    fast = ewma(prices, alpha_from_span(Lfast), 1)
    slow = ewma(prices, alpha_from_span(Lslow), 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return Daily(start, (fast - slow) / ffill(sigma))
