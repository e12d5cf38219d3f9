"""The execution core end to end on the simulated broker and a real SQLite file: spawning,
force-roll orders, fills booked once into positions, partial fills rolling up, families moved to
the historic stores; two real processes booking the same fills."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sysbrokers.broker import OrderLeg, OrderRequest, OrderType
from syscore.clock import SIM_CLOCK_FILE, SharedSimClock
from sysdata.data_blob import DataBlob
from sysexecution.stack_handler import (
    generate_force_roll_orders,
    handle_completed_orders,
    process_fills_stack,
    spawn_children_from_new_instrument_orders,
)
from sysobjects.orders import (
    ROLL_PSEUDO_STRATEGY,
    BrokerOrderRecord,
    InstrumentOrder,
    OrderState,
    spread_quantity_and_ratios,
)
from sysobjects.roll_state import RollState
from sysproduction.wiring import make_blob
from tests.sysproduction.conftest import tree  # noqa: F401  (the shared synthetic market fixture)
from tests.sysproduction.synthetic_install import installation

REPO = Path(__file__).resolve().parents[2]
NOW = dt.datetime(2024, 6, 4, 10, 0)  # a trading morning after the installation's history
PRICED, FORWARD = "20240900", "20241200"  # BUND's priced and forward contracts then


@pytest.fixture(scope="module")
def template(tmp_path_factory, tree):  # noqa: F811
    """One imported installation, copied for each test (importing is the slow part)."""
    root = tmp_path_factory.mktemp("template") / "inst"
    installation(root, tree, clock="simulated")
    return root


def _install(root: Path, template: Path, **settings) -> DataBlob:
    shutil.copytree(template, root)
    config = root / "private_config.yaml"
    values = yaml.safe_load(config.read_text())
    config.write_text(yaml.safe_dump({**values, "data_root": str(root), **settings}))
    SharedSimClock(root / SIM_CLOCK_FILE).set(NOW)
    return make_blob(root, must_exist=True)


def _send_all(data: DataBlob) -> list[int]:
    """What the broker-order step does, reduced to a market order per contract order (the real
    step, with trade limits and algos, is tested with it): store, send with our id, record."""
    sent = []
    for order in data.contract_orders.active():
        if order.children and any(not data.broker_orders.get(b).is_finished for b in order.children):
            continue
        legs = order.remaining_legs()
        bid = data.contract_orders.add_broker_order(
            order.order_id, BrokerOrderRecord(order.strategy_name, order.instrument_code, legs, None,
                                              algo="market", roll_order=order.roll_order), data.clock.now())
        quantity, ratios = spread_quantity_and_ratios(legs)
        request = OrderRequest(order.instrument_code, tuple(OrderLeg(leg.contract_id, r) for leg, r in zip(legs, ratios, strict=True)),
                               quantity, OrderType.MARKET, reference=str(bid))
        answer = data.broker.submit_order(request)
        data.broker_orders.mark_submitted(bid, answer.broker_order_id, answer.status.value, data.clock.now())
        sent.append(bid)
    return sent


def _order(trade: int, strategy: str = "classic", instrument: str = "BUND") -> InstrumentOrder:
    return InstrumentOrder(strategy, instrument, trade, "market", None, None)


def _broker_book(data: DataBlob) -> dict[tuple[str, str], int]:
    return {(p.instrument_code, p.contract_id): p.position for p in data.broker.positions()}


def test_an_order_becomes_a_position_once_and_its_family_moves(tmp_path, template):
    data = _install(tmp_path / "inst", template)
    oid = data.instrument_orders.add(_order(3), data.clock.now())
    spawned = spawn_children_from_new_instrument_orders(data)
    assert list(spawned.updated) == [f"classic/BUND/{oid}"] and spawned.ok
    [child] = data.contract_orders.children_of(oid)
    assert [(leg.contract_id, leg.trade) for leg in child.legs] == [(PRICED, 3)]
    assert spawn_children_from_new_instrument_orders(data).updated == {}  # nothing new twice

    _send_all(data)
    booked = process_fills_stack(data)
    assert booked.ok and len(booked.updated) == 1
    assert data.contract_positions.for_instrument("BUND") == {PRICED: 3}
    assert data.strategy_positions.for_strategy("classic") == {"BUND": 3}
    again = process_fills_stack(data)  # the same fills reported again: booked once only
    assert again.updated == {} and data.contract_positions.get("BUND", PRICED) == 3
    assert data.instrument_orders.get(oid).filled_trade == 3

    moved = handle_completed_orders(data)
    assert list(moved.updated) == [f"classic/BUND/{oid}"]
    assert data.instrument_orders.all() == [] and data.broker_orders.all() == []
    [done] = data.historic_orders.instrument_orders()
    assert done.state is OrderState.COMPLETED and done.fill_price is not None
    assert _broker_book(data) == data.contract_positions.all() == {("BUND", PRICED): 3}


def test_partial_fills_roll_up_until_complete(tmp_path, template):
    data = _install(tmp_path / "inst", template, sim_partial_fill_fraction=0.5, sim_fill_latency_seconds=60)
    oid = data.instrument_orders.add(_order(-8), data.clock.now())
    spawn_children_from_new_instrument_orders(data)
    [bid] = _send_all(data)
    seen = []
    for _ in range(12):
        data.clock.advance(dt.timedelta(seconds=61))
        process_fills_stack(data)
        parent = data.instrument_orders.get(oid)
        seen.append(parent.filled_trade)
        if parent.filled_trade == -8:
            break
    assert seen[0] == -4 and seen[-1] == -8 and len(seen) > 2  # 4, then 2, then 1, then 1
    assert all(a >= b for a, b in zip(seen, seen[1:], strict=False))
    record = data.broker_orders.get(bid)
    assert sum(f.quantity for f in record.fills) == -8 and record.state is OrderState.COMPLETED
    assert data.strategy_positions.get("classic", "BUND") == -8
    assert _broker_book(data) == {("BUND", PRICED): -8}


def test_a_locked_instrument_gets_no_children_until_unlocked(tmp_path, template):
    data = _install(tmp_path / "inst", template)
    oid = data.instrument_orders.add(_order(2), data.clock.now())
    data.instrument_locks.lock("BUND", "position break: test", data.clock.now())
    waiting = spawn_children_from_new_instrument_orders(data)
    assert waiting.updated == {} and "locked: position break: test" in waiting.note
    assert data.instrument_orders.get(oid).state is OrderState.NEW
    data.instrument_locks.unlock("BUND")
    assert list(spawn_children_from_new_instrument_orders(data).updated) == [f"classic/BUND/{oid}"]


def _hold(data: DataBlob, trade: int) -> None:
    data.instrument_orders.add(_order(trade), data.clock.now())
    spawn_children_from_new_instrument_orders(data)
    _send_all(data)
    process_fills_stack(data)
    handle_completed_orders(data)


@pytest.mark.parametrize("state, shapes", [(RollState.FORCE, [2]), (RollState.FORCE_OUTRIGHT, [1, 1])])
def test_force_roll_orders_roll_the_priced_position_once(tmp_path, template, state, shapes):
    data = _install(tmp_path / "inst", template)
    _hold(data, 3)
    data.roll_states.set("BUND", state, data.clock.now(), "test")
    made = generate_force_roll_orders(data)
    assert list(made.updated) == ["BUND"]
    assert generate_force_roll_orders(data).updated == {}  # re-run: not duplicated
    [roll] = data.instrument_orders.active()
    assert (roll.strategy_name, roll.trade, roll.order_type, roll.roll_order) == (ROLL_PSEUDO_STRATEGY, 0, "zero_roll", True)
    kids = data.contract_orders.children_of(roll.order_id)
    assert [len(k.legs) for k in kids] == shapes
    assert {leg.contract_id: leg.trade for k in kids for leg in k.legs} == {PRICED: -3, FORWARD: 3}
    # a strategy order arriving during the roll waits
    waiting = data.instrument_orders.add(_order(1), data.clock.now())
    spawn_children_from_new_instrument_orders(data)
    assert data.instrument_orders.get(waiting).state is OrderState.NEW

    _send_all(data)
    process_fills_stack(data)
    assert data.contract_positions.for_instrument("BUND") == {FORWARD: 3}
    assert data.strategy_positions.for_strategy("classic") == {"BUND": 3}  # a roll changes no strategy
    handle_completed_orders(data)
    assert [o.order_id for o in data.instrument_orders.active()] == [waiting]
    assert generate_force_roll_orders(data).updated == {}  # nothing left in priced
    assert _broker_book(data) == data.contract_positions.all()


_POLLER = """
import sys
from sysproduction.wiring import make_blob
from sysexecution.stack_handler import process_fills_stack
data = make_blob(sys.argv[1], must_exist=True)
print(len(process_fills_stack(data).updated))
"""


def test_two_processes_polling_fills_book_each_once(tmp_path, template):
    data = _install(tmp_path / "inst", template)
    for trade, instrument in ((2, "BUND"), (-3, "SP500"), (5, "GOLD"), (1, "CORN")):
        data.instrument_orders.add(_order(trade, instrument=instrument), data.clock.now())
    spawn_children_from_new_instrument_orders(data)
    _send_all(data)
    procs = [subprocess.Popen([sys.executable, "-c", _POLLER, str(data.data_root)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, cwd=REPO) for _ in range(2)]
    results = [p.communicate(timeout=180) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in results]
    assert sum(int(out) for out, _ in results) == len(data.historic_orders.fills()) == 4
    assert data.contract_positions.all() == _broker_book(data)
    assert sorted(data.strategy_positions.for_strategy("classic").values()) == [-3, 1, 2, 5]


def test_the_steps_in_the_handler_order_take_orders_to_positions(tmp_path, template):
    from sysexecution.stack_handler import create_broker_orders_from_contract_orders

    data = _install(tmp_path / "inst", template)
    orders = {"BUND": 2, "SP500": -1, "GOLD": 4}
    for instrument, trade in orders.items():
        data.instrument_orders.add(_order(trade, instrument=instrument), data.clock.now())
    for step in (spawn_children_from_new_instrument_orders, create_broker_orders_from_contract_orders,
                 process_fills_stack, handle_completed_orders):
        assert step(data).ok, step.__name__
    assert data.instrument_orders.all() == []
    assert data.strategy_positions.for_strategy("classic") == orders
    assert data.contract_positions.all() == _broker_book(data)
    assert len(data.historic_orders.fills()) == 3


def test_reference_and_limit_prices_move_to_the_child_contract(tmp_path, template):
    data = _install(tmp_path / "inst", template)
    data.roll_states.set("BUND", RollState.PASSIVE, data.clock.now(), "test")
    near = data.contract_prices.get("BUND", PRICED)["FINAL"]
    far = data.contract_prices.get("BUND", FORWARD)["FINAL"]
    both = near.to_frame("near").join(far.to_frame("far"), how="inner").dropna().iloc[-1]
    limit = InstrumentOrder("classic", "BUND", 2, "limit", 130.0, None, limit_price=129.5, reference_contract=PRICED)
    data.instrument_orders.add(limit, data.clock.now())
    assert spawn_children_from_new_instrument_orders(data).ok
    [child] = data.contract_orders.all()
    assert child.contract_ids == (FORWARD,)  # Passive, opening: the forward contract
    assert child.limit_price == pytest.approx(129.5 + both["far"] - both["near"])
    assert child.reference_price == pytest.approx(130.0 + both["far"] - both["near"])

    unpriced = InstrumentOrder("classic", "BUND", 1, "limit", None, None, limit_price=1.0, reference_contract="20200300")
    oid = data.instrument_orders.add(unpriced, data.clock.now())
    summary = spawn_children_from_new_instrument_orders(data)
    assert "no common price date" in summary.failed[f"classic/BUND/{oid}"]
    assert data.instrument_orders.get(oid).state is OrderState.NEW
