"""Each injected fault, and its countdown."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from sysbrokers.broker import OrderLeg, OrderRequest, OrderStatus, OrderType
from syscore.exceptions import BrokerError, SysprodError

from .conftest import CLOSE

DAY = dt.timedelta(days=1)


def order(instrument, contract, quantity, limit=None):
    kind = OrderType.MARKET if limit is None else OrderType.LIMIT
    return OrderRequest(instrument, (OrderLeg(contract),), quantity, kind, limit)


def test_reject_next_orders_for_one_instrument(broker):
    broker.faults.add("reject", count=2, instrument="SP500")
    assert broker.submit_order(order("DAX", "20240900", 1)).status is OrderStatus.FILLED
    first = broker.submit_order(order("SP500", "20240900", 1))
    assert first.status is OrderStatus.REJECTED and "injected fault" in first.reject_reason
    assert broker.submit_order(order("SP500", "20240900", 1)).status is OrderStatus.REJECTED
    assert broker.submit_order(order("SP500", "20240900", 1)).status is OrderStatus.FILLED
    assert broker.faults.list() == []
    assert {(p.instrument_code, p.position) for p in broker.positions()} == {("DAX", 1), ("SP500", 1)}


def test_disconnect_for_n_calls_and_health(broker):
    broker.faults.add("disconnect", count=2)
    health = broker.health()
    assert not health.connected and "2 more call(s)" in health.detail
    for _ in range(2):
        with pytest.raises(BrokerError, match="disconnected"):
            broker.positions()
    assert broker.health().connected
    assert broker.positions() == []


def test_stale_bar_returns_no_new_data(broker, clock):
    before = broker.contract_bars("GOLD", "20241200")
    broker.faults.add("stale", count=1, instrument="GOLD")
    clock.advance(DAY)
    stale = broker.contract_bars("GOLD", "20241200")
    assert stale.index[-1] == before.index[-1]
    fresh = broker.contract_bars("GOLD", "20241200")
    assert fresh.index[-1] == pd.Timestamp(CLOSE + DAY)
    # another instrument is not affected, and an FX pair can be made stale too
    broker.faults.add("stale", count=1, pair="GBPUSD")
    clock.advance(DAY)
    assert broker.fx_prices("GBPUSD").index[-1] == pd.Timestamp(CLOSE + DAY)
    assert broker.fx_prices("GBPUSD").index[-1] == pd.Timestamp(CLOSE + 2 * DAY)


def test_spike_multiplies_the_prices_of_one_bar(broker):
    honest = broker.contract_bars("US10", "20240900")
    broker.faults.add("spike", count=1, instrument="US10", contract="20240900", factor=10)
    assert broker.contract_bars("US10", "20241200")["FINAL"].iloc[-1] < honest["FINAL"].iloc[-1] * 2
    spiked = broker.contract_bars("US10", "20240900")
    assert spiked["FINAL"].iloc[-1] == pytest.approx(honest["FINAL"].iloc[-1] * 10)
    pd.testing.assert_frame_equal(spiked.iloc[:-1], honest.iloc[:-1])
    for column in ("OPEN", "HIGH", "LOW"):
        assert spiked[column].iloc[-1] == pytest.approx(honest[column].iloc[-1] * 10)
    assert spiked["VOLUME"].iloc[-1] == honest["VOLUME"].iloc[-1]
    pd.testing.assert_frame_equal(broker.contract_bars("US10", "20240900"), honest)
    rate = broker.fx_prices("EURUSD").iloc[-1]
    broker.faults.add("spike", pair="EURUSD", factor=0.5)
    assert broker.fx_prices("EURUSD").iloc[-1] == pytest.approx(rate * 0.5)


def test_partial_fill_leaves_the_rest_working_until_cancelled(broker, clock):
    broker.faults.add("partial", count=1, fraction=0.3)
    partial = broker.submit_order(order("SP500", "20240900", 10))
    assert (partial.status, partial.filled_quantity) == (OrderStatus.PARTIALLY_FILLED, 3)
    clock.advance(DAY)
    assert broker.open_orders()[0].filled_quantity == 3
    cancelled = broker.cancel_order(partial.broker_order_id)
    assert (cancelled.status, cancelled.filled_quantity) == (OrderStatus.CANCELLED, 3)
    assert [p.position for p in broker.positions()] == [3]
    # the fault was used up: the next order fills whole
    assert broker.submit_order(order("SP500", "20240900", 10)).filled_quantity == 10


def test_faults_are_listed_and_cleared(broker):
    first = broker.faults.add("reject", count=3)
    broker.faults.add("stale", instrument="GOLD")
    assert [f.describe() for f in broker.faults.list()] == [
        "#1 reject on any: next 3 order(s)", "#2 stale on GOLD: next 1 call(s)"
    ]
    assert broker.faults.clear(first.id) == 1
    with pytest.raises(SysprodError, match="no fault #1"):
        broker.faults.clear(first.id)
    assert broker.faults.clear() == 1 and broker.faults.list() == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "melt"}, "unknown"),
        ({"kind": "spike", "instrument": "GOLD"}, "--factor"),
        ({"kind": "stale"}, "--instrument"),
        ({"kind": "partial", "fraction": 1.5}, "--fraction"),
        ({"kind": "reject", "count": 0}, "at least 1"),
        ({"kind": "disconnect", "instrument": "GOLD"}, "every call"),
    ],
)
def test_bad_fault_requests_are_one_clear_error(broker, kwargs, message):
    with pytest.raises(SysprodError, match=message):
        broker.faults.add(**kwargs)
    assert broker.faults.list() == []
