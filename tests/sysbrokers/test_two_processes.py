"""Separate processes (cron jobs, the stack handler) share one simulated broker through the
installation's SQLite DocumentStore and simulated clock."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

from sysbrokers.broker import OrderLeg, OrderRequest, OrderStatus, OrderType
from syscore.clock import SIM_CLOCK_FILE, SharedSimClock
from sysdata.data_blob import DataBlob
from sysproduction.wiring import make_blob

REPO = Path(__file__).resolve().parents[2]
SYSPROD = Path(sys.executable).parent / "sysprod"
CLOSE = dt.datetime(2024, 6, 4, 23, 0)


def _installation(root: Path) -> DataBlob:
    root.mkdir(parents=True, exist_ok=True)
    (root / "private_config.yaml").write_text(
        f"data_root: {root}\nbroker: sim\nclock: simulated\nsim_seed: 11\nsim_history_start: '2020-01-01'\nfsync_writes: false\n"
    )
    SharedSimClock(root / SIM_CLOCK_FILE).set(CLOSE)
    return make_blob(root)


def _sysprod(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SYSPROD_DATA_ROOT": str(root)}
    return subprocess.run([str(SYSPROD), *args], capture_output=True, text=True, env=env, cwd=REPO)


def test_orders_from_another_process_show_here(tmp_path):
    root = tmp_path / "inst"
    data = _installation(root)
    done = _sysprod(root, "broker", "submit", "SP500", "20240900", "3")
    assert done.returncode == 0, done.stderr
    assert "filled 3" in done.stdout
    assert [(p.instrument_code, p.position) for p in data.broker.positions()] == [("SP500", 3)]
    data.broker.submit_order(OrderRequest("SP500", (OrderLeg("20240900"),), -1))
    shown = _sysprod(root, "broker", "positions", "--csv")
    assert shown.stdout.splitlines()[1:] == ["SP500,20240900,2"]
    # a fault added by the CLI process rejects this process's next order
    assert _sysprod(root, "broker", "fault", "add", "reject").returncode == 0
    assert data.broker.submit_order(OrderRequest("SP500", (OrderLeg("20240900"),), 1)).status is OrderStatus.REJECTED


_WORKER = """
import sys
from sysproduction.wiring import make_blob
broker = make_blob(sys.argv[1]).broker
for _ in range(5):
    broker.open_orders()
print(len(broker.fills()))
"""


def test_two_processes_working_the_same_orders_fill_each_once(tmp_path):
    root = tmp_path / "inst"
    data = _installation(root)
    broker = data.broker
    # a later day when GOLD's ask is below today's: buy limits at that ask rest until then
    later = broker.market.daily_bars("GOLD", "20241200", CLOSE + dt.timedelta(days=30)).loc[CLOSE + dt.timedelta(days=1):]
    asks = later["FINAL"] + broker.market.spread_cost("GOLD")
    today_ask = float(broker.contract_bars("GOLD", "20241200")["FINAL"].iloc[-1]) + broker.market.spread_cost("GOLD")
    assert (asks < today_ask).any(), "the test needs a cheaper later day"
    limit = float(asks[asks < today_ask].min())
    crossing = asks[asks <= limit].index[0].to_pydatetime()
    resting = [
        broker.submit_order(OrderRequest("GOLD", (OrderLeg("20241200"),), 1, OrderType.LIMIT, limit))
        for _ in range(8)
    ]
    assert all(order.status is OrderStatus.SUBMITTED for order in resting)
    SharedSimClock(root / SIM_CLOCK_FILE).set(crossing)  # moves "now" for every process
    workers = [
        subprocess.Popen([sys.executable, "-c", _WORKER, str(root)], stdout=subprocess.PIPE, text=True, cwd=REPO)
        for _ in range(2)
    ]
    outputs = [worker.communicate(timeout=120)[0].strip() for worker in workers]
    assert all(worker.returncode == 0 for worker in workers)
    assert outputs == ["8", "8"]
    fills = broker.fills()
    assert sorted(f.broker_order_id for f in fills) == sorted(o.broker_order_id for o in resting)
    assert {f.time for f in fills} == {crossing} and {f.price for f in fills} == {float(asks.loc[crossing])}
    assert [(p.contract_id, p.position) for p in broker.positions()] == [("20241200", 8)]
