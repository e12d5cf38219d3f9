"""One set of protocol tests that every broker passes: the simulated broker, and the IB broker
(real ib_async) on the fake IB Gateway serving the same synthetic market at the same clock."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from sysbrokers.broker import BarFrequency, OrderLeg, OrderRequest, OrderStatus, OrderType
from sysbrokers.sim.market import fx_pair_prices
from syscore.exceptions import BrokerError, BrokerNoData
from tests.sysbrokers.conftest import make_broker
from tests.sysbrokers.ib.conftest import make_ib
from tests.sysbrokers.ib.fake_gateway import FakeGateway

CODE = "GOLD"


@pytest.fixture(params=["sim", "ib"])
def broker(request, tmp_path, market, clock):
    if request.param == "sim":
        yield make_broker(tmp_path, market, clock)
        return
    gateway = FakeGateway(market, clock.now).start()
    ib = make_ib(tmp_path, gateway, clock)
    yield ib
    ib.close()
    gateway.stop()


def _outright(contract: str, quantity: int, **kw) -> OrderRequest:
    return OrderRequest(CODE, (OrderLeg(contract),), quantity, reference=kw.pop("reference", "ref-1"), **kw)


def test_market_data_is_the_market_s(broker, market, clock):
    listed = market.listed_contracts(CODE, clock.now())
    assert broker.trading_contracts(CODE) == listed
    front = listed[0]
    details = broker.contract_details(CODE, front)
    assert (details.expiry, details.pointsize, details.currency, details.trading) == (
        market.contract_expiry(CODE, front), 100.0, "USD", True)
    start = dt.datetime(2024, 5, 1)
    daily = broker.contract_bars(CODE, front, BarFrequency.DAILY, start)
    expected = market.daily_bars(CODE, front, clock.now())
    pd.testing.assert_frame_equal(daily, expected[expected.index >= start], check_freq=False, check_names=False)
    hourly = broker.contract_bars(CODE, front, BarFrequency.HOURLY, dt.datetime(2024, 6, 3))
    expected_h = market.hourly_bars(CODE, front, clock.now())
    pd.testing.assert_frame_equal(hourly, expected_h[expected_h.index >= dt.datetime(2024, 6, 3)],
                                  check_freq=False, check_names=False)
    fx = broker.fx_prices("GBPUSD", dt.datetime(2024, 5, 1))
    expected_fx = fx_pair_prices(market, "GBPUSD", clock.now())
    pd.testing.assert_series_equal(fx, expected_fx[expected_fx.index >= dt.datetime(2024, 5, 1)],
                                   check_freq=False, check_names=False)
    quote = broker.quote(CODE, front)
    assert quote.bid < quote.ask


def test_errors_are_broker_errors(broker):
    with pytest.raises(BrokerNoData):
        broker.fx_prices("CHFUSD")
    with pytest.raises(BrokerError, match="GBP"):
        broker.fx_prices("gbp")
    with pytest.raises(BrokerError):
        broker.get_order("999999")
    with pytest.raises(BrokerError, match="limit"):
        broker.submit_order(_outright("20240600", 1, order_type=OrderType.LIMIT))


def test_market_order_fills_into_a_position_with_commission(broker, market, clock):
    front = market.listed_contracts(CODE, clock.now())[0]
    quote = broker.quote(CODE, front)
    before = broker.account_value("USD")
    assert before == pytest.approx(1_000_000.0)

    order = broker.submit_order(_outright(front, 2, reference="co-7"))

    assert (order.status, order.filled_quantity) == (OrderStatus.FILLED, 2)
    assert order.average_fill_price == pytest.approx(quote.ask)
    [fill] = broker.fills()
    assert (fill.broker_order_id, fill.reference, fill.contract_id, fill.quantity, fill.time) == (
        order.broker_order_id, "co-7", front, 2, clock.now())
    assert fill.price == pytest.approx(quote.ask) and fill.commission > 0
    assert [(p.instrument_code, p.contract_id, p.position) for p in broker.positions()] == [(CODE, front, 2)]
    # marked at the mid: the half spread paid on 2 contracts x 100, and the commission
    half_spread = (quote.ask - quote.bid) / 2
    assert broker.account_value("USD") == pytest.approx(before - 2 * 100 * half_spread - fill.commission)
    assert broker.get_order(order.broker_order_id).status is OrderStatus.FILLED
    assert broker.open_orders() == []
    assert broker.fills(since=clock.now() + dt.timedelta(seconds=1)) == []


def test_limit_order_works_is_modified_and_cancelled(broker, market, clock):
    front = market.listed_contracts(CODE, clock.now())[0]
    quote = broker.quote(CODE, front)
    order = broker.submit_order(_outright(front, 3, order_type=OrderType.LIMIT, limit_price=quote.bid - 50))
    assert order.status is OrderStatus.SUBMITTED
    assert [o.broker_order_id for o in broker.open_orders()] == [order.broker_order_id]

    smaller = broker.modify_order(order.broker_order_id, quantity=2)
    assert (smaller.status, smaller.request.quantity) == (OrderStatus.SUBMITTED, 2)
    cancelled = broker.cancel_order(order.broker_order_id)
    assert cancelled.status is OrderStatus.CANCELLED and cancelled.filled_quantity == 0
    assert broker.open_orders() == [] and broker.positions() == []
    with pytest.raises(BrokerError, match="cannot be modified"):
        broker.modify_order(order.broker_order_id, limit_price=quote.ask)

    second = broker.submit_order(_outright(front, -1, order_type=OrderType.LIMIT, limit_price=quote.ask + 50))
    filled = broker.modify_order(second.broker_order_id, limit_price=quote.bid)
    assert (filled.status, filled.filled_quantity, filled.average_fill_price) == (
        OrderStatus.FILLED, -1, pytest.approx(quote.bid))
    assert broker.cancel_order(second.broker_order_id).status is OrderStatus.FILLED  # as it is


def test_calendar_spread_fills_both_legs(broker, market, clock):
    near, far = market.listed_contracts(CODE, clock.now())[:2]
    q_near, q_far = broker.quote(CODE, near), broker.quote(CODE, far)
    request = OrderRequest(CODE, (OrderLeg(near, -1), OrderLeg(far, 1)), 2, reference="roll-1")

    order = broker.submit_order(request)

    assert (order.status, order.filled_quantity) == (OrderStatus.FILLED, 2)
    assert order.average_fill_price == pytest.approx(q_far.ask - q_near.bid)
    legs = sorted((f.contract_id, f.quantity, round(f.price, 6)) for f in broker.fills())
    assert legs == [(near, -2, round(q_near.bid, 6)), (far, 2, round(q_far.ask, 6))]
    assert {(p.contract_id, p.position) for p in broker.positions()} == {(near, -2), (far, 2)}


def test_health_says_connected(broker):
    health = broker.health()
    assert health.connected, health.detail
