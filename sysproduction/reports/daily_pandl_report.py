"""The daily P&L report: what each instrument and each strategy made over the last 24 hours, in
base currency, from stored prices, positions and fills; the total against the change in capital;
and a chart of the last year.

- By instrument: per contract, from that contract's own closes, its booked position and its fills
  (`sysobjects.pandl`), so a roll costs what its spread fills cost and nothing more.
- By strategy: per instrument, from the back-adjusted prices (continuous across rolls), the
  strategy's position and its own fills, each fill price moved onto the adjusted series by the
  adjustment at its time (adjusted - the traded contract's close). Roll trades belong to no
  strategy; what they cost, and the basis between contracts, is the difference to the instrument
  total, shown as its own row.
- Total against capital: the change of the capital history's accumulated P&L over the same
  period (update_total_capital values the account); the difference is commissions, interest, FX
  and timing. The change of total capital is shown too: it also moves with withdrawals, and under
  half or fixed capital it does not follow P&L.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pandas as pd

from syscore.exceptions import MissingData, SysprodError
from syscore.job_summary import JobSummary
from syslogdiag.render.charts import line_chart
from syslogdiag.render.report import Report
from sysobjects.pandl import pandl_by_bar, window
from sysproduction.reports.order_data import (
    Missing,
    contract_positions,
    fill_rows,
    strategy_positions,
)
from sysproduction.reports.report_data import (
    base_currency,
    contract_closes,
    fx_on,
    fx_to_base,
    repository,
)
from sysproduction.reports.reporting import run_report

if TYPE_CHECKING:
    from sysdata.data_blob import DataBlob

PERIOD = dt.timedelta(days=1)
CHART_PERIOD = dt.timedelta(days=365)


def _in_base(data: DataBlob, instrument: str, points: pd.Series) -> pd.Series:
    meta = data.instruments.get(instrument)
    return points * meta.pointsize * fx_on(fx_to_base(data, meta.currency), points.index)


def instrument_pandl(data: DataBlob, fills: pd.DataFrame, start: dt.datetime, end: dt.datetime,
                     problems: dict[str, str]) -> dict[str, pd.Series]:
    """instrument -> P&L per bar in base currency (summed over its contracts) from start to end."""
    held = contract_positions(data)
    keys = set(held) | set(zip(fills["instrument"], fills["contract"], strict=True))
    out: dict[str, pd.Series] = {}
    for instrument, contract in sorted(keys):
        try:
            closes = window(contract_closes(data, instrument, contract), pd.Timestamp(start), pd.Timestamp(end))
            if closes.empty:
                raise MissingData(f"no prices stored for contract {contract}")
            mine = fills[(fills["instrument"] == instrument) & (fills["contract"] == contract)]
            pnl = _in_base(data, instrument, pandl_by_bar(closes, mine, held.get((instrument, contract), 0)))
        except SysprodError as exc:
            problems[f"{instrument} {contract}"] = str(exc)
            continue
        out[instrument] = out[instrument].add(pnl, fill_value=0.0) if instrument in out else pnl
    return out


def strategy_pandl(data: DataBlob, fills: pd.DataFrame, start: dt.datetime, end: dt.datetime,
                   problems: dict[str, str]) -> dict[str, pd.Series] | Missing:
    """strategy -> P&L per bar in base currency (summed over its instruments)."""
    positions = strategy_positions(data)
    if isinstance(positions, Missing):
        return positions
    outright = fills[~fills["roll_order"].astype(bool)]
    keys = set(positions) | set(zip(outright["strategy"], outright["instrument"], strict=True))
    out: dict[str, pd.Series] = {}
    for strategy, instrument in sorted(keys):
        try:
            adjusted = data.adjusted_prices.get(instrument)
            closes = window(adjusted, pd.Timestamp(start), pd.Timestamp(end))
            mine = outright[(outright["strategy"] == strategy) & (outright["instrument"] == instrument)].copy()
            mine["price"] = [
                price + _adjustment(data, adjusted, instrument, contract, time)
                for price, contract, time in zip(mine["price"], mine["contract"], mine["time"], strict=True)
            ]
            pnl = _in_base(data, instrument, pandl_by_bar(closes, mine, positions.get((strategy, instrument), 0)))
        except SysprodError as exc:
            problems[f"{strategy} {instrument}"] = str(exc)
            continue
        out[strategy] = out[strategy].add(pnl, fill_value=0.0) if strategy in out else pnl
    return out


def _adjustment(data: DataBlob, adjusted: pd.Series, instrument: str, contract: str, when: dt.datetime) -> float:
    """Adjusted price minus the contract's close, at the last close at or before `when`."""
    closes = contract_closes(data, instrument, contract).loc[:when]
    adj = adjusted.loc[:when]
    if closes.empty or adj.empty:
        return 0.0
    return float(adj.iloc[-1] - closes.iloc[-1])


def capital_change(data: DataBlob, start: dt.datetime, end: dt.datetime) -> tuple[dict[str, float] | None, str]:
    """({column: value at end - value at start} for the capital history's columns, "") or
    (None, why). The like-for-like comparison for the futures P&L is accumulated_pnl: total
    capital also moves with withdrawals, and under half/fixed capital it does not follow P&L."""
    capital = repository(data, "total_capital")
    if capital is None:
        return None, "total capital is not available in this installation yet"
    history = capital.history()
    before, upto = history.loc[:start], history.loc[:end]
    if upto.empty:
        return None, "no total capital stored yet: run run_capital_update (update_total_capital)"
    if before.empty:
        return None, f"no total capital stored before {start:%Y-%m-%d %H:%M}: the change needs two valuations"
    return {column: float(upto[column].iloc[-1] - before[column].iloc[-1]) for column in history.columns}, ""


def _total(series: dict[str, pd.Series], start: dt.datetime) -> dict[str, float]:
    return {key: float(s.loc[s.index > pd.Timestamp(start)].sum()) for key, s in series.items()}


def build_daily_pandl_report(data: DataBlob) -> Report:
    now = data.clock.now()
    start = now - PERIOD
    base = base_currency(data)
    report = Report("daily_pandl_report", "Daily P&L report", now)
    head = report.section("Total")
    head.text(f"P&L from {start:%Y-%m-%d %H:%M} to {now:%Y-%m-%d %H:%M} UTC in {base}, from stored "
              "closes, booked positions and fills (each position marked from the last close before "
              "the start to the last close before the end).")
    fills = fill_rows(data, now - CHART_PERIOD)
    if isinstance(fills, Missing):
        head.warning(fills.why)
        return report
    problems: dict[str, str] = {}
    by_instrument = instrument_pandl(data, fills, now - CHART_PERIOD, now, problems)
    instrument_totals = _total(by_instrument, start)
    futures_total = sum(instrument_totals.values())
    change, why = capital_change(data, start, now)
    totals = {"futures P&L (sum of instruments)": futures_total}
    if change is not None:
        totals["change in accumulated P&L (capital)"] = change["accumulated_pnl"]
        totals["residual (accumulated P&L - futures)"] = change["accumulated_pnl"] - futures_total
        totals["change in total capital"] = change["total_capital"]
    head.table(pd.DataFrame({base: totals}), index_label="")
    if why:
        head.warning(why)
    if not by_instrument:
        head.warning("no positions and no fills yet: the stack handler has not traded")

    section = report.section("By instrument")
    frame = pd.DataFrame({base: instrument_totals}).sort_values(base) if instrument_totals else pd.DataFrame({base: []})
    section.table(frame, index_label="instrument", empty="(no positions held and no fills)")

    section = report.section("By strategy")
    by_strategy = strategy_pandl(data, fills, now - CHART_PERIOD, now, problems)
    if isinstance(by_strategy, Missing):
        section.warning(by_strategy.why)
    else:
        strategy_totals = _total(by_strategy, start)
        if strategy_totals:
            strategy_totals["rolls and basis (instruments - strategies)"] = futures_total - sum(strategy_totals.values())
        section.table(pd.DataFrame({base: strategy_totals}), index_label="strategy",
                      empty="(no strategy positions and no fills)")
    for item, problem in problems.items():
        report.sections[0].warning(f"{item}: left out: {problem}")

    if by_instrument:
        section = report.section("Last year")
        daily = pd.concat(by_instrument.values(), axis=1).sum(axis=1)
        daily = daily.groupby(daily.index.normalize()).sum()
        lines = {"futures P&L (cumulative)": daily.cumsum()}
        capital = repository(data, "total_capital")
        history = capital.history() if capital is not None else pd.DataFrame()
        year = history.loc[now - CHART_PERIOD:] if len(history) else history
        if len(year) >= 2:  # by day, like the futures P&L, so a day's moves line up
            by_day = year["accumulated_pnl"].groupby(year.index.normalize()).last()
            lines["accumulated P&L (capital)"] = by_day - by_day.iloc[0]
        section.chart(line_chart(pd.DataFrame(lines), f"Cumulative P&L over the last year ({base})", base,
                                 zero_line=True), "Cumulative P&L over the last year", "pandl_last_year")
    return report


def daily_pandl_report(data: DataBlob) -> JobSummary:
    return run_report(data, "daily_pandl_report", build_daily_pandl_report)
