"""Job (method `strategy_allocation` of run_capital_update): split total capital between the
strategies and store each strategy's capital, stamped with the installation's clock.

`strategy_capital_allocation` in config names the function (module.function or module:function)
and its keyword arguments; the function gets total capital first and returns strategy -> capital
(see strategy_allocation.py for the provided one).

A strategy of `strategy_list` that the allocation gives no capital is a failure (its nightly
backtest could not size positions); with no strategies configured at all there is nothing to do.
"""

from __future__ import annotations

import inspect
import logging
import math
from collections.abc import Callable
from typing import Any

from syscore.exceptions import ConfigError, DataValidationError
from sysdata.data_blob import DataBlob
from syslogdiag import log_context
from sysproduction.control.registry import resolve_user_function
from sysproduction.jobs.summary import JobSummary

log = logging.getLogger(__name__)

KEY = "strategy_capital_allocation"
PROVIDED = "sysproduction.jobs.capital.strategy_allocation:weighted_strategy_allocation"
# pysystemtrade's name of the provided function, accepted as the same function
ALIASES = {
    "sysproduction.strategy_code.strategy_allocation.weighted_strategy_allocation": PROVIDED,
    "sysproduction.strategy_code.strategy_allocation:weighted_strategy_allocation": PROVIDED,
}

Allocation = Callable[..., dict[str, float]]


def allocation_function(target: str) -> Allocation:
    """The configured allocation function; `module.function` and `module:function` both work."""
    if not isinstance(target, str) or not target:
        raise ConfigError(f"{KEY}.function is {target!r}; name a function, e.g. {PROVIDED}")
    target = ALIASES.get(target, target)
    if ":" not in target:
        module, _, name = target.rpartition(".")
        target = f"{module}:{name}"
    return resolve_user_function(target, f"{KEY}.function")


def allocate(function: Allocation, total_capital: float, arguments: dict[str, Any]) -> dict[str, float]:
    """Call the allocation function and check what it gives back."""
    try:
        inspect.signature(function).bind(total_capital, **arguments)
    except TypeError as exc:
        raise ConfigError(
            f"{KEY}: {function.__module__}.{function.__name__} does not take the arguments "
            f"{sorted(arguments)} ({exc}); fix the keys under {KEY}"
        ) from None
    result = function(total_capital, **arguments)
    if not isinstance(result, dict):
        raise DataValidationError(f"{KEY}: the function returned {type(result).__name__}, not strategy -> capital")
    checked: dict[str, float] = {}
    for name, value in result.items():
        if not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
            raise DataValidationError(
                f"{KEY}: the function gave strategy '{name}' capital {value!r}; it must be a "
                "finite number of 0 or more"
            )
        checked[str(name)] = float(value)
    return checked


def update_strategy_capital(data: DataBlob) -> JobSummary:
    summary = JobSummary("update_strategy_capital")
    settings = dict(data.config[KEY] or {})
    target = settings.pop("function", None)
    listed = list(data.config["strategy_list"] or {})
    if not listed and not any(settings.values()):
        summary.note = f"no strategies configured (strategy_list and {KEY} are empty); nothing allocated"
        return summary
    base = data.config["base_currency"]
    with log_context(type="capital"), summary.isolated("allocation", "strategy capital"):
        function = allocation_function(target)
        total = data.total_capital.total_capital()
        capital = allocate(function, total, settings)
        now = data.clock.now()
        data.strategy_capital.record(now, capital)
        for name, value in capital.items():
            share = value / total if total else 0.0
            log.info("strategy %s: capital %.2f %s (%.1f%% of %.2f)", name, value, base, share * 100, total)
            summary.updated[name] = f"capital {value:,.2f} {base} ({share:.1%} of {total:,.2f})"
    for name in listed:
        if name not in summary.updated and "allocation" not in summary.failed:
            summary.failed[name] = (
                f"in strategy_list but {KEY} gave it no capital; add it to {KEY}.strategy_weights"
            )
            log.error("strategy %s: %s", name, summary.failed[name])
    return summary
