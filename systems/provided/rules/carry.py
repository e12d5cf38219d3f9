"""Carry rule: the raw carry (annualised roll in vol units), smoothed."""

from __future__ import annotations

from syscore.ewm import alpha_from_com, ewma
from systems.daily import Daily


def carry(raw_carry: Daily, smooth_days: int = 90) -> Daily:
    """EWMA of raw carry with centre of mass `smooth_days` (alpha = 1/(1+smooth_days)).

    pysystemtrade passes `smooth_days` positionally into pandas' `ewm`, whose first argument is
    the centre of mass, so this is a com rather than a span (quirk 4).
    """
    return Daily(raw_carry.start, ewma(raw_carry.values, alpha_from_com(smooth_days), 0))
