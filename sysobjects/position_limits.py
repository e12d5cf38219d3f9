"""Position limits: the largest absolute position allowed, per instrument (all strategies
together) and per strategy and instrument.

A trade that would take a position beyond a limit is cut back so the position ends at the limit;
a limit never reverses a trade (turns a buy into a sell) and never makes a trade larger. So:
- inside the limit after the trade: unchanged;
- would cross the limit: cut to end exactly at the limit (on the side the trade heads to);
- the position is already beyond the limit and the trade grows it: 0;
- already beyond and the trade reduces it, even if not back within: unchanged (we don't force a
  bigger trade than the strategy asked for; pysystemtrade's `what_trade_is_possible` does the same).

Several limits apply one after the other; each cut only moves the trade towards 0, so the result
respects every limit the trade could respect, the tightest first or last alike.

Pure: values in, (trade, reason) out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from syscore.exceptions import DataValidationError


def check_limit_value(limit: int | float | str) -> int:
    """A limit as typed or stored: a whole number of contracts, 0 or more."""
    try:
        number = float(limit)
    except (TypeError, ValueError):
        raise DataValidationError(
            f"position limit '{limit}' is not a number; give a whole number of contracts, 0 or more"
        ) from None
    if not number.is_integer() or number < 0:
        raise DataValidationError(
            f"position limit {limit} is not a whole number of contracts, 0 or more; fix it"
        )
    return int(number)


def limit_trade(position: int, trade: int, limit: int) -> int:
    """The part of `trade` the absolute `limit` allows for a holder of `position`."""
    position, trade, limit = int(position), int(trade), abs(int(limit))
    if trade == 0:
        return 0
    new_position = position + trade
    if abs(new_position) <= limit:
        return trade
    allowed = max(-limit, min(limit, new_position)) - position
    if (allowed > 0) != (trade > 0) or allowed == 0:
        return 0  # already beyond the limit on the side the trade heads to
    if abs(allowed) > abs(trade):
        return trade  # reducing an over-limit position: as asked, never more
    return allowed


@dataclass(frozen=True)
class LimitCheck:
    """One limit that applies to a trade: what it is for, the position it limits, the limit."""

    label: str  # e.g. "instrument US10" or "strategy classic / US10"
    position: int
    limit: int


def apply_position_limits(trade: int, checks: Iterable[LimitCheck]) -> tuple[int, str]:
    """The trade after every limit, and why (empty reason when no limit changed it)."""
    trade = int(trade)
    reasons = []
    for check in checks:
        allowed = limit_trade(check.position, trade, check.limit)
        if allowed != trade:
            reasons.append(
                f"position limit {check.limit} for {check.label} (position {check.position}): "
                f"trade {trade:+d} -> {allowed:+d}"
            )
            trade = allowed
    return trade, "; ".join(reasons)
