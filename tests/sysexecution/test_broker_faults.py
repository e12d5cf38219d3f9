"""Broker faults end in consistent states: what the stacks, the positions and the broker say
agree afterwards (the same checks as the crash-safety test), a rejected order leaves nothing
locked or claimed, a disconnect is retried later (never lost, never sent twice), and a partial
fill that never completes is cancelled at stop with its filled part booked.

Faults are added with the real `sysprod broker fault add` command, as a user does (or its fault
book, in this process), into the installation's real SQLite file; the stack handler's steps run in this process (each one pass,
as the process loop does), and the partial fill runs the real stack handler process to its stop.
"""

from __future__ import annotations

from sysbrokers.sim.faults import FaultBook
from sysdata.data_blob import DataBlob
from sysexecution.stack_handler import (
    check_external_position_break,
    create_broker_orders_from_contract_orders,
    handle_completed_orders,
    process_fills_stack,
    spawn_children_from_new_instrument_orders,
)
from sysexecution.stack_handler.broker_orders import MAX_REJECTIONS
from sysobjects.orders import InstrumentOrder, OrderState
from tests.sysexecution.stack_harness import (  # noqa: F401  (stack_template: a fixture)
    advance_clock,
    book_problems,
    broker_book,
    copy_installation,
    sim_orders,
    stack_template,
    start_handler,
    stop_handler,
    sysprod,
    wait_until,
)

STEPS = (check_external_position_break, spawn_children_from_new_instrument_orders,
         create_broker_orders_from_contract_orders, process_fills_stack, handle_completed_orders)


def one_pass(data: DataBlob) -> dict[str, dict[str, str]]:
    """The order steps once, in the process's order; the failed items of each."""
    return {step.__name__: dict(step(data).failed) for step in STEPS}


def add_fault(data: DataBlob, *args: str) -> None:
    """`sysprod broker fault add ARGS`, the command a user types."""
    result = sysprod(data.data_root, "broker", "fault", "add", *args)
    assert result.returncode == 0 and result.stdout.startswith("added fault"), result.stderr


def faults(data: DataBlob) -> FaultBook:
    """The same fault book, in this process (quicker than the command)."""
    return FaultBook(data.documents, data.clock)


def order(data: DataBlob, trade: int, instrument: str = "BUND") -> int:
    return data.instrument_orders.add(InstrumentOrder("classic", instrument, trade, "market", None, None),
                                      data.clock.now())


def nothing_claimed_or_locked(data: DataBlob) -> None:
    stacks = (data.instrument_orders, data.contract_orders, data.broker_orders)
    assert [o for s in stacks for o in s.all() if o.locked_by is not None] == []
    assert data.instrument_locks.all() == {}


def test_a_rejected_order_is_sent_again_and_fills_once_and_nothing_stays_locked(tmp_path, stack_template):  # noqa: F811
    data = copy_installation(stack_template, tmp_path / "root")
    add_fault(data, "reject", "--instrument", "BUND")
    oid = order(data, 3)
    failed = one_pass(data)
    [rejected] = data.broker_orders.all()
    assert rejected.state is OrderState.CANCELLED and rejected.broker_status == "rejected"
    assert list(failed["create_broker_orders_from_contract_orders"].values()) == [
        "rejected by the broker: rejected by the simulated broker (injected fault)"]
    nothing_claimed_or_locked(data)
    assert data.contract_positions.all() == {}

    one_pass(data)  # the contract order is sent again; this time it fills
    one_pass(data)
    assert data.instrument_orders.all() == [] and data.broker_orders.all() == []
    [done] = data.historic_orders.instrument_orders()
    assert (done.order_id, done.state, done.filled_trade) == (oid, OrderState.COMPLETED, 3)
    assert [o["status"] for o in sim_orders(data)] == ["rejected", "filled"]
    assert book_problems(data) == []


def test_an_order_rejected_every_time_is_cancelled_and_leaves_nothing_behind(tmp_path, stack_template):  # noqa: F811
    data = copy_installation(stack_template, tmp_path / "root")
    faults(data).add("reject", MAX_REJECTIONS, instrument="GOLD")
    oid = order(data, -2, "GOLD")
    for _ in range(MAX_REJECTIONS + 1):
        one_pass(data)
    assert data.instrument_orders.all() == [] and data.contract_orders.all() == [] and data.broker_orders.all() == []
    [parent] = data.historic_orders.instrument_orders()
    [child] = data.historic_orders.contract_orders()
    assert parent.order_id == oid and parent.filled_trade == 0 and child.state is OrderState.CANCELLED
    assert [o["status"] for o in sim_orders(data)] == ["rejected"] * MAX_REJECTIONS
    assert data.contract_positions.all() == data.strategy_positions.all() == broker_book(data) == {}
    nothing_claimed_or_locked(data)
    # the checks agree on everything except that the order was not traded
    assert book_problems(data) == [f"instrument order {oid} ended completed with 0 of -2 filled"]


def test_a_disconnect_as_the_order_goes_out_is_retried_once_not_lost(tmp_path, stack_template):  # noqa: F811
    data = copy_installation(stack_template, tmp_path / "root")
    oid = order(data, 2)
    spawn_children_from_new_instrument_orders(data)
    faults(data).add("disconnect", 1)  # the next broker call: the order's submit
    failed = create_broker_orders_from_contract_orders(data).failed
    [record] = data.broker_orders.all()
    assert record.broker_order_id is None  # stored before sending, not confirmed sent
    assert "not confirmed sent: simulated broker disconnected" in " ".join(failed.values())
    assert sim_orders(data) == []  # it never reached the broker

    faults(data).add("disconnect", 3)  # still down for the next calls
    for _ in range(4):
        one_pass(data)
    assert faults(data).list() == []  # the disconnect is over
    one_pass(data)
    [sent] = sim_orders(data)
    assert sent["request"]["reference"] == str(record.order_id)  # sent once, for that record
    [done] = data.historic_orders.instrument_orders()
    assert (done.order_id, done.filled_trade) == (oid, 2)
    assert book_problems(data) == []
    nothing_claimed_or_locked(data)


def test_fills_that_come_while_disconnected_are_booked_once_afterwards(tmp_path, stack_template):  # noqa: F811
    data = copy_installation(stack_template, tmp_path / "root", sim_fill_latency_seconds=60)
    order(data, -3, "US10")
    one_pass(data)  # sent; fills a minute later
    [record] = data.broker_orders.all()
    assert record.broker_order_id is not None and data.contract_positions.all() == {}
    faults(data).add("disconnect", 2)
    advance_clock(data, 61)
    assert process_fills_stack(data).failed and process_fills_stack(data).failed  # could not ask
    assert data.contract_positions.all() == {} and data.broker_orders.get(record.order_id).fills == ()
    for _ in range(2):
        one_pass(data)
    assert book_problems(data) == []
    assert data.strategy_positions.all() == {("classic", "US10"): -3}


def test_a_partial_fill_that_never_completes_is_cancelled_at_stop_with_its_fill_booked(tmp_path, stack_template):  # noqa: F811
    data = copy_installation(stack_template, tmp_path / "root")
    add_fault(data, "partial", "--fraction", "0.5", "--instrument", "SP500")
    oid = order(data, 4, "SP500")
    log = tmp_path / "stack_handler.log"
    handler = start_handler(data.data_root, log)
    booked = wait_until(lambda: data.strategy_positions.get("classic", "SP500") == 2, 120,
                        tick=lambda: advance_clock(data, 30))
    working = [o for o in sim_orders(data) if o["open"]]
    assert stop_handler(data, handler) == 0, log.read_text()[-3000:]
    assert booked, log.read_text()[-3000:]
    assert [(o["filled_quantity"], o["request"]["quantity"]) for o in working] == [(2, 4)]
    # at stop: cancelled at the broker, the filled half booked, the family moved to history
    assert [o["status"] for o in sim_orders(data)] == ["cancelled"]
    assert data.instrument_orders.all() == [] and data.broker_orders.all() == []
    [parent] = data.historic_orders.instrument_orders()
    assert (parent.order_id, parent.filled_trade, parent.trade) == (oid, 2, 4)
    assert parent.state is not OrderState.NEW and parent.is_finished
    assert book_problems(data) == [f"instrument order {oid} ended {parent.state.value} with 2 of 4 filled"]
    nothing_claimed_or_locked(data)
    assert "safe_stack_removal" in log.read_text()
