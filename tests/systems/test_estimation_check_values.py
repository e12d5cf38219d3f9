"""ESTIMATION_SPEC section 10 check values, stage by stage, on the reference data.

Values given to full precision must match to a relative 1e-9. Matching so far: forecast scalars
(section 1). Forecast weights (sections 2.3-2.6) match to 1e-7 only (a slow test), so their switch
is still refused; FDM, instrument weights and IDM are not estimated yet (refused too).
"""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from systems.config import parse_backtest_config, provided_config_path
from systems.daily import bin_of_day
from systems.data import load_csv_inputs
from systems.engine import run_backtest

TODAY = 1_700_000_000

# rule: (first value, 2000-01-03, last, CORN's last)
SCALARS = {
    "carry": (14.052051985952103, 22.152799800954167, 21.84010306898143, 21.84010306898143),
    "ewmac16_64": (3.9722295179366642, 4.261872507869386, 4.505996841276341, 4.506054160914279),
    "ewmac32_128": (3.14915185203481, 2.7934362289862187, 3.031452191620777, 3.0315234411314145),
    "ewmac64_256": (2.5416284497994184, 1.9214858593520157, 2.0444285450859456, 2.044469836396318),
}


def _ordinal(date: str) -> int:
    return int(bin_of_day(np.datetime64(date, "D").astype(np.int64)))


@pytest.fixture(scope="module")
def estimated(reference_data):
    raw = yaml.safe_load(provided_config_path("futures_chapter15_estimated").read_text())
    config = parse_backtest_config(raw, "futures_chapter15_estimated.yaml")
    inputs = load_csv_inputs(reference_data, config.instruments, config.base_currency)
    return config, run_backtest(config, inputs, TODAY)


@pytest.mark.parametrize("rule", sorted(SCALARS))
def test_forecast_scalars_first_2000_and_last(estimated, rule):
    _, result = estimated
    series = result.estimates["forecast_scalars"][rule]
    first, y2000, last, corn_last = SCALARS[rule]
    assert series.values[0] == pytest.approx(first, rel=1e-9)
    assert series.values[_ordinal("2000-01-03") - series.start] == pytest.approx(y2000, rel=1e-9)
    assert series.values[-1] == pytest.approx(last, rel=1e-9)
    assert series.end - 1 == _ordinal("2023-08-31")
    # CORN's forecasts end a day early: its scalar is the pooled one as of its own last day.
    corn = result.instruments["CORN"]
    raw_last = corn.forecasts[rule][~np.isnan(corn.forecasts[rule])]
    assert len(raw_last)
    ordinal = corn.start + int(np.flatnonzero(~np.isnan(corn.forecasts[rule]))[-1])
    assert series.values[ordinal - series.start] == pytest.approx(corn_last, rel=1e-9)


def test_scalars_backfilled_before_first_estimate(estimated):
    _, result = estimated
    series = result.estimates["forecast_scalars"]["carry"]
    first = _ordinal("1974-10-01") - series.start
    assert np.all(series.values[:first] == series.values[first])
    assert series.values[first - 1] == series.values[first]


RAW_FIRST = {  # fit row 1974-09-15 + 5us: carry, ewmac16_64, ewmac32_128, ewmac64_256
    "CORN": (0.7942262705, 0.1779766592, 0.0277970704, 0),
    "EUROSTX": (0.7533881966, 0.2027878291, 0.0381141022, 0.0057098721),
    "MXP": (0.7483254690, 0.1990070134, 0.0405752720, 0.0120922456),
    "SOFR": (0.7633416972, 0.1871675050, 0.0395050917, 0.0099857061),
    "US10": (0.7685507056, 0.1957154085, 0.0333800046, 0.0023538813),
    "V2X": (0.8914867020, 0.1085132980, 0, 0),
}
RAW_LAST = {  # fit row 2022-09-03 + 5us
    "CORN": (0.4403403181, 0.3010510188, 0.1456380095, 0.1129706536),
    "EUROSTX": (0.3906700979, 0.3317570486, 0.1574406496, 0.1201322039),
    "MXP": (0.3869288558, 0.3295890489, 0.1590544842, 0.1244276111),
    "SOFR": (0.4124578156, 0.3118208902, 0.1544618519, 0.1212594423),
    "US10": (0.4115515730, 0.3200071223, 0.1519524131, 0.1164888916),
    "V2X": (0.6084472009, 0.1992210555, 0.1031469185, 0.0891848251),
}


@pytest.fixture(scope="module")
def weights_estimated(reference_data):
    """Forecast weights estimated too (the config still refuses the switch: these rows match the
    spec to 1e-7, not yet to 1e-9, because the SLSQP step amplifies last-digit differences)."""
    from dataclasses import replace

    raw = yaml.safe_load(provided_config_path("futures_chapter15_estimated").read_text())
    raw["forecast_weight_estimate"] = {
        "ceiling_cost_SR": 9999,
        "correlation_estimate": {"ew_lookback": 50000, "min_periods": 10},
        "mean_estimate": {"ew_lookback": 50000, "min_periods": 5},
        "vol_estimate": {"ew_lookback": 50000, "min_periods": 5},
    }
    config = parse_backtest_config(raw, "futures_chapter15_estimated.yaml")
    config = replace(config, estimation=replace(config.estimation, forecast_weights=True))
    inputs = load_csv_inputs(reference_data, config.instruments, config.base_currency)
    return run_backtest(config, inputs, TODAY)


@pytest.mark.slow
@pytest.mark.parametrize("code", sorted(RAW_FIRST))
def test_raw_forecast_weight_rows_to_1e_7(weights_estimated, code):
    result = weights_estimated
    labels, table = result.estimates["forecast_weight_tables"][code]
    assert len(labels) == 50
    assert str(np.datetime64(int(labels[0]), "us")) == "1972-10-22T00:00:00.000000"
    assert str(np.datetime64(int(labels[1]), "us")) == "1974-09-15T00:00:00.000005"
    assert str(np.datetime64(int(labels[-1]), "us")) == "2022-09-03T00:00:00.000005"
    assert np.all(table[0] == 0.25)
    np.testing.assert_allclose(table[1], RAW_FIRST[code], rtol=0, atol=1e-7)
    np.testing.assert_allclose(table[-1], RAW_LAST[code], rtol=0, atol=1e-7)
