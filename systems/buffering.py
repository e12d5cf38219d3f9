"""Position buffering (spec section 7).

The buffer recursion b_t = clamp(b_{t-1}, round(bottom_t), round(top_t)) looks sequential, but
clamps compose into clamps: clamp(clamp(x, l1, u1), l2, u2) = clamp(x, clamp(l1, l2, u2),
clamp(u1, l2, u2)). So the running composition is a prefix scan done in log2(n) vectorised
passes, with no loop over days. Trading to the optimal position instead of the edge does not
compose that way and runs as a plain loop over the rows.
"""

from __future__ import annotations

import numpy as np

from systems.daily import Daily, ffill

BUFFER_METHODS = ("forecast", "position", "none")


def buffer_width(
    method: str, size: float, notional: Daily, vol_scalar: Daily, weight: Daily, idm: float
) -> np.ndarray:
    """Half-width of the no-trade zone on N's grid.

    `forecast`: size * |VS * IW * IDM|, i.e. a share of the position a forecast of +10 gives.
    `position`: size * |N|. `none`: 0 (trade to the rounded optimal every day).
    """
    start, length = notional.start, len(notional)
    if method == "forecast":
        on = [ffill(s.reindex(start, length)) for s in (vol_scalar, weight)]
        return size * np.abs(on[0] * on[1] * idm)
    if method == "position":
        return size * np.abs(ffill(notional.values))
    return np.zeros(length)


def buffer_edges(notional: Daily, width: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(bottom, top) = ffill(N) -/+ ffill(width), unrounded."""
    position = ffill(notional.values)
    half = ffill(width)
    return position - half, position + half


def _clamp(x: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    return np.minimum(np.maximum(x, low), high)


def buffered_position(
    notional: Daily, bottom: np.ndarray, top: np.ndarray, trade_to_edge: bool = True
) -> np.ndarray:
    """Integer positions after buffering; edges and optimal rounded half-to-even separately.

    Start at the rounded optimal (0 if missing); a day with any missing input keeps yesterday's
    position; outside the zone, trade to the nearest edge (or to the optimal).
    """
    optimal = np.round(ffill(notional.values))
    high, low = np.round(top), np.round(bottom)
    n = len(optimal)
    if n == 0:
        return optimal
    first = 0.0 if np.isnan(optimal[0]) else optimal[0]
    missing = np.isnan(high) | np.isnan(low) | np.isnan(optimal)
    if not trade_to_edge:
        return _buffer_loop_to_optimal(first, optimal, low, high, missing)
    lo = np.where(missing, -np.inf, low)
    hi = np.where(missing, np.inf, high)
    lo[0], hi[0] = -np.inf, np.inf  # row 0 is the start value itself
    shift = 1
    while shift < n:
        new_lo = lo.copy()
        new_hi = hi.copy()
        new_lo[shift:] = _clamp(lo[:-shift], lo[shift:], hi[shift:])
        new_hi[shift:] = _clamp(hi[:-shift], lo[shift:], hi[shift:])
        lo, hi = new_lo, new_hi
        shift *= 2
    return _clamp(np.full(n, first), lo, hi)


def _buffer_loop_to_optimal(
    first: float, optimal: np.ndarray, low: np.ndarray, high: np.ndarray, missing: np.ndarray
) -> np.ndarray:
    out = np.empty(len(optimal))
    current = first
    out[0] = current
    opt, lo, hi, skip = optimal.tolist(), low.tolist(), high.tolist(), missing.tolist()
    for t in range(1, len(opt)):
        if not skip[t] and (current > hi[t] or current < lo[t]):
            current = opt[t]
        out[t] = current
    return out
