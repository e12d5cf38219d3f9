"""An installation for the strategy order generator's tests: a few configured instruments with
adjusted prices, a strategy in strategy_list, optimal positions as run_systems stores them, and
booked positions (balance trades, the one way a position changes outside a fill)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import yaml

from syscore.clock import FixedClock
from syscore.config import load_config
from sysdata.data_blob import DataBlob
from sysobjects.instruments import INSTRUMENT_CSV_COLUMNS
from sysobjects.optimal_positions import BufferedOptimalPosition
from sysobjects.orders import InstrumentOrder
from sysproduction.wiring import make_blob

NOW = dt.datetime(2026, 11, 27, 20, 10)  # a Friday, after run_systems
RUN_TIME = dt.datetime(2026, 11, 27, 20, 0)  # when run_systems ran
REFERENCE_TIME = dt.datetime(2026, 11, 27, 19, 0)  # the last price it used
LAST_PRICE_TIME = REFERENCE_TIME
INSTRUMENTS = ("BUND", "GOLD", "SP500", "US10")
STRATEGY = "classic"


def write_installation(root: Path, strategies: tuple[str, ...] = (STRATEGY,)) -> Path:
    """A data root with a private config (simulated clock at NOW, simulated broker)."""
    root.mkdir(parents=True, exist_ok=True)
    config = {
        "data_root": str(root), "broker": "sim", "clock": "simulated", "fsync_writes": False,
        "strategy_list": {name: {} for name in strategies},
        # run on its own here (the real schedule waits for run_systems to complete today)
        "process_configuration_previous_process": {"run_strategy_order_generator": None},
    }
    (root / "private_config.yaml").write_text(yaml.safe_dump(config))
    (root / "sim_clock.json").write_text(json.dumps({"now": NOW.isoformat()}))
    return root


def seeded_blob(root: Path, strategies: tuple[str, ...] = (STRATEGY,)) -> DataBlob:
    """The installation with instrument config and two days of adjusted prices per instrument."""
    write_installation(root, strategies)
    blob = make_blob(root, load_config(root / "private_config.yaml"), FixedClock(NOW))
    rows = [{"Instrument": code, "Description": code, "Pointsize": 10, "Currency": "USD",
             "AssetClass": "Test", "PerBlock": 0, "Percentage": 0, "PerTrade": 0, "Region": "US"}
            for code in INSTRUMENTS]
    blob.instruments.write_table(pd.DataFrame(rows, columns=INSTRUMENT_CSV_COLUMNS).set_index("Instrument"))
    for code in INSTRUMENTS:
        set_last_price(blob, code, LAST_PRICE_TIME)
    return blob


def set_last_price(blob: DataBlob, instrument: str, when: dt.datetime) -> None:
    index = pd.DatetimeIndex([when - dt.timedelta(days=1), when])
    blob.adjusted_prices.write(instrument, pd.Series([100.0, 101.0], index=index, name="price"))


def optimal(instrument: str, lower: float, upper: float, run_time: dt.datetime = RUN_TIME,
            price: float = 101.0) -> BufferedOptimalPosition:
    return BufferedOptimalPosition(
        instrument_code=instrument, optimal=(lower + upper) / 2, lower=lower, upper=upper,
        reference_price=price, reference_contract="20261200", reference_time=REFERENCE_TIME,
        run_time=run_time,
    )


def store_optimal(blob: DataBlob, *positions: BufferedOptimalPosition, strategy: str = STRATEGY) -> None:
    blob.optimal_positions.put_all(strategy, {p.instrument_code: p for p in positions})


def hold(blob: DataBlob, instrument: str, position: int, strategy: str = STRATEGY) -> None:
    """Book `position` for the strategy through a balance trade (a filled order family)."""
    order = InstrumentOrder(strategy, instrument, position, "balance", reference_price=None,
                            reference_datetime=None, reason="test position")
    blob.instrument_orders.book_balance_trade(order, "20261200", 100.0, NOW - dt.timedelta(days=1))


def strategy_orders(blob: DataBlob, strategy: str = STRATEGY) -> dict[str, list[int]]:
    """instrument -> trades of the strategy's active `best` orders (the generator's), by id."""
    out: dict[str, list[int]] = {}
    for order in sorted(blob.instrument_orders.active(strategy), key=lambda o: o.order_id):
        if order.order_type == "best":
            out.setdefault(order.instrument_code, []).append(order.trade)
    return out
