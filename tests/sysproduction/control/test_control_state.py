"""Control state, liveness and process config, in-process on a real SQLite store."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from dataclasses import replace

import pytest

from syscore.clock import FixedClock
from syscore.config import load_config
from syscore.exceptions import ConcurrencyError, ConfigError
from syscore.liveness import hostname, is_alive, process_identity
from sysdata.repos.process_control import ProcessStatus
from syslogdiag import flush_logs, setup_process_logging, shutdown_logging
from sysproduction.control import control_state
from sysproduction.control.process_config import load_process_config, merged_section
from sysproduction.control.runner import ProcessRunner
from sysproduction.wiring import make_blob
from tests.sysproduction.control.helpers import dead_pid, job
from tests.sysproduction.control.jobs_for_tests import read_calls

NOW = dt.datetime(2026, 11, 25, 10, 0)


@pytest.fixture
def blob(tmp_path):
    config = load_config(None, env={}).with_overrides({"data_root": str(tmp_path)})
    data = make_blob(tmp_path, config, FixedClock(NOW))
    setup_process_logging(data, "test")
    yield data
    shutdown_logging()


def test_liveness_follows_identity_not_just_the_pid():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        identity = process_identity(child.pid)
        assert is_alive(child.pid, identity)
        assert not is_alive(child.pid, "another-boot:1")  # same pid number, different process
    finally:
        child.kill()
        child.wait()
    assert not is_alive(child.pid, identity)


def test_claim_refuses_live_holder_and_takes_over_from_dead_one(blob):
    control = blob.process_control
    me = control_state.Me.current()
    control_state.claim(control, "run_x", NOW, me)
    with pytest.raises(ConcurrencyError, match="run_x is already running"):
        control_state.claim(control, "run_x", NOW, me)

    pid, identity = dead_pid()
    control.update("run_x", lambda s: replace(s, pid=pid, identity=identity))
    claimed = control_state.claim(control, "run_x", NOW, me)
    flush_logs()

    assert (claimed.running, claimed.pid) == (True, me.pid)
    assert [run["last_outcome"] for run in control.history("run_x")] == ["died"]
    critical = blob.logs.query(min_level="CRITICAL")
    assert len(critical) == 1 and f"(pid {pid} on {hostname()}" in critical[0]["message"]


def test_holder_on_another_host_is_not_guessed_dead(blob):
    control = blob.process_control
    control.update("run_x", lambda s: replace(
        s, running=True, pid=1, host="elsewhere", start_time=NOW))
    with pytest.raises(ConcurrencyError, match="on host elsewhere"):
        control_state.claim(control, "run_x", NOW, control_state.Me.current())
    assert control_state.mark_dead_processes(control, NOW) == []
    control_state.mark_finished(control, "run_x", NOW)
    assert not control.get("run_x").running


def test_pause_waits_between_methods_until_go(blob):
    config = load_process_config(blob.config.with_overrides({
        "process_configuration_methods": {"run_p": {
            "job_a": job("job_a"), "job_b": job("job_b"),
        }},
    }), "run_p")
    blob.process_control.set_status("run_p", ProcessStatus.PAUSE)
    pauses = []

    def pause_sleep(seconds: float) -> None:
        pauses.append(len(read_calls(blob.data_root)))
        if len(pauses) == 3:
            blob.process_control.set_status("run_p", ProcessStatus.GO)

    result = ProcessRunner(blob, config, pause_sleep=pause_sleep).run()

    assert result.outcome == "completed"
    assert pauses == [0, 0, 0]  # nothing ran while paused
    assert [n for n, _, _ in read_calls(blob.data_root)] == ["job_a", "job_b"]


def test_private_config_overrides_one_process_and_keeps_the_rest(tmp_path):
    config = load_config(None, env={}).with_overrides({
        "process_configuration_methods": {"run_capital_update": {"update_total_capital": {
            "frequency": 30}}},
        "process_configuration_start_time": {"run_systems": "21:00"},
    })
    capital = load_process_config(config, "capital_update")
    total = capital.methods[0]
    assert (total.name, total.frequency_minutes, total.max_executions) == ("update_total_capital", 30, 10)
    assert load_process_config(config, "run_systems").start_time == dt.time(21, 0)
    assert load_process_config(config, "run_backups").start_time == dt.time(20, 15)
    assert "run_stack_handler" in merged_section(config, "process_configuration_methods")


@pytest.mark.parametrize("override, message", [
    ({"process_configuration_start_time": {"run_systems": "25:99"}}, "is not HH:MM"),
    ({"strategy_list": {"my_strategy": {}},
      "process_configuration_methods": {"run_systems": {"my_strategy": {"frequncy": 1}}}},
     "unknown setting(s) frequncy; did you mean 'frequency'?"),
    ({"strategy_list": {"my_strategy": {}},
      "process_configuration_methods": {"run_systems": {"my_strategy": {"frequency": -5}}}},
     "frequency must be minutes >= 0"),
    ({"strategy_list": {"my_strategy": {}},  # a method of run_systems names a strategy
      "process_configuration_methods": {"run_systems": {"my_strategey": {"max_executions": 1}}}},
     "run_systems.my_strategey: unknown strategy 'my_strategey'; did you mean 'my_strategy'?"),
    ({"process_configuration_methods": {"run_backups": {"extra": {"max_executions": 1}}}},
     "run_backups.extra: unknown method; run_backups has backup_arctic_to_csv, backup_files"),
    ({"process_configuration_methods": {"run_backups": {"extra": {"function": "extra"}}}},
     "function 'extra' is not module:function"),
])
def test_bad_process_config_is_one_clear_error(override, message):
    config = load_config(None, env={}).with_overrides(override)
    with pytest.raises(ConfigError) as err:
        load_process_config(config, "run_systems")
    assert message in str(err.value)


def test_unquoted_yaml_time_is_read_as_hours_and_minutes(tmp_path):
    private = tmp_path / "private.yaml"
    private.write_text("process_configuration_start_time:\n  run_systems: 20:05\n")
    config = load_config(private, env={})
    assert load_process_config(config, "run_systems").start_time == dt.time(20, 5)


def test_window_past_midnight():
    config = load_config(None, env={}).with_overrides({
        "process_configuration_start_time": {"run_systems": "22:00"},
        "process_configuration_stop_time": {"run_systems": "02:00"},
    })
    process = load_process_config(config, "run_systems")
    late = dt.datetime(2026, 11, 25, 23, 0)
    assert process.window(late) == (late.replace(hour=22), dt.datetime(2026, 11, 26, 2, 0))
    early = dt.datetime(2026, 11, 26, 1, 0)
    assert process.window(early) == (dt.datetime(2026, 11, 25, 22, 0), early.replace(hour=2))
