"""Spawning rules by roll state, worked by hand (pure)."""

from __future__ import annotations

import pandas as pd
import pytest

from syscore.exceptions import DataValidationError
from sysexecution.spawning import child_trades, price_in_other_contract, roll_children
from sysobjects.orders import ContractLeg, OrderState
from sysobjects.roll_state import RollState as R

P, F = "20260300", "20260600"


@pytest.mark.parametrize("state, trade, priced_pos, forward_pos, expected", [
    (R.NO_ROLL, 5, 3, 0, {P: 5}),
    (R.NO_ROLL, -7, 3, 0, {P: -7}),
    (R.PASSIVE, 2, 0, 0, {F: 2}),  # nothing in priced: all in the forward
    (R.PASSIVE, 2, 3, 0, {F: 2}),  # increasing: forward
    (R.PASSIVE, -2, 3, 0, {P: -2}),  # reducing, stays long: priced
    (R.PASSIVE, -3, 3, 0, {P: -3}),  # reducing to zero: priced
    (R.PASSIVE, -5, 3, 0, {P: -3, F: -2}),  # crossing zero: close priced, open the rest in forward
    (R.PASSIVE, 4, -1, 0, {P: 1, F: 3}),
    (R.CLOSE, -2, 3, 0, {P: -2}),
    (R.CLOSE, -5, 3, 0, {P: -3}),  # opening part dropped
    (R.NO_OPEN, -5, 3, 0, {P: -3}),
    (R.NO_OPEN, -5, 3, 1, {P: -3, F: -1}),  # reduce priced first, then forward
    (R.NO_OPEN, -2, 0, 4, {F: -2}),
])
def test_children_by_roll_state(state, trade, priced_pos, forward_pos, expected):
    decision = child_trades(state, trade, P, F, priced_pos, forward_pos)
    assert not decision.wait
    assert decision.trades == expected
    assert all(len(legs) == 1 for legs in decision.children)  # strategy orders are outrights


@pytest.mark.parametrize("state", [R.FORCE, R.FORCE_OUTRIGHT, R.ROLL_ADJUSTED])
def test_strategy_orders_wait_while_rolling(state):
    decision = child_trades(state, 4, P, F, 3)
    assert decision.wait and decision.children == ()


@pytest.mark.parametrize("state, trade, priced_pos, forward_pos", [
    (R.CLOSE, 2, 3, 0),  # increasing: nothing to close
    (R.CLOSE, -2, 0, 5),  # nothing in priced
    (R.NO_OPEN, 2, 3, 0),
    (R.NO_OPEN, 1, 0, 0),
])
def test_nothing_allowed_cancels_the_order(state, trade, priced_pos, forward_pos):
    decision = child_trades(state, trade, P, F, priced_pos, forward_pos)
    assert decision.children == () and decision.finish_state is OrderState.CANCELLED
    assert not decision.wait


def test_zero_trade_completes_without_children():
    decision = child_trades(R.NO_ROLL, 0, P, F, 3)
    assert decision.children == () and decision.finish_state is OrderState.COMPLETED


def test_passive_without_a_forward_contract_says_so():
    with pytest.raises(DataValidationError, match="no forward contract|there is none distinct"):
        child_trades(R.PASSIVE, 2, P, P, 0)


def test_roll_children():
    assert roll_children(R.FORCE, P, F, 3) == ((ContractLeg(P, -3), ContractLeg(F, 3)),)
    assert roll_children(R.FORCE_OUTRIGHT, P, F, -2) == ((ContractLeg(P, 2),), (ContractLeg(F, -2),))
    assert roll_children(R.FORCE, P, F, 0) == ()
    assert roll_children(R.PASSIVE, P, F, 3) == ()


def test_price_moved_by_the_latest_common_differential():
    days = pd.to_datetime(["2026-01-05", "2026-01-06", "2026-01-07"])
    near = pd.Series([100.0, 101.0, 102.0], index=days)
    far = pd.Series([99.0, 99.5], index=days[:2])
    assert price_in_other_contract(101.2, near, far) == pytest.approx(101.2 + 99.5 - 101.0)
    assert price_in_other_contract(1.0, near, pd.Series(dtype=float)) is None
