"""The reconcile report: do the positions agree everywhere they are kept?

- Optimal against actual: each strategy's position against the buffer its last backtest set
  (outside it, the order generator trades to the nearest edge), with a chart.
- Strategy against contract positions: per instrument, the strategies' positions summed against
  the contract positions summed (they differ only while something is wrong: a roll half done, a
  fill booked in one place only).
- Broker against book: per contract, what the broker holds against what our fills booked.
- The last 24 hours of trades side by side: the fills we booked and the fills the broker reports,
  matched by fill id.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pandas as pd

from syscore.exceptions import SysprodError
from syscore.job_summary import JobSummary
from syslogdiag.render.charts import positions_against_buffers
from syslogdiag.render.report import Report
from sysobjects.buffered_orders import buffered_trade
from sysproduction.reports.order_data import (
    Missing,
    contract_positions,
    fill_rows,
    strategy_positions,
)
from sysproduction.reports.report_data import repository
from sysproduction.reports.reporting import run_report
from sysproduction.reports.status_report import broker_breaks

if TYPE_CHECKING:
    from sysdata.data_blob import DataBlob

TRADES_PERIOD = dt.timedelta(days=1)


def optimal_frame(data: DataBlob, positions: dict[tuple[str, str], int]) -> pd.DataFrame:
    """One row per strategy and instrument with an optimal position (or a position held)."""
    optimal = repository(data, "optimal_positions")
    rows = []
    strategies = optimal.strategies() if optimal is not None else []
    for strategy in strategies:
        sets = optimal.for_strategy(strategy)
        held_here = {i for s, i in positions if s == strategy}
        for instrument in sorted(set(sets) | held_here):
            held = positions.get((strategy, instrument), 0)
            target = sets.get(instrument)
            if target is None:
                rows.append({"strategy": strategy, "instrument": instrument, "position": held,
                             "optimal": None, "lower": None, "upper": None, "outside": True,
                             "trade wanted": None, "backtest run": None})
                continue
            trade, _ = buffered_trade(held, target.lower, target.upper)
            rows.append({"strategy": strategy, "instrument": instrument, "position": held,
                         "optimal": target.optimal, "lower": target.lower, "upper": target.upper,
                         "outside": held < target.lower or held > target.upper, "trade wanted": trade,
                         "backtest run": target.run_time})
    return pd.DataFrame(rows, columns=["strategy", "instrument", "position", "optimal", "lower", "upper",
                                       "outside", "trade wanted", "backtest run"])


def strategy_vs_contract(positions: dict[tuple[str, str], int], contracts: dict[tuple[str, str], int]) -> pd.DataFrame:
    by_strategy: dict[str, int] = {}
    for (_, instrument), qty in positions.items():
        by_strategy[instrument] = by_strategy.get(instrument, 0) + qty
    by_contract: dict[str, int] = {}
    for (instrument, _), qty in contracts.items():
        by_contract[instrument] = by_contract.get(instrument, 0) + qty
    rows = [{"instrument": code, "strategies": by_strategy.get(code, 0), "contracts": by_contract.get(code, 0),
             "difference": by_strategy.get(code, 0) - by_contract.get(code, 0)}
            for code in sorted(set(by_strategy) | set(by_contract))]
    return pd.DataFrame(rows, columns=["instrument", "strategies", "contracts", "difference"])


def trades_side_by_side(data: DataBlob, since: dt.datetime) -> pd.DataFrame | Missing:
    ours = fill_rows(data, since)
    if isinstance(ours, Missing):
        return ours
    try:
        theirs = data.broker.fills(since)
    except SysprodError as exc:
        return Missing(f"the broker's fills could not be read: {exc}")
    booked = {}
    if len(ours):
        ledger = repository(data, "historic_orders").fills(since)
        booked = {doc["fill_id"]: doc for doc in ledger}
    broker = {fill.fill_id: fill for fill in theirs}
    rows = []
    for fill_id in sorted(set(booked) | set(broker),
                          key=lambda f: (broker[f].time.isoformat() if f in broker else booked[f]["time"], f)):
        mine, at_broker = booked.get(fill_id), broker.get(fill_id)
        rows.append({
            "time": at_broker.time if at_broker else dt.datetime.fromisoformat(mine["time"]),
            "instrument": at_broker.instrument_code if at_broker else mine["instrument_code"],
            "contract": at_broker.contract_id if at_broker else mine["contract_id"],
            "fill id": fill_id,
            "booked qty": int(mine["quantity"]) if mine else None,
            "booked price": float(mine["price"]) if mine else None,
            "broker qty": int(at_broker.quantity) if at_broker else None,
            "broker price": float(at_broker.price) if at_broker else None,
            "match": _match(mine, at_broker),
        })
    return pd.DataFrame(rows, columns=["time", "instrument", "contract", "fill id", "booked qty", "booked price",
                                       "broker qty", "broker price", "match"])


def _match(mine: dict | None, theirs) -> str:
    if mine is None:
        return "NOT BOOKED"
    if theirs is None:
        return "NOT AT BROKER"
    same = int(mine["quantity"]) == int(theirs.quantity) and float(mine["price"]) == float(theirs.price)
    return "yes" if same else "DIFFERS"


def build_reconcile_report(data: DataBlob) -> Report:
    now = data.clock.now()
    report = Report("reconcile_report", "Reconcile report", now)
    positions = strategy_positions(data)

    section = report.section("Optimal against actual positions")
    if isinstance(positions, Missing):
        section.warning(positions.why)
        positions = {}
    optimal = optimal_frame(data, positions)
    if optimal.empty:
        section.warning("no optimal positions stored yet: run run_systems (a strategy in strategy_list)")
    else:
        outside = optimal[optimal["outside"]]
        section.text(f"{len(outside)} of {len(optimal)} positions are outside their buffer "
                     "(the order generator trades them to the nearest edge).")
        if len(outside):
            section.table(outside.drop(columns=["outside"]), title="Outside the buffer",
                          formats={"position": "d", "optimal": ".2f", "lower": ".2f", "upper": ".2f"})
        section.table(optimal.drop(columns=["outside"]), title="All",
                      formats={"position": "d", "optimal": ".2f", "lower": ".2f", "upper": ".2f"})
        for strategy, rows in optimal.dropna(subset=["optimal"]).groupby("strategy"):
            chart = positions_against_buffers(rows.set_index("instrument"), f"{strategy}: positions against buffers")
            section.chart(chart, f"{strategy}: positions against buffers", f"buffers_{strategy}")

    section = report.section("Strategy against contract positions")
    compared = strategy_vs_contract(positions, contract_positions(data))
    breaks = compared[compared["difference"] != 0]
    if compared.empty:
        section.text("No positions held.")
    elif breaks.empty:
        section.text("Every instrument's strategy positions add up to its contract positions.")
        section.table(compared)
    else:
        section.warning(f"{len(breaks)} instrument(s) where the strategy and contract positions differ: "
                        f"{', '.join(breaks['instrument'])}")
        section.table(compared)

    section = report.section("Broker against book")
    differences = broker_breaks(data)
    if isinstance(differences, Missing):
        section.warning(differences.why)
    elif differences.empty:
        section.text("The broker's contract positions match the book.")
    else:
        section.warning(f"{len(differences)} contract position(s) differ between the broker and the book.")
        section.table(differences)

    section = report.section("Trades in the last 24 hours, ours and the broker's")
    trades = trades_side_by_side(data, now - TRADES_PERIOD)
    if isinstance(trades, Missing):
        section.warning(trades.why)
    elif trades.empty:
        section.text("No fills in the last 24 hours: the stack handler has not traded.")
    else:
        unmatched = trades[trades["match"] != "yes"]
        if len(unmatched):
            section.warning(f"{len(unmatched)} fill(s) do not match between the book and the broker.")
        section.table(trades, formats={"booked qty": "d", "broker qty": "d", "booked price": ".6g",
                                       "broker price": ".6g"})
    return report


def reconcile_report(data: DataBlob) -> JobSummary:
    return run_report(data, "reconcile_report", build_reconcile_report)
