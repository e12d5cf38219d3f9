"""Each report built from a data root with known numbers (tests/sysproduction/reports/
prepared_root.py), its figures worked out by hand; and each report on an empty installation says
what is missing instead of failing."""

from __future__ import annotations

import datetime as dt
import types

import pandas as pd
import pytest

from syslogdiag.render.report import Paragraph, Table, render_html, render_text
from sysproduction.reports.costs_report import build_costs_report, cost_figures, suggestions
from sysproduction.reports.daily_pandl_report import build_daily_pandl_report
from sysproduction.reports.liquidity_report import build_liquidity_report, liquidity_figures
from sysproduction.reports.order_data import NO_STACKS, Missing, fill_rows
from sysproduction.reports.reconcile_report import build_reconcile_report
from sysproduction.reports.status_report import build_status_report
from sysproduction.reports.trade_report import build_trade_report, measured_fills
from tests.sysproduction.reports.prepared_root import NOW, daily_vol, prepare


@pytest.fixture(scope="module")
def blob(tmp_path_factory):
    return prepare(tmp_path_factory.mktemp("reports") / "root")


def tables(report, section: str) -> list[pd.DataFrame]:
    [found] = [s for s in report.sections if s.heading == section]
    return [item.frame for item in found.items if isinstance(item, Table)]


def texts(report) -> list[str]:
    return [i.text for s in report.sections for i in s.items if isinstance(i, Paragraph)]


def test_trade_report_slippage_in_points_ticks_money_and_risk(blob):
    fills = fill_rows(blob, NOW - pd.Timedelta(days=1))
    assert list(fills["instrument"]) == ["GOLD", "BUND"]  # GOLD's from the historic store, BUND's from the stacks
    m = measured_fills(blob, fills, NOW).set_index("instrument")
    gold, bund = m.loc["GOLD"], m.loc["BUND"]
    # GOLD: buy 2 at 2000.3; reference 2000.1, mid 2000.2, ask 2000.25
    assert gold["delay"] == pytest.approx(0.1) and gold["bid_ask"] == pytest.approx(0.05)
    assert gold["execution"] == pytest.approx(0.05) and gold["total"] == pytest.approx(0.2)
    assert gold["tick"] == 0.5 and gold["total_ticks"] == pytest.approx(0.4)
    assert gold["total_base"] == pytest.approx(0.2 * 2 * 100)  # 40 USD
    assert gold["total_risk"] == pytest.approx(0.2 / daily_vol(0.5))
    assert gold["order_to_fill_s"] == 3600 and gold["submit_to_fill_s"] == 1800
    # BUND: sell 1 at 130.02; reference 130.05, mid 130.04, bid 130.03; EUR at 1.10
    assert bund["delay"] == pytest.approx(0.01) and bund["execution"] == pytest.approx(0.01)
    assert bund["total"] == pytest.approx(0.03) and bund["total_ticks"] == pytest.approx(0.3)
    assert bund["total_base"] == pytest.approx(0.03 * 1000 * 1.10)  # 33 USD
    assert bund["order_to_fill_s"] == 900 and bund["submit_to_fill_s"] == 600
    text = render_text(build_trade_report(blob))
    assert "Total slippage of 2 measured fills: 73.00 USD (delay 31.00, bid/ask 21.00, execution 21.00)." in text


def test_daily_pandl_by_instrument_strategy_and_against_capital(blob):
    report = build_daily_pandl_report(blob)
    [total] = tables(report, "Total")
    # GOLD: 1 held from 2000.0 to 2000.5 (+0.5), 2 bought at 2000.3 marked at 2000.5 (+0.4): 0.9 x 100
    # BUND: 1 sold at 130.02 marked at 130.10: -0.08 x 1000 x 1.10 = -88
    [by_instrument] = tables(report, "By instrument")
    assert by_instrument["USD"].to_dict() == pytest.approx({"GOLD": 90.0, "BUND": -88.0})
    assert total["USD"].to_dict() == pytest.approx({
        "futures P&L (sum of instruments)": 2.0, "change in accumulated P&L (capital)": 12.0,
        "residual (accumulated P&L - futures)": 10.0, "change in total capital": 10.0})
    [by_strategy] = tables(report, "By strategy")
    assert by_strategy["USD"].to_dict() == pytest.approx({
        "classic": 2.0, "rolls and basis (instruments - strategies)": 0.0})
    [chart] = report.charts
    assert chart.png.startswith(b"\x89PNG")


def test_costs_report_compares_slippage_with_the_configured_spread(blob):
    figures = cost_figures(blob, NOW)
    gold, bund = figures.loc["GOLD"], figures.loc["BUND"]
    # the balance trade has no mid price: only the real fill is measured
    assert (gold["configured"], gold["fills"], gold["contracts"]) == (0.25, 1, 2)
    assert gold["bid_ask"] == pytest.approx(0.05) and gold["vs_mid"] == pytest.approx(0.1)
    assert gold["suggested"] == pytest.approx(0.1) and gold["change %"] == pytest.approx(-60.0)
    assert (bund["configured"], bund["fills"]) == (0.005, 1)
    assert bund["suggested"] == pytest.approx(0.02) and bund["change %"] == pytest.approx(300.0)
    assert suggestions(figures) == pytest.approx({"BUND": 0.02, "GOLD": 0.1})
    assert "Suggested changes: BUND 0.005 -> 0.02, GOLD 0.25 -> 0.1" in render_text(build_costs_report(blob))


def test_costs_report_needs_enough_fills_for_a_suggestion(tmp_path):
    strict = prepare(tmp_path / "strict", costs_report_min_fills=2)
    figures = cost_figures(strict, NOW)
    assert figures["suggested"].isna().all() and suggestions(figures) == {}
    assert "No suggested changes (an instrument needs 2 fills" in render_text(build_costs_report(strict))


def test_liquidity_report_in_contracts_and_risk_with_flags(blob):
    frame, missing = liquidity_figures(blob)
    assert missing == {}
    gold, bund = frame.loc["GOLD"], frame.loc["BUND"]
    assert gold["contracts/day"] == 150 and bund["contracts/day"] == 500
    assert gold["risk/contract"] == pytest.approx(daily_vol(0.5) * 16 * 100)  # 815.84 USD a year
    assert gold["risk/day (m)"] == pytest.approx(150 * daily_vol(0.5) * 16 * 100 / 1e6)  # 0.122m < 0.5m
    assert bund["risk/day (m)"] == pytest.approx(500 * daily_vol(0.1) * 16 * 1000 * 1.10 / 1e6)  # 0.897m
    assert (gold["flag"], bund["flag"]) == ("risk", "")
    assert "1 of 2 instruments are under a threshold: GOLD" in texts(build_liquidity_report(blob))


def test_reconcile_report_buffers_positions_broker_and_trades(blob):
    report = build_reconcile_report(blob)
    outside, everything = tables(report, "Optimal against actual positions")
    assert outside[["instrument", "position", "trade wanted"]].values.tolist() == [["BUND", -1, -1]]
    assert len(everything) == 2
    [compared] = tables(report, "Strategy against contract positions")
    assert compared.set_index("instrument")["difference"].to_dict() == {"BUND": 0, "GOLD": 0}
    [broker] = tables(report, "Broker against book")  # the simulated broker holds nothing
    assert broker.set_index("instrument")[["broker", "book"]].to_dict("index") == {
        "BUND": {"broker": 0, "book": -1}, "GOLD": {"broker": 0, "book": 3}}
    [trades] = tables(report, "Trades in the last 24 hours, ours and the broker's")
    assert trades[["fill id", "booked qty", "match"]].values.tolist() == [
        ["F-GOLD-1", 2, "NOT AT BROKER"], ["F-BUND-1", -1, "NOT AT BROKER"]]
    assert [c.name for c in report.charts] == ["buffers_classic"]


def test_status_report_processes_stale_locks_breaks_and_orders(blob):
    report = build_status_report(blob)
    processes, failures = tables(report, "Processes")
    assert processes.set_index("process").loc["run_daily_prices_updates", "failed runs (7 days)"] == 1
    assert failures["detail"].tolist() == ["update_fx_prices failed: EURUSD"]
    assert failures["since"].tolist() == [""]  # neither accepted nor run again
    assert any("1 neither accepted nor followed by a completed run" in w for w in report.warnings)
    [stale] = tables(report, "Stale prices")
    assert stale[["instrument", "days old"]].values.tolist() == [["CORN", 9]]
    [locks] = tables(report, "Instrument locks")
    assert locks["instrument"].tolist() == ["BUND"]
    breaks = tables(report, "Position breaks")
    assert breaks[0][["instrument", "differences", "locked by the check"]].values.tolist() == [
        ["BUND", "20261200 book -1 broker 0", True]]
    assert breaks[1].set_index("instrument")["difference"].to_dict() == {"BUND": 1, "GOLD": -3}  # broker - book, now
    [orders] = tables(report, "Open orders")
    # GOLD's done families were archived; BUND's finished family waits for handle_completed_orders
    assert orders[["level", "instrument", "trade", "filled", "state"]].values.tolist() == [
        ["instrument", "BUND", -1, -1, "in_progress"], ["instrument", "GOLD", 1, 0, "new"]]
    page = render_html(report)
    assert "update_fx_prices failed: EURUSD" in page


EMPTY_SAYS = {
    build_status_report: "no instruments have multiple prices yet",
    build_trade_report: "no fills in this period: the stack handler has not traded",
    build_costs_report: "no spread costs configured and no fills",
    build_daily_pandl_report: "no positions and no fills yet: the stack handler has not traded",
    build_reconcile_report: "no optimal positions stored yet",
    build_liquidity_report: "no instruments have adjusted prices yet",
}


@pytest.mark.parametrize("build", list(EMPTY_SAYS), ids=lambda b: b.__name__)
def test_an_empty_installation_gets_each_report_saying_what_is_missing(build, tmp_path):
    from syscore.clock import FixedClock
    from tests.sysproduction.pipeline_helpers import blob_for

    empty = blob_for(tmp_path / "empty", FixedClock(NOW))
    report = build(empty)
    assert any(EMPTY_SAYS[build] in warning for warning in report.warnings), report.warnings


def test_a_missing_order_store_is_said_not_raised():
    assert fill_rows(types.SimpleNamespace(), NOW) == Missing(NO_STACKS)


def test_status_report_says_when_a_failed_run_was_accepted(tmp_path):
    from dataclasses import replace

    from sysproduction.control.control_state import ACCEPTED

    accepted = prepare(tmp_path / "accepted")
    [run] = accepted.process_control.history("run_daily_prices_updates")
    accepted.process_control.update("run_daily_prices_updates", lambda s: replace(
        s, end_time=dt.datetime.fromisoformat(run["end_time"]), last_outcome=ACCEPTED))
    report = build_status_report(accepted)
    _, failures = tables(report, "Processes")
    assert failures["since"].tolist() == ["accepted"]
    assert "1 process run(s) failed in the last 7 days; each was accepted or followed by a completed run." in texts(report)
