"""Fill arithmetic of the simulated broker: pure functions of prices and quantities.

Prices: the bid and ask sit the instrument's spread cost (pysystemtrade's SpreadCost, half the
bid/ask spread in price units) either side of the mid, so a round trip costs what the backtest's
cost model charges. A buy pays the ask, a sell receives the bid; a calendar spread buys each leg
with a positive ratio at its ask and sells each negative leg at its bid.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Quote:
    bid: float
    ask: float

    @classmethod
    def around(cls, mid: float, spread_cost: float) -> Quote:
        return cls(mid - spread_cost, mid + spread_cost)

    def price_for(self, quantity: int) -> float:
        """What a trade of signed `quantity` pays (buy) or receives (sell)."""
        return self.ask if quantity > 0 else self.bid


def leg_prices(ratios: Sequence[int], quotes: Sequence[Quote], quantity: int) -> list[float]:
    """The price each leg trades at when `quantity` (spreads or contracts) is traded."""
    return [quote.price_for(quantity * ratio) for ratio, quote in zip(ratios, quotes, strict=True)]


def order_price(ratios: Sequence[int], prices: Sequence[float]) -> float:
    """Price of one unit of the order: the legs weighted by their ratios."""
    return float(sum(ratio * price for ratio, price in zip(ratios, prices, strict=True)))


def limit_allows(price: float, limit: float, quantity: int) -> bool:
    """A buy fills at or below its limit, a sell at or above it."""
    return price <= limit if quantity > 0 else price >= limit


def next_fill_size(remaining: int, fraction: float) -> int:
    """Signed quantity of the next partial fill: a share of what remains, at least one contract."""
    size = min(abs(remaining), max(1, math.ceil(abs(remaining) * fraction)))
    return size if remaining > 0 else -size


def partial_fault_cap(quantity: int, fraction: float) -> int:
    """How much of an order a 'fill partially' fault lets fill: a share of it, never all of it."""
    return min(abs(quantity) - 1, math.floor(abs(quantity) * fraction))


def average_price(old_quantity: int, old_average: float | None, quantity: int, price: float) -> float:
    """Quantity-weighted average fill price after one more fill."""
    if old_average is None or old_quantity == 0:
        return price
    total = abs(old_quantity) + abs(quantity)
    return (abs(old_quantity) * old_average + abs(quantity) * price) / total


def cash_flow(quantity: int, price: float, pointsize: float, commission: float) -> float:
    """Cash change of one fill in the instrument's currency: the notional paid for a buy (received
    for a sell) and the commission. Marking the position back at its price gives P&L."""
    return -quantity * price * pointsize - commission
