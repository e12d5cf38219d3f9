"""create_broker_orders_from_contract_orders on the simulated broker and a real SQLite store:
stored before sent (and never sent twice), trade limits first, the algos, rejections, locks."""

from __future__ import annotations

import datetime as dt

import pytest

from sysbrokers.broker import OrderLeg, OrderRequest, OrderType
from sysexecution.stack_handler import create_broker_orders_from_contract_orders
from sysobjects.orders import BrokerOrderRecord, ContractLeg, OrderState
from sysobjects.roll_state import RollState
from sysobjects.trade_limits import TradeLimit
from tests.sysexecution.execution_helpers import (
    add_order,
    copy_installation,
    run_pass,
    sim_orders_by_reference,
)

SPAWN = ("spawn_children_from_new_instrument_orders",)
BOOK = ("process_fills_stack", "handle_completed_orders")


@pytest.fixture
def blob(tmp_path, template):
    blob, _ = copy_installation(template, tmp_path / "inst")
    return blob


def contract_order_of(blob, instrument_order_id):
    (child,) = blob.contract_orders.children_of(instrument_order_id)
    return child


def store_unsent_record(blob, instrument, trade):
    """What a pass that was killed between storing and sending leaves: the record, no broker id."""
    parent = add_order(blob, instrument, trade)
    run_pass(blob, SPAWN)
    contract = contract_order_of(blob, parent)
    leg = contract.legs[0]
    record = BrokerOrderRecord("classic", instrument, (ContractLeg(leg.contract_id, trade),), contract.order_id,
                               order_type="market", algo="market", algo_comment="market: market order")
    record_id = blob.contract_orders.add_broker_order(contract.order_id, record, blob.clock.now())
    return record_id, leg.contract_id


def test_a_market_order_goes_from_instrument_order_to_position(blob):
    parent = add_order(blob, "GOLD", 2, "market")
    summaries = run_pass(blob)
    assert "classic/GOLD/1: sent +2 (market: market order)" in str(summaries["create_broker_orders_from_contract_orders"])
    (record,) = blob.historic_orders.broker_orders()
    assert (record.order_type, record.algo, record.state) == ("market", "market", OrderState.COMPLETED)
    assert record.side_price > record.mid_price > record.offside_price  # ask > mid > bid for a buy
    # the broker holds exactly one order for it, with our record id as its reference
    assert sim_orders_by_reference(blob) == {str(record.order_id): 1}
    contract = record.legs[0].contract_id
    assert blob.contract_positions.get("GOLD", contract) == 2
    assert blob.strategy_positions.get("classic", "GOLD") == 2
    assert blob.historic_orders.instrument_orders()[0].order_id == parent


def test_a_record_stored_but_never_sent_is_sent_exactly_once_after_a_restart(blob):
    record_id, contract = store_unsent_record(blob, "GOLD", 3)
    assert blob.broker_orders.unsent()[0].order_id == record_id and sim_orders_by_reference(blob) == {}

    summary = create_broker_orders_from_contract_orders(blob)  # the restarted stack handler's pass
    assert summary.ok and f"classic/GOLD/{record_id}" in summary.updated
    assert sim_orders_by_reference(blob) == {str(record_id): 1}
    assert blob.broker_orders.unsent() == []
    for _ in range(2):  # later passes never send it again, nor a second order for the contract order
        run_pass(blob)
    assert sim_orders_by_reference(blob) == {str(record_id): 1}
    assert blob.contract_positions.get("GOLD", contract) == 3


def test_a_record_sent_before_the_crash_is_found_at_the_broker_and_not_resent(blob):
    record_id, contract = store_unsent_record(blob, "GOLD", 3)
    # the killed process had sent it (the broker filled it) but never wrote the broker's id down
    sent = blob.broker.submit_order(OrderRequest("GOLD", (OrderLeg(contract),), 3, OrderType.MARKET,
                                                 reference=str(record_id)))
    create_broker_orders_from_contract_orders(blob)
    record = blob.broker_orders.get(record_id)
    assert record.broker_order_id == sent.broker_order_id
    assert sim_orders_by_reference(blob) == {str(record_id): 1}
    run_pass(blob)
    assert sim_orders_by_reference(blob) == {str(record_id): 1}
    assert blob.contract_positions.get("GOLD", contract) == 3 == {p.contract_id: p.position for p in blob.broker.positions()}[contract]


def test_a_working_order_found_at_the_broker_is_not_resent(blob):
    blob.broker.faults.add("partial", count=1, instrument="GOLD", fraction=0.0)  # it stays working
    record_id, contract = store_unsent_record(blob, "GOLD", 2)
    blob.broker.submit_order(OrderRequest("GOLD", (OrderLeg(contract),), 2, reference=str(record_id)))
    create_broker_orders_from_contract_orders(blob)
    assert blob.broker_orders.get(record_id).broker_order_id is not None
    assert sim_orders_by_reference(blob) == {str(record_id): 1}


def test_a_disconnect_while_sending_leaves_it_unsent_then_it_is_looked_up_and_sent_once(blob):
    add_order(blob, "CORN", -2, "market")
    run_pass(blob, SPAWN)
    blob.broker.faults.add("disconnect", count=1)  # the broker's next call (the submit) fails
    summary = create_broker_orders_from_contract_orders(blob)
    (record,) = blob.broker_orders.unsent()
    assert any("not confirmed sent" in why for why in summary.failed.values())
    assert sim_orders_by_reference(blob) == {}
    run_pass(blob)  # looked up at the broker (not there), then sent
    run_pass(blob)
    assert sim_orders_by_reference(blob) == {str(record.order_id): 1}
    assert blob.contract_positions.all() == {("CORN", record.legs[0].contract_id): -2}


def test_trade_limits_cut_an_order_back_then_hold_the_rest(blob, caplog):
    blob.trade_limits.set(TradeLimit("GOLD", 3, period_days=1))
    parent = add_order(blob, "GOLD", 5)
    run_pass(blob)
    first = blob.broker_orders.all() or blob.historic_orders.broker_orders()
    (record,) = first
    assert record.trade == 3 and "trade limit: cut from 5 to 3" in record.algo_comment
    with caplog.at_level("WARNING", logger="sysexecution.stack_handler.broker_orders"):
        for _ in range(3):
            summary = run_pass(blob)["create_broker_orders_from_contract_orders"]
            assert f"classic/GOLD/{contract_order_of(blob, parent).order_id}" in summary.unchanged  # held
    held = [r.getMessage() for r in caplog.records if "trade limit: held" in r.getMessage()]
    assert len(held) == 1  # said once, not on every pass
    assert len(sim_orders_by_reference(blob)) == 1
    assert blob.instrument_orders.get(parent).filled_trade == 3
    # a day later the window has room again: the remaining 2 go
    blob.clock.advance(dt.timedelta(days=1, minutes=1))
    run_pass(blob)
    assert blob.strategy_positions.get("classic", "GOLD") == 5


def test_best_waits_passively_then_crosses_the_spread_after_the_timeout(blob):
    add_order(blob, "SP500", 1, "best")
    run_pass(blob)
    (record,) = blob.broker_orders.working()
    quote = blob.broker.quote("SP500", record.legs[0].contract_id)
    assert (record.order_type, record.limit_price) == ("limit", quote.bid)  # passive at the bid
    assert not record.aggressive and blob.strategy_positions.get("classic", "SP500") == 0

    blob.clock.advance(dt.timedelta(minutes=4))  # inside the 5-minute timeout: still passive
    run_pass(blob)
    assert not blob.broker_orders.get(record.order_id).aggressive

    blob.clock.advance(dt.timedelta(minutes=2))
    summary = run_pass(blob)["create_broker_orders_from_contract_orders"]
    assert "aggressive" in summary.updated[f"classic/SP500/{record.order_id}"]
    (done,) = blob.historic_orders.broker_orders()
    assert done.aggressive and done.limit_price == blob.broker.quote("SP500", done.legs[0].contract_id).ask
    assert blob.strategy_positions.get("classic", "SP500") == 1


def test_a_rejected_order_is_cancelled_and_after_three_the_contract_order_too(blob):
    blob.broker.faults.add("reject", count=3, instrument="GOLD")
    parent = add_order(blob, "GOLD", 1)
    for _ in range(3):
        summary = run_pass(blob)["create_broker_orders_from_contract_orders"]
        assert list(summary.failed.values())[0].startswith("rejected by the broker")
    summary = run_pass(blob)["create_broker_orders_from_contract_orders"]
    assert list(summary.failed.values()) == ["cancelled after 3 rejections by the broker"]
    records = blob.historic_orders.broker_orders()
    assert [r.broker_status for r in records] == ["rejected"] * 3
    assert all(r.state is OrderState.CANCELLED for r in records)
    assert blob.historic_orders.contract_orders()[0].state is OrderState.CANCELLED
    assert sim_orders_by_reference(blob) == {str(r.order_id): 1 for r in records}
    assert blob.historic_orders.instrument_orders()[0].order_id == parent
    assert blob.trade_limits.records("GOLD") == []  # rejected orders used no limit
    assert blob.strategy_positions.get("classic", "GOLD") == 0


def test_a_locked_instrument_gets_no_broker_order(blob):
    parent = add_order(blob, "GOLD", 1)
    run_pass(blob, SPAWN)
    blob.instrument_locks.lock("GOLD", "checking a price by hand", blob.clock.now())
    summary = create_broker_orders_from_contract_orders(blob)
    assert f"classic/GOLD/{contract_order_of(blob, parent).order_id}" in summary.unchanged
    assert sim_orders_by_reference(blob) == {}
    blob.instrument_locks.unlock("GOLD")
    run_pass(blob)
    assert blob.strategy_positions.get("classic", "GOLD") == 1


def test_an_unsent_record_whose_contract_order_was_cancelled_is_never_sent(blob):
    record_id, _ = store_unsent_record(blob, "GOLD", 1)
    parent = blob.broker_orders.get(record_id).parent_id
    blob.contract_orders.cancel(parent, blob.clock.now())  # cancelled by hand meanwhile
    summary = create_broker_orders_from_contract_orders(blob)
    assert summary.updated == {
        f"classic/GOLD/{record_id}": "never sent; cancelled (its contract order is finished (cancelled meanwhile))"
    }
    assert blob.broker_orders.get(record_id).state is OrderState.CANCELLED
    assert sim_orders_by_reference(blob) == {}


def test_a_force_roll_is_one_calendar_spread_worked_by_best(blob):
    add_order(blob, "GOLD", 3)
    run_pass(blob)
    ((_, priced),) = blob.contract_positions.all()
    blob.roll_states.set("GOLD", RollState.FORCE, blob.clock.now(), "test")
    run_pass(blob, ("generate_force_roll_orders",))
    run_pass(blob)
    (record,) = blob.broker_orders.working()
    forward = next(leg.contract_id for leg in record.legs if leg.contract_id != priced)
    assert {leg.contract_id: leg.trade for leg in record.legs} == {priced: -3, forward: 3}
    near, far = (blob.broker.quote("GOLD", c) for c in (priced, forward))
    # sent as -3 of the spread (+1 priced, -1 forward); a sell waits at the spread's ask, which is
    # the priced contract's ask less the forward's bid
    assert record.trade == -3
    assert record.order_type == "limit" and record.limit_price == pytest.approx(near.ask - far.bid)
    assert (sim_orders_by_reference(blob)[str(record.order_id)], record.roll_order) == (1, True)

    blob.clock.advance(dt.timedelta(minutes=6))
    run_pass(blob)
    assert blob.contract_positions.all() == {("GOLD", forward): 3}
    assert blob.strategy_positions.get("classic", "GOLD") == 3  # a roll never changes it
    assert {(p.instrument_code, p.contract_id): p.position for p in blob.broker.positions()} == {("GOLD", forward): 3}
