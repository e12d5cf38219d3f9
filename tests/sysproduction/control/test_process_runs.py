"""Processes run as real subprocesses on a real SQLite store, on the simulated clock."""

from __future__ import annotations

import datetime as dt
import os
import signal

from sysdata.data_blob import DataBlob
from sysproduction.control import process_config, registry
from sysproduction.control.process_config import load_process_config
from sysproduction.wiring import make_blob
from tests.sysproduction.control.helpers import (
    clock_now,
    job,
    make_installation,
    set_clock,
    start_background,
    sysprod,
    wait_for,
)
from tests.sysproduction.control.jobs_for_tests import read_calls

DAY = dt.datetime(2026, 11, 25)  # a Wednesday


def at(hh: int, mm: int = 0, day: dt.datetime = DAY) -> dt.datetime:
    return day.replace(hour=hh, minute=mm)


def blob(root) -> DataBlob:
    return make_blob(root)


def test_frequency_and_max_executions_on_the_simulated_clock(tmp_path):
    frequency, limit = 10, 3
    root = make_installation(tmp_path / "inst", {
        "run_freq": {"start": "09:00", "stop": "18:00", "methods": {
            "job_a": job("job_a", frequency=frequency, max_executions=limit),
            "job_b": job("job_b", max_executions=2),
            "completion": job("completion", run_on_completion_only=True),
        }},
    }, now=at(9))

    out = sysprod(root, "run", "freq")

    assert out.returncode == 0, out.stderr
    calls = read_calls(root)
    a_times = [dt.datetime.fromisoformat(when) for name, when, _ in calls if name == "job_a"]
    assert a_times == [at(9) + dt.timedelta(minutes=frequency * k) for k in range(limit)]
    # frequency 0 = every loop: both runs of job_b happen in the first two loops, at 09:00
    assert [when for name, when, _ in calls if name == "job_b"] == [at(9).isoformat()] * 2
    assert calls[-1][0] == "completion" and calls[-1][1] == a_times[-1].isoformat()
    assert clock_now(root) == a_times[-1]  # waiting moved the simulated clock, nothing slept
    assert "job_a: ran 3, ok" in out.stdout and "completion: ran 1, ok" in out.stdout
    state = blob(root).process_control.get("run_freq")
    assert (state.running, state.last_outcome, state.end_time) == (False, "completed", a_times[-1])


def test_waits_for_start_time_then_stops_at_stop_time(tmp_path):
    root = make_installation(tmp_path / "inst", {
        "run_window": {"start": "09:00", "stop": "12:00", "methods": {
            "job_a": job("job_a", frequency=60, max_executions=-1),
            "completion": job("completion", run_on_completion_only=True),
        }},
    }, now=at(8, 30))

    out = sysprod(root, "run", "run_window")

    assert out.returncode == 0, out.stderr
    calls = read_calls(root)
    assert [when for name, when, _ in calls if name == "job_a"] == [
        at(h).isoformat() for h in (9, 10, 11)
    ]
    assert calls[-1][:2] == ("completion", at(12).isoformat())
    assert "stop time 12:00 reached" in out.stdout


def test_started_after_its_stop_time_does_not_run(tmp_path):
    root = make_installation(tmp_path / "inst", {
        "run_window": {"start": "09:00", "stop": "12:00", "methods": {"job_a": job("job_a")}},
    }, now=at(12, 30))

    out = sysprod(root, "run", "run_window")

    assert out.returncode == 0
    assert "past its stop time 12:00" in out.stdout
    assert read_calls(root) == []
    assert blob(root).process_control.get("run_window").start_time is None


def test_previous_process_must_have_completed_today(tmp_path):
    root = make_installation(tmp_path / "inst", {
        "run_first": {"methods": {"job_a": job("job_a")}},
        "run_after": {"previous": "run_first", "methods": {"job_b": job("job_b")}},
    }, now=at(20))

    refused = sysprod(root, "run", "run_after")
    assert refused.returncode == 0
    assert "waits for run_first, which has not completed today" in refused.stdout
    assert "never" in refused.stdout
    assert read_calls(root) == []

    assert sysprod(root, "run", "run_first").returncode == 0
    assert sysprod(root, "run", "run_after").returncode == 0
    assert [name for name, _, _ in read_calls(root)] == ["job_a", "job_b"]

    set_clock(root, at(20) + dt.timedelta(days=1))  # yesterday's run does not count today
    again = sysprod(root, "run", "run_after")
    assert "has not completed today" in again.stdout
    assert len(read_calls(root)) == 2


def test_with_a_stop_time_a_process_waits_for_its_previous_process_then_gives_up(tmp_path):
    root = make_installation(tmp_path / "inst", {
        "run_first": {"methods": {"job_a": job("job_a")}},
        "run_after": {"previous": "run_first", "stop": "21:00",
                      "methods": {"job_b": job("job_b"), "done": job("completion", run_on_completion_only=True)}},
    }, now=at(20))
    waited = sysprod(root, "run", "run_after")
    assert waited.returncode == 0, waited.stderr
    assert "run_after: gave up (run_after: waits for run_first, which has not completed today" in waited.stdout
    assert "by stop time 21:00 reached; nothing run)" in waited.stdout
    assert read_calls(root) == []  # not even the completion method
    assert clock_now(root) == at(21)
    assert blob(root).process_control.get("run_after").last_outcome == "gave up"


def test_a_waiting_process_starts_once_its_previous_process_completes(tmp_path):
    from sysproduction.control.runner import ProcessRunner

    root = make_installation(tmp_path / "inst", {
        "run_first": {"methods": {"job_a": job("job_a")}},
        "run_after": {"previous": "run_first", "stop": "23:00", "methods": {"job_b": job("job_b")}},
    }, now=at(20))
    data = blob(root)
    waits: list[dt.datetime] = []

    def sleep(seconds: float) -> None:  # meanwhile, the other process runs and completes
        waits.append(data.clock.now())
        if len(waits) == 3:
            ProcessRunner(data, load_process_config(data.config, "run_first")).run()
        data.clock.advance(dt.timedelta(seconds=seconds))

    result = ProcessRunner(data, load_process_config(data.config, "run_after"), sleep=sleep).run()
    assert result.outcome == "completed"
    assert [name for name, _, _ in read_calls(root)] == ["job_a", "job_b"]
    assert waits[:3] == [at(20), at(20, 5), at(20, 10)]  # looked again every five minutes


def _loop_installation(tmp_path):
    return make_installation(tmp_path / "inst", {
        "run_loop": {"methods": {
            "slow_loop": job("slow_loop", frequency=0, max_executions=-1),
            "completion": job("completion", run_on_completion_only=True),
        }},
    }, now=at(10))


def test_second_copy_refused_and_stop_ends_at_method_boundary(tmp_path):
    root = _loop_installation(tmp_path)
    first = start_background(root, "run_loop")
    try:
        wait_for(lambda: any(n == "slow_loop" for n, _, _ in read_calls(root)), what="first loop")

        second = sysprod(root, "run", "run_loop")
        assert second.returncode == 1
        assert f"run_loop is already running (pid {first.pid}" in second.stderr
        assert second.stderr.count("\n") == 1  # one line, no traceback

        assert sysprod(root, "control", "set", "loop", "STOP").returncode == 0
        stdout, stderr = first.communicate(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert first.returncode == 0, stderr
    calls = read_calls(root)
    assert {pid for _, _, pid in calls} == {first.pid}
    assert calls[-1][0] == "completion"
    assert [n for n, _, _ in calls[:-1]] == ["slow_loop"] * (len(calls) - 1)
    assert "run_loop: stopped (control status set to STOP)" in stdout
    state = blob(root).process_control.get("run_loop")
    assert (state.running, state.last_outcome, state.status.value) == (False, "stopped", "STOP")

    # while STOP is set, a new start declines; GO lets it start again
    declined = sysprod(root, "run", "run_loop")
    assert declined.returncode == 0 and "control status is STOP; not started" in declined.stdout


def test_sigkilled_process_is_found_dead_and_marked_finished(tmp_path):
    root = _loop_installation(tmp_path)
    victim = start_background(root, "run_loop")
    wait_for(lambda: any(n == "slow_loop" for n, _, _ in read_calls(root)), what="first loop")
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=30)
    assert blob(root).process_control.get("run_loop").running  # it never got to say goodbye

    status = sysprod(root, "control", "status")
    row = next(line for line in status.stdout.splitlines() if line.startswith("run_loop "))
    assert "DEAD" in row

    marked = sysprod(root, "control", "mark-dead")
    assert marked.returncode == 0
    assert marked.stdout.strip() == "marked finished: run_loop"
    state = blob(root).process_control.get("run_loop")
    assert (state.running, state.last_outcome) == (False, "died")
    critical = blob(root).logs.query(min_level="CRITICAL")
    assert len(critical) == 1
    assert f"run_loop (pid {victim.pid}" in critical[0]["message"]
    assert critical[0]["process_name"] == "control"
    assert "completion" not in [n for n, _, _ in read_calls(root)]


def test_failing_method_is_logged_with_traceback_and_others_carry_on(tmp_path):
    root = make_installation(tmp_path / "inst", {
        "run_mixed": {"methods": {
            "failing": job("failing"), "job_a": job("job_a"),
        }},
    }, now=at(10))

    out = sysprod(root, "run", "mixed")

    assert out.returncode == 1  # cron sees that something failed
    assert [n for n, _, _ in read_calls(root)] == ["failing", "job_a"]
    assert "failing: ran 1, failed 1 (last error: ValueError: bad bar for US10)" in out.stdout
    assert "job_a: ran 1, ok; a done" in out.stdout
    errors = blob(root).logs.query(min_level="ERROR", process_name="run_mixed")
    assert len(errors) == 1
    assert errors[0]["type"] == "failing"
    assert 'raise ValueError("bad bar for US10")' in errors[0]["traceback"]
    warned = blob(root).logs.query(instrument_code="US10")
    assert [r["message"] for r in warned] == ["suspicious bar for US10"]
    assert warned[0]["time"] == at(10).isoformat()


def test_process_whose_jobs_are_not_built_says_so_and_runs_nothing(tmp_path, monkeypatch):
    # a process registered for jobs that a later version adds (their module does not exist here)
    monkeypatch.setattr(registry, "PROCESSES", (*registry.PROCESSES, "run_later"))
    monkeypatch.setitem(registry.METHODS, "first_job", "sysproduction.jobs_of_a_later_version:first_job")
    monkeypatch.setitem(registry.METHODS, "second_job", "sysproduction.jobs_of_a_later_version:second_job")
    defaults = process_config._defaults()[process_config.KEYS["methods"]]
    monkeypatch.setitem(defaults, "run_later", {"first_job": {}, "second_job": {}})
    from sysproduction.control.runner import ProcessRunner

    root = make_installation(tmp_path / "inst", {}, now=at(12))
    data = blob(root)
    result = ProcessRunner(data, load_process_config(data.config, "run_later")).run()
    assert not result.started and result.failures == 0
    lines = result.summary_lines()
    assert lines == [
        "run_later: not available in this version: first_job, second_job "
        "(their jobs are not part of this installation); nothing run"
    ]
    assert data.process_control.get("run_later").start_time is None


def test_no_run_status_declines_and_unknown_process_is_one_line(tmp_path):
    root = make_installation(tmp_path / "inst", {"run_x": {"methods": {"job_a": job("job_a")}}},
                             now=at(10))
    assert sysprod(root, "control", "set", "x", "no-run").stdout.strip() == "run_x: GO -> NO-RUN"
    out = sysprod(root, "run", "x")
    assert out.returncode == 0 and "control status is NO-RUN; not started" in out.stdout
    assert read_calls(root) == []

    unknown = sysprod(root, "run", "nosuch")
    assert unknown.returncode == 1
    assert unknown.stderr.startswith("error: 'nosuch' is not a process, job or tool; processes: ")
    bad = sysprod(root, "control", "set", "x", "HALT")
    assert bad.returncode == 1 and "unknown process status 'HALT'" in bad.stderr


def test_sigterm_ends_cleanly_and_releases_the_process(tmp_path):
    root = _loop_installation(tmp_path)
    proc = start_background(root, "run_loop")
    wait_for(lambda: any(n == "slow_loop" for n, _, _ in read_calls(root)), what="first loop")
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=30)
    assert proc.returncode == 128 + signal.SIGTERM
    state = blob(root).process_control.get("run_loop")
    assert (state.running, state.last_outcome) == (False, "terminated")
    assert blob(root).process_control.history("run_loop")[-1]["detail"] == "terminated by a signal"


def test_a_previous_process_whose_jobs_come_later_is_not_waited_for(tmp_path, monkeypatch, caplog):
    """pysystemtrade's chain (run_cleaners after run_strategy_order_generator) must not hold a
    process back for ever on a process that cannot run in this version; a previous process that
    merely has nothing configured (run_systems without strategies) is still waited for."""
    from sysproduction.control import runner
    from sysproduction.control.runner import ProcessRunner

    root = make_installation(tmp_path / "inst", {
        "run_after_stack": {"previous": "run_stack_handler", "methods": {"job_a": job("job_a")}},
        "run_after_systems": {"previous": "run_systems", "methods": {"job_b": job("job_b")}},
    }, now=at(20))
    # every built-in process has its jobs in this version now: the stack handler's are made to
    # look as if they came with a later one
    real = registry.resolve_job
    monkeypatch.setattr(runner, "resolve_job",
                        lambda target: None if target.startswith("sysexecution.stack_handler:") else real(target))
    data = blob(root)
    with caplog.at_level("WARNING"):
        ran = ProcessRunner(data, load_process_config(data.config, "run_after_stack")).run()
    assert (ran.outcome, ran.reason) == ("completed", "all methods done")
    assert ("run_after_stack: run_stack_handler is not available in this version (none of its jobs "
            "are part of this installation); not waiting for it") in caplog.text

    waits = sysprod(root, "run", "after_systems")
    assert waits.returncode == 0
    assert "waits for run_systems, which has not completed today" in waits.stdout
    assert [name for name, _, _ in read_calls(root)] == ["job_a"]


def test_a_run_stopped_after_a_failure_says_so_and_exits_1(tmp_path):
    root = make_installation(tmp_path / "inst", {
        "run_loop": {"methods": {
            "failing": job("failing"),
            "slow_loop": job("slow_loop", frequency=0, max_executions=-1),
        }},
    }, now=at(10))
    first = start_background(root, "run_loop")
    try:
        wait_for(lambda: any(n == "slow_loop" for n, _, _ in read_calls(root)), what="first loop")
        assert sysprod(root, "control", "set", "loop", "STOP").returncode == 0
        stdout, stderr = first.communicate(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert first.returncode == 1, stdout + stderr  # cron sees the failure
    assert "run_loop: stopped (control status set to STOP; failed: failing)" in stdout
    assert blob(root).process_control.get("run_loop").last_outcome == "stopped"
