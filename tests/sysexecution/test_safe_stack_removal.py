"""safe_stack_removal: at stop, open broker orders are cancelled, fills that arrive meanwhile are
booked, every order ends completed or cancelled and the stacks are cleared; positions always
equal the broker's."""

from __future__ import annotations

import datetime as dt

from sysexecution.stack_handler import safe_stack_removal
from sysobjects.orders import BrokerOrderRecord, ContractLeg, OrderState
from tests.sysexecution.execution_helpers import (
    add_order,
    copy_installation,
    run_pass,
    sim_orders_by_reference,
)

SPAWN = ("spawn_children_from_new_instrument_orders",)


def broker_positions(blob):
    return {(p.instrument_code, p.contract_id): p.position for p in blob.broker.positions()}


def stacks_are_empty(blob):
    return not (blob.instrument_orders.all() or blob.contract_orders.all() or blob.broker_orders.all())


def test_everything_in_flight_ends_cancelled_or_completed_and_the_stacks_are_cleared(tmp_path, template):
    blob, _ = copy_installation(template, tmp_path / "inst")
    blob.broker.faults.add("partial", count=1, instrument="CORN", fraction=0.5)
    add_order(blob, "CORN", -4, "market")  # fills 2 of 4; the rest works on
    add_order(blob, "SP500", 1, "best")  # passive at the bid: nothing fills
    add_order(blob, "GOLD", 2, "market")  # fills at once
    run_pass(blob)
    blob.instrument_locks.lock("BUND", "checking prices", blob.clock.now())
    add_order(blob, "BUND", 1)  # locked: stays new
    # and a record stored by a pass that was killed before sending it
    add_order(blob, "EUR", 3)
    run_pass(blob, SPAWN)
    (eur,) = blob.contract_orders.active(instrument="EUR")
    record = BrokerOrderRecord("classic", "EUR", (ContractLeg(eur.legs[0].contract_id, 3),), eur.order_id)
    unsent = blob.contract_orders.add_broker_order(eur.order_id, record, blob.clock.now())
    assert len(blob.broker.open_orders()) == 2

    summary = safe_stack_removal(blob)

    assert summary.ok, summary.failed
    assert blob.broker.open_orders() == []
    assert stacks_are_empty(blob)
    assert str(unsent) not in sim_orders_by_reference(blob)  # never sent at stop
    assert blob.contract_positions.all() == broker_positions(blob)
    assert blob.strategy_positions.all() == {("classic", "CORN"): -2, ("classic", "GOLD"): 2}
    parents = {o.instrument_code: o for o in blob.historic_orders.instrument_orders()}
    assert {code: (o.state, o.filled_trade) for code, o in parents.items()} == {
        "CORN": (OrderState.CANCELLED, -2), "SP500": (OrderState.CANCELLED, 0),
        "GOLD": (OrderState.COMPLETED, 2), "BUND": (OrderState.CANCELLED, 0), "EUR": (OrderState.CANCELLED, 0),
    }
    records = {r.instrument_code: r for r in blob.historic_orders.broker_orders()}
    assert records["CORN"].state is OrderState.CANCELLED and records["CORN"].legs[0].filled == -2
    assert records["EUR"].state is OrderState.CANCELLED and records["EUR"].broker_order_id is None
    # the trade limits count what was used: 2 of CORN's 4 (given back at the cancel), nothing of SP500
    assert [r.contracts for r in blob.trade_limits.records("CORN")] == [2]
    assert blob.trade_limits.records("SP500") == []
    assert "0 instrument order(s) left on the stack" in summary.note


def test_a_fill_arriving_while_cancelling_is_booked(tmp_path, template):
    blob, clock = copy_installation(template, tmp_path / "inst", sim_fill_latency_seconds=60)
    add_order(blob, "GOLD", 3, "market")
    run_pass(blob)  # sent; the broker fills it only after a minute
    (record,) = blob.broker_orders.working()
    assert record.legs[0].filled == 0
    clock.advance(dt.timedelta(minutes=2))

    summary = safe_stack_removal(blob)  # the cancel finds it filled

    assert summary.ok, summary.failed
    (done,) = blob.historic_orders.broker_orders()
    assert (done.state, done.legs[0].filled) == (OrderState.COMPLETED, 3)
    assert blob.historic_orders.instrument_orders()[0].state is OrderState.COMPLETED
    assert blob.strategy_positions.get("classic", "GOLD") == 3
    assert blob.contract_positions.all() == broker_positions(blob)
    assert stacks_are_empty(blob)


def test_a_broker_that_cannot_cancel_leaves_the_family_whole_until_the_next_try(tmp_path, template):
    blob, _ = copy_installation(template, tmp_path / "inst")
    add_order(blob, "SP500", 1, "best")
    add_order(blob, "GOLD", 1, "market")
    run_pass(blob)
    blob.broker.faults.add("disconnect", count=2)

    summary = safe_stack_removal(blob)

    assert not summary.ok
    assert any("its broker order is still working" in why for why in summary.failed.values())
    assert [o.instrument_code for o in blob.instrument_orders.all()] == ["SP500"]  # left whole
    assert len(blob.broker.open_orders()) == 1

    again = safe_stack_removal(blob)
    assert again.ok, again.failed
    assert stacks_are_empty(blob) and blob.broker.open_orders() == []
