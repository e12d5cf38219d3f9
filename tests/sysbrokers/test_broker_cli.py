"""`sysprod broker` as a user runs it: real subprocesses on a real installation."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

from syscore.clock import SIM_CLOCK_FILE, SharedSimClock

SYSPROD = Path(sys.executable).parent / "sysprod"


def _run(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SYSPROD_DATA_ROOT": str(root), "COLUMNS": "200"}
    return subprocess.run([str(SYSPROD), "broker", *args], capture_output=True, text=True, env=env, timeout=120)


def test_faults_health_orders_and_account_from_the_command_line(tmp_path):
    (tmp_path / "private_config.yaml").write_text(
        f"data_root: {tmp_path}\nbroker: sim\nclock: simulated\nsim_history_start: '2020-01-01'\nbase_currency: GBP\n"
    )
    SharedSimClock(tmp_path / SIM_CLOCK_FILE).set(dt.datetime(2024, 6, 4, 23, 0))
    bad = _run(tmp_path, "fault", "add", "spike", "--instrument", "GOLD")
    assert bad.returncode == 1 and bad.stderr.strip() == (
        "error: a spike fault needs --factor, a positive number other than 1 (e.g. 10)"
    )
    assert _run(tmp_path, "fault", "add", "disconnect", "--count", "1").stdout.startswith("added fault #1 disconnect")
    health = _run(tmp_path, "health")
    assert health.returncode == 1 and health.stdout.startswith("DISCONNECTED")
    failed = _run(tmp_path, "positions")
    assert failed.returncode == 1 and "disconnected" in failed.stderr and "Traceback" not in failed.stderr
    sold = _run(tmp_path, "submit", "FTSE100", "20240900", "-2")
    assert sold.returncode == 0 and "filled -2" in sold.stdout
    orders = _run(tmp_path, "orders", "--all", "--csv").stdout.splitlines()
    assert orders[0].startswith("id,instrument,contracts,type") and orders[1].startswith("1,FTSE100,20240900,market")
    account = _run(tmp_path, "account").stdout
    assert account.startswith("account value: ") and " GBP " in account and "GBP: cash" in account
