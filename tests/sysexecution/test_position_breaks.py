"""check_external_position_break: a break locks the instrument and is logged CRITICAL once; it
clears itself (and only its own lock) when broker and book agree again; orders in flight are not
judged. The pure comparison is worked by hand first."""

from __future__ import annotations

import logging

import pytest

from sysbrokers.broker import OrderLeg, OrderRequest
from sysexecution.stack_handler import (
    check_external_position_break,
    spawn_children_from_new_instrument_orders,
)
from sysobjects.orders import InstrumentOrder
from sysobjects.position_breaks import PositionBreak, position_breaks
from tests.sysexecution.execution_helpers import add_order, copy_installation, run_pass

LOGGER = "sysexecution.stack_handler.position_breaks"


def test_breaks_compare_contract_by_contract():
    book = {("GOLD", "20240800"): 2, ("CORN", "20241200"): -3, ("SP500", "20240600"): 1}
    broker = {("GOLD", "20240800"): 2, ("CORN", "20241200"): -1, ("BUND", "20240900"): 4}
    found = position_breaks(book, broker, in_flight=["SP500"])
    assert found == {
        "CORN": PositionBreak("CORN", (("20241200", -3, -1),)),
        "BUND": PositionBreak("BUND", (("20240900", 0, 4),)),
    }  # GOLD agrees; SP500 has an order in flight, so it is not judged
    assert found["CORN"].describe() == "position break: CORN 20241200 book -3 vs broker -1"


@pytest.fixture
def blob(tmp_path, template):
    blob, _ = copy_installation(template, tmp_path / "inst")
    return blob


def broker_trade(blob, instrument, quantity):
    """A trade at the broker that the book never hears of (made by hand at the broker)."""
    contract = blob.broker.trading_contracts(instrument)[0]
    blob.broker.submit_order(OrderRequest(instrument, (OrderLeg(contract),), quantity))
    return contract


def criticals(caplog):
    return [r.getMessage() for r in caplog.records if r.name == LOGGER and r.levelno == logging.CRITICAL]


def test_a_break_locks_logs_critical_once_and_clears_itself(blob, caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)
    contract = broker_trade(blob, "GOLD", 2)

    summary = check_external_position_break(blob)
    reason = f"position break: GOLD {contract} book 0 vs broker 2"
    assert summary.updated == {"GOLD": reason} and summary.ok
    assert blob.instrument_locks.reason("GOLD") == reason
    assert blob.position_breaks.is_open("GOLD")
    assert criticals(caplog) == [f"{reason}; locked: no new orders until the positions agree"]

    # the next pass finds the same break: still locked, not logged again
    summary = check_external_position_break(blob)
    assert summary.unchanged == ["GOLD"] and len(criticals(caplog)) == 1

    # a locked instrument's new order gets no children while the break is open
    add_order(blob, "GOLD", 1)
    assert spawn_children_from_new_instrument_orders(blob).unchanged == ["classic/GOLD/1"]

    # the user records the trade made at the broker as a balance trade: book and broker agree
    balance = InstrumentOrder("classic", "GOLD", 2, "balance", None, None, manual_trade=True)
    blob.instrument_orders.book_balance_trade(balance, contract, 1900.0, blob.clock.now())
    summary = check_external_position_break(blob)
    assert summary.updated == {"GOLD": "position break cleared, unlocked"}
    assert not blob.instrument_locks.is_locked("GOLD") and not blob.position_breaks.is_open("GOLD")


def test_a_lock_set_by_hand_is_neither_replaced_nor_removed(blob, caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)
    blob.instrument_locks.lock("CORN", "checking the roll by hand", blob.clock.now())
    broker_trade(blob, "CORN", -1)
    check_external_position_break(blob)
    assert blob.instrument_locks.reason("CORN") == "checking the roll by hand"
    assert blob.position_breaks.is_open("CORN") and not blob.position_breaks.get("CORN").locked_here
    assert "already locked by hand (checking the roll by hand)" in criticals(caplog)[0]
    broker_trade(blob, "CORN", 1)
    check_external_position_break(blob)
    assert not blob.position_breaks.is_open("CORN")
    assert blob.instrument_locks.reason("CORN") == "checking the roll by hand"


def test_an_instrument_with_an_order_in_flight_is_not_judged(blob):
    blob.broker.faults.add("partial", count=1, instrument="SP500", fraction=0.5)  # 1 of 2 fills, 1 works on
    add_order(blob, "SP500", 2)
    run_pass(blob)
    (working,) = blob.broker_orders.working()
    contract = working.legs[0].contract_id
    # the broker holds 1, the book 1 (booked): and more could fill at any moment
    assert blob.contract_positions.get("SP500", contract) == 1
    summary = check_external_position_break(blob)
    assert summary.updated == {} and not blob.instrument_locks.is_locked("SP500")


def test_a_broker_that_cannot_answer_fails_the_step_without_touching_locks(blob):
    broker_trade(blob, "GOLD", 2)
    check_external_position_break(blob)
    blob.broker.faults.add("disconnect", count=1)
    summary = check_external_position_break(blob)
    assert list(summary.failed) == ["broker positions"] and "disconnected" in summary.failed["broker positions"]
    assert blob.instrument_locks.is_locked("GOLD")
