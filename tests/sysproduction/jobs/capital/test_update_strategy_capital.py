"""strategy_allocation: total capital split between strategies by the configured function."""

from __future__ import annotations

import datetime as dt

import pytest

from syscore.exceptions import ConfigError
from sysobjects.capital import initial_values
from sysproduction.jobs.capital.strategy_allocation import weighted_strategy_allocation
from sysproduction.jobs.capital.update_strategy_capital import (
    allocation_function,
    update_strategy_capital,
)
from tests.sysproduction.jobs.capital.conftest import START

OURS = "sysproduction.jobs.capital.strategy_allocation.weighted_strategy_allocation"


def configure(blob, **allocation) -> None:
    blob.config = blob.config.with_overrides({"strategy_capital_allocation": allocation})


def test_three_strategies_get_total_capital_by_weight_each_day(sim_blob):
    blob, clock = sim_blob
    blob.total_capital.append(START, initial_values(1_000_000.0, total_capital=800_000.0), "initialised")
    configure(blob, function=OURS, strategy_weights={"classic": 0.5, "fast": 0.3, "carry": 0.2})
    summary = update_strategy_capital(blob)
    assert summary.ok
    # 50%, 30%, 20% of 800,000 (total capital, not the broker account value)
    assert summary.updated == {
        "classic": "capital 400,000.00 USD (50.0% of 800,000.00)",
        "fast": "capital 240,000.00 USD (30.0% of 800,000.00)",
        "carry": "capital 160,000.00 USD (20.0% of 800,000.00)",
    }
    clock.advance(dt.timedelta(days=1))
    blob.total_capital.append(clock.now(), initial_values(1_000_000.0), "edited")
    update_strategy_capital(blob)
    history = blob.strategy_capital.all_history()
    assert history.to_dict("list") == {
        "carry": [160_000.0, 200_000.0], "classic": [400_000.0, 500_000.0], "fast": [240_000.0, 300_000.0]}
    assert list(history.index) == [START, START + dt.timedelta(days=1)]


def test_weights_are_normalised_so_pysystemtrade_configs_work_as_they_are():
    assert weighted_strategy_allocation(900.0, {"a": 60, "b": 30, "c": 0}) == {"a": 600.0, "b": 300.0, "c": 0.0}
    old_name = "sysproduction.strategy_code.strategy_allocation.weighted_strategy_allocation"
    assert allocation_function(old_name) is weighted_strategy_allocation
    assert allocation_function(OURS.replace(".weighted", ":weighted")) is weighted_strategy_allocation


def test_bad_configs_fail_the_method_in_one_line(sim_blob):
    blob, _ = sim_blob
    blob.total_capital.append(START, initial_values(1_000.0), "initialised")
    configure(blob, function=OURS, strategy_weights={"a": 1, "b": -1})
    assert update_strategy_capital(blob).failed == {
        "allocation": "strategy_capital_allocation.strategy_weights.b is -1; give a weight of 0 or more"}
    configure(blob, function="no.such.module.allocate", strategy_weights={"a": 1})
    assert "cannot import module no.such.module" in update_strategy_capital(blob).failed["allocation"]
    configure(blob, function=f"{__name__}:fixed_amounts", amount={"a": 1})  # misspelt argument
    assert "does not take the arguments ['amount']" in update_strategy_capital(blob).failed["allocation"]
    assert blob.strategy_capital.strategies() == []  # nothing stored by a failed allocation
    with pytest.raises(ConfigError, match="name a function"):
        allocation_function("")


def test_no_total_capital_yet_is_a_failure_naming_the_fix(sim_blob):
    blob, _ = sim_blob
    configure(blob, function=OURS, strategy_weights={"a": 1})
    assert "run run_capital_update" in update_strategy_capital(blob).failed["allocation"]


def test_a_listed_strategy_without_capital_fails_and_no_strategies_is_nothing_to_do(sim_blob):
    blob, _ = sim_blob
    blob.total_capital.append(START, initial_values(1_000.0), "initialised")
    summary = update_strategy_capital(blob)  # the defaults: no strategies, no weights
    assert summary.ok and not summary.updated and "nothing allocated" in summary.note
    blob.config = blob.config.with_overrides({"strategy_list": {"classic": {}, "carry": {}}})
    configure(blob, function=OURS, strategy_weights={"classic": 1})
    summary = update_strategy_capital(blob)
    assert list(summary.updated) == ["classic"]
    assert summary.failed == {"carry": "in strategy_list but strategy_capital_allocation gave it no "
                                       "capital; add it to strategy_capital_allocation.strategy_weights"}


def fixed_amounts(total_capital: float, amounts: dict[str, float], reserve: float = 0.0) -> dict[str, float]:
    """A user's own allocation: fixed amounts, scaled down to fit total capital less a reserve."""
    scale = min(1.0, (total_capital - reserve) / sum(amounts.values()))
    return {name: amount * scale for name, amount in amounts.items()}


def test_a_users_own_function_takes_its_own_arguments_from_config(sim_blob, tmp_path):
    blob, _ = sim_blob
    private = tmp_path / "private.yaml"
    private.write_text(
        "broker: sim\nstrategy_capital_allocation:\n"
        f"  function: {__name__}:fixed_amounts\n"
        "  amounts: {a: 600000, b: 600000}\n  reserve: 200000\n")
    from syscore.config import load_config

    blob.config = load_config(private, env={})
    blob.total_capital.append(START, initial_values(1_000_000.0), "initialised")
    assert update_strategy_capital(blob).ok
    # (1,000,000 - 200,000) / 1,200,000 = 2/3 of each 600,000
    assert blob.strategy_capital.latest("a") == pytest.approx(400_000.0, abs=1e-6)
    # with the provided function a misspelt key is still caught when the config is loaded
    private.write_text(f"broker: sim\nstrategy_capital_allocation:\n  function: {OURS}\n  strategy_weight: {{}}\n")
    with pytest.raises(ConfigError, match="did you mean 'strategy_capital_allocation.strategy_weights'"):
        load_config(private, env={})
