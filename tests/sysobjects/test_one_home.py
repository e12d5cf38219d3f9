"""Calculations with one home: a config row read one way, commission by one rule, one EWMA."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from syscore.ewm import EwmaState, alpha_from_span, ewma
from syscore.exceptions import DataValidationError
from sysobjects.instruments import InstrumentMeta
from sysobjects.roll_parameters import RollParameters
from systems.accounts import CostParameters, fill_cost

ROW = {"Description": "Korea", "Pointsize": "250000", "Currency": "KRW", "AssetClass": "Equity",
       "PerBlock": "", "Percentage": "0.0004", "PerTrade": " ", "Region": "ASIA"}


def test_a_config_row_reads_the_same_as_text_or_as_a_pandas_row():
    from_text = InstrumentMeta.from_csv_row("KOSPI", ROW)
    as_pandas = pd.Series({**ROW, "Pointsize": 250000.0, "PerBlock": np.nan, "PerTrade": np.nan})
    assert InstrumentMeta.from_csv_row("KOSPI", as_pandas) == from_text
    assert (from_text.per_block, from_text.percentage, from_text.per_trade) == (0.0, 0.0004, 0.0)
    with pytest.raises(DataValidationError, match="instrument KOSPI: PerBlock 'abc' is not a number"):
        InstrumentMeta.from_csv_row("KOSPI", {**ROW, "PerBlock": "abc"})
    with pytest.raises(DataValidationError, match="instrument KOSPI: Pointsize is blank"):
        InstrumentMeta.from_csv_row("KOSPI", {**ROW, "Pointsize": ""})
    roll = {"HoldRollCycle": "HMUZ", "PricedRollCycle": "HMUZ", "RollOffsetDays": "-5", "CarryOffset": "1",
            "ExpiryOffset": "19"}
    assert RollParameters.from_csv_row("US10", roll) == RollParameters("HMUZ", "HMUZ", -5, 1, 19)
    with pytest.raises(DataValidationError, match="RollOffsetDays -5.5 is not a whole number"):
        RollParameters.from_csv_row("US10", {**roll, "RollOffsetDays": "-5.5"})


def test_a_fill_and_the_backtest_pay_the_same_commission():
    meta = InstrumentMeta.from_csv_row("KOSPI", {**ROW, "PerBlock": "2", "PerTrade": "1"})
    params = CostParameters(spread=0.0, pointsize=meta.pointsize, per_block=meta.per_block,
                            percentage=meta.percentage, per_trade=meta.per_trade, rolls_per_year=4)
    quantity = np.array([1.0, -3.0, 0.5, 2.0])
    price = np.array([0.01, 300.0, 0.0, -1.0])  # a back-adjusted price can be negative
    backtest = fill_cost(quantity, price, params, slippage=False)
    assert [meta.commission(q, p) for q, p in zip(quantity, price, strict=True)] == backtest.tolist()
    assert backtest.tolist() == [2.0, 0.0004 * 3 * 300 * 250000, 1.0, 4.0]


def test_the_spike_check_average_is_the_backtest_ewma():
    values = np.abs(np.random.default_rng(3).normal(size=400))
    alpha = alpha_from_span(500)
    state = EwmaState.of(values[:-1], alpha).add(values[-1])
    assert state.mean == pytest.approx(ewma(values, alpha)[-1], rel=1e-13)
    assert np.isnan(EwmaState.of(np.empty(0), alpha).mean)
