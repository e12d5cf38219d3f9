"""The `best` algo: wait patiently at the near side, then cross the spread.

Our reading of pysystemtrade's "original best" algo (`algo_original_best.py`, described in the
blog post "the world's simplest execution algorithm"):
- it starts *passive*: a limit order at the offside price, the near side of the book (the bid
  for a buy, the ask for a sell), hoping to save the spread;
- it turns *aggressive* after a passive timeout (300 seconds there) or as soon as the price moves
  against it (for a buy: the bid rising above the bid when the order was placed; for a sell: the
  ask falling below its reference), or when data are missing; aggressive means the limit is moved
  to the side price (the ask for a buy) and kept there as the market moves, which trades at once
  like a market order but never at a worse price than the one just quoted;
- pysystemtrade also goes aggressive on an order-book size imbalance and near the market close,
  and cancels after 600 seconds; we have no book sizes or session times in the Broker protocol, so
  those are left out, and an aggressive order is chased until it fills rather than cancelled.

Here "switching to market" is that aggressive mode: the order's limit is modified to the side
price (one broker order throughout, so a crash while switching can never leave two orders
working). Without a quote at placement, `best` sends a market order.

Pure: (order, quote, time) -> Place / Wait / Reprice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sysexecution.algos.actions import Decision, Place, Reprice, Wait
from sysexecution.algos.prices import BidAsk, OrderPrices, adverse_move, limit_crosses, order_prices

DEFAULT_PASSIVE_TIMEOUT = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class BestSettings:
    passive_timeout: dt.timedelta = DEFAULT_PASSIVE_TIMEOUT


DEFAULT_SETTINGS = BestSettings()


def place_best(trade: int, quote: BidAsk | None) -> Place:
    """Passive limit at the near side; a market order when there is no quote to price it."""
    if quote is None:
        return Place("market", None, "best: no quote to price a limit; market order")
    prices = order_prices(trade, quote)
    side = "bid" if trade > 0 else "ask"
    return Place("limit", prices.offside_price, f"best: passive limit at the {side} {prices.offside_price:.10g}", prices)


def manage_best(
    trade: int,
    limit_price: float | None,
    reference: OrderPrices | None,
    submitted_at: dt.datetime,
    aggressive: bool,
    quote: BidAsk | None,
    now: dt.datetime,
    settings: BestSettings = DEFAULT_SETTINGS,
) -> Decision:
    """What to do with a working `best` order (signed `trade` still to fill) at `now`.

    `reference` holds the prices when the order was placed; `aggressive` whether it has already
    switched. Returns Wait, or Reprice to the current side price."""
    if limit_price is None:
        return Wait("best: working as a market order")
    if quote is None:
        return Wait("best: no quote now; the order is left as it is")
    now_prices = order_prices(trade, quote)
    if aggressive:
        if limit_crosses(trade, limit_price, quote):
            return Wait(f"best: aggressive limit {limit_price:.10g} crosses the spread; waiting for the fill")
        return Reprice(now_prices.side_price, f"best: aggressive, limit follows the market to {now_prices.side_price:.10g}")
    reason = _reason_to_go_aggressive(trade, reference, submitted_at, now_prices, now, settings)
    if reason is None:
        return Wait(f"best: passive at {limit_price:.10g}")
    return Reprice(now_prices.side_price, f"best: aggressive at {now_prices.side_price:.10g} ({reason})")


def _reason_to_go_aggressive(
    trade: int, reference: OrderPrices | None, submitted_at: dt.datetime, now_prices: OrderPrices,
    now: dt.datetime, settings: BestSettings,
) -> str | None:
    waited = now - submitted_at
    if waited >= settings.passive_timeout:
        return f"passive for {_minutes(waited)}, timeout {_minutes(settings.passive_timeout)}"
    if reference is None:
        return "no reference price to judge the market by"
    if adverse_move(trade, reference.offside_price, now_prices.offside_price):
        side = "bid" if trade > 0 else "ask"
        return f"adverse move: {side} {reference.offside_price:.10g} -> {now_prices.offside_price:.10g}"
    return None


def _minutes(delta: dt.timedelta) -> str:
    return f"{delta.total_seconds() / 60:.10g} min"
