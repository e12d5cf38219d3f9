"""strategy_list: the methods of run_systems / run_strategy_order_generator come from it, with
pysystemtrade's names accepted; every mistake is one ConfigError naming the key and file."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from syscore.config import load_config
from syscore.exceptions import ConfigError
from sysproduction.control.process_config import load_process_config
from sysproduction.control.runner import ProcessRunner
from sysproduction.jobs.strategies.strategy_config import (
    BUFFERED_GENERATOR,
    CLASSIC_LAUNCHER,
    strategy_names,
    strategy_settings,
)
from sysproduction.wiring import make_blob
from tests.sysproduction.control.helpers import make_installation

CHAPTER15 = "systems/provided/futures_chapter15.yaml"


def _config(tmp_path, text: str):
    path = tmp_path / "private.yaml"
    path.write_text("broker: sim\n" + text)
    return load_config(path, env={}), path


def test_each_strategy_of_strategy_list_is_a_method_of_both_processes(tmp_path):
    config, _ = _config(tmp_path, f"""
strategy_list:
  fast:
    overnight_launcher: {{backtest_config_filename: {CHAPTER15}}}
  slow:
    overnight_launcher:
      object: sysproduction.strategy_code.run_system_classic.runSystemClassic
      backtest_config_filename: systems.provided.futures_chapter15.yaml
    order_generator:
      object: sysexecution.strategies.classic_buffered_positions.orderGeneratorForBufferedPositions
process_configuration_methods:
  run_systems:
    slow: {{max_executions: 2}}
""")
    assert strategy_names(config) == ["fast", "slow"]
    systems = load_process_config(config, "run_systems").methods
    assert [(m.name, m.max_executions) for m in systems] == [("fast", 1), ("slow", 2)]
    assert systems[1].strategy_settings == {
        "overnight_launcher": {"function": CLASSIC_LAUNCHER,
                               "backtest_config_filename": "systems.provided.futures_chapter15.yaml"},
        "order_generator": {"function": BUFFERED_GENERATOR},
    }
    generators = load_process_config(config, "run_strategy_order_generator").methods
    assert [m.name for m in generators] == ["fast", "slow"]
    assert all(m.target.endswith("generate_strategy_orders:generate_strategy_orders") for m in generators)


@pytest.mark.parametrize("text, message", [
    ("process_configuration_methods:\n  run_systems:\n    clasic: {max_executions: 1}\n",
     "process_configuration_methods.run_systems.clasic: unknown strategy 'clasic'; did you mean 'classic'?"),
    ("  classic2:\n    overnight_lancher: {}\n",
     "strategy_list.classic2: unknown setting 'overnight_lancher'; did you mean 'overnight_launcher'?"),
    ("  classic2:\n    overnight_launcher: {object: pysystemtrade.my.Thing}\n",
     "strategy_list.classic2.overnight_launcher: object 'pysystemtrade.my.Thing' is not one this version provides"),
    ("  classic2:\n    order_generator: {function: not_a_function}\n",
     "strategy_list.classic2.order_generator: function 'not_a_function' is not module:function"),
])
def test_a_config_mistake_is_one_line_naming_key_and_file(tmp_path, text, message):
    base = "strategy_list:\n  classic: {}\n"
    if text.startswith("  "):
        base += text
        text = ""
    config, path = _config(tmp_path, base + text)
    with pytest.raises(ConfigError) as err:
        load_process_config(config, "run_systems")
    assert str(err.value).startswith(f"{path}: ")
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_strategy_settings_of_an_unknown_strategy_names_the_known_ones(tmp_path):
    config, _ = _config(tmp_path, "strategy_list:\n  classic: {}\n  other: {}\n")
    with pytest.raises(ConfigError, match="unknown strategy 'nope'; known strategies: classic, other"):
        strategy_settings(config, "nope")


@pytest.mark.parametrize("launcher, message", [
    ({"backtest_config_filename": "systems/provided/nothing.yaml"},
     "strategy_list.classic.overnight_launcher.backtest_config_filename: systems/provided/nothing.yaml: no such file"),
    ({"function": "no_such_module.launch:run", "backtest_config_filename": CHAPTER15},
     "strategy_list.classic.overnight_launcher: function no_such_module.launch:run: cannot import module"),
    ({}, "strategy_list.classic.overnight_launcher: no backtest_config_filename; add one"),
    ({"function": "sysproduction.jobs.strategies.run_strategy_system:run_strategy_system",
      "backtest_config_filename": CHAPTER15},
     "strategy_list.classic.overnight_launcher: sysproduction.jobs.strategies.run_strategy_system:"
     "run_strategy_system cannot take these arguments"),
])
def test_a_strategy_that_cannot_run_stops_the_process_at_start(tmp_path, launcher, message):
    root = make_installation(tmp_path / "inst", {}, now=dt.datetime(2026, 11, 25, 21),
                             strategy_list={"classic": {"overnight_launcher": launcher}})
    data = make_blob(root)
    data.process_control.update("run_daily_prices_updates", lambda s: s.__class__(
        s.process_name, last_outcome="completed", end_time=dt.datetime(2026, 11, 25, 20, 30)))
    with pytest.raises(ConfigError) as err:
        ProcessRunner(data, load_process_config(data.config, "run_systems")).run()
    assert message in str(err.value)
    assert str(err.value).startswith(str(root / "private_config.yaml"))
    assert data.process_control.get("run_systems").last_outcome is None  # nothing claimed or run
    assert yaml.safe_load((root / "private_config.yaml").read_text())["strategy_list"]  # untouched


def test_the_classic_launcher_refuses_an_argument_it_does_not_take(tmp_path):
    from sysproduction.jobs.strategies.classic_launcher import run_classic_system

    root = make_installation(tmp_path / "inst", {}, now=dt.datetime(2026, 11, 25, 21))
    with pytest.raises(ConfigError, match="the classic launcher takes only backtest_config_filename, not "
                                          "instruments; remove it"):
        run_classic_system(make_blob(root), "classic", CHAPTER15, instruments=["CORN"])
