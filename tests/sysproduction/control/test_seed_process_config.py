"""pysystemtrade's process_configuration_methods block, pasted into a private config as it is,
works: every process runs (real subprocesses) on a small synthetic installation."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import pytest

from syscore.clock import SIM_CLOCK_FILE, SharedSimClock
from syscore.config import load_config
from sysproduction.control import registry
from sysproduction.control.process_config import load_process_config
from sysproduction.control.runner import ProcessRunner
from sysproduction.wiring import make_blob
from tests.conftest import REPO_ROOT
from tests.sysproduction.control.helpers import make_installation
from tests.sysproduction.synthetic_install import installation

# Exactly what a pysystemtrade user has in their private config.
SEED_BLOCK = """
process_configuration_methods:
  run_capital_update:
    update_total_capital: # every 2 hours throughout the day
      frequency: 120
      max_executions: 10
    strategy_allocation:
      max_executions: 1
  run_daily_prices_updates: # all this stuff happens once. the order matters.
    update_fx_prices:
      max_executions: 1
    update_sampled_contracts:
      max_executions: 1
    update_historical_prices:
      max_executions: 1
    update_multiple_adjusted_prices:
      max_executions: 1
  run_stack_handler:
    refresh_additional_sampling_all_instruments:
      frequency: 60
      max_executions: -1
    check_external_position_break:
      frequency: 0
      max_executions: -1
    spawn_children_from_new_instrument_orders:
      frequency: 0
      max_executions: -1
    generate_force_roll_orders:
      frequency: 0
      max_executions: 1
    create_broker_orders_from_contract_orders:
      frequency: 0
      max_executions: -1
    process_fills_stack:
      frequency: 0
      max_executions: -1
    handle_completed_orders:
      frequency: 0
      max_executions: -1
    safe_stack_removal:
      run_on_completion_only: True
  run_reports:
    costs_report:
      max_executions: 1
    liquidity_report:
      max_executions: 1
    status_report:
      max_executions: 1
    roll_report:
      max_executions: 1
    daily_pandl_report:
      max_executions: 1
    reconcile_report:
      max_executions: 1
    trade_report:
      max_executions: 1
  run_backups:
    backup_arctic_to_csv:
      max_executions: 1
    backup_files:
      max_executions: 1
    backup_mongo_data_as_dump:
      max_executions: 1
  run_cleaners:
    clean_backtest_states:
      max_executions: 1
    clean_echo_files:
      max_executions: 1
    clean_log_files:
      max_executions: 1
  run_systems:
    my_strategy:
      max_executions: 1
      object: sysproduction.strategy_code.run_system_classic.runSystemClassic
      backtest_config_filename: systems.provided.example.simplesystemconfig.yaml
  run_strategy_order_generator:
    my_strategy:
      object: sysexecution.strategies.classic_buffered_positions.orderGeneratorForBufferedPositions
      max_executions: 1
"""

PRICE_METHODS = ["update_fx_prices", "update_sampled_contracts", "update_historical_prices",
                 "auto_update_roll_status", "update_multiple_adjusted_prices"]
AVAILABLE = {  # (process, method) pairs whose jobs are part of this version
    *(("run_daily_prices_updates", m) for m in PRICE_METHODS),
    *(("run_backups", m) for m in ("backup_arctic_to_csv", "backup_files", "backup_mongo_data_as_dump")),
    *(("run_cleaners", m) for m in ("clean_backtest_states", "clean_echo_files", "clean_log_files")),
    ("startup", "clear_stale_processes"), ("startup", "clear_broker_client_ids"),
    ("run_capital_update", "update_total_capital"), ("run_capital_update", "strategy_allocation"),
    ("run_systems", "my_strategy"), ("run_strategy_order_generator", "my_strategy"),
    *(("run_stack_handler", m) for m in (
        "refresh_additional_sampling_all_instruments", "check_external_position_break",
        "spawn_children_from_new_instrument_orders", "generate_force_roll_orders",
        "create_broker_orders_from_contract_orders", "process_fills_stack",
        "handle_completed_orders", "safe_stack_removal")),
    *(("run_reports", m) for m in ("costs_report", "liquidity_report", "status_report", "roll_report",
                                    "daily_pandl_report", "reconcile_report", "trade_report")),
}


def _seed_config(tmp_path):
    private = tmp_path / "private.yaml"
    private.write_text("broker: sim\n" + SEED_BLOCK)
    return load_config(private, env={})


def test_the_seed_block_is_read_as_pysystemtrade_means_it(tmp_path):
    config = _seed_config(tmp_path)
    capital = load_process_config(config, "run_capital_update").methods
    assert [(m.name, m.frequency_minutes, m.max_executions) for m in capital] == [
        ("update_total_capital", 120, 10), ("strategy_allocation", 0, 1)]
    prices = load_process_config(config, "run_daily_prices_updates").methods
    assert [m.name for m in prices] == PRICE_METHODS  # the auto roll still runs before stitching
    stack = {m.name: m for m in load_process_config(config, "run_stack_handler").methods}
    assert (stack["refresh_additional_sampling_all_instruments"].frequency_minutes,
            stack["refresh_additional_sampling_all_instruments"].max_executions) == (60, -1)
    assert stack["generate_force_roll_orders"].max_executions == 1
    assert stack["safe_stack_removal"].run_on_completion_only
    systems = load_process_config(config, "run_systems").methods
    assert [(m.name, m.max_executions) for m in systems] == [("my_strategy", 1)]
    # pysystemtrade's class names mean the provided launcher and order generator
    assert systems[0].strategy_settings == {
        "overnight_launcher": {
            "function": "sysproduction.jobs.strategies.classic_launcher:run_classic_system",
            "backtest_config_filename": "systems.provided.example.simplesystemconfig.yaml"},
        "order_generator": {
            "function": "sysproduction.jobs.strategies.buffered_orders:generate_buffered_orders"}}
    available = {
        (process, method.name)
        for process in registry.PROCESSES
        for method in load_process_config(config, process).methods
        if registry.resolve_job(method.target) is not None
    }
    assert available == AVAILABLE


def test_a_strategy_method_runs_its_launcher_with_the_strategy_and_its_settings(tmp_path, monkeypatch):
    monkeypatch.setitem(registry.STRATEGY_LAUNCHERS, "run_systems",
                        "tests.sysproduction.control.jobs_for_tests:strategy_launcher")
    root = make_installation(tmp_path / "inst", {}, now=dt.datetime(2026, 11, 25, 21))
    # the seed's systems.provided.example.simplesystemconfig.yaml is not provided here: name ours
    (root / "private_config.yaml").write_text((root / "private_config.yaml").read_text() + SEED_BLOCK.replace(
        "systems.provided.example.simplesystemconfig.yaml", "systems.provided.futures_chapter15.yaml"))
    data = make_blob(root)
    data.process_control.update("run_daily_prices_updates", lambda s: s.__class__(
        s.process_name, last_outcome="completed", end_time=dt.datetime(2026, 11, 25, 20, 30)))

    result = ProcessRunner(data, load_process_config(data.config, "run_systems")).run()

    assert result.outcome == "completed", result.summary_lines()
    launched = [json.loads(line) for line in (root / "launched.txt").read_text().splitlines()]
    assert launched == [{"strategy": "my_strategy", "settings": {
        "overnight_launcher": {
            "backtest_config_filename": "systems.provided.futures_chapter15.yaml",
            "function": "sysproduction.jobs.strategies.classic_launcher:run_classic_system"},
        "order_generator": {
            "function": "sysproduction.jobs.strategies.buffered_orders:generate_buffered_orders"}}}]


@pytest.fixture
def seeded_root(tmp_path, tree):
    blob, clock = installation(tmp_path / "root", tree, clock="simulated")
    path = blob.data_root / "private_config.yaml"
    path.write_text(path.read_text() + SEED_BLOCK)
    # 20:30 two days on: the next session (closing 23:00) is in; the evening's processes start
    SharedSimClock(blob.data_root / SIM_CLOCK_FILE).set(clock.now() + dt.timedelta(days=1, hours=21))
    return blob.data_root


def _env(root) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYSPROD_")}
    return {**env, "SYSPROD_DATA_ROOT": str(root)}


def _run(root, process: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", f"sysproduction.{process}"], env=_env(root),
        capture_output=True, text=True, cwd=REPO_ROOT, timeout=300,
    )


def _run_together(root, processes) -> dict[str, tuple[int, str, str]]:
    """Start the processes at once (as cron would), wait for all: name -> (code, stdout, stderr)."""
    started = {
        name: subprocess.Popen([sys.executable, "-m", f"sysproduction.{name}"], env=_env(root),
                               cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name in processes
    }
    done = {}
    for name, proc in started.items():
        out, err = proc.communicate(timeout=300)
        done[name] = (proc.returncode, out, err)
    return done


def test_every_process_runs_with_the_seed_block(seeded_root):
    prices = _run(seeded_root, "run_daily_prices_updates")
    assert prices.returncode == 0, prices.stdout + prices.stderr
    lines = prices.stdout.splitlines()
    assert lines[0] == "run_daily_prices_updates: completed (all methods done)"
    ran = [line.split(":")[0].strip() for line in lines[1:] if line.startswith("  ") and not line.startswith("    ")]
    assert ran == PRICE_METHODS
    assert all(f"  {m}: ran 1, ok" in prices.stdout for m in PRICE_METHODS)
    assert "update_multiple_adjusted_prices: 12 updated" in prices.stdout

    for process, (code, out, err) in _run_together(seeded_root, ["run_backups", "run_cleaners"]).items():
        assert code == 0, out + err
        assert out.splitlines()[0] == f"{process}: completed (all methods done)"
        assert "not available" not in out

    # the seed names pysystemtrade's example config, which is not provided here: one line, at start
    systems = _run(seeded_root, "run_systems")
    assert systems.returncode != 0
    assert "process_configuration_methods.run_systems.my_strategy.backtest_config_filename: " \
        "systems.provided.example.simplesystemconfig.yaml: no such file" in systems.stdout + systems.stderr
    assert "Traceback" not in systems.stdout + systems.stderr

    reports = _run(seeded_root, "run_reports")
    assert reports.returncode == 0, reports.stdout + reports.stderr
    assert reports.stdout.splitlines()[0] == "run_reports: completed (all methods done)"
    assert "not available" not in reports.stdout

    # last: waiting for run_systems moves the simulated clock to the stop time
    # the order generator waits for run_systems, which never ran: it says so and runs nothing
    orders = _run(seeded_root, "run_strategy_order_generator")
    assert "run_systems, which has not completed today" in orders.stdout, orders.stdout + orders.stderr
    assert "nothing run" in orders.stdout
    assert "Traceback" not in orders.stdout + orders.stderr
