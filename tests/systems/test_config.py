"""Config loading: the provided config, users' own rules, and one clear line for each mistake."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
import yaml

from syscore.exceptions import BacktestConfigError
from systems.config import provided_config_path
from systems.data import load_backtest_config, load_csv_inputs
from systems.engine import run_backtest
from tests.systems.synthetic import write_config

TODAY = 1_700_000_000


def test_provided_config_has_the_spec_values():
    config = load_backtest_config(provided_config_path())
    assert config.instrument_weights == {"CORN": 0.233, "EUROSTX": 0.20, "MXP": 0.233, "SOFR": 0.117,
                                         "US10": 0.117, "V2X": 0.098}
    assert config.forecast_weights["CORN"] == {"carry": 0.5, "ewmac16_64": 0.21, "ewmac32_128": 0.08,
                                               "ewmac64_256": 0.21}
    assert {r: config.rules[r].forecast_scalar for r in config.rules_for("CORN")} == {
        "carry": 30.0, "ewmac16_64": 3.75, "ewmac32_128": 2.65, "ewmac64_256": 1.87}
    assert config.fdm["V2X"] == 1.31 and config.idm == 1.89
    assert (config.capital, config.percentage_vol_target, config.base_currency) == (250000, 20, "USD")
    assert (config.buffer_method, config.buffer_size, config.buffer_trade_to_edge) == ("forecast", 0.1, True)
    assert config.mode == "compatible" and config.costs.vol_normalise


def _bad(tmp_path, change, **kwargs) -> str:
    raw = yaml.safe_load(provided_config_path().read_text())
    change(raw)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(BacktestConfigError) as info:
        load_backtest_config(path, **kwargs)
    message = str(info.value)
    assert "\n" not in message and message.startswith(str(path))
    return message


def test_unknown_top_level_key(tmp_path):
    message = _bad(tmp_path, lambda r: r.update(instrument_weigths={"CORN": 1.0}))
    assert "unknown key 'instrument_weigths'" in message and "instrument_weights" in message


def test_unknown_rule_key(tmp_path):
    message = _bad(tmp_path, lambda r: r["trading_rules"]["carry"].update(scalar=3))
    assert "trading_rules.carry: unknown key 'scalar'" in message


def test_rule_module_that_does_not_import(tmp_path):
    message = _bad(tmp_path, lambda r: r["trading_rules"]["carry"].update(function="nosuch.module.carry"))
    assert "trading_rules.carry.function" in message and "cannot import module 'nosuch.module'" in message


def test_rule_function_missing_from_module(tmp_path):
    message = _bad(tmp_path, lambda r: r["trading_rules"]["carry"].update(function="systems.provided.rules.carry.nope"))
    assert "has no function 'nope'" in message


def test_rule_arguments_that_do_not_fit_the_function(tmp_path):
    message = _bad(tmp_path, lambda r: r["trading_rules"]["carry"]["other_args"].update(smooth=3))
    assert "trading_rules.carry" in message and "cannot take" in message


def test_unknown_data_input(tmp_path):
    message = _bad(tmp_path, lambda r: r["trading_rules"]["carry"].update(data=["rawdata.carry_price"]))
    assert "unknown data input 'rawdata.carry_price'" in message


def test_weight_for_an_undefined_rule(tmp_path):
    message = _bad(tmp_path, lambda r: r["forecast_weights"].update(breakout=0.1))
    assert "rule 'breakout' which is not in trading_rules" in message


def test_wrong_types_and_values(tmp_path):
    assert "percentage_vol_target must be a number" in _bad(tmp_path, lambda r: r.update(percentage_vol_target="20%"))
    assert "buffer_method" in _bad(tmp_path, lambda r: r.update(buffer_method="edge"))
    assert "mode" in _bad(tmp_path, lambda r: r.update(mode="fast"))
    assert "use_SR_costs" in _bad(tmp_path, lambda r: r.update(use_SR_costs=True))
    assert "missing key 'instrument_weights'" in _bad(tmp_path, lambda r: r.pop("instrument_weights"))


def test_unreadable_yaml_is_one_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("trading_rules: [unclosed\n")
    with pytest.raises(BacktestConfigError, match="not valid YAML"):
        load_backtest_config(path)


def test_user_rule_next_to_the_config_runs_without_touching_the_engine(tmp_path, synthetic_tree):
    (tmp_path / "my_rules.py").write_text(textwrap.dedent('''
        import numpy as np
        from systems.daily import Daily

        def breakout(price, horizon=20):
            """Position of the price in its rolling range, scaled to +-1 (a Daily in, a Daily out)."""
            values = price.values
            out = np.full(len(values), np.nan)
            for end in range(horizon, len(values) + 1):
                window = values[end - horizon:end]
                if np.isnan(window).all():
                    continue
                low, high = np.nanmin(window), np.nanmax(window)
                if high > low:
                    out[end - 1] = 2 * (values[end - 1] - (low + high) / 2) / (high - low)
            return Daily(price.start, out)

        def pandas_trend(price):
            """A rule written with pandas: the sign of the 10-day change."""
            series = price.to_pandas()
            return np.sign(series.diff(10))
    '''))
    config_path = write_config(
        tmp_path / "mine.yaml",
        trading_rules={
            "breakout20": {"function": "my_rules.breakout", "data": ["rawdata.get_daily_prices"],
                           "other_args": {"horizon": 20}, "forecast_scalar": 10.0},
            "trend10": {"function": "my_rules.pandas_trend", "forecast_scalar": 5.0},
        },
        forecast_weights={"breakout20": 0.6, "trend10": 0.4},
        forecast_div_multiplier=1.0,
    )
    config = load_backtest_config(config_path)
    result = run_backtest(config, load_csv_inputs(synthetic_tree, config.instruments, "USD"), TODAY)
    aaa = result.instruments["AAA"]
    assert set(aaa.forecasts) == {"breakout20", "trend10"}
    # breakout is scaled by 10 and capped at 20; trend10 is +-5 exactly
    assert np.nanmax(np.abs(aaa.forecasts["breakout20"])) <= 20
    assert set(np.unique(aaa.forecasts["trend10"][~np.isnan(aaa.forecasts["trend10"])])) <= {-5.0, 5.0}
    assert np.isfinite(result.net.sharpe)


def test_per_instrument_forecast_weights_and_fdm(tmp_path, synthetic_tree):
    per = {"AAA": {"carry": 1.0}, "BBB": {"ewmac16_64": 0.5, "carry": 0.5}, "CCC": {"ewmac64_256": 1.0}}
    config = load_backtest_config(write_config(
        tmp_path / "per.yaml", forecast_weights=per,
        forecast_div_multiplier={"AAA": 1.0, "BBB": 1.2, "CCC": 1.0}))
    assert config.rules_for("BBB") == ["carry", "ewmac16_64"] and config.fdm["BBB"] == 1.2
    result = run_backtest(config, load_csv_inputs(synthetic_tree, config.instruments, "USD"), TODAY)
    assert list(result.instruments["CCC"].forecasts) == ["ewmac64_256"]
    with pytest.raises(BacktestConfigError, match="no weights for instrument BBB"):
        load_backtest_config(write_config(tmp_path / "p2.yaml", forecast_weights={"AAA": {"carry": 1.0}}))
