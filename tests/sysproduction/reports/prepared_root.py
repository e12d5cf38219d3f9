"""A data root with known numbers for the report tests: two instruments, their prices, FX,
capital, optimal positions, a lock, a failed process run and four fills booked through the real
order stacks. Every figure the report tests check is worked out by hand from the numbers here.

NOW = Friday 2026-11-27 22:00. Closes are stamped 20:00 on the 26 business days up to NOW.

GOLD (point size 100, USD), contract 20261200: closes alternate 2000.0 / 2000.5 (2000.0 on
  11-26, 2000.5 on 11-27), volume 150 a day. Held: +1 (a balance trade at 2000.0 on 11-20), then
  a buy of 2 at 2000.3 on 11-27 10:00 (order created 09:00 with reference 2000.1; broker order
  sent 09:30 with mid 2000.2, side (ask) 2000.25, offside 2000.15). Position now 3.
BUND (point size 1000, EUR at 1.10 USD), contract 20261200: closes alternate 130.00 / 130.10
  (130.00 on 11-26, 130.10 on 11-27), volume 500 a day. A sell of 1 at 130.02 on 11-27 11:00
  (created 10:45, reference 130.05; sent 10:50, mid 130.04, side (bid) 130.03, offside 130.05).
  Position now -1. Its order family is still on the stacks; GOLD's are in the historic stores.
CORN has only multiple prices, ending 2026-11-18: stale (9 days before NOW, max_stale_days 5).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from syscore.clock import FixedClock
from sysdata.data_blob import DataBlob
from sysdata.repos.process_control import ProcessState
from sysobjects.capital import CapitalValues
from sysobjects.optimal_positions import BufferedOptimalPosition
from sysobjects.orders import (
    BrokerOrderRecord,
    ContractLeg,
    ContractOrder,
    FillRecord,
    InstrumentOrder,
)
from sysobjects.position_breaks import PositionBreak
from tests.sysproduction.pipeline_helpers import blob_for

NOW = dt.datetime(2026, 11, 27, 22, 0)
CONTRACT = "20261200"
DAYS = pd.bdate_range(end="2026-11-27", periods=26) + pd.Timedelta(hours=20)


def alternating(low: float, high: float) -> pd.Series:
    """low on even days, high on odd ones; the last day (25) is high, the day before low."""
    return pd.Series([low if i % 2 == 0 else high for i in range(len(DAYS))], index=DAYS)


GOLD_CLOSES = alternating(2000.0, 2000.5)
BUND_CLOSES = alternating(130.00, 130.10)


def _bars(closes: pd.Series, volume: float) -> pd.DataFrame:
    return pd.DataFrame({"OPEN": closes, "HIGH": closes, "LOW": closes, "FINAL": closes,
                         "VOLUME": volume}, index=closes.index)


def _multiple(closes: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({
        "CARRY": closes, "CARRY_CONTRACT": "20270300", "PRICE": closes, "PRICE_CONTRACT": CONTRACT,
        "FORWARD": closes, "FORWARD_CONTRACT": "20270300"}, index=closes.index)


def _trade(blob: DataBlob, instrument: str, qty: int, fill_price: float, created: dt.datetime,
           reference: float, sent: dt.datetime, side: float, mid: float, offside: float,
           filled: dt.datetime, fill_id: str) -> None:
    """One order family through the stacks as the stack handler makes it, and its fill booked."""
    parent = blob.instrument_orders.add(
        InstrumentOrder("classic", instrument, qty, "best", reference, created, reference_contract=CONTRACT),
        created)
    [child] = blob.instrument_orders.spawn_children(
        parent, [ContractOrder("classic", instrument, (ContractLeg(CONTRACT, qty),), parent,
                               reference_price=reference)], created)
    record = BrokerOrderRecord("classic", instrument, (ContractLeg(CONTRACT, qty),), child,
                               side_price=side, mid_price=mid, offside_price=offside)
    broker_id = blob.contract_orders.add_broker_order(child, record, sent)
    blob.broker_orders.mark_submitted(broker_id, f"SIM-{broker_id}", "submitted", sent)
    assert blob.broker_orders.apply_fill(
        broker_id, FillRecord(fill_id, CONTRACT, qty, fill_price, filled, 2.5, "USD"), filled)


def prepare(root: Path, **config) -> DataBlob:
    blob = blob_for(root, FixedClock(NOW), **{"costs_report_min_fills": 1,
                                              "liquidity_min_risk_per_day_millions": 0.5, **config})
    blob.instruments.write_table(pd.DataFrame({
        "Instrument": ["GOLD", "BUND"], "Description": ["Gold", "Bund"], "Pointsize": [100.0, 1000.0],
        "Currency": ["USD", "EUR"], "AssetClass": ["Metals", "Bond"], "PerBlock": [2.5, 2.5],
        "Percentage": [0.0, 0.0], "PerTrade": [0.0, 0.0], "Region": ["US", "EMEA"],
    }).set_index("Instrument"))
    blob.spread_costs.set_many({"GOLD": 0.25, "BUND": 0.005}, who="test", reason="prepared")
    blob.fx_prices.write("EURUSD", pd.Series(1.10, index=DAYS))
    for code, closes, volume in (("GOLD", GOLD_CLOSES, 150.0), ("BUND", BUND_CLOSES, 500.0)):
        blob.contract_prices.write(code, CONTRACT, _bars(closes, volume))
        blob.adjusted_prices.write(code, closes)
    blob.multiple_prices.write("GOLD", _multiple(GOLD_CLOSES))
    blob.multiple_prices.write("BUND", _multiple(BUND_CLOSES))
    blob.multiple_prices.write("CORN", _multiple(BUND_CLOSES.loc[:"2026-11-18 23:00"]))  # stale: 9 days old

    blob.instrument_orders.book_balance_trade(
        InstrumentOrder("classic", "GOLD", 1, "balance", None, None, reason="opening position"),
        CONTRACT, 2000.0, dt.datetime(2026, 11, 20, 12, 0))
    _trade(blob, "GOLD", 2, 2000.3, dt.datetime(2026, 11, 27, 9, 0), 2000.1, dt.datetime(2026, 11, 27, 9, 30),
           2000.25, 2000.2, 2000.15, dt.datetime(2026, 11, 27, 10, 0), "F-GOLD-1")
    _trade(blob, "BUND", -1, 130.02, dt.datetime(2026, 11, 27, 10, 45), 130.05, dt.datetime(2026, 11, 27, 10, 50),
           130.03, 130.04, 130.05, dt.datetime(2026, 11, 27, 11, 0), "F-BUND-1")
    for order_id in (1, 2):  # GOLD's families done and moved to the historic stores; BUND's still on the stacks
        assert blob.historic_orders.archive_family(order_id, dt.datetime(2026, 11, 27, 12, 0))
    blob.instrument_orders.add(InstrumentOrder("classic", "GOLD", 1, "best", 2000.5, NOW), NOW)  # still working

    # the account earned 12 and 2 were withdrawn: accumulated P&L +12, account and total capital +10
    blob.total_capital.append(dt.datetime(2026, 11, 26, 21, 0), CapitalValues(1e6, 1e6, 1e6, 0.0), "test")
    blob.total_capital.append(dt.datetime(2026, 11, 27, 21, 0),
                              CapitalValues(1_000_010.0, 1_000_010.0, 1_000_010.0, 12.0), "test")
    run = dt.datetime(2026, 11, 27, 21, 30)
    blob.optimal_positions.put_all("classic", {
        "GOLD": BufferedOptimalPosition("GOLD", 2.6, 2.2, 3.0, 2000.5, CONTRACT, DAYS[-1].to_pydatetime(), run),
        "BUND": BufferedOptimalPosition("BUND", -2.4, -2.9, -1.9, 130.10, CONTRACT, DAYS[-1].to_pydatetime(), run),
    })
    blob.instrument_locks.lock("BUND", "position break: broker 0, book -1", dt.datetime(2026, 11, 27, 12, 0))
    blob.position_breaks.record(PositionBreak("BUND", ((CONTRACT, -1, 0),)), dt.datetime(2026, 11, 27, 12, 0), True)
    blob.process_control.add_history(ProcessState(
        "run_daily_prices_updates", start_time=dt.datetime(2026, 11, 27, 20, 0),
        end_time=dt.datetime(2026, 11, 27, 20, 30), last_outcome="completed with failures"),
        "update_fx_prices failed: EURUSD")
    return blob


def daily_vol(step: float) -> float:
    """Std (ddof 1) of the last 25 daily changes of an alternating series: 13 of +step, 12 of
    -step; mean step/25; sum of squares 13(0.96 step)^2 + 12(1.04 step)^2 = 24.96 step^2; /24."""
    return step * float(np.sqrt(1.04))
