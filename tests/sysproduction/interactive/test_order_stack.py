"""interactive_order_stack driven through piped input in a real subprocess, on a simulated-broker
installation with a real SQLite file: what it shows, and that each change happens only when
confirmed, moves what it should (stacks, positions, the broker) and nothing else."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sysexecution.stack_handler import (
    create_broker_orders_from_contract_orders,
    handle_completed_orders,
    process_fills_stack,
    spawn_children_from_new_instrument_orders,
)
from sysobjects.orders import ROLL_PSEUDO_STRATEGY, InstrumentOrder, OrderState
from tests.conftest import REPO_ROOT
from tests.sysexecution.stack_harness import (  # noqa: F401  (stack_template: a fixture)
    broker_book,
    copy_installation,
    env_for,
    sim_orders,
    stack_template,
)

BUND_PRICED = "20240900"  # BUND's priced contract on the installation's trading morning
US10_PRICED = "20240900"


def run_tool(root, answers: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sysproduction.interactive_order_stack"],
        input="\n".join(answers) + "\n", capture_output=True, text=True, env=env_for(root),
        cwd=REPO_ROOT, timeout=120,
    )


def run_steps(data) -> None:
    """One pass of the stack handler's order steps, in this process."""
    for step in (spawn_children_from_new_instrument_orders, create_broker_orders_from_contract_orders,
                 process_fills_stack, handle_completed_orders):
        step(data)


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    return result.stdout


@pytest.fixture
def data(tmp_path, stack_template):  # noqa: F811
    return copy_installation(stack_template, tmp_path / "root")


def test_a_balance_trade_moves_the_book_not_the_broker_and_reconcile_marks_the_break(data):
    data.instrument_orders.add(InstrumentOrder("classic", "BUND", 3, "market", None, None), data.clock.now())
    run_steps(data)
    assert broker_book(data) == data.contract_positions.all() == {("BUND", BUND_PRICED): 3}
    sent_before = len(sim_orders(data))

    out = ok(run_tool(data.data_root, [
        "6", "classic", "us10", "1", "0", "2", "nan", "110.25", "fill phoned in by the broker", "N",  # refused
        "6", "classic", "US10", "1", "2", "110.25", "fill phoned in by the broker", "Y",
        "6", "2", "US10", "1", "-1", "110.5", "roll leg missed", "Y",  # the roll pseudo-strategy
        "4", "9", "0",
    ]))
    # the first was not confirmed: the second and third are the only changes
    assert out.count("not recorded") == 1
    assert data.strategy_positions.all() == {("classic", "BUND"): 3, ("classic", "US10"): 2}
    assert data.contract_positions.all() == {("BUND", BUND_PRICED): 3, ("US10", US10_PRICED): 1}
    assert len(sim_orders(data)) == sent_before  # nothing went to the broker
    assert broker_book(data) == {("BUND", BUND_PRICED): 3}
    booked = {f["fill_id"]: f for f in data.historic_orders.fills()}
    balances = [f for f in booked.values() if f["fill_id"].startswith("balance-")]
    assert sorted((f["strategy_name"], f["quantity"], f["price"]) for f in balances) == [
        (ROLL_PSEUDO_STRATEGY, -1, 110.5), ("classic", 2, 110.25)]
    # before and after, as the user saw them
    assert "  strategy position classic/US10: 0\n" in out and "  strategy position classic/US10: 2\n" in out
    assert "  contract position US10/20240900: 2\n  broker position US10/20240900: 0" in out
    assert "'nan' is not allowed: give a number" in out
    assert "a trade of 0 does nothing" in out
    # reconcile: BUND agrees everywhere; US10's strategies (2) differ from the book (1), and the
    # book from the broker (0)
    reconciled = out[out.index("Positions by instrument"):]
    by_instrument = reconciled[:reconciled.index("Positions by contract")].splitlines()[3:]
    rows = {line.split()[0]: line.split(maxsplit=4) for line in by_instrument}
    assert rows["BUND"] == ["BUND", "3", "3", "3"]
    assert rows["US10"] == ["US10", "2", "1", "0", "BREAK: strategies vs book, book vs broker"]
    assert "US10        20240900  1     0       BREAK" in reconciled


def test_a_manual_order_is_made_only_when_confirmed_and_the_handler_trades_it(data):
    out = ok(run_tool(data.data_root, [
        "5", "manual_book", "GOLD", "-2", "limit", "abc", "2500", "hedge", "N",
        "5", "manual_book", "GOLD", "-2", "market", "", "Y",
        "1", "0",
    ]))
    [order] = data.instrument_orders.all()
    assert (order.strategy_name, order.instrument_code, order.trade, order.order_type) == ("manual_book", "GOLD", -2, "market")
    assert order.manual_trade and order.reason == "manual trade" and order.state is OrderState.NEW
    assert "not created" in out and "'abc' is not allowed: give a number" in out
    assert "still to trade on the stack for manual_book/GOLD: 0\n" in out  # before
    assert "still to trade on the stack for manual_book/GOLD: -2\n" in out  # after
    assert f"created instrument order {order.order_id}" in out
    run_steps(data)  # the stack handler works a manual order like any other
    assert data.strategy_positions.all() == {("manual_book", "GOLD"): -2}
    assert sum(broker_book(data).values()) == -2


def test_cancel_takes_the_family_off_the_stacks_and_the_broker(tmp_path, stack_template):  # noqa: F811
    data = copy_installation(stack_template, tmp_path / "root", sim_fill_latency_seconds=3600)
    oid = data.instrument_orders.add(InstrumentOrder("classic", "BUND", 4, "market", None, None), data.clock.now())
    run_steps(data)  # sent; the broker fills it only in an hour
    [record] = data.broker_orders.all()
    assert record.broker_order_id is not None and sim_orders(data)[0]["open"]

    out = ok(run_tool(data.data_root, ["7", "instrument", str(oid), "N", "7", "instrument", str(oid), "Y", "0"]))
    assert "nothing cancelled" in out
    assert "cancelled at the broker" in out
    assert [o["status"] for o in sim_orders(data)] == ["cancelled"]
    assert data.instrument_orders.get(oid).state is OrderState.CANCELLED
    assert [c.state for c in data.contract_orders.all()] == [OrderState.CANCELLED]
    run_steps(data)  # the handler sees the broker's cancel, and moves the family to history
    assert data.instrument_orders.all() == [] and data.broker_orders.all() == []
    assert data.contract_positions.all() == {} and broker_book(data) == {}
    # a finished order is not cancelled again: one line, back to the menu
    again = ok(run_tool(data.data_root, ["7", "instrument", str(oid), "0"]))
    assert f"error: no instrument order {oid} on the stack" in again


def test_a_lock_is_cleared_only_when_confirmed_and_mistakes_are_one_line(data):
    data.instrument_locks.lock("CORN", "position break: CORN 20240900 book 1 vs broker 0", data.clock.now())
    # the input ends in the middle of a question: the tool leaves cleanly
    out = ok(run_tool(data.data_root, ["8", "1", "N", "8", "CORN", "Y", "8", "5", "classic", "nope",
                                       "5", "a/b", "5", "classic"]))
    assert "lock kept" in out and "locks the instrument again on its next pass" in out
    assert "After: CORN unlocked" in out and not data.instrument_locks.is_locked("CORN")
    assert "no instrument is locked" in out
    assert "error: no instrument 'NOPE' with prices here" in out
    assert "error: strategy name 'a/b' is not allowed: use letters, digits and _" in out
    assert data.instrument_orders.all() == []
    assert out.rstrip().endswith("instrument code:")


def test_a_stale_claim_holds_an_order_until_cleared_by_hand(data):
    oid = data.instrument_orders.add(InstrumentOrder("classic", "BUND", 1, "market", None, None), data.clock.now())
    assert data.instrument_orders.claim(oid, "stack_handler:999999")  # its process died holding it
    run_steps(data)
    assert data.instrument_orders.get(oid).state is OrderState.NEW  # nobody touches a claimed order
    out = ok(run_tool(data.data_root, ["10", "1", "N", "10", "1", "Y", "10", "0"]))
    assert f"instrument order {oid} (BUND) claimed by stack_handler:999999" in out
    assert "claim kept" in out and f"After: instrument order {oid} unclaimed" in out
    assert "no order is claimed" in out
    run_steps(data)
    assert data.strategy_positions.all() == {("classic", "BUND"): 1}
