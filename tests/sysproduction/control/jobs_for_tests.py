"""Small jobs the process tests wire in through config (`function: module:function`).

Each appends `<name> <clock time> <pid>` to `<data root>/calls.txt`, so a test can read back what
ran, when (by the installation's clock) and in which process.
"""

from __future__ import annotations

import logging
import os
import time

from syslogdiag import log_context

log = logging.getLogger(__name__)


def _record(data, name: str) -> None:
    with open(data.data_root / "calls.txt", "a") as handle:
        handle.write(f"{name} {data.clock.now().isoformat()} {os.getpid()}\n")


def job_a(data) -> str:
    _record(data, "job_a")
    return "a done"


def job_b(data) -> str:
    _record(data, "job_b")
    return "b done"


def completion(data) -> str:
    _record(data, "completion")
    return "cleaned up"


def failing(data) -> None:
    _record(data, "failing")
    with log_context(instrument_code="US10"):
        log.warning("suspicious bar for US10")
        raise ValueError("bad bar for US10")


def slow_loop(data) -> None:
    """A looping method that takes a little real time, like a stack handler pass."""
    _record(data, "slow_loop")
    time.sleep(0.05)


def read_calls(data_root) -> list[tuple[str, str, int]]:
    path = data_root / "calls.txt"
    if not path.exists():
        return []
    rows = [line.split() for line in path.read_text().splitlines() if line.strip()]
    return [(name, when, int(pid)) for name, when, pid in rows]


def partial_failure(data):
    """A price job where one item failed and the others were updated."""
    from sysproduction.jobs.summary import JobSummary

    _record(data, "partial_failure")
    summary = JobSummary("partial_failure", updated={"CORN": "3 new rows"})
    summary.failed["US10"] = "broker timed out"
    return summary


def spiky(data):
    """A price job that held one item back as a spike (for a manual check) and updated another."""
    from sysproduction.jobs.summary import JobSummary

    _record(data, "spiky")
    return JobSummary("spiky", updated={"CORN": "1 new row"},
                      spiked={"GOLD": "2026-11-25 close 9999.0 is a spike of 12.0"})


def strategy_launcher(data, strategy_name: str, settings: dict) -> str:
    """Stands in for run_systems' launcher: records the strategy and its settings."""
    import json

    with open(data.data_root / "launched.txt", "a") as handle:
        handle.write(json.dumps({"strategy": strategy_name, "settings": settings}) + "\n")
    return f"{strategy_name} launched"
