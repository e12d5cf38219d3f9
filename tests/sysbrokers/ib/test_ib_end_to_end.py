"""Done means: with `broker: ib` and the config pointing at the fake IB Gateway, the daily price
jobs and the stack handler run unchanged as real processes (`sysprod run ...`), the stack handler
trading one instrument order to a fill and a position at the gateway."""

from __future__ import annotations

import datetime as dt

import pytest

from sysbrokers.factory import market_from_config
from syscore.clock import SIM_CLOCK_FILE, SharedSimClock
from sysobjects.orders import InstrumentOrder
from sysproduction.wiring import make_blob
from tests.sysbrokers.ib.fake_gateway import ACCOUNT, FakeGateway
from tests.sysproduction.control.helpers import start_background, sysprod, wait_for
from tests.sysproduction.synthetic_install import build_tree, installation

AFTER_CLOSE = dt.datetime(2024, 6, 4, 20, 0)  # Tuesday, after the 19:00 session close
TRADING = dt.datetime(2024, 6, 5, 10, 0)


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    return build_tree(tmp_path_factory.mktemp("synthetic"))


def test_price_jobs_and_stack_handler_run_on_ib(tmp_path, tree):
    root = tmp_path / "inst"
    clock = SharedSimClock(root / SIM_CLOCK_FILE)
    placeholder, _ = installation(root, tree, clock="simulated")  # the synthetic market's settings
    gateway = FakeGateway(market_from_config(placeholder.config), lambda: clock.now()).start()
    try:
        private = root / "private_config.yaml"
        private.write_text(private.read_text().replace("broker: sim", "broker: ib")
                           + f"ib_port: {gateway.port}\nbroker_account: {ACCOUNT}\n")
        clock.set(AFTER_CLOSE)
        blob = make_blob(root, must_exist=True)
        day = dt.datetime(2024, 6, 4, 19)
        assert not any(day in blob.contract_prices.get("GOLD", c).index for c in blob.contract_prices.contracts("GOLD"))

        prices = sysprod(root, "run", "run_daily_prices_updates", timeout=120)

        assert prices.returncode == 0, prices.stdout + prices.stderr
        updated = {c: blob.contract_prices.get("GOLD", c) for c in blob.contract_prices.contracts("GOLD")}
        updated = {c: frame.loc[day, "FINAL"] for c, frame in updated.items() if day in frame.index}
        assert updated and all(
            final == pytest.approx(gateway.market.daily_bars("GOLD", c, AFTER_CLOSE).loc[day, "FINAL"])
            for c, final in updated.items())
        assert any(r[0] == "20" for r in gateway.requests)  # historical data came over the wire

        clock.set(TRADING)
        blob.instrument_orders.add(InstrumentOrder("classic", "GOLD", 2, "market", None, None), TRADING)
        handler = start_background(root, "run_stack_handler")
        try:
            wait_for(lambda: blob.strategy_positions.get("classic", "GOLD") == 2, timeout=60, what="GOLD filled")
            assert sysprod(root, "control", "set", "run_stack_handler", "STOP").returncode == 0
            stdout, stderr = handler.communicate(timeout=60)
        finally:
            if handler.poll() is None:
                handler.kill()
                handler.wait()
        assert handler.returncode == 0, stdout + stderr
        held = {gateway.contracts[con_id]: position for con_id, position in gateway.positions().items()}
        assert held == blob.contract_positions.all() and list(held.values()) == [2]
        assert all(e.order.ref for e in gateway.executions)  # orderRef: our reference
        assert gateway.client_ids() == [] and blob.documents.keys("ib_client_ids") == []  # given back
        assert [p.position for p in blob.broker.positions()] == [2]  # as the adapter reads it back
        blob.broker.close()
    finally:
        gateway.stop()
