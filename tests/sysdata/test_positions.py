"""Positions move only with booked fills, in the fill's transaction, once per fill id: two real
processes booking the same fills at once still count each fill once, and a process killed inside
the fill's transaction leaves no trace. On every document store backend (SQLite, MongoDB through
mongomock, MongoDB over TCP to jongodb)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from sysdata.repos.contract_positions import ContractPositions
from sysdata.repos.order_stacks import BrokerOrderStack, ContractOrderStack, InstrumentOrderStack
from sysdata.repos.strategy_positions import StrategyPositions
from sysobjects.orders import (
    ROLL_PSEUDO_STRATEGY,
    BrokerOrderRecord,
    ContractLeg,
    ContractOrder,
    FillRecord,
    InstrumentOrder,
)
from tests.sysdata.backends import open_store

REPO = Path(__file__).resolve().parents[2]
T = dt.datetime(2026, 3, 2, 14, 0)


def _working(docs, strategy, legs, trade=None, roll=False):
    """An instrument order with one contract order and one sent broker order; its broker id."""
    stack = InstrumentOrderStack(docs)
    order_type = "zero_roll" if roll else "best"
    net = sum(t for _, t in legs) if trade is None else trade
    oid = stack.add(InstrumentOrder(strategy, "SOFR", 0 if roll else net, order_type, None, None, roll_order=roll), T)
    child_legs = tuple(ContractLeg(c, t) for c, t in legs)
    [cid] = stack.spawn_children(oid, [ContractOrder(strategy, "SOFR", child_legs, None, roll_order=roll)], T)
    bid = ContractOrderStack(docs).add_broker_order(cid, BrokerOrderRecord(strategy, "SOFR", child_legs, None), T)
    BrokerOrderStack(docs).mark_submitted(bid, f"B{bid}", "submitted", T)
    return bid


def test_positions_equal_the_sum_of_fills_and_a_replay_changes_nothing(docs):
    brokers = BrokerOrderStack(docs)
    contracts, strategies = ContractPositions(docs), StrategyPositions(docs)
    buy = _working(docs, "classic", [("20260300", 5)])
    sell = _working(docs, "other", [("20260300", -2)])
    fills = [(buy, FillRecord("f1", "20260300", 3, 96.0, T)), (sell, FillRecord("f2", "20260300", -2, 96.1, T)),
             (buy, FillRecord("f3", "20260300", 2, 96.2, T))]
    for bid, fill in fills + fills:  # every fill twice
        brokers.apply_fill(bid, fill, T)
    assert contracts.get("SOFR", "20260300") == 3 + -2 + 2
    assert strategies.for_strategy("classic") == {"SOFR": 5}
    assert strategies.all() == {("classic", "SOFR"): 5, ("other", "SOFR"): -2}
    assert ContractPositions(docs).all() == {("SOFR", "20260300"): 3}
    assert docs.get("contract_positions", "SOFR/20260300")["last_fill_id"] == "f3"


def test_a_roll_moves_contract_positions_and_no_strategy_position(docs):
    brokers = BrokerOrderStack(docs)
    bid = _working(docs, ROLL_PSEUDO_STRATEGY, [("20260300", -4), ("20260600", 4)], roll=True)
    brokers.apply_fill(bid, FillRecord("r1", "20260300", -4, 96.0, T), T)
    brokers.apply_fill(bid, FillRecord("r2", "20260600", 4, 95.8, T), T)
    assert ContractPositions(docs).for_instrument("SOFR") == {"20260300": -4, "20260600": 4}
    assert StrategyPositions(docs).all() == {}
    assert InstrumentOrderStack(docs).get(1).filled_trade == 0


def test_a_fill_that_fails_changes_nothing_at_all(docs):
    brokers = BrokerOrderStack(docs)
    bid = _working(docs, "classic", [("20260300", 2)])
    with pytest.raises(Exception, match="filled more than was asked"):
        brokers.apply_fill(bid, FillRecord("too-big", "20260300", 3, 96.0, T), T)
    assert ContractPositions(docs).all() == {} and StrategyPositions(docs).all() == {}
    assert brokers.get(bid).fills == () and not brokers.fill_is_booked("too-big")


def test_a_balance_trade_is_a_completed_family_with_its_position(docs):
    stack = InstrumentOrderStack(docs)
    order = InstrumentOrder("classic", "SOFR", -3, "balance", None, None, manual_trade=True, reason="mend")
    oid = stack.book_balance_trade(order, "20260300", 96.4, T)
    assert StrategyPositions(docs).get("classic", "SOFR") == -3
    assert ContractPositions(docs).get("SOFR", "20260300") == -3
    assert stack.get(oid).filled_trade == -3 and BrokerOrderStack(docs).fill_is_booked(f"balance-{oid}")


_BOOKER = """
import sys, datetime as dt
from sysdata.repos.order_stacks import BrokerOrderStack
from sysobjects.orders import FillRecord
from tests.sysdata.backends import open_store
brokers = BrokerOrderStack(open_store((sys.argv[1], sys.argv[2])))
T = dt.datetime(2026, 3, 2, 14, 0)
booked = 0
for i in range(40):
    for bid in (1, 2):
        booked += brokers.apply_fill(bid, FillRecord(f"f{bid}-{i}", "20260300", 1 if bid == 1 else -1, 96.0, T), T)
print(booked)
"""


def test_two_processes_booking_the_same_fills_count_each_once(shared_doc_spec):
    doc_spec, docs = shared_doc_spec, open_store(shared_doc_spec)
    _working(docs, "classic", [("20260300", 40)])
    _working(docs, "other", [("20260300", -40)])
    procs = [subprocess.Popen([sys.executable, "-c", _BOOKER, *doc_spec], stdout=subprocess.PIPE,
                              text=True, cwd=REPO) for _ in range(2)]
    booked = [int(p.communicate(timeout=120)[0]) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert sum(booked) == 80  # each of the 80 fills booked by exactly one process
    assert StrategyPositions(docs).all() == {("classic", "SOFR"): 40, ("other", "SOFR"): -40}
    assert ContractPositions(docs).get("SOFR", "20260300") == 0


_KILLED_MID_FILL = """
import os, signal, sys, datetime as dt
from sysdata.repos import order_stacks
from sysobjects.orders import FillRecord
from tests.sysdata.backends import open_store

def die(*args, **kwargs):  # the contract position is written, the strategy position not yet
    os.kill(os.getpid(), signal.SIGKILL)

order_stacks.StrategyPositions.change_in = staticmethod(die)
brokers = order_stacks.BrokerOrderStack(open_store((sys.argv[1], sys.argv[2])))
brokers.apply_fill(1, FillRecord("k1", "20260300", 2, 96.0, dt.datetime(2026, 3, 2, 14)), dt.datetime(2026, 3, 2, 14))
"""


def test_a_process_killed_inside_the_fill_transaction_leaves_no_trace_and_the_fill_books_once(shared_doc_spec):
    doc_spec, docs = shared_doc_spec, open_store(shared_doc_spec)
    bid = _working(docs, "classic", [("20260300", 2)])
    killed = subprocess.run([sys.executable, "-c", _KILLED_MID_FILL, *doc_spec], cwd=REPO)
    assert killed.returncode == -9
    assert ContractPositions(docs).all() == {} and BrokerOrderStack(docs).get(bid).fills == ()
    brokers = BrokerOrderStack(docs)
    assert brokers.apply_fill(bid, FillRecord("k1", "20260300", 2, 96.0, T), T)
    assert not brokers.apply_fill(bid, FillRecord("k1", "20260300", 2, 96.0, T), T)
    assert ContractPositions(docs).all() == {("SOFR", "20260300"): 2}
    assert StrategyPositions(docs).all() == {("classic", "SOFR"): 2}
