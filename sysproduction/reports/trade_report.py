"""The trade report: every fill of the last day, what it cost against the price the order was
decided on (reference) and against the mid when the order was sent, in ticks, in base currency
and in risk units, and how long each order took to fill.

Roll trades (calendar spreads) are listed but not measured: their reference and mid prices are
spread prices, not the outright's.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING

import pandas as pd

from syscore.exceptions import SysprodError
from syscore.job_summary import JobSummary
from syslogdiag.render.report import Report
from sysobjects.slippage import daily_price_vol, estimate_tick, slippage_points
from sysproduction.reports.order_data import Missing, fill_rows
from sysproduction.reports.report_data import base_currency, fx_at, fx_to_base
from sysproduction.reports.reporting import run_report

if TYPE_CHECKING:
    from sysdata.data_blob import DataBlob

LOOKBACK = dt.timedelta(days=1)
NO_FILLS = "no fills in this period: the stack handler has not traded"


def instrument_scales(data: DataBlob, instruments: list[str], when: dt.datetime) -> pd.DataFrame:
    """Per instrument: tick (estimated from the stored prices of its contracts), value of one
    price point of one contract in base currency, and daily price volatility (price points)."""
    rows = {}
    for code in instruments:
        tick = value = vol = math.nan
        try:
            meta = data.instruments.get(code)
            value = meta.pointsize * fx_at(fx_to_base(data, meta.currency), when)
        except SysprodError:
            pass
        try:
            adjusted = data.adjusted_prices.get(code)
            vol = daily_price_vol(adjusted.loc[:when])
            tick = estimate_tick(adjusted.iloc[-250:])
        except SysprodError:
            pass
        rows[code] = {"tick": tick, "point_value": value, "daily_vol": vol}
    return pd.DataFrame.from_dict(rows, orient="index", columns=["tick", "point_value", "daily_vol"])


def measured_fills(data: DataBlob, fills: pd.DataFrame, when: dt.datetime) -> pd.DataFrame:
    """The fills with their slippage components in points, ticks, base currency and risk units."""
    points = slippage_points(fills)
    scales = instrument_scales(data, sorted(fills["instrument"].unique()), when).reindex(fills["instrument"])
    scales.index = fills.index
    out = pd.concat([fills, points], axis=1)
    for column in ("delay", "bid_ask", "execution", "vs_mid", "total"):
        out[f"{column}_ticks"] = points[column] / scales["tick"]
        out[f"{column}_base"] = points[column] * fills["quantity"].abs() * scales["point_value"]
        out[f"{column}_risk"] = points[column] / scales["daily_vol"]
    out["tick"] = scales["tick"]
    measurable = ~fills["roll_order"].astype(bool)
    for column in out.columns:
        if column.split("_")[0] in ("delay", "bid", "execution", "vs", "total"):
            out.loc[~measurable, column] = math.nan
    created = pd.to_datetime(fills["order_created"])
    submitted = pd.to_datetime(fills["submit_time"])
    filled = pd.to_datetime(fills["time"])
    out["order_to_fill_s"] = (filled - created).dt.total_seconds()
    out["submit_to_fill_s"] = (filled - submitted).dt.total_seconds()
    return out


def build_trade_report(data: DataBlob, since: dt.datetime | None = None) -> Report:
    now = data.clock.now()
    since = since or now - LOOKBACK
    report = Report("trade_report", "Trade report", now)
    fills = fill_rows(data, since)
    intro = report.section("Fills")
    intro.text(f"Fills from {since:%Y-%m-%d %H:%M} to {now:%Y-%m-%d %H:%M} UTC. Slippage is a cost when "
               "positive: delay = mid when the broker order was made - reference price (the price the "
               "order was decided on); bid/ask = side price - mid; execution = fill - side price; total = fill - reference (each signed by the "
               f"trade's direction). Base currency: {base_currency(data)}. Risk units: price points "
               "/ one day's standard deviation of the price.")
    if isinstance(fills, Missing):
        intro.warning(fills.why)
        return report
    if fills.empty:
        intro.warning(NO_FILLS)
        return report
    measured = measured_fills(data, fills, now)
    table = measured[["time", "strategy", "instrument", "contract", "quantity", "price",
                      "reference_price", "mid_price", "side_price"]].rename(columns={
                          "reference_price": "reference", "mid_price": "mid", "side_price": "side"})
    table["roll"] = measured["roll_order"].astype(bool)
    intro.table(table, formats={"quantity": "d", "price": ".6g", "reference": ".6g", "mid": ".6g", "side": ".6g"})

    section = report.section("Slippage in ticks")
    section.text("Tick: the smallest price step seen in the instrument's stored prices.")
    ticks = measured[["instrument", "contract", "quantity", "tick", "delay_ticks", "bid_ask_ticks",
                      "execution_ticks", "total_ticks"]].rename(
                          columns=lambda c: c.replace("_ticks", "").replace("bid_ask", "bid/ask"))
    section.table(ticks, formats={"quantity": "d", "tick": ".6g"})

    section = report.section(f"Slippage in {base_currency(data)} and in risk units")
    cash = measured[["instrument", "contract", "quantity", "delay_base", "bid_ask_base", "execution_base",
                     "total_base", "total_risk"]].rename(columns={
                         "delay_base": "delay", "bid_ask_base": "bid/ask", "execution_base": "execution",
                         "total_base": "total", "total_risk": "total (risk units)"})
    section.table(cash, formats={"quantity": "d", "total (risk units)": ".4f"})
    measurable = measured[~measured["roll_order"].astype(bool)]
    if len(measurable):
        section.text(f"Total slippage of {len(measurable)} measured fills: "
                     f"{measurable['total_base'].sum():,.2f} {base_currency(data)} "
                     f"(delay {measurable['delay_base'].sum():,.2f}, bid/ask "
                     f"{measurable['bid_ask_base'].sum():,.2f}, execution {measurable['execution_base'].sum():,.2f}).")

    section = report.section("Delays")
    delays = measured[["instrument", "broker_order", "order_created", "submit_time", "time",
                       "order_to_fill_s", "submit_to_fill_s"]].rename(columns={
                           "time": "filled", "order_created": "order created", "submit_time": "submitted",
                           "order_to_fill_s": "order to fill (s)", "submit_to_fill_s": "submit to fill (s)",
                           "broker_order": "broker order"})
    section.table(delays, formats={"order to fill (s)": ",.0f", "submit to fill (s)": ",.0f", "broker order": "d"})
    return report


def trade_report(data: DataBlob) -> JobSummary:
    return run_report(data, "trade_report", build_trade_report)
