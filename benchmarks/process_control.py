"""Process-control and logging benchmarks: the cost of logging, log queries and clean-up, the
runner's overhead per method run, and the start-up time of a process command.

Run with `python benchmarks/process_control.py`; prints one line per figure.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))  # so the runner can import `process_control:noop`

RECORDS = 20_000
LOOPS = 2_000


def noop(data) -> None:
    """A job that does nothing: what is left is the runner's own cost."""


def _blob(root: Path, clock):
    from syscore.config import load_config
    from sysdata.data_blob import DataBlob

    config = load_config(None, env={}).with_overrides({
        "data_root": str(root),
        "process_configuration_methods": {"run_bench": {
            "noop": {"function": "process_control:noop", "frequency": 0,
                     "max_executions": LOOPS}}},
    })
    return DataBlob(root, config, clock)


def bench_logging(root: Path) -> None:
    from syscore.clock import FixedClock
    from syslogdiag import flush_logs, log_context, setup_process_logging, shutdown_logging

    start_time = dt.datetime(2026, 1, 1)
    clock = FixedClock(start_time)
    data = _blob(root, clock)
    setup_process_logging(data, "bench")
    logging.getLogger().handlers[-1].setLevel(logging.CRITICAL)  # keep the console quiet
    log = logging.getLogger("bench")
    instruments = [f"I{i:02d}" for i in range(40)]

    began = time.perf_counter()
    for n in range(RECORDS):
        clock.advance(dt.timedelta(minutes=5))
        with log_context(instrument_code=instruments[n % 40], type="update_historical_prices"):
            log.info("added %d bars", n)
    queued = time.perf_counter() - began
    flush_logs(timeout=600)
    stored = time.perf_counter() - began
    print(f"log {RECORDS:,} records: caller side {queued:.2f} s ({RECORDS / queued:,.0f}/s), "
          f"stored {stored:.2f} s ({RECORDS / stored:,.0f}/s)")

    began = time.perf_counter()
    found = data.logs.query(instrument_code="I07")
    print(f"query one instrument among {RECORDS:,}: {time.perf_counter() - began:.3f} s "
          f"({len(found)} records)")
    began = time.perf_counter()
    found = data.logs.query(min_level="WARNING", since=start_time + dt.timedelta(days=30))
    print(f"query level+since among {RECORDS:,}: {time.perf_counter() - began:.3f} s "
          f"({len(found)} records)")
    began = time.perf_counter()
    deleted = data.logs.delete_older_than(30, clock.now())
    print(f"delete older than 30 days: {time.perf_counter() - began:.2f} s ({deleted:,} deleted)")
    shutdown_logging()


def bench_runner(root: Path) -> None:
    from syscore.clock import FixedClock
    from sysproduction.control.process_config import load_process_config
    from sysproduction.control.runner import ProcessRunner

    data = _blob(root, FixedClock(dt.datetime(2026, 1, 1, 9)))
    logging.getLogger().setLevel(logging.WARNING)
    config = load_process_config(data.config, "run_bench")
    began = time.perf_counter()
    result = ProcessRunner(data, config).run()
    seconds = time.perf_counter() - began
    runs = result.methods[0].executions
    print(f"runner: {runs:,} method runs in {seconds:.2f} s "
          f"({seconds / runs * 1e3:.2f} ms each, incl. control-status check)")


def bench_startup(root: Path) -> None:
    env = dict(os.environ, SYSPROD_DATA_ROOT=str(root), PYTHONPATH=str(REPO))
    # commands refuse a data root that is not an installation, so make one as a user would
    subprocess.run([sys.executable, "-m", "sysproduction", "init", str(root), "--broker", "sim"],
                   env=env, capture_output=True, check=True, cwd=REPO)
    times = []
    for _ in range(3):
        began = time.perf_counter()
        subprocess.run([sys.executable, "-m", "sysproduction", "run", "run_capital_update"],
                       env=env, capture_output=True, check=True, cwd=REPO)
        times.append(time.perf_counter() - began)
    print(f"`sysprod run` of a process that declines (start-up + config + reply): "
          f"best of 3 {min(times):.2f} s")


def main() -> None:
    print(f"machine: {os.cpu_count()} cpus, Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as tmp:
        bench_logging(Path(tmp) / "logs")
        bench_runner(Path(tmp) / "runner")
        bench_startup(Path(tmp) / "startup")


if __name__ == "__main__":
    main()
