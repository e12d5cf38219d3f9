"""Classic buffered positions: the trade that brings a position back inside its buffer.

The backtest gives each instrument an optimal position with a no-trade buffer around it,
[lower, upper]. Trading every small change of the optimal position would cost more than it earns,
so a position inside the buffer is left alone; a position outside it is traded only as far as the
nearest edge (not to the optimal position), which is the least trading that makes it acceptable.

Rounding, as pysystemtrade's classic buffered order generator does it: the position is compared
with the UNROUNDED edges, and the edge it trades to is then rounded with Python's `round()`
(round half to even: 2.5 -> 2, 3.5 -> 4, -2.5 -> -2). So a position of 2 against a lower edge of
2.4 is below the buffer, yet the rounded edge is 2 and the trade is 0.

Pure: values in, (trade, reason) out; the order generator does the I/O around it.
"""

from __future__ import annotations

import math

from syscore.exceptions import DataValidationError


def round_edge(edge: float) -> int:
    """The whole-contract position for a buffer edge (Python's round half to even)."""
    return int(round(edge))


def buffered_trade(position: int, lower: float, upper: float) -> tuple[int, str]:
    """The trade for `position` against the buffer [lower, upper], and why.

    Outside the buffer: trade to the nearest edge, rounded to whole contracts. Inside (edges
    included): no trade."""
    if not (math.isfinite(lower) and math.isfinite(upper)):
        raise DataValidationError(
            f"buffer [{lower}, {upper}] is not finite; re-run run_systems for the strategy"
        )
    if lower > upper:
        raise DataValidationError(
            f"buffer lower {lower:g} is above upper {upper:g}; re-run run_systems for the strategy"
        )
    position = int(position)
    if position < lower:
        target = round_edge(lower)
        return target - position, (
            f"position {position} below buffer [{lower:.2f}, {upper:.2f}]: "
            f"trade to lower edge {target}"
        )
    if position > upper:
        target = round_edge(upper)
        return target - position, (
            f"position {position} above buffer [{lower:.2f}, {upper:.2f}]: "
            f"trade to upper edge {target}"
        )
    return 0, f"position {position} inside buffer [{lower:.2f}, {upper:.2f}]: no trade"
