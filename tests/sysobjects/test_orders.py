"""Order values: validation, round trips, fills rolling up (numbers worked by hand)."""

from __future__ import annotations

import datetime as dt

import pytest

from syscore.exceptions import DataValidationError
from sysobjects.orders import (
    BrokerOrderRecord,
    ContractLeg,
    ContractOrder,
    FillRecord,
    InstrumentOrder,
    OrderState,
    contract_legs_from_broker_orders,
    family_is_complete,
    instrument_fill_from_contract_orders,
    spread_quantity_and_ratios,
)

T = dt.datetime(2026, 3, 2, 14, 0)


def _instrument(trade=5, **kw):
    return InstrumentOrder("classic", "SOFR", trade, "best", 96.5, T, **kw)


def test_round_trips_are_exact():
    order = _instrument(limit_price=None, children=(3, 4), filled_trade=2, fill_price=96.25,
                        fill_datetime=T, state=OrderState.IN_PROGRESS, order_id=7)
    assert InstrumentOrder.from_dict(order.to_dict()) == order
    contract = ContractOrder("classic", "SOFR", (ContractLeg("20260300", -3, -1, 96.0),
                                                 ContractLeg("20260600", 3, 1, 95.5)), 7,
                             roll_order=True, children=(9,), order_id=8)
    assert ContractOrder.from_dict(contract.to_dict()) == contract
    record = BrokerOrderRecord("classic", "SOFR", (ContractLeg("20260300", 2),), 8,
                               fills=(FillRecord("f1", "20260300", 1, 96.0, T, 2.5, "USD"),),
                               side_price=96.01, mid_price=96.0, offside_price=95.99,
                               submit_datetime=T, broker_order_id="B1", extra={"switched": True})
    assert BrokerOrderRecord.from_dict(record.to_dict()) == record


@pytest.mark.parametrize("kwargs, message", [
    ({"order_type": "stop"}, "order type 'stop' unknown"),
    ({"order_type": "limit"}, "a limit order needs a limit price"),
    ({"trade": 2.5}, "whole number of contracts"),
    ({"order_type": "zero_roll"}, "a zero_roll order has trade 0"),
])
def test_bad_instrument_orders_are_refused_in_one_line(kwargs, message):
    base = {"strategy_name": "classic", "instrument_code": "SOFR", "trade": 5, "order_type": "best",
            "reference_price": None, "reference_datetime": None}
    with pytest.raises(DataValidationError, match=message):
        InstrumentOrder(**{**base, **kwargs})


def test_spread_quantity_and_ratios():
    assert spread_quantity_and_ratios([ContractLeg("A", -3), ContractLeg("B", 3)]) == (-3, (1, -1))
    assert spread_quantity_and_ratios([ContractLeg("A", 4), ContractLeg("B", -4)]) == (4, (1, -1))
    assert spread_quantity_and_ratios([ContractLeg("A", -7)]) == (-7, (1,))


def test_partial_fills_roll_up_to_each_level():
    record = BrokerOrderRecord("classic", "SOFR", (ContractLeg("20260300", 5),), 1, order_id=1)
    record = record.with_fill(FillRecord("f1", "20260300", 2, 96.0, T))
    assert record.legs[0].filled == 2 and record.state is OrderState.NEW and not record.is_filled
    record = record.with_fill(FillRecord("f1", "20260300", 2, 96.0, T))  # same id again: nothing
    assert record.legs[0].filled == 2
    record = record.with_fill(FillRecord("f2", "20260300", 3, 97.0, T))
    assert record.is_filled and record.state is OrderState.COMPLETED
    assert record.legs[0].fill_price == pytest.approx((2 * 96.0 + 3 * 97.0) / 5)  # 96.6

    parent = _instrument(5).with_fill(2, 96.0, T)
    assert parent.is_partially_filled and parent.remaining == 3
    parent = parent.with_fill(3, 97.0, T)
    assert parent.filled_trade == 5 and parent.fill_price == pytest.approx(96.6)


def test_overfill_is_refused():
    leg = ContractLeg("20260300", -2, -2)
    with pytest.raises(DataValidationError, match="filled more than was asked"):
        leg.with_fill(-1, 96.0)
    with pytest.raises(DataValidationError, match="not one of its legs"):
        BrokerOrderRecord("c", "SOFR", (ContractLeg("20260300", 2),), 1).with_fill(
            FillRecord("x", "20260600", 1, 1.0, T))


def test_roll_up_from_scratch_counts_each_fill_once():
    contract = ContractOrder("classic", "SOFR", (ContractLeg("A", -3), ContractLeg("B", 3)), 1, order_id=2)
    b1 = BrokerOrderRecord("classic", "SOFR", contract.legs, 2,
                           fills=(FillRecord("f1", "A", -2, 96.0, T), FillRecord("f2", "B", 2, 95.0, T)))
    b2 = BrokerOrderRecord("classic", "SOFR", contract.legs, 2,
                           fills=(FillRecord("f2", "B", 2, 95.0, T), FillRecord("f3", "A", -1, 96.5, T)))
    legs = contract_legs_from_broker_orders(contract, [b1, b2])
    assert [(leg.filled, leg.fill_price) for leg in legs] == [(-3, pytest.approx(96 + 1 / 6)), (2, 95.0)]
    # a spread fully filled nets to zero in the instrument position
    done = ContractOrder("classic", "SOFR", (ContractLeg("A", -3, -3), ContractLeg("B", 3, 3)), 1)
    assert instrument_fill_from_contract_orders([done]) == 0
    outrights = [ContractOrder("c", "SOFR", (ContractLeg("A", -2, -2),), 1),
                 ContractOrder("c", "SOFR", (ContractLeg("B", 5, 4),), 1)]
    assert instrument_fill_from_contract_orders(outrights) == 2


def test_family_completeness():
    parent = _instrument(5, state=OrderState.IN_PROGRESS, children=(2,))
    child = ContractOrder("classic", "SOFR", (ContractLeg("A", 5, 5),), 1, state=OrderState.COMPLETED)
    working = BrokerOrderRecord("classic", "SOFR", (ContractLeg("A", 5, 5),), 2, state=OrderState.IN_PROGRESS)
    done = BrokerOrderRecord("classic", "SOFR", (ContractLeg("A", 5, 5),), 2, state=OrderState.COMPLETED)
    assert family_is_complete(parent, [child], [done])
    assert not family_is_complete(parent, [child], [working])
    assert not family_is_complete(_instrument(5), [], [])  # new, nothing spawned yet
    assert family_is_complete(_instrument(5, state=OrderState.CANCELLED), [], [])
