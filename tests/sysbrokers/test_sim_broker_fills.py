"""SimBroker arithmetic on worked examples: fill prices, commissions, FX, account value, limits,
spreads, latency and partial fills. Expected numbers are derived here from the market's bars and
the instrument config, not read back from the broker."""

from __future__ import annotations

import datetime as dt

import pytest

from sysbrokers.broker import OrderLeg, OrderRequest, OrderStatus, OrderType
from syscore.exceptions import BrokerError

from .conftest import CLOSE, make_broker

DAY = dt.timedelta(days=1)


def outright(instrument, contract, quantity, limit=None):
    order_type = OrderType.MARKET if limit is None else OrderType.LIMIT
    return OrderRequest(instrument, (OrderLeg(contract),), quantity, order_type, limit, reference="t1")


def final(market, instrument, contract, when):
    return float(market.daily_bars(instrument, contract, when)["FINAL"].iloc[-1])


def test_market_buy_and_sell_fill_at_ask_and_bid_with_commission(broker, market):
    mid = final(market, "SP500", "20240900", CLOSE)
    # SP500: spread cost 0.125 either side of mid; commission 2.0 per contract; pointsize 50
    buy = broker.submit_order(outright("SP500", "20240900", 3))
    assert buy.status is OrderStatus.FILLED and buy.filled_quantity == 3
    assert buy.average_fill_price == pytest.approx(mid + 0.125)
    sell = broker.submit_order(outright("SP500", "20240900", -1))
    assert sell.average_fill_price == pytest.approx(mid - 0.125)
    fills = broker.fills()
    assert [(f.quantity, f.commission, f.commission_currency, f.reference) for f in fills] == [
        (3, 6.0, "USD", "t1"), (-1, 2.0, "USD", "t1")
    ]
    assert [(p.contract_id, p.position) for p in broker.positions()] == [("20240900", 2)]
    # account: 1,000,000 - commissions 8 + 2 contracts marked at mid against their cost
    # (bought 3 at mid+0.125, sold 1 at mid-0.125: each side paid 0.125 x 50 = 6.25)
    assert broker.account_value("USD") == pytest.approx(1_000_000 - 8 - 4 * 0.125 * 50)


def test_account_value_through_fx_after_the_market_moves(broker, market, clock):
    entry_mid = final(market, "DAX", "20240900", CLOSE)
    broker.submit_order(outright("DAX", "20240900", 2))  # DAX: EUR, pointsize 1, 0.5/contract, spread 0.9
    clock.advance(DAY)
    later_mid = final(market, "DAX", "20240900", clock.now())
    eurusd = float(market.usd_rates("EUR", clock.now()).iloc[-1])
    gbpusd = float(market.usd_rates("GBP", clock.now()).iloc[-1])
    pnl_eur = 2 * (later_mid - (entry_mid + 0.9)) * 1.0 - 2 * 0.5
    assert broker.account_value("USD") == pytest.approx(1_000_000 + pnl_eur * eurusd)
    assert broker.account_value("EUR") == pytest.approx(1_000_000 / eurusd + pnl_eur)
    assert broker.account_value("GBP") == pytest.approx((1_000_000 + pnl_eur * eurusd) / gbpusd)


def test_limit_order_fills_only_when_the_price_crosses(broker, market, clock):
    days = market.daily_bars("GOLD", "20241200", CLOSE + 30 * DAY).loc[CLOSE + DAY:]
    asks = days["FINAL"] + 0.07  # GOLD spread cost 0.07
    now_ask = final(market, "GOLD", "20241200", CLOSE) + 0.07
    limit = float(asks[asks < now_ask].min()) + 0.01 if (asks < now_ask).any() else None
    assert limit is not None, "the test needs a later day cheaper than today"
    crossing_day = asks[asks <= limit].index[0]
    order = broker.submit_order(outright("GOLD", "20241200", 1, limit))
    assert order.status is OrderStatus.SUBMITTED and order.filled_quantity == 0
    while clock.now() < crossing_day:
        assert broker.open_orders()[0].filled_quantity == 0
        assert broker.positions() == []
        clock.advance(DAY)
    assert broker.open_orders() == []
    done = broker.get_order(order.broker_order_id)
    assert done.status is OrderStatus.FILLED
    assert done.average_fill_price == pytest.approx(asks.loc[crossing_day]) and done.average_fill_price <= limit
    assert broker.fills()[0].time == crossing_day.to_pydatetime()


def test_calendar_spread_trades_each_leg_at_its_side(broker, market):
    near, far = final(market, "US10", "20240900", CLOSE), final(market, "US10", "20241200", CLOSE)
    request = OrderRequest("US10", (OrderLeg("20240900", 1), OrderLeg("20241200", -1)), 2)
    order = broker.submit_order(request)
    # buying the spread buys the near leg at its ask and sells the far leg at its bid (spread 0.008)
    assert order.average_fill_price == pytest.approx((near + 0.008) - (far - 0.008))
    legs = {(f.contract_id, f.quantity, f.price, f.commission) for f in broker.fills()}
    assert legs == {("20240900", 2, near + 0.008, 3.0), ("20241200", -2, far - 0.008, 3.0)}
    assert {(p.contract_id, p.position) for p in broker.positions()} == {("20240900", 2), ("20241200", -2)}
    # a spread limit below the market's spread price rests
    resting = broker.submit_order(OrderRequest(
        "US10", (OrderLeg("20240900", 1), OrderLeg("20241200", -1)), 1, OrderType.LIMIT, near - far - 1.0))
    assert resting.status is OrderStatus.SUBMITTED


def test_partial_fills_and_latency_from_config(tmp_path, market, clock):
    broker = make_broker(tmp_path, market, clock, partial_fill_fraction=0.5, fill_latency_seconds=3600)
    clock.set(CLOSE - dt.timedelta(hours=2))  # 17:00; fills come an hour after each event
    order = broker.submit_order(outright("SP500", "20240900", 10))
    assert order.status is OrderStatus.SUBMITTED and order.filled_quantity == 0
    clock.advance(dt.timedelta(minutes=30))
    assert broker.get_order(order.broker_order_id).filled_quantity == 0
    clock.advance(dt.timedelta(minutes=30))  # 18:00: half of 10
    first = broker.get_order(order.broker_order_id)
    assert (first.status, first.filled_quantity) == (OrderStatus.PARTIALLY_FILLED, 5)
    hourly = market.hourly_bars("SP500", "20240900", clock.now())
    assert broker.fills()[0].price == pytest.approx(float(hourly["FINAL"].iloc[-1]) + 0.125)
    clock.advance(dt.timedelta(hours=1))  # 19:00 (the close): half of the 5 left, rounded up
    assert broker.get_order(order.broker_order_id).filled_quantity == 8
    clock.advance(dt.timedelta(hours=1))
    assert broker.get_order(order.broker_order_id).filled_quantity == 9
    clock.advance(dt.timedelta(hours=1))
    assert broker.get_order(order.broker_order_id).status is OrderStatus.FILLED
    assert [f.quantity for f in broker.fills()] == [5, 3, 1, 1]


def test_modify_cancel_and_rejections(broker, market, clock):
    mid = final(market, "GOLD", "20241200", CLOSE)
    order = broker.submit_order(outright("GOLD", "20241200", -2, mid + 50))  # sell far above market
    assert order.status is OrderStatus.SUBMITTED
    modified = broker.modify_order(order.broker_order_id, limit_price=mid - 50)  # now marketable
    assert modified.status is OrderStatus.FILLED
    assert modified.average_fill_price == pytest.approx(mid - 0.07)
    with pytest.raises(BrokerError, match="filled; it cannot be modified"):
        broker.modify_order(order.broker_order_id, limit_price=mid)
    resting = broker.submit_order(outright("GOLD", "20241200", 1, mid - 50))
    cancelled = broker.cancel_order(resting.broker_order_id)
    assert cancelled.status is OrderStatus.CANCELLED and broker.open_orders() == []
    assert [(p.contract_id, p.position) for p in broker.positions()] == [("20241200", -2)]
    expired = broker.submit_order(outright("GOLD", "20240400", 1))  # expired 27 April
    assert expired.status is OrderStatus.REJECTED and "not trading" in expired.reject_reason
    unknown = broker.submit_order(outright("NOPE", "20240600", 1))
    assert unknown.status is OrderStatus.REJECTED and "NOPE" in unknown.reject_reason
    with pytest.raises(BrokerError, match="non-zero"):
        broker.submit_order(outright("GOLD", "20241200", 0))
    with pytest.raises(BrokerError, match="no broker order"):
        broker.get_order("999")


def test_resting_order_is_cancelled_when_its_contract_expires(broker, market, clock):
    mid = final(market, "GAS_US", "20240700", CLOSE)
    order = broker.submit_order(outright("GAS_US", "20240700", 1, mid * 0.5))
    clock.set(dt.datetime.combine(market.contract_expiry("GAS_US", "20240700") + DAY, CLOSE.time()))
    after = broker.get_order(order.broker_order_id)
    assert after.status is OrderStatus.CANCELLED and "expired" in after.reject_reason
