"""Degenerate instruments are flagged with their reason and left out of weights and account;
valid but unusual data (negative prices, as crude oil in April 2020) runs normally."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from syscore.exceptions import SysprodError
from systems.config import parse_backtest_config
from systems.daily import SECONDS_PER_DAY
from systems.engine import run_backtest
from systems.inputs import BacktestInputs, InstrumentInputs

TODAY = 1_700_000_000
DAYS = 900


def _weekdays(n: int, first: str = "2018-01-01") -> np.ndarray:
    days = np.arange(np.datetime64(first, "D"), np.datetime64(first, "D") + int(n * 1.5))
    days = days[np.is_busday(days)][:n]
    return days.astype(np.int64) * SECONDS_PER_DAY + 23 * 3600


def _instrument(code: str, prices: np.ndarray) -> InstrumentInputs:
    stamps = _weekdays(len(prices))
    return InstrumentInputs(
        code=code, adjusted_stamps=stamps, adjusted=prices, multiple_stamps=stamps, price=prices,
        carry=prices - 0.1, price_contract=np.full(len(prices), 20300300.0),
        carry_contract=np.full(len(prices), 20300600.0), pointsize=10.0, currency="USD",
        per_block=1.0, percentage=0.0, per_trade=0.0, spread_cost=0.01, rolls_per_year=4,
    )


def _walk(seed: int, start: float = 50.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return start + np.cumsum(rng.normal(0, 0.5, DAYS))


def _config(codes: list[str]):
    return parse_backtest_config(
        {
            "trading_rules": {
                "ewmac16_64": {
                    "function": "systems.provided.rules.ewmac.ewmac",
                    "data": ["rawdata.get_daily_prices", "rawdata.daily_returns_volatility"],
                    "other_args": {"Lfast": 16, "Lslow": 64},
                    "forecast_scalar": 3.75,
                }
            },
            "instrument_weights": {c: 1.0 / len(codes) for c in codes},
            "notional_trading_capital": 100000,
        },
        "degenerate.yaml",
    )


def _run(instruments: list[InstrumentInputs]):
    config = _config([i.code for i in instruments])
    return run_backtest(config, BacktestInputs({i.code: i for i in instruments}, {}), TODAY)


def test_negative_prices_are_valid():
    # a crude-oil-like dive through zero to -37 and back: finite positions, costs and Sharpe
    prices = _walk(1, 20.0)
    prices[600:620] = np.linspace(prices[599], -37.0, 20)
    prices[620:] = -37.0 + np.cumsum(np.random.default_rng(2).normal(0.1, 0.5, DAYS - 620))
    result = _run([_instrument("CRUDE", prices), _instrument("OTHER", _walk(3))])
    assert result.flagged == {}
    crude = result.instruments["CRUDE"]
    assert np.isfinite(crude.pnl.costs).all() and np.isfinite(crude.pnl.gross.values).all()
    assert np.isfinite(result.net.sharpe)
    assert np.nanmax(np.abs(crude.buffered_position)) < 1000


def test_flat_price_is_flagged_and_left_out(caplog):
    flat = np.full(DAYS, 100.0)
    flat[:100] = _walk(4, 100.0)[:100]  # trades for a while, then never moves again
    good = _instrument("GOOD", _walk(5))
    with caplog.at_level(logging.WARNING, logger="systems.engine"):
        result = _run([_instrument("FLAT", flat), good])
    assert result.flagged["FLAT"].startswith("flat price: no change over the last 180 days")
    assert "FLAT" not in result.instruments
    assert result.instruments["GOOD"].final_weight == pytest.approx(1.0)
    assert np.isfinite(result.net.sharpe)
    assert "FLAT left out of weights and account" in caplog.text
    alone = _run([good])
    np.testing.assert_array_equal(result.curve.net_pct, alone.curve.net_pct)


def test_price_flat_from_the_start_sizes_from_the_vol_floor_and_is_flagged():
    # never moves: the volatility is floored at 1e-10, carry (roll / vol) is capped at +20 and
    # the vol scalar sizes an absurd position (pysystemtrade: 4.6e8 contracts)
    from dataclasses import replace

    from systems.accounts import CostSettings
    from systems.config import TradingRule
    from systems.provided.rules.carry import carry

    config = _config(["FLAT", "GOOD"])
    rules = dict(config.rules)
    rules["carry"] = TradingRule("carry", carry, "systems.provided.rules.carry.carry", ("rawdata.raw_carry",),
                                 {"smooth_days": 90}, 30.0)
    weights = {c: {"ewmac16_64": 0.5, "carry": 0.5} for c in ("FLAT", "GOOD")}
    config = replace(config, rules=rules, forecast_weights=weights, costs=CostSettings(vol_normalise=False))
    inputs = {"FLAT": _instrument("FLAT", np.full(DAYS, 100.0)), "GOOD": _instrument("GOOD", _walk(9))}
    result = run_backtest(config, BacktestInputs(inputs, {}), TODAY)
    assert result.flagged["FLAT"].startswith("flat price: volatility at its floor 1e-10")
    assert "contracts" in result.flagged["FLAT"]
    assert list(result.instruments) == ["GOOD"]
    assert np.isfinite(result.net.sharpe)


def test_instrument_without_any_position_is_flagged():
    # fewer prices than the volatility needs: no forecast, no position, nothing to weight
    short = _instrument("SHORT", _walk(6)[:8])
    result = _run([short, _instrument("GOOD", _walk(7))])
    assert result.flagged == {"SHORT": "no position on any day (no usable forecast or price)"}
    assert list(result.instruments) == ["GOOD"]
    assert np.isfinite(result.net.sharpe)


def test_every_instrument_degenerate_is_one_line_error():
    with pytest.raises(SysprodError, match="every instrument is degenerate: A: no position"):
        _run([_instrument("A", _walk(8)[:5])])


def test_cli_warns_and_summary_records_the_flagged_instrument(tmp_path, synthetic_tree):
    import json
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    import pandas as pd

    from tests.systems.synthetic import write_config

    tree = tmp_path / "tree"
    shutil.copytree(synthetic_tree, tree)
    adjusted_file = tree / "adjusted_prices_csv" / "CCC.csv"
    adjusted = pd.read_csv(adjusted_file, index_col=0)
    adjusted.iloc[-300:, 0] = adjusted.iloc[-301, 0]  # the price stops moving for good
    adjusted.to_csv(adjusted_file)
    config = write_config(tmp_path / "system.yaml")
    sysprod = str(Path(sys.executable).with_name("sysprod"))
    done = subprocess.run(
        [sysprod, "backtest", "run", str(config), "--csv-data", str(tree), "--out", str(tmp_path / "out")],
        capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "warning: CCC left out of weights and account: flat price: no change" in done.stderr
    assert done.stdout.startswith("2 instruments, Sharpe ")
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["instruments"] == ["AAA", "BBB"]
    assert summary["flagged"]["CCC"].startswith("flat price: no change over the last 180 days")
