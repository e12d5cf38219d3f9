"""Replay of the real reference data, and the broker the config chooses."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from sysbrokers.factory import broker_from_blob
from sysbrokers.sim.broker import SimBroker
from sysbrokers.sim.replay import ReplayMarket
from syscore.clock import FixedClock
from syscore.config import load_config
from syscore.exceptions import ConfigError
from sysdata.csv_io.reader import read_fx_csv, read_multiple_csv
from sysdata.data_blob import DataBlob
from sysproduction.wiring import make_blob

NOW = dt.datetime(2023, 3, 15, 23, 0)


def _blob(tmp_path: Path, text: str, clock=None) -> DataBlob:
    config_path = tmp_path / "private_config.yaml"
    config_path.write_text(f"data_root: {tmp_path}\nbroker: sim\n" + text)
    return make_blob(tmp_path, load_config(config_path), clock)


def test_replay_serves_multiple_prices_per_contract_up_to_now(tmp_path, reference_data):
    data = _blob(tmp_path, f"sim_market: replay\nsim_replay_source: {reference_data}\n", FixedClock(NOW))
    broker = data.broker
    assert isinstance(broker, SimBroker) and broker.market.kind == "replay"
    # the market is shared by every blob of this process (tests before this one may have read
    # other instruments through it): start from an empty cache to see what this read loads
    broker.market._contracts.cache_clear()
    multiple = read_multiple_csv(reference_data / "multiple_prices_csv" / "GOLD.csv")
    known = multiple[multiple.index <= NOW]
    priced = known["PRICE_CONTRACT"].iloc[-1]
    bars = broker.contract_bars("GOLD", priced)
    assert bars.index[-1] <= pd.Timestamp(NOW)
    expected = known[known["PRICE_CONTRACT"] == priced]["PRICE"].dropna()
    # roll bookkeeping rows (one second after a close) are not market prints and are not replayed
    expected = expected[expected.index.second == 0]
    pd.testing.assert_series_equal(
        bars["FINAL"].reindex(expected.index), expected, check_names=False, check_freq=False
    )
    assert (bars["OPEN"] == bars["FINAL"]).all() and bars["VOLUME"].isna().all()
    # only GOLD was read, not the whole tree
    assert broker.market._contracts.cache_info().currsize == 1
    listed = broker.trading_contracts("GOLD")
    assert priced in listed and listed == sorted(listed)
    assert broker.contract_details("GOLD", priced).expiry > NOW.date()
    fx = read_fx_csv(reference_data / "fx_prices_csv" / "GBPUSD.csv")
    got = broker.fx_prices("GBPUSD")
    assert got.index[-1] <= pd.Timestamp(NOW) and got.iloc[-1] == fx[fx.index <= NOW].iloc[-1]
    # a market order fills at the replayed close plus GOLD's spread cost from spreadcosts.csv
    from sysbrokers.broker import OrderLeg, OrderRequest

    order = broker.submit_order(OrderRequest("GOLD", (OrderLeg(priced),), 1))
    assert order.average_fill_price == pytest.approx(bars["FINAL"].iloc[-1] + broker.market.spread_cost("GOLD"))


def test_replay_source_problems_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="sim_replay_source' is required"):
        broker_from_blob(_blob(tmp_path, "sim_market: replay\n"))
    with pytest.raises(ConfigError, match="not a pysystemtrade CSV tree"):
        ReplayMarket(tmp_path)
    with pytest.raises(ConfigError, match="choose one of synthetic, replay"):
        _blob(tmp_path, "sim_market: live\n")


def test_config_settings_reach_the_broker(tmp_path):
    data = _blob(tmp_path, "sim_initial_cash: 250000.0\nbase_currency: EUR\nsim_history_start: '2021-01-04'\n",
                 FixedClock(dt.datetime(2024, 6, 4, 23)))
    assert data.broker.account_value("EUR") == pytest.approx(250_000)
    assert data.broker.market.history_start == dt.date(2021, 1, 4)
    with pytest.raises(ConfigError, match="'sim_partial_fill_fraction' is 0.0; give a number above 0 and at most 1"):
        _blob(tmp_path, "sim_partial_fill_fraction: 0.0\n")
    with pytest.raises(ConfigError, match="write a date"):
        broker_from_blob(_blob(tmp_path, "sim_history_start: 'soon'\n"))
