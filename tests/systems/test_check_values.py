"""Spec section 10: the reference configuration on the six reference instruments.

The Sharpe ratios are given to full precision and must match to a relative 1e-9; the other check
values are printed rounded in the spec, so they are compared at the precision printed.
"""

from __future__ import annotations

import numpy as np
import pytest

from systems.config import provided_config_path
from systems.daily import dates_of_bins
from systems.data import load_backtest_config, load_csv_inputs
from systems.engine import run_backtest

TODAY = 1_700_000_000  # 2023-11-14: any day after the data ends gives the same numbers

# instrument: (sigma, C, N, b), as printed in the spec
LAST_VALUES = {
    "CORN": (8.949859, -4.3266, -1.3332, -1),
    "MXP": (0.000394, 20, 14.0025, 15),
    "SOFR": (0.071479, -5.3040, -2.0552, -2),
    "US10": (0.432674, -14.0317, -2.2455, -2),
    "V2X": (0.460877, -17.9615, -20.7929, -20),
    "EUROSTX": (39.311757, 0.8184, 0.2267, 0),
}
FINAL_WEIGHTS = {"CORN": 0.23347, "EUROSTX": 0.2004, "MXP": 0.23347, "SOFR": 0.11723, "US10": 0.11723, "V2X": 0.0982}


@pytest.fixture(scope="module")
def result(reference_data):
    config = load_backtest_config(provided_config_path())
    inputs = load_csv_inputs(reference_data, config.instruments, config.base_currency)
    return run_backtest(config, inputs, TODAY)


def _printed(value: float, printed: float) -> bool:
    """value rounds to `printed` at the number of decimals printed."""
    text = repr(float(printed))
    decimals = len(text.split(".")[1]) if "." in text and not text.endswith(".0") else 0
    return abs(value - printed) <= 0.5 * 10 ** (-decimals) + 1e-12


def test_sharpe_ratios_match_to_1e_9(result):
    assert result.net.sharpe == pytest.approx(0.4750032722155327, rel=1e-9)
    assert result.gross.sharpe == pytest.approx(0.4886416119627330, rel=1e-9)


def test_pnl_series_length_start_and_sum(result):
    curve = result.curve
    assert len(curve.net_pct) == 13272
    assert str(curve.dates()[0]) == "1972-10-18"
    assert str(curve.dates()[-1]) == "2023-08-31"
    assert float(np.sum(curve.net_pct)) == pytest.approx(812.5950, abs=5e-5)


@pytest.mark.parametrize("code", sorted(LAST_VALUES))
def test_last_values_per_instrument(result, code):
    sigma, combined, notional, buffered = LAST_VALUES[code]
    r = result.instruments[code]
    last_sigma = r.volatility[~np.isnan(r.volatility)][-1]
    assert _printed(last_sigma, sigma)
    assert _printed(r.combined_forecast[-1], combined)
    assert _printed(r.notional_position[-1], notional)
    assert r.buffered_position[-1] == buffered
    assert str(dates_of_bins(np.array([r.start + len(r) - 1]))[0]) == "2023-08-31"


@pytest.mark.parametrize("code", sorted(FINAL_WEIGHTS))
def test_final_instrument_weights(result, code):
    assert _printed(result.instruments[code].final_weight, FINAL_WEIGHTS[code])
    assert sum(r.final_weight for r in result.instruments.values()) == pytest.approx(1.0, abs=1e-12)
