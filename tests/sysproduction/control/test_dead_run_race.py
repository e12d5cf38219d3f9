"""Two detectors racing to mark the same dead run record it once: one history record, one email.

The detectors are real processes sharing one real SQLite file, released together by a barrier
before every dead run, and the CRITICAL emails go to a real SMTP server on loopback.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import re
from dataclasses import replace
from pathlib import Path

from syscore.liveness import hostname
from sysdata.data_blob import DataBlob
from sysproduction.wiring import make_blob
from tests.smtp_inbox import email_settings, running_smtp_server
from tests.sysproduction.control.helpers import (
    dead_pid,
    make_installation,
    start_background,
    sysprod,
)

NOW = dt.datetime(2026, 11, 25, 10, 0)
ROUNDS = 100


def _detector(root: str, barrier, rounds: int) -> None:
    """One detector process: at every round, look for dead runs at the same moment as the other."""
    from syslogdiag import flush_logs, setup_process_logging
    from sysproduction.control.control_state import mark_dead_processes

    data = make_blob(Path(root))
    setup_process_logging(data, "detector")
    for _ in range(rounds):
        barrier.wait()
        mark_dead_processes(data.process_control, data.clock.now())
        barrier.wait()
    flush_logs()


def _dead_run(data: DataBlob, name: str, pid: int, identity: str | None) -> None:
    data.process_control.update(name, lambda s: replace(
        s, running=True, pid=pid, host=hostname(), identity=identity, start_time=NOW))


def _reported(inbox, name: str) -> int:
    pattern = re.compile(rf"^process {name} \(pid \d+ on ", re.MULTILINE)
    return sum(len(pattern.findall(raw)) for _, _, raw in inbox.messages)


def test_racing_detectors_record_each_dead_run_once(tmp_path):
    pid, identity = dead_pid()
    with running_smtp_server() as (port, inbox):
        root = make_installation(tmp_path / "inst", {}, now=NOW, **email_settings(port))
        data = make_blob(root)
        context = multiprocessing.get_context("spawn")
        barrier = context.Barrier(3, timeout=120)
        detectors = [context.Process(target=_detector, args=(str(root), barrier, ROUNDS))
                     for _ in range(2)]
        for detector in detectors:
            detector.start()
        try:
            names = [f"run_dead_{i:03d}" for i in range(ROUNDS)]
            for name in names:
                _dead_run(data, name, pid, identity)
                barrier.wait()  # both detectors look now
                barrier.wait()  # both are done
        finally:
            for detector in detectors:
                detector.join(timeout=120)
                if detector.is_alive():
                    detector.kill()
        assert [d.exitcode for d in detectors] == [0, 0]

        history = data.process_control.history()
        assert sorted(run["process_name"] for run in history) == names  # one record per dead run
        assert {run["last_outcome"] for run in history} == {"died"}
        critical = data.logs.query(min_level="CRITICAL", limit=10 * ROUNDS)
        assert len(critical) == ROUNDS
        assert [name for name in names if _reported(inbox, name) != 1] == []  # one email each


def test_mark_dead_racing_startup_reports_each_killed_process_once(tmp_path):
    """The reported case: `control mark-dead` while `run startup` runs, six killed processes."""
    pid, identity = dead_pid()
    with running_smtp_server() as (port, inbox):
        root = make_installation(tmp_path / "inst", {}, now=NOW, **email_settings(port))
        data = make_blob(root)
        names = [f"run_killed_{i}" for i in range(6)]
        for name in names:
            _dead_run(data, name, pid, identity)
        startup = start_background(root, "startup")
        marked = sysprod(root, "control", "mark-dead")
        startup.communicate(timeout=60)
        assert marked.returncode == 0, marked.stderr

        history = data.process_control.history()
        assert sorted(run["process_name"] for run in history if run["last_outcome"] == "died") == names
        assert [name for name in names if _reported(inbox, name) != 1] == []
