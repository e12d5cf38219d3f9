"""ESTIMATION_SPEC section 10 check values, stage by stage, on the reference data.

Values given to full precision must match to a relative 1e-9. Stages whose estimation the engine
does not do yet are refused by the config (tests/systems/test_estimation.py).
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
