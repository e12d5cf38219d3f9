"""What an algo decides: the values its pure decision functions return.

An algo is two pure functions of (order, quote, time): `place` says how to send a new broker
order; `manage` looks at a working one each pass of the stack handler and says to leave it or to
move its limit. The stack handler's step does the I/O (stores the record, talks to the broker).
"""

from __future__ import annotations

from dataclasses import dataclass

from sysexecution.algos.prices import OrderPrices


@dataclass(frozen=True)
class Place:
    """Send a new order: `order_type` "market" or "limit" (with `limit_price`); `prices` are the
    side/mid/offside prices at the decision (None without a quote); `comment` says why."""

    order_type: str
    limit_price: float | None
    comment: str
    prices: OrderPrices | None = None


@dataclass(frozen=True)
class Wait:
    """Leave the working order as it is."""

    reason: str


@dataclass(frozen=True)
class Reprice:
    """Move the working order's limit to `limit_price`; `aggressive` is the algo's new mode."""

    limit_price: float
    comment: str
    aggressive: bool = True


Decision = Wait | Reprice
