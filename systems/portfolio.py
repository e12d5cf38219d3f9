"""Instrument weights, IDM and notional positions (spec section 6)."""

from __future__ import annotations

import numpy as np

from systems.daily import Daily, hull
from systems.forecasts import smoothed_weights


def instrument_weights(
    subsystems: list[Daily], raw_weights: list[float], span: float
) -> tuple[int, np.ndarray]:
    """Smoothed, renormalised instrument weights on the union grid: (start, days x instruments).

    An instrument counts as available from its first subsystem position on (positions are
    forward-filled across instruments), exactly like forecast weights across rules.
    """
    start, length = hull(*subsystems)
    available = np.zeros((length, len(subsystems)), dtype=bool)
    for column, position in enumerate(subsystems):
        valid = np.flatnonzero(~np.isnan(position.values))
        if len(valid):
            available[position.start - start + valid[0] :, column] = True
    return start, smoothed_weights(available, np.asarray(raw_weights), span)


def notional_position(subsystem: Daily, weight: Daily, idm: float) -> Daily:
    """N = S * ASOF(IW, S's grid) * IDM, fractional contracts."""
    return Daily(subsystem.start, subsystem.values * weight.asof(subsystem.start, len(subsystem)) * idm)
