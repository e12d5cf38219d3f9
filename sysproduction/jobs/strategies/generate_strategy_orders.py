"""The job of each strategy method of run_strategy_order_generator: run the strategy's order
generator.

The runner gives it the strategy's name and settings (strategy_config.strategy_settings); the
generator is `function(data, strategy_name, **arguments)` from the strategy's `order_generator`
part (default: the provided buffered_orders.generate_buffered_orders, which is also what
pysystemtrade's `orderGeneratorForBufferedPositions` names) and returns a JobSummary. A generator
that raises fails only its own strategy's method; the other strategies still run.

Run: `sysprod run run_strategy_order_generator` (every strategy of strategy_list).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from syscore.job_summary import JobSummary
from sysproduction.jobs.strategies.strategy_config import GENERATOR, resolve_settings

if TYPE_CHECKING:
    from sysdata.data_blob import DataBlob


def generate_strategy_orders(data: DataBlob, strategy_name: str, settings: dict[str, Any]) -> JobSummary | object:
    """Run one strategy's order generator with its arguments from config."""
    function, arguments = resolve_settings(settings, strategy_name, GENERATOR, data.data_root)
    return function(data, strategy_name, **arguments)
