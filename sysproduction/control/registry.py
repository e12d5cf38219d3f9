"""The one registry of what can be run: processes and their methods, single jobs, interactive
tools. Everything else is derived from it: `sysprod run NAME`, the `python -m sysproduction.NAME`
alias modules, the `scripts/` wrappers (tests check both against `entry_names()`), and the
validation of config's `process_configuration_methods` (process_config.py).

Targets are "module:function" strings, imported only when run, so listing is cheap, and a method
whose job is not part of this version says "not available in this version" instead of failing.

A job is `function(data: DataBlob) -> object` (the object is a summary the runner prints; a
JobSummary with failed items fails the method). Method names are pysystemtrade's, so a user's copy
of its `process_configuration_methods` works as it is; where the backends differ (Parquet, SQLite)
the job does the equivalent under the same name. Adding a job to a process is one line in
METHODS plus its line (frequency/max_executions) under the process in defaults.yaml's
`process_configuration_methods`, which holds each process's method list and order.

`run_systems` and `run_strategy_order_generator` have one method per strategy of `strategy_list`
(pysystemtrade's shape, `my_strategy: {max_executions: 1, object: ..., backtest_config_filename:
...}` under the process, is read too: sysproduction/jobs/strategies/strategy_config.py); each runs
the process's STRATEGY_LAUNCHERS job, `job(data, strategy_name=..., settings=...)` with the
strategy's settings (`overnight_launcher`, `order_generator`).
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from typing import Any

from syscore.exceptions import ConfigError

_PRICES = "sysproduction.jobs.prices"
_STACK = "sysexecution.stack_handler"
_BACKUPS = "sysproduction.jobs.housekeeping.backups"
_CLEANERS = "sysproduction.jobs.housekeeping.cleaners"

# Jobs that can also be run one at a time (`sysprod run NAME`, `python -m sysproduction.NAME`,
# `scripts/NAME`), for catching up by hand after a failure.
JOBS: dict[str, str] = {
    name: f"{_PRICES}.{name}:{name}"
    for name in ("update_fx_prices", "update_sampled_contracts", "update_historical_prices",
                 "auto_update_roll_status", "update_multiple_adjusted_prices")
}

# Interactive tools: numbered menus that also work with piped input.
TOOLS: dict[str, str] = {
    f"interactive_{name}": f"sysproduction.interactive.{name}:interactive_{name}"
    for name in ("controls", "diagnostics", "update_roll_status",
                 "manual_check_historical_prices", "manual_check_fx_prices", "update_override",
                 "order_stack")
}
# pysystemtrade's name, kept: initialise, adjust and confirm total capital
TOOLS["update_capital_manual"] = "sysproduction.interactive.update_capital_manual:update_capital_manual"

# The built-in processes. Which methods each runs, in which order and how often is config:
# `process_configuration_methods` in defaults.yaml (a private config may change the schedule or
# add methods of its own with `function: module:function`); a test checks that every default
# method has its function here and every function here is a default method of some process.
PROCESSES: tuple[str, ...] = (
    "run_daily_prices_updates", "run_capital_update", "run_systems",
    "run_strategy_order_generator", "run_stack_handler", "run_backups", "run_cleaners",
    "run_reports", "startup",
)

# method name -> the job it runs, for every method of the built-in processes (except the
# strategy methods of run_systems / run_strategy_order_generator: STRATEGY_LAUNCHERS).
METHODS: dict[str, str] = {
    **JOBS,  # run_daily_prices_updates
    "update_total_capital": "sysproduction.jobs.capital.update_total_capital:update_total_capital",
    "strategy_allocation": "sysproduction.jobs.capital.update_strategy_capital:update_strategy_capital",
    **{
        name: f"{_STACK}:{name}"
        for name in (
            "refresh_additional_sampling_all_instruments",
            "check_external_position_break",
            "spawn_children_from_new_instrument_orders",
            "generate_force_roll_orders",
            "create_broker_orders_from_contract_orders",
            "process_fills_stack",
            "handle_completed_orders",
            "safe_stack_removal",
        )
    },
    # Parquet store -> CSV layout; private files; SQLite document store dump
    **{name: f"{_BACKUPS}:{name}"
       for name in ("backup_arctic_to_csv", "backup_files", "backup_mongo_data_as_dump")},
    **{name: f"{_CLEANERS}:{name}"
       for name in ("clean_backtest_states", "clean_echo_files", "clean_log_files")},
    **{name: f"sysproduction.reports.{name}:{name}"
       for name in ("costs_report", "liquidity_report", "status_report", "roll_report",
                    "daily_pandl_report", "reconcile_report", "trade_report")},
    "clear_stale_processes": "sysproduction.jobs.housekeeping.startup:clear_stale_processes",
    "clear_broker_client_ids": "sysbrokers.ib.client_ids:clear_client_ids",
}

# The job each strategy method of these processes runs, with the strategy's name and settings.
STRATEGY_LAUNCHERS: dict[str, str] = {
    "run_systems": "sysproduction.jobs.strategies.run_strategy_system:run_strategy_system",
    "run_strategy_order_generator": "sysproduction.jobs.strategies.generate_strategy_orders:generate_strategy_orders",
}

Job = Callable[[Any], object]


def entry_names() -> list[str]:
    """Every name a user runs: processes, jobs and tools. Each has an alias module
    `sysproduction/NAME.py` (text `alias_source(NAME)`) and a wrapper `scripts/NAME`; tests check
    both sets against this list."""
    return [*PROCESSES, *JOBS, *TOOLS]


def alias_source(name: str) -> str:
    """The whole text of `sysproduction/NAME.py`, the module behind `python -m
    sysproduction.NAME`: it only hands NAME to the one entry path (`control/entry.py`)."""
    return (
        f'"""`python -m sysproduction.{name}`: runs {name} (what it is: '
        'sysproduction/control/registry.py)."""\n\n'
        "from sysproduction.control.entry import main\n\n"
        'if __name__ == "__main__":\n'
        f'    main("{name}")\n'
    )


# Module paths of earlier versions that users type or import, now elsewhere: old -> new (each
# old module only runs or re-exports the new one; a test checks).
MOVED_MODULES: dict[str, str] = {
    "sysproduction.control.backups": "sysproduction.jobs.housekeeping.backups",  # restore
    "sysproduction.job_summary": "sysproduction.jobs.summary",  # imported by users' own jobs
}


def _module_exists(module_name: str) -> bool:
    try:
        return importlib.util.find_spec(module_name) is not None
    except ModuleNotFoundError:  # a parent package is missing
        return False


def resolve_job(target: str) -> Job | None:
    """Import a registry target "module:function"; None when it is not part of this version
    (its module, or the function in it, comes with a later version). A test pins which methods
    are available, so a misspelt target cannot hide here."""
    module_name, _, function_name = target.partition(":")
    if not _module_exists(module_name):
        return None
    function = getattr(importlib.import_module(module_name), function_name, None)
    return function if callable(function) else None


def resolve_user_function(target: str, where: str) -> Job:
    """Import a `function: module:function` the user named in config, or say in one line what is
    wrong with it (checked when the process starts, before it runs anything)."""
    module_name, _, function_name = target.partition(":")
    if not module_name or not function_name:
        raise ConfigError(f"{where}: function {target!r} is not module:function; fix it")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(
            f"{where}: function {target}: cannot import module {module_name} ({exc}); fix the "
            "name or put the module on PYTHONPATH"
        ) from None
    function = getattr(module, function_name, None)
    if function is None:
        raise ConfigError(
            f"{where}: function {target}: module {module_name} has no '{function_name}'; fix the name"
        )
    if not callable(function):
        raise ConfigError(f"{where}: function {target}: '{function_name}' is not a function; fix it")
    return function
