"""Two machines, simulated: two installations with different host names (SYSPROD_HOST_NAME) and
data roots on ONE MongoDB database (a real jongodb over TCP) and one shared time-series store.
The price jobs run on machine-a; run_systems and the stack handler on machine-b, seeing what
machine-a wrote; and the no-double-start rule holds across them: the stack handler started on
machine-a while it runs on machine-b refuses, naming machine-b.

The shared time-series store is ArcticDB on a moto S3 bucket where ArcticDB imports (its own
venv in .ci/run), else the Parquet folder of machine-a mounted into machine-b (a symbolic link:
what a network file system gives)."""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from syscore.clock import SIM_CLOCK_FILE, SharedSimClock
from sysobjects.orders import InstrumentOrder
from sysproduction.wiring import make_blob
from tests.conftest import REPO_ROOT
from tests.servers import fresh_db_name, jongodb_server, moto_server
from tests.sysproduction.jobs.strategies.test_launcher import CAPITAL, _config
from tests.sysproduction.pipeline_helpers import write_private_config
from tests.sysproduction.synthetic_install import START, installation, synthetic_settings

EVENING = dt.datetime.combine(START.date() + dt.timedelta(days=1), dt.time(20, 30))
HANDLER = "run_stack_handler"


def _env(root: Path, host: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYSPROD_")}
    return {**env, "SYSPROD_DATA_ROOT": str(root), "SYSPROD_HOST_NAME": host,
            "PYTHONPATH": str(REPO_ROOT)}


def _run(root: Path, host: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sysproduction", *args], env=_env(root, host),
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)


@pytest.fixture(params=["arctic-s3", "parquet-mounted"])
def shared_series(request, tmp_path):
    """Config keys of the shared time-series store (and how machine-b reaches it)."""
    if request.param == "parquet-mounted":
        yield {}
        return
    if importlib.util.find_spec("arcticdb") is None:
        pytest.skip("ArcticDB not importable here (needs pandas < 3; .ci/run tests it in its own venv)")
    import boto3

    with moto_server() as endpoint:
        bucket = "b" + uuid.uuid4().hex[:12]
        boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="test", aws_secret_access_key="test",
                     region_name="us-east-1").create_bucket(Bucket=bucket)
        port = endpoint.rsplit(":", 1)[1]
        yield {"timeseries_store": "arctic",
               "arctic_url": f"s3://127.0.0.1:{bucket}?port={port}&access=test&secret=test&region=us-east-1"}


def test_price_jobs_on_one_machine_systems_and_stack_handler_on_the_other(tmp_path, tree, shared_series):
    with jongodb_server() as url:
        shared = {"document_store": "mongo", "mongo_host": url, "mongo_db": fresh_db_name(), **shared_series}
        strategy = {"classic": {"overnight_launcher": {
            "function": "sysproduction.jobs.strategies.classic_launcher:run_classic_system",
            "backtest_config_filename": str(_config(tmp_path / "classic.yaml"))}}}
        root_a, root_b = tmp_path / "machine_a", tmp_path / "machine_b"
        # machine-a: imports the history into the shared stores (its CSV config tables stay local)
        blob_a, _ = installation(root_a, tree, clock="simulated", strategy_list=strategy, **shared)
        # machine-b: its own data root and private config, the same shared stores, a copy of the
        # CSV config tables
        write_private_config(root_b, clock="simulated", strategy_list=strategy,
                             **synthetic_settings(**shared))
        shutil.copytree(root_a / "csv", root_b / "csv")
        if not shared_series:
            (root_b / "parquet").symlink_to(root_a / "parquet", target_is_directory=True)
        for root in (root_a, root_b):
            SharedSimClock(root / SIM_CLOCK_FILE).set(EVENING)
        blob_a.strategy_capital.record(START, {"classic": CAPITAL})
        before = blob_a.adjusted_prices.get("US10").index[-1]

        prices = _run(root_a, "machine-a", "run", "run_daily_prices_updates")
        assert prices.returncode == 0, prices.stdout + prices.stderr

        blob_b = make_blob(root_b, must_exist=True)
        assert blob_b.adjusted_prices.get("US10").index[-1] > before  # machine-a's new prices
        assert blob_b.process_control.get("run_daily_prices_updates").host == "machine-a"

        # run_systems waits for run_daily_prices_updates: it sees machine-a's run in the shared record
        systems = _run(root_b, "machine-b", "run", "run_systems")
        assert systems.returncode == 0, systems.stdout + systems.stderr
        assert "classic: ran 1, ok" in systems.stdout
        assert sorted(blob_a.optimal_positions.for_strategy("classic"))  # machine-a sees them too

        blob_b.instrument_orders.add(InstrumentOrder("classic", "CORN", 2, "market", None, None), EVENING)
        handler = subprocess.Popen([sys.executable, "-m", "sysproduction", "run", HANDLER],
                                   env=_env(root_b, "machine-b"), cwd=REPO_ROOT,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            _wait(lambda: blob_a.strategy_positions.get("classic", "CORN") == 2, "the fill booked on machine-b")
            second = _run(root_a, "machine-a", "run", HANDLER)
            assert second.returncode == 1
            assert f"{HANDLER} is marked running on host machine-b (pid {handler.pid})" in second.stderr
            assert second.stderr.count("\n") == 1
            # the STOP set on machine-a reaches the handler on machine-b through the shared record
            assert _run(root_a, "machine-a", "control", "set", HANDLER, "STOP").returncode == 0
            stdout, stderr = handler.communicate(timeout=120)
        finally:
            if handler.poll() is None:
                handler.kill()
                handler.wait()
        assert handler.returncode == 0, stdout + stderr
        state = blob_a.process_control.get(HANDLER)
        assert (state.running, state.host, state.last_outcome) == (False, "machine-b", "stopped")


def _wait(predicate, what: str, timeout: float = 90.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)
