"""Helpers for the process-control tests: an installation on a temp dir and real subprocesses."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from syscore.liveness import process_identity
from tests.conftest import REPO_ROOT

JOBS = "tests.sysproduction.control.jobs_for_tests"


def job(name: str, **settings: Any) -> dict[str, Any]:
    return {"function": f"{JOBS}:{name}", **settings}


def make_installation(root: Path, processes: dict[str, dict[str, Any]], now: dt.datetime | None,
                      **extra: Any) -> Path:
    """A data root with a private config (simulated clock) naming the given test processes.

    processes: name -> {"methods": {...}, "start": "HH:MM", "stop": ..., "previous": ...}
    """
    root.mkdir(parents=True, exist_ok=True)
    config: dict[str, Any] = {"clock": "simulated", "broker": "sim", **extra}
    sections = {
        "start": "process_configuration_start_time",
        "stop": "process_configuration_stop_time",
        "previous": "process_configuration_previous_process",
        "methods": "process_configuration_methods",
    }
    for name, spec in processes.items():
        for field, key in sections.items():
            if field in spec:
                config.setdefault(key, {})[name] = spec[field]
    (root / "private_config.yaml").write_text(yaml.safe_dump(config))
    if now is not None:
        set_clock(root, now)
    return root


def set_clock(root: Path, when: dt.datetime) -> None:
    (root / "sim_clock.json").write_text(json.dumps({"now": when.isoformat()}))


def clock_now(root: Path) -> dt.datetime:
    return dt.datetime.fromisoformat(json.loads((root / "sim_clock.json").read_text())["now"])


def env_for(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["SYSPROD_DATA_ROOT"] = str(root)
    env["PYTHONPATH"] = str(REPO_ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("SYSPROD_CONFIG", None)
    return env


def sysprod(root: Path, *args: str, input: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    """Run the real `sysprod` command line on the installation."""
    return subprocess.run(
        [sys.executable, "-m", "sysproduction", *args], env=env_for(root), cwd=REPO_ROOT,
        capture_output=True, text=True, input=input, timeout=timeout,
    )


def dead_pid() -> tuple[int, str | None]:
    """The pid and identity of a process that has ended: what a run record of a killed run holds."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    identity = process_identity(child.pid)
    child.kill()
    child.wait()
    return child.pid, identity


def start_background(root: Path, process: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "sysproduction", "run", process], env=env_for(root), cwd=REPO_ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def wait_for(predicate, timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
