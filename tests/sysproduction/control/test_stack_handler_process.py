"""The stack handler as a real process (`sysprod run run_stack_handler`) on a real SQLite store
and the simulated broker: it trades an order to a position, a second copy refuses to start, and
STOP ends it cleanly after safe_stack_removal has cancelled what was working and cleared the
stacks."""

from __future__ import annotations

import datetime as dt
import re

from syscore.clock import SIM_CLOCK_FILE, SharedSimClock
from sysobjects.orders import InstrumentOrder, OrderState
from sysproduction.wiring import make_blob
from tests.sysproduction.control.helpers import start_background, sysprod, wait_for
from tests.sysproduction.synthetic_install import installation

HANDLER = "run_stack_handler"
TRADING = dt.datetime(2024, 6, 4, 10, 0)  # a Tuesday, inside the handler's 00:01-23:50 window


def test_one_stack_handler_trades_a_second_refuses_and_stop_runs_safe_stack_removal(tmp_path, tree):
    root = tmp_path / "inst"
    installation(root, tree, clock="simulated")
    SharedSimClock(root / SIM_CLOCK_FILE).set(TRADING)  # the clock stays put: the best order works on
    blob = make_blob(root, must_exist=True)
    for code, trade, order_type in (("GOLD", 2, "market"), ("SP500", 1, "best")):
        blob.instrument_orders.add(InstrumentOrder("classic", code, trade, order_type, None, None), TRADING)

    first = start_background(root, HANDLER)
    try:
        wait_for(lambda: blob.strategy_positions.get("classic", "GOLD") == 2 and len(blob.broker_orders.working()) == 1,
                 timeout=60, what="GOLD filled and SP500 working")

        second = sysprod(root, "run", HANDLER)
        assert second.returncode == 1
        assert f"{HANDLER} is already running (pid {first.pid}" in second.stderr
        assert second.stderr.count("\n") == 1  # one line, no traceback

        assert sysprod(root, "control", "set", HANDLER, "STOP").returncode == 0
        stdout, stderr = first.communicate(timeout=60)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()

    assert first.returncode == 0, stdout + stderr
    assert f"{HANDLER}: stopped (control status set to STOP)" in stdout
    assert "safe_stack_removal: ran 1, ok" in stdout
    # the every-loop steps' lines count the whole run, not their last (idle) loop
    spawned = next(line for line in stdout.splitlines() if "spawn_children_from_new_instrument_orders: ran" in line)
    assert re.search(r"ran (\d+), ok; in all \1 runs: 2 updated, \d+ unchanged, 0 spiked, 0 failed$", spawned), stdout
    assert blob.broker.open_orders() == []
    assert not (blob.instrument_orders.all() or blob.contract_orders.all() or blob.broker_orders.all())
    states = {o.instrument_code: o.state for o in blob.historic_orders.instrument_orders()}
    assert states == {"GOLD": OrderState.COMPLETED, "SP500": OrderState.CANCELLED}
    broker = {(p.instrument_code, p.contract_id): p.position for p in blob.broker.positions()}
    assert blob.contract_positions.all() == broker and sum(broker.values()) == 2
    state = blob.process_control.get(HANDLER)
    assert (state.running, state.last_outcome) == (False, "stopped")
