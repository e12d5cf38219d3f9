"""The execution algos as pure decisions: prices worked by hand, each switch of `best`."""

from __future__ import annotations

import datetime as dt

import pytest

from syscore.exceptions import DataValidationError
from sysexecution import algos
from sysexecution.algos import BestSettings, OrderPrices, Place, Reprice, SpreadQuote, Wait
from sysexecution.algos.prices import adverse_move, limit_crosses

T0 = dt.datetime(2024, 6, 4, 10, 0)
QUOTE = SpreadQuote(bid=99.5, ask=100.5)


def test_order_prices_are_seen_from_the_trade_direction():
    assert algos.order_prices(3, QUOTE) == OrderPrices(side_price=100.5, mid_price=100.0, offside_price=99.5)
    assert algos.order_prices(-2, QUOTE) == OrderPrices(side_price=99.5, mid_price=100.0, offside_price=100.5)
    with pytest.raises(DataValidationError, match="trade of 0"):
        algos.order_prices(0, QUOTE)


def test_a_calendar_spread_is_quoted_from_its_legs():
    near, far = SpreadQuote(99.0, 101.0), SpreadQuote(97.5, 98.5)
    # buying the spread (+1 near, -1 far) pays near's ask and receives far's bid: 101 - 97.5
    spread = algos.order_quote([1, -1], [near, far])
    assert (spread.bid, spread.ask) == (99.0 - 98.5, 101.0 - 97.5)
    with pytest.raises(DataValidationError, match="one quote per leg"):
        algos.order_quote([1, -1], [near])


def test_market_algo_sends_a_market_order_and_keeps_the_prices():
    decision = algos.place("market", 5, QUOTE)
    assert decision == Place("market", None, "market: market order", OrderPrices(100.5, 100.0, 99.5))
    assert algos.place("market", 5, None).prices is None
    assert isinstance(algos.manage("market", 5, None, None, T0, False, QUOTE, T0), Wait)


def test_best_starts_passive_at_the_near_side():
    buy = algos.place("best", 2, QUOTE)
    sell = algos.place("best", -2, QUOTE)
    assert (buy.order_type, buy.limit_price) == ("limit", 99.5)  # the bid
    assert (sell.order_type, sell.limit_price) == ("limit", 100.5)  # the ask
    assert "passive limit at the bid 99.5" in buy.comment


def test_best_without_a_quote_goes_to_market():
    decision = algos.place("best", 2, None)
    assert (decision.order_type, decision.limit_price) == ("market", None)


BUY_REFERENCE = OrderPrices(100.5, 100.0, 99.5)


def manage_best(trade, quote, now, aggressive=False, limit=99.5, reference=BUY_REFERENCE):
    return algos.manage("best", trade, limit, reference, T0, aggressive, quote, now,
                        BestSettings(passive_timeout=dt.timedelta(minutes=5)))


def test_best_waits_while_the_market_is_quiet_and_inside_the_timeout():
    decision = manage_best(2, QUOTE, T0 + dt.timedelta(minutes=4, seconds=59))
    assert decision == Wait("best: passive at 99.5")


def test_best_goes_aggressive_at_the_timeout_to_the_current_ask():
    later = SpreadQuote(99.25, 100.25)  # market drifted down a little: not adverse for a buy
    decision = manage_best(2, later, T0 + dt.timedelta(minutes=5))
    assert isinstance(decision, Reprice)
    assert (decision.limit_price, decision.aggressive) == (100.25, True)
    assert "passive for 5 min, timeout 5 min" in decision.comment


def test_best_goes_aggressive_on_an_adverse_move():
    up = SpreadQuote(99.75, 100.75)  # the bid rose above the 99.5 we joined: buyers chase the price
    decision = manage_best(2, up, T0 + dt.timedelta(minutes=1))
    assert isinstance(decision, Reprice) and decision.limit_price == 100.75
    assert "adverse move: bid 99.5 -> 99.75" in decision.comment
    # for a sell, the ask falling is adverse; rising is not
    sell_ref = OrderPrices(99.5, 100.0, 100.5)
    down = SpreadQuote(99.0, 100.0)
    assert isinstance(manage_best(-2, down, T0 + dt.timedelta(minutes=1), limit=100.5, reference=sell_ref), Reprice)
    assert isinstance(manage_best(-2, up, T0 + dt.timedelta(minutes=1), limit=100.5, reference=sell_ref), Wait)


def test_an_aggressive_order_follows_the_market_until_it_crosses():
    # limit 100.5 at the ask: crosses, so wait for the fill
    assert isinstance(manage_best(2, QUOTE, T0 + dt.timedelta(minutes=6), aggressive=True, limit=100.5), Wait)
    # the ask moved up to 101: the limit no longer crosses, follow it
    moved = SpreadQuote(100.0, 101.0)
    decision = manage_best(2, moved, T0 + dt.timedelta(minutes=6), aggressive=True, limit=100.5)
    assert isinstance(decision, Reprice) and decision.limit_price == 101.0


def test_no_quote_while_working_leaves_the_order_alone():
    assert isinstance(manage_best(2, None, T0 + dt.timedelta(hours=1)), Wait)


def test_limit_algo_uses_the_order_price_and_never_chases():
    decision = algos.place("limit", -1, QUOTE, limit_price=101.0)
    assert (decision.order_type, decision.limit_price) == ("limit", 101.0)
    assert isinstance(algos.manage("limit", -1, 101.0, None, T0, False, QUOTE, T0 + dt.timedelta(days=1)), Wait)
    with pytest.raises(DataValidationError, match="needs a limit price"):
        algos.place("limit", -1, QUOTE)


def test_algo_for_order_types():
    assert [algos.algo_for(t) for t in ("market", "best", "limit", "zero_roll")] == ["market", "best", "limit", "best"]
    with pytest.raises(DataValidationError, match="no algo trades an order of type 'balance'"):
        algos.algo_for("balance")


def test_price_helpers():
    assert adverse_move(1, 99.5, 99.75) and not adverse_move(1, 99.5, 99.5)
    assert adverse_move(-1, 100.5, 100.25) and not adverse_move(-1, 100.5, 100.75)
    assert limit_crosses(1, 100.5, QUOTE) and not limit_crosses(1, 100.4, QUOTE)
    assert limit_crosses(-1, 99.5, QUOTE) and not limit_crosses(-1, 99.6, QUOTE)
