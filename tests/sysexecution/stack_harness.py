"""A simulated-broker installation on a real SQLite file and the real stack handler process,
for the crash-safety, broker-fault and order-stack tool tests.

The installation runs on the simulated clock (`clock: simulated`, a file every process of the
root reads), so the test moves time for the stack handler and the simulated broker alike: an order
with fill latency stays in flight until the test advances the clock.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest
import yaml

from syscore.clock import SIM_CLOCK_FILE, SharedSimClock
from sysdata.data_blob import DataBlob
from sysobjects.orders import (
    ROLL_PSEUDO_STRATEGY,
    OrderState,
    contract_legs_from_broker_orders,
    spread_quantity_and_ratios,
)
from sysproduction.wiring import make_blob
from tests.conftest import REPO_ROOT
from tests.sysproduction.synthetic_install import installation

HANDLER = "run_stack_handler"
# A Tuesday morning, inside the stack handler's window (00:01-23:50), the day after the
# synthetic installation's history ends.
TRADING_TIME = dt.datetime(2024, 6, 4, 10, 0)


def stack_installation(root: Path, tree: Path, **settings: Any) -> DataBlob:
    """An installation of the synthetic market (imported as the demo does) on the simulated
    clock at TRADING_TIME; `settings` are extra config keys (e.g. sim_fill_latency_seconds).
    Returns a blob as the processes build it (its clock is the shared simulated one)."""
    installation(root, tree, clock="simulated", **settings)
    SharedSimClock(root / SIM_CLOCK_FILE).set(TRADING_TIME)
    return make_blob(root, must_exist=True)


def copy_installation(template: Path, root: Path, **settings: Any) -> DataBlob:
    """A copy of a stack_installation at `root` (far quicker than importing again), with extra
    config keys; its clock is where the template's was."""
    shutil.copytree(template, root)
    path = root / "private_config.yaml"
    config = yaml.safe_load(path.read_text())
    path.write_text(yaml.safe_dump({**config, "data_root": str(root), **settings}))
    return make_blob(root, must_exist=True)


_TEMPLATE: dict[str, Path] = {}


@pytest.fixture(scope="session")
def stack_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One stack_installation per test session, copied by each test (copy_installation). Built
    once even though several test modules import this fixture (each import is its own fixture
    to pytest)."""
    if "root" not in _TEMPLATE:
        from tests.sysproduction.synthetic_install import build_tree

        where = tmp_path_factory.mktemp("stack_template")
        stack_installation(where / "root", build_tree(where / "market")).documents.close()
        _TEMPLATE["root"] = where / "root"
    return _TEMPLATE["root"]


def advance_clock(blob: DataBlob, seconds: float) -> dt.datetime:
    """Move the installation's shared simulated clock (every process sees it)."""
    blob.clock.advance(dt.timedelta(seconds=seconds))
    return blob.clock.now()


def env_for(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["SYSPROD_DATA_ROOT"] = str(root)
    env["PYTHONPATH"] = str(REPO_ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("SYSPROD_CONFIG", None)
    return env


def sysprod(root: Path, *args: str, input: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the real `sysprod` command on the installation."""
    return subprocess.run(
        [sys.executable, "-m", "sysproduction", *args], env=env_for(root), cwd=REPO_ROOT,
        capture_output=True, text=True, input=input, timeout=timeout,
    )


def start_handler(root: Path, log: Path) -> subprocess.Popen:
    """`sysprod run run_stack_handler` in the background, its output appended to `log`."""
    with log.open("a") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "sysproduction", "run", HANDLER], env=env_for(root),
            cwd=REPO_ROOT, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )


def kill_hard(process: subprocess.Popen) -> None:
    """SIGKILL: no handler, no clean-up, whatever the process was doing."""
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)


def stop_handler(data: DataBlob, process: subprocess.Popen, timeout: float = 120) -> int:
    """Stop the running handler through its control status (STOP, as `sysprod control set`
    does; it then runs safe_stack_removal), wait for it, and set the status back to GO."""
    from sysdata.repos.process_control import ProcessStatus

    data.process_control.set_status(HANDLER, ProcessStatus.STOP)
    try:
        code = process.wait(timeout=timeout)
    finally:
        if process.poll() is None:
            kill_hard(process)
    data.process_control.set_status(HANDLER, ProcessStatus.GO)
    return code


def wait_until(condition, timeout: float, step: float = 0.1, tick=None) -> bool:
    """Poll `condition` (calling `tick` between polls, e.g. to move the clock) until it holds or
    `timeout` wall seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        if tick is not None:
            tick()
        time.sleep(step)
    return bool(condition())


def sim_orders(data: DataBlob) -> list[dict[str, Any]]:
    """Every order the simulated broker has received (its own documents), oldest first."""
    from sysbrokers.sim.broker import ORDERS

    return [doc for _, doc in data.documents.items(ORDERS)]


def broker_book(data: DataBlob) -> dict[tuple[str, str], int]:
    """The broker's positions, keyed as the contract-position book is."""
    return {(p.instrument_code, p.contract_id): p.position for p in data.broker.positions()}


def book_problems(data: DataBlob) -> list[str]:
    """Everything that disagrees between the stacks, the positions, the fill ledger and the broker
    (empty when all agree)."""
    problems: list[str] = []
    history = data.historic_orders
    instrument_orders = data.instrument_orders.all() + history.instrument_orders()
    contract_orders = data.contract_orders.all() + history.contract_orders()
    records = data.broker_orders.all() + history.broker_orders()
    at_broker = sim_orders(data)
    broker_fills = data.broker.fills()

    # no order sent twice; none sent that we have no record of
    sent = Counter(doc["request"]["reference"] for doc in at_broker)
    problems += [f"broker order record {ref} was sent {n} times" for ref, n in sent.items() if n > 1]
    record_ids = {str(r.order_id) for r in records}
    problems += [f"the broker has an order for reference {ref}, which is no record of ours"
                 for ref in sent if ref not in record_ids]
    by_broker_id = {doc["broker_order_id"]: doc for doc in at_broker}
    for record in records:
        if record.broker_order_id is None:
            problems.append(f"broker order record {record.order_id} was never confirmed sent")
            continue
        doc = by_broker_id.get(record.broker_order_id)
        if doc is None or doc["request"]["reference"] != str(record.order_id):
            problems.append(f"broker order record {record.order_id}: the broker's order "
                            f"{record.broker_order_id} is not the one sent for it")
            continue
        _, ratios = spread_quantity_and_ratios(record.legs)
        booked = [leg.filled for leg in record.legs]
        theirs = [doc["filled_quantity"] * ratio for ratio in ratios]
        if booked != theirs:
            problems.append(f"broker order record {record.order_id}: booked {booked}, the broker filled {theirs}")
        if any(leg.filled != sum(f.quantity for f in record.fills if f.contract_id == leg.contract_id)
               for leg in record.legs):
            problems.append(f"broker order record {record.order_id}: its legs are not the sum of its fills")

    # every fill booked once, none invented
    ledger = Counter(f["fill_id"] for f in history.fills())
    problems += [f"fill {fid} booked {n} times" for fid, n in ledger.items() if n > 1]
    theirs_ids = {f.fill_id for f in broker_fills}
    problems += [f"broker fill {fid} never booked" for fid in sorted(theirs_ids - set(ledger))]
    problems += [f"booked fill {fid} is not the broker's" for fid in sorted(set(ledger) - theirs_ids)
                 if not fid.startswith("balance-")]

    # positions: fills per contract = book = broker; strategies = their orders' fills
    fills_per_contract: dict[tuple[str, str], int] = defaultdict(int)
    for fill in broker_fills:
        fills_per_contract[(fill.instrument_code, fill.contract_id)] += fill.quantity
    fills_per_contract = {k: v for k, v in fills_per_contract.items() if v}
    book = data.contract_positions.all()
    if not fills_per_contract == book == broker_book(data):
        problems.append(f"fills per contract {fills_per_contract} / contract book {book} / broker "
                        f"{broker_book(data)} differ")
    wanted: dict[tuple[str, str], int] = defaultdict(int)
    for order in instrument_orders:
        if not order.roll_order and order.strategy_name != ROLL_PSEUDO_STRATEGY:
            wanted[(order.strategy_name, order.instrument_code)] += order.filled_trade
    wanted = {k: v for k, v in wanted.items() if v}
    if wanted != data.strategy_positions.all():
        problems.append(f"strategy positions {data.strategy_positions.all()} are not the sum of their "
                        f"orders' fills {wanted}")

    # families: each level is the sum of the one below
    children: dict[int, list] = defaultdict(list)
    for order in contract_orders:
        children[order.parent_id].append(order)
    grandchildren: dict[int, list] = defaultdict(list)
    for record in records:
        grandchildren[record.parent_id].append(record)
    for order in contract_orders:
        recomputed = contract_legs_from_broker_orders(order, grandchildren[order.order_id])
        if [leg.filled for leg in recomputed] != [leg.filled for leg in order.legs]:
            problems.append(f"contract order {order.order_id}: legs {order.legs} are not the sum of its "
                            f"broker orders' fills {recomputed}")
    for order in instrument_orders:
        kids = children[order.order_id]
        if sorted(k.order_id for k in kids) != sorted(order.children):
            problems.append(f"instrument order {order.order_id}: children {order.children} but "
                            f"{[k.order_id for k in kids]} name it as parent")
        if order.filled_trade != sum(leg.filled for k in kids for leg in k.legs):
            problems.append(f"instrument order {order.order_id}: filled {order.filled_trade} is not the "
                            "sum of its contract orders' fills")
        if order.state is not OrderState.COMPLETED or order.filled_trade != order.trade:
            problems.append(f"instrument order {order.order_id} ended {order.state.value} with "
                            f"{order.filled_trade} of {order.trade} filled")
    claimed = [o for o in [*instrument_orders, *contract_orders, *records] if o.locked_by is not None]
    problems += [f"{type(o).__name__} {o.order_id} still claimed by {o.locked_by}" for o in claimed]
    if data.instrument_locks.all():
        problems.append(f"instruments locked at the end: {data.instrument_locks.all()}")
    return problems
