"""export-fixed-config: a run's parameters written back as a config where each is fixed; running
that config gives the same positions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from systems.config import parse_backtest_config
from systems.fixed_config import NotFixable, config_as_run, fixed_config, used_parameters
from tests.systems.synthetic import INSTRUMENTS, write_config

SYSPROD = str(Path(sys.executable).with_name("sysprod"))
RAW = {
    "trading_rules": {
        "fast": {"function": "systems.provided.rules.ewmac.ewmac",
                 "data": ["rawdata.get_daily_prices", "rawdata.daily_returns_volatility"],
                 "other_args": {"Lfast": 16, "Lslow": 64}, "forecast_scalar": 3.75},
        "carry": {"function": "systems.provided.rules.carry.carry", "data": ["rawdata.raw_carry"],
                  "other_args": {"smooth_days": 90}},  # scalar left to the default 1.0
    },
    "forecast_weights": {"fast": 0.6, "carry": 0.4},
    "forecast_div_multiplier": 1.2,
    "instrument_weights": {"AAA": 0.5, "BBB": 0.5},
    "buffer_size": 0.2,
}


def sysprod(*args: object) -> subprocess.CompletedProcess:
    env = {**os.environ, "MPLBACKEND": "Agg"}
    return subprocess.run([SYSPROD, *map(str, args)], capture_output=True, text=True, timeout=120, env=env)


def test_used_parameters_are_the_values_the_config_resolves_to():
    used = used_parameters(parse_backtest_config(RAW))
    assert used == {
        "forecast_scalars": {"carry": 1.0, "fast": 3.75},
        "forecast_weights": {"AAA": {"carry": 0.4, "fast": 0.6}, "BBB": {"carry": 0.4, "fast": 0.6}},
        "forecast_div_multiplier": {"AAA": 1.2, "BBB": 1.2},
        "instrument_weights": {"AAA": 0.5, "BBB": 0.5},
        "instrument_div_multiplier": 1.0,
        "notional_trading_capital": 1_000_000.0,
    }


def test_fixed_config_writes_every_parameter_and_keeps_the_rest():
    used = used_parameters(parse_backtest_config(RAW))
    used["forecast_scalars"]["carry"] = 30.0  # as an estimate would give
    used["forecast_div_multiplier"]["BBB"] = 1.35
    used["instrument_div_multiplier"] = 1.5
    fixed = fixed_config(RAW, used)
    assert fixed["trading_rules"]["carry"] == {**RAW["trading_rules"]["carry"], "forecast_scalar": 30.0}
    assert fixed["trading_rules"]["fast"]["forecast_scalar"] == 3.75
    assert fixed["forecast_weights"] == {"AAA": {"carry": 0.4, "fast": 0.6}, "BBB": {"carry": 0.4, "fast": 0.6}}
    assert fixed["forecast_div_multiplier"] == {"AAA": 1.2, "BBB": 1.35}
    assert fixed["instrument_div_multiplier"] == 1.5
    assert fixed["buffer_size"] == 0.2  # not a parameter: kept
    assert RAW["forecast_div_multiplier"] == 1.2  # the input is not changed
    config = parse_backtest_config(fixed)
    assert config.fdm == {"AAA": 1.2, "BBB": 1.35} and config.rules["carry"].forecast_scalar == 30.0


def test_estimated_parameters_are_not_written_as_fixed_and_switches_are_turned_off():
    config = parse_backtest_config(RAW)
    used = used_parameters(config, {"forecast_weight_tables": {"AAA": None}})
    assert used["estimated"] == ["forecast_weight_tables"]
    with pytest.raises(NotFixable, match="the run estimated forecast_weight_tables"):
        fixed_config(RAW, used)
    fixed = fixed_config({**RAW, "use_forecast_scale_estimates": True}, used_parameters(config))
    assert fixed["use_forecast_scale_estimates"] is False


def test_config_as_run_keeps_the_run_instruments_and_capital():
    config = parse_backtest_config({**RAW, "forecast_div_multiplier": {"AAA": 1.1, "BBB": 1.3}})
    config = config.with_instruments(["BBB"])
    from dataclasses import replace

    as_run = config_as_run({**RAW, "forecast_div_multiplier": {"AAA": 1.1, "BBB": 1.3}}, replace(config, capital=5e5))
    assert as_run["instrument_weights"] == {"BBB": 0.5}
    assert as_run["forecast_div_multiplier"] == {"BBB": 1.3}
    assert as_run["notional_trading_capital"] == 5e5 and as_run["mode"] == "compatible"


def test_running_the_exported_config_gives_the_same_positions(tmp_path, synthetic_tree):
    config = write_config(tmp_path / "system.yaml", notional_trading_capital=400000)
    first = sysprod("backtest", "run", config, "--csv-data", synthetic_tree, "--out", tmp_path / "first")
    assert first.returncode == 0, first.stderr

    exported = sysprod("backtest", "export-fixed-config", tmp_path / "first", tmp_path / "fixed.yaml")
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.strip() == (
        f"{tmp_path / 'fixed.yaml'}: 7 rules, {len(INSTRUMENTS)} instruments, IDM 1.89, every parameter "
        f"fixed from {tmp_path / 'first'}")
    fixed = yaml.safe_load((tmp_path / "fixed.yaml").read_text())
    assert set(fixed["forecast_weights"]) == set(INSTRUMENTS)  # per instrument now
    assert fixed["forecast_div_multiplier"] == {code: 1.31 for code in INSTRUMENTS}
    assert fixed["notional_trading_capital"] == 400000

    again = sysprod("backtest", "run", tmp_path / "fixed.yaml", "--csv-data", synthetic_tree, "--out", tmp_path / "again")
    assert again.returncode == 0, again.stderr
    for code in INSTRUMENTS:
        assert (tmp_path / "first" / f"{code}.csv").read_text() == (tmp_path / "again" / f"{code}.csv").read_text()
    used = [json.loads((tmp_path / name / "summary.json").read_text())["parameters"] for name in ("first", "again")]
    assert used[0] == used[1]


@pytest.mark.parametrize("make, message", [
    (lambda folder: folder.mkdir(), "no summary.json; give the folder of a backtest run"),
    (lambda folder: (folder.mkdir(), (folder / "summary.json").write_text('{"sharpe": 0.5}')),
     "the run did not record its parameters and config"),
    (lambda folder: (folder.mkdir(), (folder / "config.yaml").write_text(yaml.safe_dump(RAW)),
                     (folder / "summary.json").write_text(json.dumps({"parameters": {
                         **used_parameters(parse_backtest_config(RAW)), "estimated": ["forecast_weight_tables"]}}))),
     "the run estimated forecast_weight_tables; this version writes fixed values only for runs whose "
     "parameters were all given; give the values by hand in a copy of"),
])
def test_a_folder_that_is_not_a_recorded_run_is_one_line(tmp_path, make, message):
    make(tmp_path / "old")
    done = sysprod("backtest", "export-fixed-config", tmp_path / "old", tmp_path / "fixed.yaml")
    assert done.returncode != 0
    assert message in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "fixed.yaml").exists()
