"""Results do not depend on the order instruments are listed, nor on whether an instrument runs
alone or with others (beyond its weight): each instrument's forecasts and subsystem position are
functions of its own data only."""

from __future__ import annotations

import random

import numpy as np
import pytest

from systems.config import provided_config_path
from systems.data import load_backtest_config, load_csv_inputs, stream_csv_inputs
from systems.engine import run_backtest, run_backtest_streaming
from tests.systems.synthetic import INSTRUMENTS, write_config

TODAY = 1_700_000_000
PER_INSTRUMENT = ("price", "volatility", "combined_forecast", "subsystem_position")


def _run(config_path, tree):
    config = load_backtest_config(config_path)
    return config, run_backtest(config, load_csv_inputs(tree, config.instruments, config.base_currency), TODAY)


def _same(a, b, fields):
    for name in fields:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert a.forecasts.keys() == b.forecasts.keys()
    for rule in a.forecasts:
        np.testing.assert_array_equal(a.forecasts[rule], b.forecasts[rule], err_msg=rule)


def test_listing_order_changes_nothing(tmp_path, synthetic_tree):
    codes = list(INSTRUMENTS)
    shuffled = codes[::-1]
    _, first = _run(write_config(tmp_path / "a.yaml", codes), synthetic_tree)
    _, second = _run(write_config(tmp_path / "b.yaml", shuffled), synthetic_tree)
    assert first.net.sharpe == second.net.sharpe
    for code in codes:
        _same(first.instruments[code], second.instruments[code],
              PER_INSTRUMENT + ("notional_position", "buffered_position"))


def test_arrival_order_of_streamed_instruments_changes_nothing(tmp_path, synthetic_tree):
    config = load_backtest_config(write_config(tmp_path / "c.yaml"))
    inputs = load_csv_inputs(synthetic_tree, config.instruments, config.base_currency)
    items = list(inputs.instruments.values())
    random.Random(4).shuffle(items)
    streamed = run_backtest_streaming(config, inputs.fx_usd, items, TODAY)
    direct = run_backtest(config, inputs, TODAY)
    for code in config.instruments:
        _same(streamed.instruments[code], direct.instruments[code], PER_INSTRUMENT + ("buffered_position",))
    fx, stream = stream_csv_inputs(synthetic_tree, config.instruments, config.base_currency, workers=2)
    assert run_backtest_streaming(config, fx, stream, TODAY).net.sharpe == direct.net.sharpe


@pytest.mark.parametrize("code", sorted(INSTRUMENTS))
def test_one_instrument_alone_has_the_same_subsystem(tmp_path, synthetic_tree, code):
    config, together = _run(write_config(tmp_path / "all.yaml"), synthetic_tree)
    _, alone = _run(write_config(tmp_path / "one.yaml", [code]), synthetic_tree)
    _same(together.instruments[code], alone.instruments[code], PER_INSTRUMENT)
    # alone, its weight is 1: notional = subsystem * IDM
    single = alone.instruments[code]
    np.testing.assert_allclose(single.notional_position, single.subsystem_position * config.idm, rtol=1e-15)
    # together, notional / (subsystem * IDM) is its smoothed weight, in (0, 1]
    mixed = together.instruments[code]
    valid = ~np.isnan(mixed.notional_position) & (mixed.subsystem_position != 0)
    weight = mixed.notional_position[valid] / (mixed.subsystem_position[valid] * config.idm)
    assert np.all((weight > 0) & (weight <= 1 + 1e-12))


def test_reference_instrument_alone_matches_its_subsystem_in_the_six(reference_data, tmp_path):
    config = load_backtest_config(provided_config_path())
    inputs = load_csv_inputs(reference_data, config.instruments, config.base_currency)
    together = run_backtest(config, inputs, TODAY)
    alone = run_backtest(config.with_instruments(["V2X"]), inputs, TODAY)
    _same(together.instruments["V2X"], alone.instruments["V2X"], PER_INSTRUMENT)
