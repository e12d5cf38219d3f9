"""The liquidity report: how much of each instrument trades a day, in contracts and in risk, and
which instruments are too thin to trade.

Volume: the mean daily VOLUME over the last `liquidity_volume_days` days of the contract that
currently trades most (pysystemtrade's rule: the expiry with the highest volume, over about four
weeks). Risk per day: contracts a day x the annualised standard deviation of one contract's value
in base currency (daily price volatility x 16 x point size x FX), in millions. An instrument under
`liquidity_min_contracts_per_day` or `liquidity_min_risk_per_day_millions` is flagged
(pysystemtrade's report recommends at least 100 contracts or $1.5m of risk a day).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING

import pandas as pd

from syscore.exceptions import SysprodError
from syscore.job_summary import JobSummary
from syslogdiag.render.report import Report
from sysobjects.slippage import daily_price_vol, liquidity
from sysproduction.reports.report_data import base_currency, fx_at, fx_to_base
from sysproduction.reports.reporting import run_report

if TYPE_CHECKING:
    from sysdata.data_blob import DataBlob


def daily_volume(bars: pd.DataFrame, since: pd.Timestamp) -> float:
    """Mean volume per day with bars since `since` (hourly bars are summed into their day)."""
    volume = bars.loc[since:, "VOLUME"].dropna() if "VOLUME" in bars else pd.Series(dtype=float)
    if volume.empty:
        return math.nan
    per_day = volume.groupby(volume.index.normalize()).sum()
    return float(per_day.mean())


def liquidity_row(data: DataBlob, instrument: str, now: dt.datetime, days: int) -> dict:
    since = pd.Timestamp(now) - pd.Timedelta(days=days)
    best, best_contract = math.nan, ""
    expired = (pd.Timestamp(now) - pd.Timedelta(days=days + 62)).strftime("%Y%m")
    for contract in data.contract_prices.contracts(instrument):
        if contract[:6] < expired:  # expired well before the window: no volume in it to read
            continue
        volume = daily_volume(data.contract_prices.get(instrument, contract), since)
        if not math.isnan(volume) and (math.isnan(best) or volume > best):
            best, best_contract = volume, contract
    meta = data.instruments.get(instrument)
    vol = daily_price_vol(data.adjusted_prices.get(instrument).loc[:now])
    fx = fx_at(fx_to_base(data, meta.currency), now)
    risk_per_contract = vol * 16.0 * meta.pointsize * fx
    return {
        "instrument": instrument, "contract": best_contract, "contracts/day": best,
        "daily vol (points)": vol, "risk/contract": risk_per_contract,
        "risk/day (m)": liquidity(best, vol, meta.pointsize, fx) / 1e6,
    }


def liquidity_figures(data: DataBlob) -> tuple[pd.DataFrame, dict[str, str]]:
    """(one row per instrument with adjusted prices, instrument -> why it has no row)."""
    now = data.clock.now()
    days = int(data.config["liquidity_volume_days"])
    min_contracts = float(data.config["liquidity_min_contracts_per_day"])
    min_risk = float(data.config["liquidity_min_risk_per_day_millions"])
    rows, missing = [], {}
    for instrument in data.adjusted_prices.list():
        try:
            rows.append(liquidity_row(data, instrument, now, days))
        except SysprodError as exc:
            missing[instrument] = str(exc)
    frame = pd.DataFrame(rows, columns=["instrument", "contract", "contracts/day", "daily vol (points)",
                                        "risk/contract", "risk/day (m)"]).set_index("instrument")
    low_volume = ~(frame["contracts/day"] >= min_contracts)
    low_risk = ~(frame["risk/day (m)"] >= min_risk)
    frame["flag"] = [
        ", ".join(w for w, hit in (("contracts", c), ("risk", r)) if hit)
        for c, r in zip(low_volume, low_risk, strict=True)
    ]
    return frame, missing


def build_liquidity_report(data: DataBlob) -> Report:
    now = data.clock.now()
    report = Report("liquidity_report", "Liquidity report", now)
    base = base_currency(data)
    min_contracts = data.config["liquidity_min_contracts_per_day"]
    min_risk = data.config["liquidity_min_risk_per_day_millions"]
    section = report.section("Volume in contracts and in risk")
    section.text(
        f"Contracts/day: mean daily volume over the last {data.config['liquidity_volume_days']} days "
        "of the contract trading most. Risk/contract: one contract's annualised standard deviation "
        f"in {base} (daily vol x 16 x point size x FX). Risk/day (m): contracts/day x risk/contract, "
        f"in millions of {base}. Flagged: under {min_contracts} contracts a day "
        f"(liquidity_min_contracts_per_day) or {min_risk}m of risk a day "
        "(liquidity_min_risk_per_day_millions)."
    )
    frame, missing = liquidity_figures(data)
    if frame.empty and not missing:
        section.warning("no instruments have adjusted prices yet: import data or run run_daily_prices_updates")
        return report
    if frame["contracts/day"].isna().all() and len(frame):
        section.warning("no contract prices with volume are stored yet: run update_historical_prices")
    flagged = frame[frame["flag"] != ""]
    if len(flagged):
        section.warning(f"{len(flagged)} of {len(frame)} instruments are under a threshold: "
                        f"{', '.join(flagged.index)}")
    formats = {"contracts/day": ",.0f", "daily vol (points)": ".4g", "risk/contract": ",.0f", "risk/day (m)": ",.2f"}
    section.table(frame.sort_values("risk/day (m)"), title="Sorted by risk per day (thinnest first)",
                  index_label="instrument", formats=formats)
    for instrument, why in missing.items():
        section.warning(f"{instrument}: not measured: {why}")
    return report


def liquidity_report(data: DataBlob) -> JobSummary:
    return run_report(data, "liquidity_report", build_liquidity_report)
