"""Execution algos: pure decisions of how to send a contract order and how to manage it.

Three algos, chosen from the order's type: `market` (market order), `best` (passive limit at the
near side, aggressive after a timeout or an adverse move; see `best.py`) and `limit` (a limit at
the order's own price, left to work). A roll's zero-size parent order ("zero_roll") trades its
spread with `best`.
"""

from __future__ import annotations

import datetime as dt

from syscore.exceptions import DataValidationError
from sysexecution.algos.actions import Decision, Place, Reprice, Wait
from sysexecution.algos.best import DEFAULT_SETTINGS, BestSettings, manage_best, place_best
from sysexecution.algos.limit import manage_limit, place_limit
from sysexecution.algos.market import manage_market, place_market
from sysexecution.algos.prices import BidAsk, OrderPrices, SpreadQuote, order_prices, order_quote

ALGOS = ("market", "best", "limit")
_ALGO_OF_ORDER_TYPE = {"market": "market", "best": "best", "limit": "limit", "zero_roll": "best"}

__all__ = [
    "ALGOS", "BestSettings", "BidAsk", "Decision", "OrderPrices", "Place", "Reprice", "SpreadQuote",
    "Wait", "algo_for", "manage", "order_prices", "order_quote", "place",
]


def algo_for(order_type: str) -> str:
    """The algo that trades an order of `order_type` (a balance trade is never sent)."""
    try:
        return _ALGO_OF_ORDER_TYPE[order_type]
    except KeyError:
        raise DataValidationError(
            f"no algo trades an order of type '{order_type}'; use one of {', '.join(_ALGO_OF_ORDER_TYPE)}"
        ) from None


def place(algo: str, trade: int, quote: BidAsk | None, limit_price: float | None = None) -> Place:
    """How to send a new order for the signed `trade`."""
    if algo == "market":
        return place_market(trade, quote)
    if algo == "best":
        return place_best(trade, quote)
    if algo == "limit":
        return place_limit(trade, quote, limit_price)
    raise DataValidationError(f"unknown algo '{algo}'; use one of {', '.join(ALGOS)}")


def manage(
    algo: str, trade: int, limit_price: float | None, reference: OrderPrices | None,
    submitted_at: dt.datetime, aggressive: bool, quote: BidAsk | None, now: dt.datetime,
    settings: BestSettings = DEFAULT_SETTINGS,
) -> Decision:
    """What to do with a working order of `algo` this pass."""
    if algo == "best":
        return manage_best(trade, limit_price, reference, submitted_at, aggressive, quote, now, settings)
    if algo == "limit" and limit_price is not None:
        return manage_limit(limit_price)
    return manage_market()
