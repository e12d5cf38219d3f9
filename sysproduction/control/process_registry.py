"""Which functions make up each production process, in the order they run.

process name -> method name -> "module:function". A job is `function(data: DataBlob) -> object`
(the object is a summary the runner prints). Functions are imported only when a process runs, so
listing processes is cheap and a process whose jobs are not part of this version can say so
instead of failing. Adding a job is one line here plus its frequency/max_executions in
`process_configuration_methods` of defaults.yaml.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from typing import Any

PROCESS_METHODS: dict[str, dict[str, str]] = {
    "run_daily_fx_and_contract_updates": {
        "update_fx_prices": "sysproduction.update_fx_prices:update_fx_prices",
        "update_sampled_contracts": "sysproduction.update_sampled_contracts:update_sampled_contracts",
    },
    "run_daily_prices_updates": {
        "update_historical_prices": "sysproduction.update_historical_prices:update_historical_prices",
    },
    "run_daily_update_multiple_adjusted_prices": {
        "auto_update_roll_status": "sysproduction.auto_update_roll_status:auto_update_roll_status",
        "update_multiple_adjusted_prices":
            "sysproduction.update_multiple_adjusted_prices:update_multiple_adjusted_prices",
    },
    "run_capital_update": {
        "update_total_capital": "sysproduction.update_total_capital:update_total_capital",
        "strategy_allocation": "sysproduction.update_strategy_capital:update_strategy_capital",
    },
    "run_systems": {
        "run_strategy_systems": "sysproduction.strategy_systems:run_strategy_systems",
    },
    "run_strategy_order_generator": {
        "generate_strategy_orders": "sysproduction.strategy_order_generator:generate_strategy_orders",
    },
    "run_stack_handler": {
        "spawn_contract_orders": "sysexecution.stack_handler:spawn_contract_orders",
        "create_broker_orders": "sysexecution.stack_handler:create_broker_orders",
        "process_fills": "sysexecution.stack_handler:process_fills",
        "handle_completed_orders": "sysexecution.stack_handler:handle_completed_orders",
        "safe_stack_removal": "sysexecution.stack_handler:safe_stack_removal",
    },
    "run_backups": {
        "backup_data": "sysproduction.control.backups:backup_data",
    },
    "run_cleaners": {
        "clean_logs": "sysproduction.control.cleaners:clean_logs",
        "clean_echo_files": "sysproduction.control.cleaners:clean_echo_files",
    },
    "run_reports": {
        "daily_reports": "sysproduction.reports.daily:daily_reports",
    },
    "startup": {
        "clear_stale_processes": "sysproduction.control.startup_jobs:clear_stale_processes",
        "clear_broker_client_ids": "sysbrokers.IB.client_ids:clear_client_ids",
    },
}

Job = Callable[[Any], object]


def canonical_process_name(name: str) -> str | None:
    """`stack_handler` or `run_stack_handler` -> `run_stack_handler`; None if unknown."""
    for candidate in (name, f"run_{name}"):
        if candidate in PROCESS_METHODS:
            return candidate
    return None


def _module_exists(module_name: str) -> bool:
    try:
        return importlib.util.find_spec(module_name) is not None
    except ModuleNotFoundError:  # a parent package is missing
        return False


def resolve_job(target: str) -> Job | None:
    """Import "module:function"; None when that module is not part of this version.

    A module that exists but lacks the function is a wiring mistake and fails loudly.
    """
    module_name, _, function_name = target.partition(":")
    if not _module_exists(module_name):
        return None
    module = importlib.import_module(module_name)
    try:
        return getattr(module, function_name)
    except AttributeError:
        raise AttributeError(
            f"process registry: {module_name} has no function '{function_name}' ({target})"
        ) from None
