"""The job of each strategy method of run_systems: run the strategy's overnight launcher.

The runner gives it the strategy's name and settings (strategy_config.strategy_settings); the
launcher is `function(data, strategy_name, **arguments)` (the provided one:
classic_launcher.run_classic_system) and returns a JobSummary. A launcher that raises fails only
its own strategy's method: the runner records it and runs the other strategies, and the process
ends "completed with failures".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from syscore.job_summary import JobSummary
from sysproduction.jobs.strategies.strategy_config import LAUNCHER, resolve_settings

if TYPE_CHECKING:
    from sysdata.data_blob import DataBlob


def run_strategy_system(data: DataBlob, strategy_name: str, settings: dict[str, Any]) -> JobSummary | object:
    """Run one strategy's nightly launcher with its arguments from config."""
    function, arguments = resolve_settings(settings, strategy_name, LAUNCHER, data.data_root)
    return function(data, strategy_name, **arguments)
