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
from pathlib import Path
from typing import Any

import pytest
import yaml

from syscore.clock import SIM_CLOCK_FILE, SharedSimClock
from sysdata.data_blob import DataBlob
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


@pytest.fixture(scope="session")
def stack_template(tmp_path_factory: pytest.TempPathFactory, tree: Path) -> Path:
    """One stack_installation per test session, copied by each test (copy_installation)."""
    root = tmp_path_factory.mktemp("stack_template") / "root"
    stack_installation(root, tree).documents.close()
    return root


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


def stop_handler(root: Path, process: subprocess.Popen, timeout: float = 60) -> int:
    """Ask the running handler to stop as a user does (control status STOP; it then runs
    safe_stack_removal), wait for it, and set the status back to GO for the next start."""
    assert sysprod(root, "control", "set", HANDLER, "STOP").returncode == 0
    try:
        code = process.wait(timeout=timeout)
    finally:
        if process.poll() is None:
            kill_hard(process)
    assert sysprod(root, "control", "set", HANDLER, "GO").returncode == 0
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
