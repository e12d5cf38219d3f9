"""The costs report: per instrument, the slippage our fills actually paid against the spread cost
the backtest charges (the configured spread cost), with the number of fills behind each figure,
and the spread cost the fills suggest.

The suggestion is the quantity-weighted mean of (fill - mid) over the instrument's outright fills
of the last `costs_report_days` days (`sysobjects.slippage`); it is offered only with at least
`costs_report_min_fills` fills, and `interactive_controls` ("update spread costs") can set it.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING

import pandas as pd

from syscore.job_summary import JobSummary
from syslogdiag.render.report import Report
from sysobjects.slippage import slippage_points, suggested_spreads
from sysproduction.reports.order_data import Missing, fill_rows
from sysproduction.reports.reporting import run_report

if TYPE_CHECKING:
    from sysdata.data_blob import DataBlob

COLUMNS = ["configured", "fills", "contracts", "bid_ask", "vs_mid", "suggested", "change %"]


def cost_figures(data: DataBlob, now: dt.datetime | None = None) -> pd.DataFrame | Missing:
    """One row per instrument with a configured spread cost or a measured fill: the configured
    cost, fills and contracts measured, mean bid/ask and fill-vs-mid (price points), the
    suggested spread cost (blank with too few fills) and its change against the configured one."""
    now = now or data.clock.now()
    since = now - dt.timedelta(days=int(data.config["costs_report_days"]))
    fills = fill_rows(data, since)
    if isinstance(fills, Missing):
        return fills
    configured = pd.Series(data.spread_costs.all(), dtype=float)
    outright = fills[~fills["roll_order"].astype(bool)] if len(fills) else fills
    if len(outright):
        measured = suggested_spreads(slippage_points(outright), outright["quantity"], outright["instrument"])
    else:
        measured = pd.DataFrame(columns=["fills", "contracts", "bid_ask", "vs_mid"])
    codes = sorted(set(configured.index) | set(measured.index))
    frame = pd.DataFrame(index=pd.Index(codes, name="instrument"))
    frame["configured"] = configured.reindex(codes)
    frame["fills"] = measured["fills"].reindex(codes).fillna(0).astype(int)
    frame["contracts"] = measured["contracts"].reindex(codes).fillna(0).astype(int)
    frame["bid_ask"] = measured["bid_ask"].reindex(codes).astype(float)
    frame["vs_mid"] = measured["vs_mid"].reindex(codes).astype(float)
    enough = frame["fills"] >= int(data.config["costs_report_min_fills"])
    # six significant figures: a spread cost is a price-point figure, not float noise (0.0999999...)
    frame["suggested"] = frame["vs_mid"].clip(lower=0.0).where(enough).map(
        lambda v: float(f"{v:.6g}") if v == v else v)
    frame["change %"] = 100.0 * (frame["suggested"] / frame["configured"] - 1.0)
    frame.loc[~(frame["configured"] > 0), "change %"] = math.nan
    return frame[COLUMNS]


def suggestions(figures: pd.DataFrame) -> dict[str, float]:
    """instrument -> suggested spread cost, where there is one and it differs from the configured."""
    wanted = figures["suggested"].notna() & (figures["suggested"] != figures["configured"])
    return {code: float(value) for code, value in figures.loc[wanted, "suggested"].items()}


def build_costs_report(data: DataBlob) -> Report:
    now = data.clock.now()
    report = Report("costs_report", "Costs report", now)
    days, minimum = int(data.config["costs_report_days"]), int(data.config["costs_report_min_fills"])
    section = report.section("Spread costs against realised slippage")
    section.text(
        f"Fills of the last {days} days (outright trades; rolls are not measured). Spread costs "
        "are half the bid-ask spread in price points, per contract. bid_ask: side price - mid when "
        "the order was sent; vs_mid: fill - mid (what was paid against the mid), both quantity-"
        f"weighted means in price points. A suggestion needs at least {minimum} fills "
        "(costs_report_min_fills); set it with interactive_controls, 'update spread costs'."
    )
    figures = cost_figures(data, now)
    if isinstance(figures, Missing):
        section.warning(figures.why)
        return report
    if figures.empty:
        section.warning("no spread costs configured and no fills: import spreadcosts.csv "
                        "(sysprod data import-csv) and let the stack handler trade")
        return report
    if figures["fills"].sum() == 0:
        section.warning("no fills yet: the stack handler has not traded, so there is no slippage to "
                        "compare the configured spread costs with")
    table = figures[figures["fills"] > 0] if figures["fills"].sum() else figures
    section.table(table, index_label="instrument",
                  formats={"configured": ".6g", "bid_ask": ".6g", "vs_mid": ".6g", "suggested": ".6g",
                           "change %": "+.1f"})
    offered = suggestions(figures)
    if offered:
        section.text("Suggested changes: " + ", ".join(
            f"{code} {_cost(figures.loc[code, 'configured'])} -> {value:.6g}" for code, value in offered.items()))
    elif figures["fills"].sum():
        section.text(f"No suggested changes (an instrument needs {minimum} fills, and a measured cost "
                     "different from the configured one).")
    return report


def _cost(value: float) -> str:
    return "(none)" if value != value else f"{value:.6g}"


def costs_report(data: DataBlob) -> JobSummary:
    return run_report(data, "costs_report", build_costs_report)
