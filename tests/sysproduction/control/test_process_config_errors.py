"""Every process-config mistake is one line naming the key and the fix, a non-zero exit and no
traceback, at the start of the process (real `sysprod` subprocesses); nothing runs."""

from __future__ import annotations

import datetime as dt

import pytest

from sysproduction.wiring import make_blob
from tests.sysproduction.control.helpers import job, make_installation, sysprod
from tests.sysproduction.control.jobs_for_tests import read_calls

NOW = dt.datetime(2026, 11, 25, 10, 0)
MINE = {"job_a": job("job_a")}

CASES = {
    "function without that name": (
        {"process_configuration_methods": {"run_mine": {
            "job_a": job("job_a"), "check": {"function": "os:no_such_fn"}}}},
        "mine",
        "process_configuration_methods.run_mine.check: function os:no_such_fn: module os has no "
        "'no_such_fn'; fix the name"),
    "function in a module that does not exist": (
        {"process_configuration_methods": {"run_mine": {"check": {"function": "no_such_mod:fn"}}}},
        "mine",
        "process_configuration_methods.run_mine.check: function no_such_mod:fn: cannot import "
        "module no_such_mod"),
    "misspelt process under start_time": (
        {"process_configuration_start_time": {"run_sytems": "21:00"}},
        "mine",
        "process_configuration_start_time.run_sytems: unknown process; did you mean 'run_systems'?"),
    "misspelt process under stop_time": (
        {"process_configuration_stop_time": {"run_stack_handlr": "19:45"}},
        "mine",
        "process_configuration_stop_time.run_stack_handlr: unknown process; did you mean "
        "'run_stack_handler'?"),
    "misspelt process under previous_process": (
        {"process_configuration_previous_process": {"run_reprots": "run_backups"}},
        "mine",
        "process_configuration_previous_process.run_reprots: unknown process; did you mean "
        "'run_reports'?"),
    "misspelt previous process": (
        {"process_configuration_previous_process": {"run_systems": "run_daily_price_updates"}},
        "mine",
        "process_configuration_previous_process.run_systems: unknown process "
        "'run_daily_price_updates'; did you mean 'run_daily_prices_updates'?"),
    "unknown method of a process": (
        {"process_configuration_methods": {"run_reports": {"cost_report": {"max_executions": 1}}}},
        "mine",
        "process_configuration_methods.run_reports.cost_report: unknown method; did you mean "
        "'costs_report'?"),
    "misspelt process under methods": (
        {"process_configuration_methods": {"run_clenaers": {"clean_echo_files": {"max_executions": 1}}}},
        "mine",
        "process_configuration_methods.run_clenaers.clean_echo_files: no function for this method; "
        "is 'run_clenaers' a misspelt 'run_cleaners'?"),
    "misspelt method setting": (
        {"process_configuration_methods": {"run_capital_update": {
            "update_total_capital": {"frequncy": 60}}}},
        "mine",
        "process_configuration_methods.run_capital_update.update_total_capital: unknown setting(s) "
        "frequncy; did you mean 'frequency'?"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_process_config_mistake_is_one_line_at_start(tmp_path, case):
    override, process, message = CASES[case]
    root = make_installation(tmp_path / "inst", {"run_mine": {"methods": MINE}}, now=NOW)
    config = root / "private_config.yaml"
    import yaml

    values = yaml.safe_load(config.read_text())
    for key, value in override.items():
        values.setdefault(key, {}).update(value)
    config.write_text(yaml.safe_dump(values))

    out = sysprod(root, "run", process)

    assert out.returncode == 1
    assert out.stderr.startswith(f"error: {config}: ")
    assert message in out.stderr, out.stderr
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
    assert out.stdout == ""
    assert read_calls(root) == []  # nothing ran
    assert make_blob(root).process_control.get("run_mine").start_time is None
