"""The `limit` algo: a limit order at the price the instrument order asked for, left to work.

It is never chased: the user (or strategy) chose the price. What does not fill stays working until
the stack handler stops (safe_stack_removal cancels it) or it is cancelled by hand.
"""

from __future__ import annotations

from syscore.exceptions import DataValidationError
from sysexecution.algos.actions import Place, Wait
from sysexecution.algos.prices import BidAsk, order_prices


def place_limit(trade: int, quote: BidAsk | None, limit_price: float | None) -> Place:
    if limit_price is None:
        raise DataValidationError("a limit order needs a limit price; give the order one or use 'best' or 'market'")
    prices = None if quote is None else order_prices(trade, quote)
    return Place("limit", float(limit_price), f"limit: limit order at {limit_price:.10g}", prices)


def manage_limit(limit_price: float) -> Wait:
    return Wait(f"limit order at {limit_price:.10g}: left to work")
