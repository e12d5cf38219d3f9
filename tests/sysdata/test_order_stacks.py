"""Order stacks on every document store backend (a real SQLite file, MongoDB through mongomock,
MongoDB over TCP to jongodb): every state change is one compare-and-set, so of two claimants
(real processes below) exactly one wins; families move whole."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from syscore.exceptions import MissingData
from sysdata.repos.order_stacks import (
    BrokerOrderStack,
    ContractOrderStack,
    HistoricOrders,
    InstrumentOrderStack,
)
from sysobjects.orders import (
    ROLL_PSEUDO_STRATEGY,
    BrokerOrderRecord,
    ContractLeg,
    ContractOrder,
    FillRecord,
    InstrumentOrder,
    OrderState,
)
from tests.sysdata.backends import open_store

REPO = Path(__file__).resolve().parents[2]
T = dt.datetime(2026, 3, 2, 14, 0)


def _order(trade=5, strategy="classic", instrument="SOFR", **kw):
    return InstrumentOrder(strategy, instrument, trade, "best", 96.5, T, **kw)


def test_add_get_active_and_outstanding(docs):
    stack = InstrumentOrderStack(docs)
    first = stack.add(_order(5), T)
    second = stack.add(_order(-2), T)
    stack.add(_order(3, instrument="BUND"), T)
    assert (first, second) == (1, 2)
    assert stack.get(first).created_datetime == T and stack.get(first).order_id == 1
    assert stack.outstanding_trade("classic", "SOFR") == 3
    assert stack.cancel(second, T)
    assert not stack.cancel(second, T)  # already finished: refused
    assert [o.order_id for o in stack.active("classic", "SOFR")] == [1]
    assert stack.outstanding_trade("classic", "SOFR") == 5
    with pytest.raises(MissingData, match="no instrument order 99 on the stack"):
        stack.get(99)


def test_claim_is_won_once_and_released_only_by_its_holder(docs):
    stack = InstrumentOrderStack(docs)
    oid = stack.add(_order(), T)
    assert stack.claim(oid, by="proc-a")
    assert not stack.claim(oid, by="proc-b")
    assert not stack.release(oid, by="proc-b")
    assert stack.release(oid, by="proc-a")
    assert stack.claim(oid, by="proc-b")


def test_a_stale_compare_and_set_is_recomputed_not_lost(docs):
    stack = InstrumentOrderStack(docs)
    oid = stack.add(_order(), T)
    calls = []

    def change(order):
        calls.append(order.reason)
        if len(calls) == 1:  # another writer slips in between our read and our write
            InstrumentOrderStack(docs).modify(oid, lambda o: o.__class__.from_dict({**o.to_dict(), "reason": "other"}))
        return order.__class__.from_dict({**order.to_dict(), "reason": order.reason + "+mine"})

    stack.modify(oid, change)
    assert calls == ["", "other"]
    assert stack.get(oid).reason == "other+mine"


def test_spawn_children_happens_once(docs):
    stack, contracts = InstrumentOrderStack(docs), ContractOrderStack(docs)
    oid = stack.add(_order(5), T)
    child = ContractOrder("classic", "SOFR", (ContractLeg("20260300", 5),), None)
    assert stack.spawn_children(oid, [child], T) == [1]
    assert stack.spawn_children(oid, [child], T) is None  # no longer new: nothing written
    assert stack.get(oid).children == (1,) and stack.get(oid).state is OrderState.IN_PROGRESS
    assert [c.parent_id for c in contracts.all()] == [oid]


def test_roll_orders_are_not_duplicated(docs):
    stack, contracts = InstrumentOrderStack(docs), ContractOrderStack(docs)
    roll = InstrumentOrder(ROLL_PSEUDO_STRATEGY, "SOFR", 0, "zero_roll", None, None, roll_order=True)
    spread = ContractOrder(ROLL_PSEUDO_STRATEGY, "SOFR", (ContractLeg("20260300", -2), ContractLeg("20260600", 2)),
                           None, roll_order=True)
    made = stack.add_with_children(roll, [spread], T, unless_active_roll=True)
    assert made == (1, [1])
    assert stack.add_with_children(roll, [spread], T, unless_active_roll=True) is None
    assert len(contracts.all()) == 1 and contracts.get(1).parent_id == 1
    assert stack.get(1).children == (1,)


def _family(docs):
    stack, contracts, brokers = InstrumentOrderStack(docs), ContractOrderStack(docs), BrokerOrderStack(docs)
    oid = stack.add(_order(5), T)
    [cid] = stack.spawn_children(oid, [ContractOrder("classic", "SOFR", (ContractLeg("20260300", 5),), None)], T)
    record = BrokerOrderRecord("classic", "SOFR", (ContractLeg("20260300", 5),), None, algo="market")
    bid = contracts.add_broker_order(cid, record, T)
    brokers.mark_submitted(bid, "SIM-1", "submitted", T)
    return oid, cid, bid


def test_fills_roll_up_once_and_complete_families_move(docs):
    stack, contracts, brokers = InstrumentOrderStack(docs), ContractOrderStack(docs), BrokerOrderStack(docs)
    historic = HistoricOrders(docs)
    oid, cid, bid = _family(docs)
    assert brokers.apply_fill(bid, FillRecord("f1", "20260300", 2, 96.0, T), T)
    assert not brokers.apply_fill(bid, FillRecord("f1", "20260300", 2, 96.0, T), T)  # replay: nothing
    assert stack.get(oid).filled_trade == 2 and contracts.get(cid).legs[0].filled == 2
    assert not historic.archive_family(oid, T)  # still working
    assert brokers.apply_fill(bid, FillRecord("f2", "20260300", 3, 97.0, T), T)
    assert brokers.get(bid).state is OrderState.COMPLETED and contracts.get(cid).state is OrderState.COMPLETED
    assert stack.get(oid).fill_price == pytest.approx(96.6)
    assert historic.archive_family(oid, T)
    assert stack.all() == [] and contracts.all() == [] and brokers.all() == []
    [done] = historic.instrument_orders(since=T)
    assert done.state is OrderState.COMPLETED and done.filled_trade == 5
    assert [b.broker_order_id for b in historic.broker_orders()] == ["SIM-1"]
    assert [f["fill_id"] for f in historic.fills()] == ["f1", "f2"]


def test_a_late_fill_after_archiving_is_booked_where_the_family_is(docs):
    brokers, historic = BrokerOrderStack(docs), HistoricOrders(docs)
    oid, cid, bid = _family(docs)
    brokers.apply_fill(bid, FillRecord("f1", "20260300", 1, 96.0, T), T)
    for cancel in (brokers.cancel(bid, T), ContractOrderStack(docs).cancel(cid, T)):
        assert cancel
    assert historic.archive_family(oid, T)
    assert brokers.apply_fill(bid, FillRecord("f2", "20260300", 1, 96.0, T), T)
    [done] = historic.instrument_orders()
    assert done.filled_trade == 2


_CLAIMER = """
import sys
from sysdata.repos.order_stacks import InstrumentOrderStack
from tests.sysdata.backends import open_store
stack = InstrumentOrderStack(open_store((sys.argv[1], sys.argv[2])))
won = [oid for oid in stack.ids() if stack.claim(oid, by=sys.argv[3])]
print(",".join(map(str, won)))
"""


def test_two_processes_claiming_the_same_orders_never_both_win(shared_doc_spec):
    doc_spec = shared_doc_spec
    stack = InstrumentOrderStack(open_store(doc_spec))
    ids = [stack.add(_order(i + 1), T) for i in range(60)]
    procs = [subprocess.Popen([sys.executable, "-c", _CLAIMER, *doc_spec, name],
                              stdout=subprocess.PIPE, text=True, cwd=REPO) for name in ("a", "b")]
    outs = [p.communicate(timeout=120)[0].strip() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    won = [set(map(int, out.split(","))) if out else set() for out in outs]
    assert won[0].isdisjoint(won[1])
    assert won[0] | won[1] == set(ids)
    holders = {o.order_id: o.locked_by for o in stack.all()}
    assert all(holders[i] == ("a" if i in won[0] else "b") for i in ids)


def test_a_contract_order_has_one_working_broker_order_at_a_time(docs):
    contracts, brokers = ContractOrderStack(docs), BrokerOrderStack(docs)
    _, cid, bid = _family(docs)
    second = BrokerOrderRecord("classic", "SOFR", (ContractLeg("20260300", 5),), None)
    assert contracts.add_broker_order(cid, second, T) is None  # the first is still working
    assert brokers.cancel(bid, T)
    assert contracts.add_broker_order(cid, second, T) == bid + 1
    assert contracts.get(cid).children == (bid, bid + 1)
