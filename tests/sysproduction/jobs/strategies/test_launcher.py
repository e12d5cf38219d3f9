"""The classic launcher: the strategy's backtest on the stored prices with the strategy's capital,
its optimal positions stored, its run kept as a results folder; equal to `sysprod backtest run` on
the same data exported to CSV."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from syscore.clock import SIM_CLOCK_FILE, SharedSimClock
from sysproduction.jobs.strategies.classic_launcher import run_classic_system
from systems.config import provided_config_path
from tests.conftest import REPO_ROOT
from tests.sysproduction.synthetic_install import START, installation

INSTRUMENTS = {"CORN": 0.3, "DAX": 0.25, "NIKKEI": 0.2, "US10": 0.25}  # USD, EUR and JPY
CAPITAL = 750_000.0
POSITION_COLUMNS = ["notional_position", "buffer_lower", "buffer_upper", "buffered_position"]


def _config(path: Path, capital: float = 250_000.0, instruments: dict | None = None) -> Path:
    raw = yaml.safe_load(provided_config_path().read_text())
    raw["instrument_weights"] = instruments or INSTRUMENTS
    raw["notional_trading_capital"] = capital
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def _env(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYSPROD_")}
    return {**env, "SYSPROD_DATA_ROOT": str(root)}


def _sysprod(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sysproduction", *args], env=_env(root), cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def strategy_blob(tmp_path, tree):
    blob, _ = installation(tmp_path / "root", tree)
    blob.strategy_capital.record(START - dt.timedelta(hours=3), {"classic": CAPITAL})
    return blob


def _run_dir(blob) -> Path:
    runs = sorted((blob.data_root / "backtests" / "classic").iterdir())
    assert [r.name for r in runs] == [f"{START:%Y%m%d_%H%M%S}"]
    return runs[0]


def test_launcher_positions_equal_the_cli_backtest_on_the_exported_csv(strategy_blob, tmp_path):
    blob = strategy_blob
    summary = run_classic_system(blob, "classic", str(_config(tmp_path / "classic.yaml")))
    assert summary.ok and sorted(summary.updated) == sorted(INSTRUMENTS), summary

    # the same data through the CLI: export the store to CSV, run the config with the same capital
    exported = _sysprod(blob.data_root, "data", "export-csv", str(tmp_path / "csv"))
    assert exported.returncode == 0, exported.stdout + exported.stderr
    cli = _sysprod(blob.data_root, "backtest", "run", str(_config(tmp_path / "cli.yaml", CAPITAL)),
                   "--csv-data", str(tmp_path / "csv"), "--out", str(tmp_path / "cli_out"))
    assert cli.returncode == 0, cli.stdout + cli.stderr

    run_dir = _run_dir(blob)
    stored = blob.optimal_positions.for_strategy("classic")
    assert sorted(stored) == sorted(INSTRUMENTS)
    for code, position in stored.items():
        ours = pd.read_csv(run_dir / f"{code}.csv", index_col="date")
        theirs = pd.read_csv(tmp_path / "cli_out" / f"{code}.csv", index_col="date")
        assert list(ours.index) == list(theirs.index)
        # every day's positions and buffers, to 1e-12
        np.testing.assert_allclose(ours[POSITION_COLUMNS].to_numpy(), theirs[POSITION_COLUMNS].to_numpy(),
                                   rtol=0, atol=1e-12, equal_nan=True)
        last = theirs.dropna(subset=["notional_position"]).iloc[-1]
        assert abs(position.optimal - last["notional_position"]) <= 1e-12
        assert abs(position.lower - last["buffer_lower"]) <= 1e-12
        assert abs(position.upper - last["buffer_upper"]) <= 1e-12
        # the reference price is the last multiple-prices PRICE, with its contract and time
        multiple = blob.multiple_prices.get(code).dropna(subset=["PRICE"])
        assert position.reference_price == multiple["PRICE"].iloc[-1]
        assert position.reference_contract == str(multiple["PRICE_CONTRACT"].iloc[-1])
        assert position.reference_time == multiple.index[-1].to_pydatetime()
        assert position.run_time == START


def test_a_run_is_kept_whole_and_shown_by_the_cli(strategy_blob, tmp_path):
    blob = strategy_blob
    run_classic_system(blob, "classic", str(_config(tmp_path / "classic.yaml")))
    run_dir = _run_dir(blob)
    names = sorted(p.name for p in run_dir.iterdir())
    assert names == sorted([f"{c}.csv" for c in INSTRUMENTS] + [
        "account_curve.arrow", "config.yaml", "optimal_positions.json", "summary.json"])
    assert not any(p.name.startswith(".") for p in run_dir.parent.iterdir())  # no staging left
    copy = yaml.safe_load((run_dir / "config.yaml").read_text())
    assert copy["notional_trading_capital"] == CAPITAL  # the strategy's capital, not the config's
    assert json.loads((run_dir / "summary.json").read_text())["parameters"]["notional_trading_capital"] == CAPITAL
    kept = json.loads((run_dir / "optimal_positions.json").read_text())
    assert kept["CORN"] == blob.optimal_positions.for_strategy("classic")["CORN"].to_dict()

    shown = _sysprod(blob.data_root, "backtest", "show", str(run_dir), "--png", str(tmp_path / "c.png"))
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert "portfolio (net)" in shown.stdout and "CORN" in shown.stdout


def test_capital_scales_the_positions(strategy_blob, tmp_path):
    blob = strategy_blob
    config = str(_config(tmp_path / "classic.yaml"))
    run_classic_system(blob, "classic", config)
    first = blob.optimal_positions.for_strategy("classic")
    blob.strategy_capital.record(START - dt.timedelta(hours=1), {"classic": CAPITAL * 2})
    run_classic_system(blob, "classic", config)
    second = blob.optimal_positions.for_strategy("classic")
    for code in INSTRUMENTS:
        assert second[code].optimal == pytest.approx(2 * first[code].optimal, rel=1e-12)
    assert len(blob.optimal_positions.history("classic", "CORN")) == 2
    runs = sorted(p.name for p in (blob.data_root / "backtests" / "classic").iterdir())
    assert runs == [f"{START:%Y%m%d_%H%M%S}", f"{START:%Y%m%d_%H%M%S}-2"]  # same clock second


def test_a_config_that_estimates_parameters_is_refused_naming_the_fixed_export(strategy_blob, tmp_path):
    raw = yaml.safe_load(_config(tmp_path / "estimated.yaml").read_text())
    raw["use_forecast_scale_estimates"] = True
    (tmp_path / "estimated.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    summary = run_classic_system(strategy_blob, "classic", str(tmp_path / "estimated.yaml"))
    assert list(summary.failed) == ["classic"]
    message = summary.failed["classic"]
    assert "use_forecast_scale_estimates on; production runs fixed parameters" in message
    assert "export-fixed-config" in message and "\n" not in message
    assert strategy_blob.optimal_positions.for_strategy("classic") == {}


def test_missing_capital_is_one_line_naming_the_fix(tmp_path, tree):
    blob, _ = installation(tmp_path / "root", tree)
    summary = run_classic_system(blob, "classic", str(_config(tmp_path / "classic.yaml")))
    assert list(summary.failed) == ["classic"]
    assert "no capital stored for strategy 'classic'" in summary.failed["classic"]
    assert "run_capital_update" in summary.failed["classic"]
    assert blob.optimal_positions.for_strategy("classic") == {}
    assert not (blob.data_root / "backtests" / "classic").exists() or not any(
        (blob.data_root / "backtests" / "classic").iterdir())


def test_run_systems_runs_each_strategy_and_one_failing_does_not_stop_the_other(tmp_path, tree):
    """A real run_systems process: `good` runs; `bad` names an instrument with no prices: the
    process runs both, stores good's positions and ends completed with failures (exit 1)."""
    config = _config(tmp_path / "classic.yaml")
    bad = _config(tmp_path / "bad.yaml", instruments={"CORN": 0.5, "SOFR": 0.5})
    strategies = {
        name: {"overnight_launcher": {"function": "sysproduction.jobs.strategies.classic_launcher:run_classic_system",
                                      "backtest_config_filename": str(path)}}
        for name, path in (("bad", bad), ("good", config))
    }
    blob, clock = installation(tmp_path / "root", tree, clock="simulated", strategy_list=strategies)
    blob.strategy_capital.record(START, {"good": CAPITAL, "bad": CAPITAL})
    evening = dt.datetime.combine(START.date() + dt.timedelta(days=1), dt.time(20, 30))
    SharedSimClock(blob.data_root / SIM_CLOCK_FILE).set(evening)
    blob.process_control.update("run_daily_prices_updates", lambda s: s.__class__(
        s.process_name, last_outcome="completed", end_time=evening - dt.timedelta(minutes=20)))

    result = subprocess.run([sys.executable, "-m", "sysproduction.run_systems"], env=_env(blob.data_root),
                            cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)

    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.splitlines()[0].startswith("run_systems: completed with failures")
    assert "failed: bad" in result.stdout.splitlines()[0]
    assert "good: ran 1, ok" in result.stdout
    failure = [line for line in result.stdout.splitlines() if line.startswith("    FAILED  bad: ")]
    assert len(failure) == 1 and "SOFR" in failure[0], result.stdout  # one line naming it
    assert "Traceback" not in result.stdout + result.stderr
    assert sorted(blob.optimal_positions.for_strategy("good")) == sorted(INSTRUMENTS)
    assert blob.optimal_positions.for_strategy("bad") == {}
    assert (blob.data_root / "backtests" / "good" / f"{evening:%Y%m%d_%H%M%S}" / "summary.json").is_file()
