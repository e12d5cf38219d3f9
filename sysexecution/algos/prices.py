"""The prices an algo looks at, from a broker quote: pure arithmetic, no I/O.

Names follow pysystemtrade's tick analysis, seen from the trade's direction:
- the *side* price is what crossing the spread costs now: the ask for a buy, the bid for a sell
  (what a market order pays);
- the *offside* price is the near side of the book, where a patient order waits: the bid for a
  buy, the ask for a sell;
- the *mid* is halfway between.

A calendar spread (legs with ratios +1/-1) is quoted as the ratio-weighted sum of its legs: buying
the spread buys each positive leg at its ask and sells each negative leg at its bid, so its ask is
`sum(r * (ask if r > 0 else bid))` and its bid the mirror image (this matches how the simulated
broker fills a spread).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from syscore.exceptions import DataValidationError


class BidAsk(Protocol):
    """Anything with a bid and an ask (the broker's `Quote`)."""

    @property
    def bid(self) -> float: ...

    @property
    def ask(self) -> float: ...


@dataclass(frozen=True)
class SpreadQuote:
    """A bid and an ask for a whole order (one contract, or a spread of several)."""

    bid: float
    ask: float

    @property
    def mid(self) -> float:
        return (self.bid + self.ask) / 2.0


@dataclass(frozen=True)
class OrderPrices:
    """The three prices of an order at one moment (kept on the broker order record at creation,
    so the trade report can measure slippage against them later)."""

    side_price: float
    mid_price: float
    offside_price: float


def order_quote(ratios: Sequence[int], quotes: Sequence[BidAsk]) -> SpreadQuote:
    """The bid/ask of one unit of an order whose legs have `ratios` and leg quotes `quotes`."""
    if len(ratios) != len(quotes) or not ratios:
        raise DataValidationError(f"an order quote needs one quote per leg; got {len(quotes)} for {len(ratios)} legs")
    ask = sum(r * (q.ask if r > 0 else q.bid) for r, q in zip(ratios, quotes, strict=True))
    bid = sum(r * (q.bid if r > 0 else q.ask) for r, q in zip(ratios, quotes, strict=True))
    return SpreadQuote(float(bid), float(ask))


def order_prices(trade: int, quote: BidAsk) -> OrderPrices:
    """Side, mid and offside price of a signed `trade` against `quote`."""
    if trade == 0:
        raise DataValidationError("order prices: a trade of 0 has no side")
    mid = (quote.bid + quote.ask) / 2.0
    if trade > 0:
        return OrderPrices(side_price=float(quote.ask), mid_price=mid, offside_price=float(quote.bid))
    return OrderPrices(side_price=float(quote.bid), mid_price=mid, offside_price=float(quote.ask))


def adverse_move(trade: int, reference_offside: float, current_offside: float) -> bool:
    """Has the near side moved against us since the reference? For a buy the bid rising means
    the market is running away upwards; for a sell the ask falling. (pysystemtrade's
    `adverse_price_movement` on the offside price.)"""
    if trade > 0:
        return current_offside > reference_offside
    return current_offside < reference_offside


def limit_crosses(trade: int, limit_price: float, quote: BidAsk) -> bool:
    """Would a limit order at `limit_price` trade at once? A buy at or above the ask, a sell at
    or below the bid."""
    return limit_price >= quote.ask if trade > 0 else limit_price <= quote.bid
