"""`sysprod report capital` (table, CSV, PNG) and `sysprod broker cash`, in real subprocesses."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd

from sysproduction.jobs.capital.update_total_capital import update_total_capital
from sysproduction.wiring import make_blob
from tests.sysproduction.control.helpers import make_installation, set_clock, sysprod

START = dt.datetime(2026, 3, 2, 6, 0)


def test_report_shows_both_histories_as_csv_table_and_png(tmp_path):
    root = make_installation(tmp_path / "inst", {}, now=START)
    out = sysprod(root, "report", "capital")
    assert out.returncode == 1 and out.stderr.strip() == (
        "error: no capital stored yet; run run_capital_update (its update_total_capital) or "
        "update_capital_manual")

    blob = make_blob(root)
    update_total_capital(blob)  # 1,000,000
    blob.strategy_capital.record(START, {"classic": 600_000.0, "carry": 400_000.0})
    set_clock(root, START + dt.timedelta(days=1))
    out = sysprod(root, "broker", "cash", "withdraw", "30000")  # -3%: P&L as far as capital knows
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("account value: 1,000,000.00 -> 970,000.00 USD")
    update_total_capital(blob)
    blob.strategy_capital.record(START + dt.timedelta(days=1), {"classic": 582_000.0, "carry": 388_000.0})

    out = sysprod(root, "report", "capital", "--csv")
    assert out.returncode == 0, out.stderr
    frame = pd.read_csv(io.StringIO(out.stdout), index_col="time", parse_dates=True)
    assert frame.to_dict("list") == {
        "broker_account_value": [1_000_000.0, 970_000.0], "total_capital": [1_000_000.0, 970_000.0],
        "max_capital": [1_000_000.0, 970_000.0], "accumulated_pnl": [0.0, -30_000.0],
        "source": ["initialised", "broker"],
        "strategy_carry": [400_000.0, 388_000.0], "strategy_classic": [600_000.0, 582_000.0],
    }

    png = tmp_path / "capital.png"
    out = sysprod(root, "report", "capital", "--plot", str(png), "--tail", "1")
    assert out.returncode == 0, out.stderr
    assert "Total capital (USD, production_capital_method full), 1 of 2" in out.stdout
    assert "2026-03-03 06:00:00" in out.stdout and "2026-03-02 06:00:00" not in out.stdout
    assert f"chart written to {png}" in out.stdout
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


def test_cash_moves_are_for_the_simulated_broker_only_and_amounts_are_positive(tmp_path):
    root = make_installation(tmp_path / "inst", {}, now=START)
    out = sysprod(root, "broker", "cash", "deposit", "-5")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    blob = make_blob(root)
    out = sysprod(root, "broker", "cash", "deposit", "2500.5")
    assert out.returncode == 0 and "1,000,000.00 -> 1,002,500.50 USD" in out.stdout
    assert blob.broker.account_value("USD") == 1_002_500.5
