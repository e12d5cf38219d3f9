"""The `market` algo: send a market order and let it fill; nothing to manage afterwards."""

from __future__ import annotations

from sysexecution.algos.actions import Place, Wait
from sysexecution.algos.prices import BidAsk, order_prices


def place_market(trade: int, quote: BidAsk | None) -> Place:
    """A market order; the quote (when there is one) is kept for the record's prices."""
    prices = None if quote is None else order_prices(trade, quote)
    return Place("market", None, "market: market order", prices)


def manage_market() -> Wait:
    return Wait("market order: waiting for its fill")
